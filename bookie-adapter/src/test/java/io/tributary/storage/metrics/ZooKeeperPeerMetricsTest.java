package io.tributary.storage.metrics;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tributary.metrics.MetricsSettings;
import io.tributary.storage.StorageClients;
import io.tributary.storage.embedded.ZooKeeperPeer;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.apache.curator.framework.CuratorFramework;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Members of a real three-member ensemble serve their metrics and health: not ready while looking for a quorum
 * (503 with the state), ready once they lead or follow, with ZooKeeper's statistics (through ZooKeeper's own
 * launcher, configured with our provider class).
 */
class ZooKeeperPeerMetricsTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Test
    void aMemberIsReadyOnlyInAQuorum() throws Exception {
        List<String> servers = new ArrayList<>();
        List<Integer> clientPorts = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            servers.add("127.0.0.1:" + freePort() + ":" + freePort());
            clientPorts.add(freePort());
        }
        MetricsSettings anyPort = new MetricsSettings("127.0.0.1", 0);
        List<ZooKeeperPeer> peers = new ArrayList<>();
        try {
            peers.add(ZooKeeperPeer.start(dir.resolve("zk-1").toFile(), 1, servers, "127.0.0.1", clientPorts.get(0),
                    Duration.ofSeconds(60), null, anyPort));
            // alone, it cannot elect a leader
            HttpResponse<String> alone = get(peers.get(0).metricsPort(), "/health/ready");
            assertEquals(503, alone.statusCode());
            assertTrue(alone.body().contains("LOOKING"), alone.body());
            for (int i = 1; i < 3; i++) {
                peers.add(ZooKeeperPeer.start(dir.resolve("zk-" + (i + 1)).toFile(), i + 1, servers, "127.0.0.1",
                        clientPorts.get(i), Duration.ofSeconds(60), null, anyPort));
            }
            for (ZooKeeperPeer peer : peers) {
                await().atMost(Duration.ofSeconds(60))
                        .until(() -> get(peer.metricsPort(), "/health/ready").statusCode() == 200);
            }
            try (CuratorFramework client = StorageClients.curator("127.0.0.1:" + clientPorts.get(0), "/t",
                    Duration.ofSeconds(10))) {
                assertTrue(client.blockUntilConnected(60, TimeUnit.SECONDS));
                client.create().forPath("/written", "hello".getBytes(StandardCharsets.UTF_8));
            }
            String metrics = get(peers.get(0).metricsPort(), "/metrics").body();
            assertTrue(Pattern.compile("(?m)^znode_count\\{cluster=\"standalone\",\\} [1-9]").matcher(metrics).find(), metrics);
            assertTrue(Pattern.compile("(?m)^election_time_count\\{cluster=\"standalone\",\\} [1-9]").matcher(metrics).find(), metrics);
            assertTrue(metrics.contains("\njvm_threads_current{cluster=\"standalone\",} "), metrics);
        } finally {
            for (ZooKeeperPeer peer : peers) {
                peer.close();
            }
        }
    }

    private static HttpResponse<String> get(int port, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(10))
                .build(), HttpResponse.BodyHandlers.ofString());
    }
}
