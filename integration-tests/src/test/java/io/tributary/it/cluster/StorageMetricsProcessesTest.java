package io.tributary.it.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.protocol.security.PemFiles;
import io.tributary.security.tls.CertificateAuthority;
import io.tributary.storage.StorageClients;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.apache.bookkeeper.client.api.BookKeeper;
import org.apache.bookkeeper.client.api.DigestType;
import org.apache.bookkeeper.client.api.WriteHandle;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tributary zookeeper} and {@code tributary bookie}, each in its own JVM, serve their metrics and health on
 * the port their keys name: scraped over HTTP after real writes, and over HTTPS when their
 * {@code .metrics.tls.*} keys say so. Needs the packaged CLI
 * ({@code mvn -pl cli -am package -DskipTests}).
 */
class StorageMetricsProcessesTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    private final ServerProcesses servers = new ServerProcesses();

    @AfterEach
    void stopServers() throws Exception {
        servers.close();
    }

    @Test
    void zooKeeperAndBookieProcessesServeTheirStatistics() throws Exception {
        String zkLog = servers.start("zookeeper-metrics", List.of("zookeeper", "--data-dir", dir.resolve("zk").toString(),
                "--bind-address", "127.0.0.1", "--port", "0", "-D", "zookeeper.metricsPort=0",
                "-D", "zookeeper.metricsBindAddress=127.0.0.1", "-D", "zookeeper.clusterName=east"), Pattern.compile("(?m)^zookeeper metrics on "));
        int zkMetrics = group(zkLog, "(?m)^zookeeper metrics on \\S+:(\\d+)$");
        String zkConnect = "127.0.0.1:" + group(zkLog, "(?m)^zookeeper listening on (\\d+)$");
        String bookieLog = servers.start("bookie-metrics", List.of("bookie", "--zookeeper", zkConnect, "--data-dir", dir.resolve("bookie").toString(),
                "--port", Integer.toString(ChildProcesses.freePort()), "--no-fsync", "-D", "bookie.metricsPort=0",
                "-D", "bookie.metricsBindAddress=127.0.0.1", "-D", "bookie.clusterName=east"), Pattern.compile("(?m)^bookie metrics on \\S+:(\\d+)$"));
        int bookieMetrics = group(bookieLog, "(?m)^bookie metrics on \\S+:(\\d+)$");

        try (BookKeeper bk = StorageClients.bookKeeper(zkConnect, "/ledgers")) {
            WriteHandle ledger = bk.newCreateLedgerOp().withEnsembleSize(1).withWriteQuorumSize(1).withAckQuorumSize(1)
                    .withDigestType(DigestType.CRC32C).withPassword(new byte[0]).execute().get();
            for (int i = 0; i < 10; i++) {
                ledger.append(("entry " + i).getBytes(StandardCharsets.UTF_8));
            }
            ledger.close();
        }
        assertThat(get(bookieMetrics, "/health/ready").statusCode()).isEqualTo(200);
        String bookie = get(bookieMetrics, "/metrics").body();
        assertThat(bookie).containsPattern("(?m)^bookkeeper_server_ADD_ENTRY_count\\{success=\"true\"\\S*,cluster=\"east\",\\} [1-9]")
                .containsPattern("(?m)^bookie_journal_JOURNAL_ADD_ENTRY_count\\{success=\"true\"\\S*\\} [1-9]")
                .contains("\ntributary_bookie_writable{cluster=\"east\",} 1.0").contains("# HELP bookie_SERVER_STATUS ");
        assertThat(get(zkMetrics, "/health/ready").statusCode()).isEqualTo(200);
        assertThat(get(zkMetrics, "/metrics").body()).containsPattern("(?m)^znode_count\\{cluster=\"east\",\\} [1-9]")
                .containsPattern("(?m)^global_sessions\\{cluster=\"east\",\\} [1-9]")
                .containsPattern("(?m)^updatelatency_count\\{cluster=\"east\",\\} [1-9]");
    }

    @Test
    void zooKeeperAndBookieProcessesServeTheirMetricsOverHttpsWhenAsked() throws Exception {
        CertificateAuthority ca = CertificateAuthority.create("storage metrics CA", Duration.ofDays(2));
        Path caFile = ca.writeCertificate(dir.resolve("ca.crt"));
        CertificateAuthority.Issued cert = ca.issue(dir, "server", "localhost", List.of("localhost"), List.of("127.0.0.1"));
        // ZooKeeper's endpoint with files of its own; the bookie's with its listener's (bookie.tls.*), by default
        String zkLog = servers.start("zookeeper-metrics-tls", List.of("zookeeper", "--data-dir", dir.resolve("zk").toString(),
                "--bind-address", "127.0.0.1", "--port", "0", "-D", "zookeeper.metricsPort=0",
                "-D", "zookeeper.metricsBindAddress=127.0.0.1", "-D", "zookeeper.metrics.tls.enabled=true",
                "-D", "zookeeper.metrics.tls.certFile=" + cert.certFile(), "-D", "zookeeper.metrics.tls.keyFile=" + cert.keyFile()),
                Pattern.compile("(?m)^zookeeper metrics \\(HTTPS\\) on "));
        int zkMetrics = group(zkLog, "(?m)^zookeeper metrics \\(HTTPS\\) on \\S+:(\\d+)$");
        String zkConnect = "127.0.0.1:" + group(zkLog, "(?m)^zookeeper listening on (\\d+)$");
        String bookieLog = servers.start("bookie-metrics-tls", List.of("bookie", "--zookeeper", zkConnect,
                "--data-dir", dir.resolve("bookie").toString(), "--port", Integer.toString(ChildProcesses.freePort()), "--no-fsync",
                "-D", "bookie.metricsPort=0", "-D", "bookie.metricsBindAddress=127.0.0.1",
                "-D", "bookie.tls.enabled=true", "-D", "bookie.tls.certFile=" + cert.certFile(),
                "-D", "bookie.tls.keyFile=" + cert.keyFile(), "-D", "bookie.metrics.tls.enabled=true"),
                Pattern.compile("(?m)^bookie metrics \\(HTTPS\\) on \\S+:(\\d+)$"));
        int bookieMetrics = group(bookieLog, "(?m)^bookie metrics \\(HTTPS\\) on \\S+:(\\d+)$");

        HttpClient trusting = HttpClient.newBuilder().sslContext(trusting(caFile)).connectTimeout(Duration.ofSeconds(5)).build();
        for (int port : List.of(zkMetrics, bookieMetrics)) {
            HttpResponse<String> scrape = trusting.send(HttpRequest.newBuilder(URI.create("https://localhost:" + port + "/metrics"))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(scrape.statusCode()).isEqualTo(200);
            assertThat(scrape.body()).contains("jvm_memory_bytes_used");
            assertThat(trusting.send(HttpRequest.newBuilder(URI.create("https://localhost:" + port + "/health/ready"))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
            // plain HTTP on that port: refused at once, not answered
            assertThatThrownBy(() -> get(port, "/metrics")).isInstanceOf(IOException.class)
                    .isNotInstanceOf(HttpTimeoutException.class);
        }
    }

    private static SSLContext trusting(Path caFile) throws Exception {
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        store.setCertificateEntry("ca", PemFiles.certificates(caFile, Files.readAllBytes(caFile))[0]);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(store);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, tmf.getTrustManagers(), null);
        return context;
    }

    private static int group(String log, String regex) {
        Matcher m = Pattern.compile(regex).matcher(log);
        assertThat(m.find()).as(regex + " in:\n" + log).isTrue();
        return Integer.parseInt(m.group(1));
    }

    private static HttpResponse<String> get(int port, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(10))
                .build(), HttpResponse.BodyHandlers.ofString());
    }
}
