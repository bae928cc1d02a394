package io.tributary.it.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.client.Consumer;
import io.tributary.client.Message;
import io.tributary.client.Producer;
import io.tributary.client.Schema;
import io.tributary.client.SubscriptionInitialPosition;
import io.tributary.client.SubscriptionType;
import io.tributary.client.TributaryClient;
import io.tributary.proxy.ProxyConfig;
import io.tributary.proxy.ProxyServer;
import io.tributary.security.tls.CertificateAuthority;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real programs, each in its own JVM, with TLS between them configured only by keys: {@code tributary zookeeper}
 * (TLS only, client certificates required), {@code tributary bookie} (TLS only, client certificates required, its
 * own certificate for ZooKeeper) and {@code tributary broker} (its certificate for both). Needs the packaged CLI
 * ({@code mvn -pl cli -am package -DskipTests}).
 */
class StorageTlsProcessesTest {
    @TempDir
    Path dir;

    private final ServerProcesses servers = new ServerProcesses();

    @AfterEach
    void stopServers() throws Exception {
        servers.close();
    }

    private void startServer(String name, List<String> args, Pattern ready) throws Exception {
        servers.start(name, args, ready);
    }

    private static List<String> defines(Map<String, String> keys) {
        List<String> out = new ArrayList<>();
        keys.forEach((k, v) -> out.addAll(List.of("-D", k + "=" + v)));
        return out;
    }

    @Test
    void processesConfiguredByKeysTalkTlsWithClientCertificatesAcrossTheStorageTier() throws Exception {
        CertificateAuthority ca = CertificateAuthority.create("cluster-ca", Duration.ofDays(1));
        Path caFile = ca.writeCertificate(dir.resolve("ca.crt"));
        Instant from = Instant.now().minusSeconds(60);
        CertificateAuthority.Issued zkCert = ca.issue(dir, "zookeeper", "localhost", List.of("localhost"), List.of("127.0.0.1"), from,
                Duration.ofDays(1));
        CertificateAuthority.Issued bookieCert = ca.issue(dir, "bookie", "localhost", List.of("localhost"), List.of("127.0.0.1"), from,
                Duration.ofDays(1));
        CertificateAuthority.Issued brokerCert = ca.issue(dir, "broker", "broker", List.of(), List.of(), from, Duration.ofDays(1));

        int securePort = ChildProcesses.freePort();
        Map<String, String> zk = new LinkedHashMap<>();
        zk.put("zookeeper.tls.enabled", "true");
        zk.put("zookeeper.tls.certFile", zkCert.certFile().toString());
        zk.put("zookeeper.tls.keyFile", zkCert.keyFile().toString());
        zk.put("zookeeper.tls.trustCertsFile", caFile.toString());
        zk.put("zookeeper.tls.clientAuth", "require");
        zk.put("zookeeper.tls.port", Integer.toString(securePort));
        zk.put("zookeeper.tls.plaintextPortEnabled", "false");
        zk.put("zookeeper.metricsPort", "0");
        List<String> zkArgs = new ArrayList<>(List.of("zookeeper", "--data-dir", dir.resolve("zk").toString(),
                "--bind-address", "127.0.0.1", "--port", "0"));
        zkArgs.addAll(defines(zk));
        startServer("zookeeper-tls", zkArgs, Pattern.compile("(?m)^zookeeper TLS listening on " + securePort + "$"));
        String zkConnect = "127.0.0.1:" + securePort;

        Map<String, String> bookie = new LinkedHashMap<>();
        bookie.put("bookie.tls.enabled", "true");
        bookie.put("bookie.tls.certFile", bookieCert.certFile().toString());
        bookie.put("bookie.tls.keyFile", bookieCert.keyFile().toString());
        bookie.put("bookie.tls.trustCertsFile", caFile.toString());
        bookie.put("bookie.tls.clientAuth", "require");
        bookie.put("bookie.zookeeper.tls.trustCertsFile", caFile.toString());
        bookie.put("bookie.zookeeper.tls.certFile", bookieCert.certFile().toString());
        bookie.put("bookie.zookeeper.tls.keyFile", bookieCert.keyFile().toString());
        bookie.put("bookie.metricsPort", "0");
        List<String> bookieArgs = new ArrayList<>(List.of("bookie", "--zookeeper", zkConnect, "--data-dir", dir.resolve("bookie").toString(),
                "--port", Integer.toString(ChildProcesses.freePort()), "--no-fsync"));
        bookieArgs.addAll(defines(bookie));
        startServer("bookie-tls", bookieArgs, Pattern.compile("(?m)^bookie listening on \\S+$"));

        Map<String, String> brokerKeys = new LinkedHashMap<>();
        brokerKeys.put("broker.zookeeper.tls.trustCertsFile", caFile.toString());
        brokerKeys.put("broker.zookeeper.tls.certFile", brokerCert.certFile().toString());
        brokerKeys.put("broker.zookeeper.tls.keyFile", brokerCert.keyFile().toString());
        brokerKeys.put("broker.bookkeeper.tls.trustCertsFile", caFile.toString());
        brokerKeys.put("broker.bookkeeper.tls.certFile", brokerCert.certFile().toString());
        brokerKeys.put("broker.bookkeeper.tls.keyFile", brokerCert.keyFile().toString());
        try (BrokerProcess broker = new BrokerProcess(zkConnect, brokerKeys).start();
             ProxyServer proxy = new ProxyServer(ProxyConfig.withBrokers(broker.address()).withBindAddress("127.0.0.1").withPort(0)
                     .withMetrics(-1, null)).start();
             TributaryClient client = TributaryClient.builder().serviceUrl("localhost:" + proxy.port()).build()) {
            String topic = "public/default/tls-processes";
            try (Consumer<String> consumer = client.newConsumer(Schema.STRING).topic(topic).subscriptionName("s")
                    .subscriptionType(SubscriptionType.Exclusive).subscriptionInitialPosition(SubscriptionInitialPosition.Earliest)
                    .subscribe();
                 Producer<String> producer = client.newProducer(Schema.STRING).topic(topic).create()) {
                for (int i = 0; i < 10; i++) {
                    producer.send("m" + i);
                }
                for (int i = 0; i < 10; i++) {
                    Message<String> m = consumer.receive(30, TimeUnit.SECONDS);
                    assertThat(m).as("message %d", i).isNotNull();
                    assertThat(m.getValue()).isEqualTo("m" + i);
                }
            }
        }
    }
}
