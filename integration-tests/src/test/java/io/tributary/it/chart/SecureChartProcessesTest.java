package io.tributary.it.chart;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.tributary.client.Authentication;
import io.tributary.client.Consumer;
import io.tributary.client.Producer;
import io.tributary.client.Schema;
import io.tributary.client.SubscriptionInitialPosition;
import io.tributary.client.TlsOptions;
import io.tributary.client.TributaryClient;
import io.tributary.client.TributaryClientException.NotAuthenticatedException;
import io.tributary.it.chart.PodCluster.Pod;
import io.tributary.it.image.UnpackedImage;
import io.tributary.security.auth.Tokens;
import io.tributary.security.tls.CertificateAuthority;
import io.tributary.security.tls.CertificateAuthority.Issued;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The chart with TLS on every listener and token authentication runs ({@link PodCluster}): the default
 * values with {@code tls.enabled}, {@code tls.metrics} and {@code auth.enabled}, the certificates holding
 * exactly the names the chart's cert-manager Certificates ask for (read from the chart rendered with
 * cert-manager on), given to the chart as PEM values so it makes the Secrets itself, and the token key and
 * tokens given as values too. Every process then serves TLS only, ZooKeeper members and bookies identified by
 * their stable names, brokers reached by their pods' addresses under the broker Service's name; a client with
 * the CA and a token produces and consumes through the proxy, and one without a token is refused.
 */
class SecureChartProcessesTest {
    private static final String PROXY_NAME = "tributary-proxy.messaging.svc.cluster.local";
    private static PodCluster cluster;
    private static Path dir;
    private static Path caFile;
    private static Path secretKey;
    private static Path valuesFile;

    @BeforeAll
    static void renderAndStart() throws Exception {
        dir = Files.createTempDirectory("secure-chart");
        CertificateAuthority ca = CertificateAuthority.create("Tributary chart test CA", Duration.ofDays(1));
        caFile = ca.writeCertificate(dir.resolve("ca.crt"));
        secretKey = dir.resolve("secret.key");
        Tokens.createSecretKey(secretKey);

        Map<String, Object> values = new LinkedHashMap<>();
        values.put("broker", Map.of("replicas", 2));
        values.put("proxy", Map.of("replicas", 1));
        values.put("initJob", Map.of("helmHook", false));
        // the names each component's cert-manager Certificate holds
        Path withCertManager = write("cert-manager.yaml", Map.of("tls", Map.of("enabled", true,
                "certManager", Map.of("enabled", true, "issuerRef", Map.of("name", "tributary-ca")))));
        Map<String, Object> tls = new LinkedHashMap<>();
        tls.put("enabled", true);
        tls.put("metrics", true);
        tls.put("ca", Files.readString(caFile));
        for (Certificate c : RenderedChart.render(withCertManager).certificates) {
            String component = c.metadata().labels().get("app.kubernetes.io/component");
            Issued issued = ca.issue(dir, component, c.spec().commonName(), c.spec().dnsNames(), List.of());
            tls.put(component, Map.of("cert", Files.readString(issued.certFile()), "key", Files.readString(issued.keyFile())));
        }
        assertThat(tls).containsKeys("zookeeper", "bookie", "broker", "proxy");
        values.put("tls", tls);
        values.put("auth", Map.of("enabled", true,
                "keys", Map.of("kind", "secret", "secretKey", Files.readString(secretKey).strip()),
                "tokens", Map.of("broker", token("broker"), "proxy", token("proxy"))));
        valuesFile = write("values.yaml", values);
        cluster = new PodCluster(UnpackedImage.get(), RenderedChart.render(valuesFile), "tribsecure", "10.254.1.");
        cluster.start();
    }

    @AfterAll
    static void stopAll() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void aClientWithTheCaAndATokenProducesAndConsumesThroughTheProxyAndOneWithoutATokenIsRefused() throws Exception {
        String topic = "public/default/secure-chart-" + System.nanoTime();
        try (TributaryClient client = client(Authentication.token(token("admin")));
             Consumer<String> consumer = client.newConsumer(Schema.STRING).topic(topic).subscriptionName("chart")
                     .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe();
             Producer<String> producer = client.newProducer(Schema.STRING).topic(topic).create()) {
            for (int i = 0; i < 20; i++) {
                producer.send("message " + i);
            }
            ChartProcessesTest.receive(consumer, 0, 20);
        }
        try (TributaryClient anonymous = client(null)) {
            assertThatThrownBy(() -> anonymous.newProducer(Schema.STRING).topic(topic).create())
                    .isInstanceOfSatisfying(NotAuthenticatedException.class, e -> assertThat(e.getMessage()).contains("missing token"));
        }
        // every process serves its metrics over HTTPS (the probes used it too)
        for (Pod p : cluster.pods) {
            if (!p.owner.startsWith("Job ")) {
                assertThat(p.metrics("https")).as(p.name).contains("cluster=\"tributary\"");
            }
        }
    }

    @Test
    void theCommandsTheInstallPrintsWorkThroughAPortForward() throws Exception {
        // the notes fetch the CA, port-forward the proxy, then run the CLI with the CA, the proxy Service's name
        // and a superuser's token
        Path adminToken = Files.writeString(dir.resolve("admin.token"), token("admin"));
        cluster.runClientCommandsOf(RenderedChart.notes(valuesFile), Map.of("ca.crt", caFile, "admin.token", adminToken));
    }

    private static TributaryClient client(Authentication authentication) throws Exception {
        var builder = TributaryClient.builder().serviceUrl(cluster.serviceAddress("tributary-proxy"))
                .tls(TlsOptions.trusting(caFile).withServerName(PROXY_NAME)).operationTimeout(Duration.ofSeconds(30));
        if (authentication != null) {
            builder.authentication(authentication);
        }
        return builder.build();
    }

    private static String token(String role) {
        return Tokens.create(role, null, secretKey, null, null);
    }

    private static Path write(String name, Map<String, Object> values) throws Exception {
        Path file = dir.resolve(name);
        new ObjectMapper(new YAMLFactory()).writeValue(file.toFile(), values);
        return file;
    }
}
