package io.tributary.storage.metrics;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.exporter.common.TextFormat;
import io.tributary.metrics.MetricsServer;
import io.tributary.metrics.MetricsSettings;
import io.tributary.storage.StorageClients;
import io.tributary.storage.embedded.EmbeddedBookie;
import io.tributary.storage.embedded.EmbeddedZooKeeper;
import io.tributary.storage.tls.StorageTls;
import java.io.File;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.bookkeeper.client.api.BookKeeper;
import org.apache.bookkeeper.client.api.DigestType;
import org.apache.bookkeeper.client.api.WriteHandle;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real ZooKeeper and a real bookie serving their metrics and health over HTTP, scraped as Prometheus would:
 * BookKeeper's and ZooKeeper's own statistics appear once there is traffic, and the bookie's readiness follows
 * its writable state.
 */
class StorageMetricsTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final MetricsSettings ANY_PORT = new MetricsSettings("127.0.0.1", 0);

    @TempDir
    static File dir;
    static EmbeddedZooKeeper zk;
    static EmbeddedBookie bookie;

    @BeforeAll
    static void start() throws Exception {
        zk = EmbeddedZooKeeper.start(new File(dir, "zk"), "127.0.0.1", 0, null, ANY_PORT);
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        bookie = EmbeddedBookie.start(StorageClients.metadataServiceUri(zk.connectString(), "/ledgers"), new File(dir, "bookie"),
                null, "127.0.0.1", port, false, EmbeddedBookie.DEFAULT_ZK_TIMEOUT_MS, null, null, ANY_PORT);
    }

    @AfterAll
    static void stop() {
        if (bookie != null) {
            bookie.close();
        }
        if (zk != null) {
            zk.close();
        }
    }

    @Test
    void bookieServesBookKeepersStatisticsAfterWrites() throws Exception {
        CollectorRegistry clientRegistry = MetricsServer.newRegistry();
        try (BookKeeperStats clientStats = BookKeeperStats.registerInto(clientRegistry, 1);
                BookKeeper bk = StorageClients.bookKeeper(zk.connectString(), "/ledgers", StorageTls.NONE,
                        clientStats.statsLogger("bookkeeper_client"))) {
            WriteHandle ledger = bk.newCreateLedgerOp().withEnsembleSize(1).withWriteQuorumSize(1).withAckQuorumSize(1)
                    .withDigestType(DigestType.CRC32C).withPassword(new byte[0]).execute().get();
            for (int i = 0; i < 20; i++) {
                ledger.append(("entry " + i).getBytes(StandardCharsets.UTF_8));
            }
            ledger.close();
            // the client's own view of its adds, in the registry it was given
            String client = text(clientRegistry);
            assertTrue(client.contains("bookkeeper_client_ADD_ENTRY_count{success=\"true\""), client);
        }
        String metrics = get(bookie.metricsPort(), "/metrics").body();
        wellFormed(metrics);
        // BookKeeper's own names: the add as the bookie served it (brokers speak BookKeeper's v2 protocol, whose adds
        // count in ADD_ENTRY, not ADD_ENTRY_REQUEST), the journal's add and sync
        assertTrue(Pattern.compile("(?m)^bookkeeper_server_ADD_ENTRY_count\\{success=\"true\"\\S*\\} [1-9]")
                .matcher(metrics).find(), metrics);
        assertTrue(Pattern.compile("(?m)^bookie_journal_JOURNAL_ADD_ENTRY_count\\{success=\"true\"\\S*\\} [1-9]")
                .matcher(metrics).find(), metrics);
        assertTrue(metrics.contains("bookie_journal_JOURNAL_SYNC_count"), metrics);
        assertTrue(metrics.contains("\nbookie_SERVER_STATUS"), metrics);
        assertTrue(metrics.contains("\ntributary_bookie_writable{cluster=\"standalone\",} 1.0"), metrics);
        assertTrue(metrics.contains("\ntributary_bookie_disk_usage_ratio{cluster=\"standalone\",} "), metrics);
        assertTrue(metrics.contains("\njvm_memory_bytes_used{"), metrics);
    }

    @Test
    void bookieIsNotReadyWhileReadOnly() throws Exception {
        assertEquals(200, get(bookie.metricsPort(), "/health/ready").statusCode());
        assertEquals(200, get(bookie.metricsPort(), "/health/live").statusCode());
        bookie.transitionToReadOnly();
        try {
            HttpResponse<String> ready = get(bookie.metricsPort(), "/health/ready");
            assertEquals(503, ready.statusCode());
            assertTrue(ready.body().contains("read-only"), ready.body());
            assertTrue(get(bookie.metricsPort(), "/metrics").body().contains("\ntributary_bookie_writable{cluster=\"standalone\",} 0.0"));
        } finally {
            bookie.transitionToWritable();
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> get(bookie.metricsPort(), "/health/ready").statusCode() == 200);
    }

    @Test
    void zooKeeperServesItsStatistics() throws Exception {
        assertEquals(200, get(zk.metricsPort(), "/health/ready").statusCode());
        // the bookie's registration and the test's clients are requests and sessions of this ZooKeeper
        String metrics = get(zk.metricsPort(), "/metrics").body();
        wellFormed(metrics);
        assertTrue(Pattern.compile("(?m)^znode_count\\{cluster=\"standalone\",\\} [1-9]").matcher(metrics).find(), metrics);
        assertTrue(Pattern.compile("(?m)^global_sessions\\{cluster=\"standalone\",\\} [1-9]").matcher(metrics).find(), metrics);
        assertTrue(Pattern.compile("(?m)^outstanding_requests\\{cluster=\"standalone\",\\} ").matcher(metrics).find(), metrics);
        // ZooKeeper's request latency, in milliseconds: reads and writes apart, and its running average
        assertTrue(Pattern.compile("(?m)^readlatency_count\\{cluster=\"standalone\",\\} [1-9]").matcher(metrics).find(), metrics);
        assertTrue(Pattern.compile("(?m)^updatelatency_count\\{cluster=\"standalone\",\\} [1-9]").matcher(metrics).find(), metrics);
        assertTrue(Pattern.compile("(?m)^avg_latency\\{cluster=\"standalone\",\\} ").matcher(metrics).find(), metrics);
        assertTrue(metrics.contains("\njvm_threads_current{cluster=\"standalone\",} "), metrics);
    }

    /** Every sample belongs to a family announced with # HELP and # TYPE, each family announced once. */
    private static void wellFormed(String text) {
        Set<String> help = new HashSet<>();
        Set<String> types = new HashSet<>();
        Pattern sample = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{.*\\})? (\\S+)$");
        for (String line : text.split("\n")) {
            if (line.startsWith("# HELP ")) {
                assertTrue(help.add(line.split(" ")[2]), "two # HELP for " + line);
            } else if (line.startsWith("# TYPE ")) {
                String name = line.split(" ")[2];
                assertTrue(types.add(name), "two # TYPE for " + line);
                assertTrue(help.contains(name), "# TYPE before # HELP: " + line);
            } else if (!line.isEmpty()) {
                Matcher m = sample.matcher(line);
                assertTrue(m.matches(), "not a sample line: " + line);
                String name = m.group(1);
                boolean announced = types.contains(name) || name.matches(".*_(count|sum|bucket|total|created)$")
                        && types.contains(name.replaceAll("_(count|sum|bucket|total|created)$", ""));
                assertTrue(announced, "a sample of no announced family: " + line);
                Double.parseDouble(m.group(3).replace("+Inf", "Infinity").replace("-Inf", "-Infinity"));
            }
        }
    }

    private static String text(CollectorRegistry registry) throws Exception {
        StringWriter w = new StringWriter();
        TextFormat.write004(w, registry.metricFamilySamples());
        return w.toString();
    }

    private static HttpResponse<String> get(int port, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(10))
                .build(), HttpResponse.BodyHandlers.ofString());
    }
}
