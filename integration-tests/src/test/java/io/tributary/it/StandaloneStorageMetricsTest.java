package io.tributary.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tributary.cli.Standalone;
import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A standalone's bookies and ZooKeeper each serve their metrics and health on a port of their own, or none. */
class StandaloneStorageMetricsTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    File dir;

    @Test
    void everyStorageServerServesItsOwnEndpoint() throws Exception {
        Standalone.Options base = TestClusters.options(dir, c -> c);
        Standalone.Options two = new Standalone.Options(dir, 2, base.zkPort(), base.bookiePort(), base.brokerPort(),
                base.proxyPort(), false, base.brokerSettings());
        try (Standalone standalone = new Standalone(two).start()) {
            List<Integer> bookiePorts = standalone.bookieMetricsPorts();
            assertEquals(2, bookiePorts.size());
            Set<Integer> distinct = new HashSet<>(bookiePorts);
            distinct.add(standalone.zookeeperMetricsPort());
            assertEquals(3, distinct.size(), "each on its own port: " + distinct);
            for (int port : bookiePorts) {
                assertTrue(port > 0);
                assertEquals(200, get(port, "/health/ready").statusCode());
                String metrics = get(port, "/metrics").body();
                assertTrue(metrics.contains("\nbookie_SERVER_STATUS"), metrics);
                assertTrue(metrics.contains("\ntributary_bookie_writable{cluster=\"standalone\",} 1.0"), metrics);
            }
            int zk = standalone.zookeeperMetricsPort();
            assertEquals(200, get(zk, "/health/ready").statusCode());
            assertTrue(get(zk, "/metrics").body().contains("\nznode_count{cluster=\"standalone\",} "));
        }
    }

    @Test
    void noEndpointsWhenMetricsAreOff() throws Exception {
        Standalone.Options off = TestClusters.options(dir, c -> c.toBuilder().metricsPort(-1).build());
        try (Standalone standalone = new Standalone(off).start()) {
            assertEquals(List.of(-1), standalone.bookieMetricsPorts());
            assertEquals(-1, standalone.zookeeperMetricsPort());
            assertNotEquals(-1, standalone.proxyPort());
        }
    }

    private static HttpResponse<String> get(int port, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(10))
                .build(), HttpResponse.BodyHandlers.ofString());
    }
}
