package io.tributary.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.Counter;
import io.tributary.protocol.config.Settings;
import io.tributary.protocol.security.PemFiles;
import io.tributary.protocol.security.ServerTlsSettings;
import io.tributary.security.tls.CertificateAuthority;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The metrics endpoint over HTTPS, with real certificates from a test CA and real HTTPS clients. */
class MetricsServerTlsTest {
    @TempDir
    Path dir;
    private CertificateAuthority ca;
    private Path caFile;
    private CertificateAuthority.Issued server;
    private CollectorRegistry registry;

    @BeforeEach
    void setUp() {
        ca = CertificateAuthority.create("metrics test CA", Duration.ofDays(2));
        caFile = ca.writeCertificate(dir.resolve("ca.crt"));
        server = ca.issue(dir, "server", "localhost", List.of("localhost"), List.of("127.0.0.1"));
        registry = MetricsServer.newRegistry();
        Counter.build("tributary_test_things_total", "Things counted").register(registry).inc(2);
    }

    private MetricsSettings https(ServerTlsSettings.ClientAuth clientAuth) {
        return new MetricsSettings("127.0.0.1", 0, MetricsSettings.DEFAULT_CLUSTER,
                new ServerTlsSettings(server.certFile(), server.keyFile(), caFile, clientAuth));
    }

    @Test
    void servesMetricsAndHealthToClientsTrustingTheCaAndRefusesOthersAndPlaintext() throws Exception {
        try (MetricsServer metrics = MetricsServer.start(https(ServerTlsSettings.ClientAuth.NONE), registry, Readiness.ALWAYS)) {
            assertThat(metrics.tls()).isTrue();
            HttpClient trusting = HttpClient.newBuilder().sslContext(context(null)).connectTimeout(Duration.ofSeconds(5)).build();
            HttpResponse<String> scrape = get(trusting, "https://localhost:" + metrics.port() + "/metrics");
            assertThat(scrape.statusCode()).isEqualTo(200);
            assertThat(scrape.body()).contains("tributary_test_things_total{cluster=\"standalone\",} 2.0", "jvm_memory_bytes_used");
            HttpResponse<String> ready = get(trusting, "https://127.0.0.1:" + metrics.port() + "/health/ready");
            assertThat(ready.statusCode()).isEqualTo(200);
            assertThat(get(trusting, "https://127.0.0.1:" + metrics.port() + "/health/live").statusCode()).isEqualTo(200);

            // the JDK's own CAs do not include the test CA
            HttpClient stranger = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            assertThatThrownBy(() -> get(stranger, "https://localhost:" + metrics.port() + "/metrics"))
                    .isInstanceOf(SSLHandshakeException.class);

            // plain HTTP to the HTTPS port: the server closes the connection at once, it does not wait
            assertPlaintextFailsFast(metrics.port());
        }
    }

    @Test
    void takesReplacedCertificateFilesWithoutRestart() throws Exception {
        try (MetricsServer metrics = MetricsServer.start(https(ServerTlsSettings.ClientAuth.NONE), registry, Readiness.ALWAYS)) {
            BigInteger before = servedCertificate(metrics.port()).getSerialNumber();
            assertThat(metrics.certificate().getSerialNumber()).isEqualTo(before);

            // issued again under the same name: both files replaced, each renamed into place whole
            CertificateAuthority.Issued renewed = ca.issue(dir, "server", "localhost", List.of("localhost"), List.of("127.0.0.1"));
            BigInteger after = leaf(renewed.certFile()).getSerialNumber();
            assertThat(after).isNotEqualTo(before);

            await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(200))
                    .until(() -> servedCertificate(metrics.port()).getSerialNumber().equals(after));
            HttpClient trusting = HttpClient.newBuilder().sslContext(context(null)).build();
            assertThat(get(trusting, "https://localhost:" + metrics.port() + "/metrics").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void requiresAClientCertificateWhenAsked() throws Exception {
        CertificateAuthority.Issued prometheus = ca.issueClient(dir, "prometheus", "prometheus");
        try (MetricsServer metrics = MetricsServer.start(https(ServerTlsSettings.ClientAuth.REQUIRE), registry, Readiness.ALWAYS)) {
            String url = "https://localhost:" + metrics.port() + "/metrics";
            HttpClient withCertificate = HttpClient.newBuilder().sslContext(context(prometheus)).build();
            assertThat(get(withCertificate, url).statusCode()).isEqualTo(200);
            HttpClient without = HttpClient.newBuilder().sslContext(context(null)).build();
            assertThatThrownBy(() -> get(without, url)).isInstanceOf(IOException.class);
        }
    }

    @Test
    void readsTheProcessListenersFilesUnlessGivenItsOwn() {
        Properties p = new Properties();
        p.setProperty("broker.tls.enabled", "true");
        p.setProperty("broker.tls.certFile", "/etc/tls/broker.crt");
        p.setProperty("broker.tls.keyFile", "/etc/tls/broker.key");
        p.setProperty("broker.tls.clientAuth", "require");
        p.setProperty("broker.tls.trustCertsFile", "/etc/tls/ca.crt");
        assertThat(MetricsSettings.from(new Settings(p, null), "broker", "0.0.0.0", 8080).tls()).isNull();

        p.setProperty("broker.metrics.tls.enabled", "true");
        MetricsSettings inherited = MetricsSettings.from(new Settings(p, null), "broker", "0.0.0.0", 8080);
        assertThat(inherited.scheme()).isEqualTo("https");
        assertThat(inherited.tls().certFile()).isEqualTo(Path.of("/etc/tls/broker.crt"));
        assertThat(inherited.tls().keyFile()).isEqualTo(Path.of("/etc/tls/broker.key"));
        // a scraper needs no certificate unless the endpoint itself asks for one
        assertThat(inherited.tls().clientAuth()).isEqualTo(ServerTlsSettings.ClientAuth.NONE);

        p.setProperty("broker.metrics.tls.certFile", "/etc/tls/metrics.crt");
        p.setProperty("broker.metrics.tls.keyFile", "/etc/tls/metrics.key");
        p.setProperty("broker.metrics.tls.clientAuth", "optional");
        ServerTlsSettings own = MetricsSettings.from(new Settings(p, null), "broker", "0.0.0.0", 8080).tls();
        assertThat(own.certFile()).isEqualTo(Path.of("/etc/tls/metrics.crt"));
        assertThat(own.clientAuth()).isEqualTo(ServerTlsSettings.ClientAuth.OPTIONAL);

        Properties bare = new Properties();
        bare.setProperty("bookie.metrics.tls.enabled", "true");
        assertThatThrownBy(() -> MetricsSettings.from(new Settings(bare, null), "bookie", "0.0.0.0", 8000))
                .hasMessageContaining("bookie.metrics.tls.certFile").hasMessageContaining("bookie.tls.certFile");
    }

    private static HttpResponse<String> get(HttpClient client, String url) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** A plaintext request gets no answer but a closed connection, well before a scraper's timeout. */
    private static void assertPlaintextFailsFast(int port) throws IOException {
        long start = System.nanoTime();
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
            s.setSoTimeout(5_000);
            OutputStream out = s.getOutputStream();
            out.write("GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            byte[] buffer = new byte[4096];
            try {
                while (in.read(buffer) >= 0) {
                    // whatever comes (a TLS alert at most) is no HTTP answer; read until the server closes
                    assertThat(new String(buffer, StandardCharsets.US_ASCII)).doesNotStartWith("HTTP/");
                }
            } catch (SocketTimeoutException e) {
                throw new AssertionError("a plaintext request to the HTTPS port was left waiting for 5 s", e);
            } catch (IOException e) {
                // reset by the server: failed fast too
            }
        }
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
    }

    /** The certificate a new handshake is served (a new client context each time: no resumed session). */
    private X509Certificate servedCertificate(int port) throws Exception {
        try (SSLSocket socket = (SSLSocket) context(null).getSocketFactory().createSocket("127.0.0.1", port)) {
            socket.setSoTimeout(5_000);
            socket.startHandshake();
            return (X509Certificate) socket.getSession().getPeerCertificates()[0];
        }
    }

    /** A client context trusting the test CA, presenting {@code client}'s certificate when not null. */
    private SSLContext context(CertificateAuthority.Issued client) throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", ca.certificate());
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        KeyManagerFactory kmf = null;
        if (client != null) {
            X509Certificate[] chain = PemFiles.certificates(client.certFile(), Files.readAllBytes(client.certFile()));
            PrivateKey key = PemFiles.privateKey(client.keyFile(), Files.readAllBytes(client.keyFile()));
            KeyStore keys = KeyStore.getInstance("PKCS12");
            keys.load(null, null);
            keys.setKeyEntry("client", key, new char[0], chain);
            kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keys, new char[0]);
        }
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return context;
    }

    private static X509Certificate leaf(Path certFile) throws IOException {
        return PemFiles.certificates(certFile, Files.readAllBytes(certFile))[0];
    }
}
