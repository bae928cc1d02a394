package io.tributary.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tributary.broker.Broker;
import io.tributary.broker.BrokerConfig;
import io.tributary.chaos.cluster.Relay;
import io.tributary.chaos.cluster.RelayMode;
import io.tributary.storage.StorageClients;
import io.tributary.storage.embedded.EmbeddedBookie;
import io.tributary.storage.embedded.EmbeddedZooKeeper;
import java.io.File;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A broker's {@code /health/ready} over real HTTP: 200 once it is registered, 503 naming the reason
 * while its link to ZooKeeper is cut (a relay resets it; the session lives on), 200 again once it is
 * back. Real ZooKeeper, bookie and broker in this JVM.
 */
class BrokerReadinessTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path dir;

    @Test
    void readyWhileRegisteredWithZooKeeperConnected() throws Exception {
        File root = dir.toFile();
        try (EmbeddedZooKeeper zk = EmbeddedZooKeeper.start(new File(root, "zk"), "127.0.0.1", 0);
             EmbeddedBookie bookie = EmbeddedBookie.start(StorageClients.metadataServiceUri(zk.connectString(), "/ledgers"),
                     new File(root, "bookie"), TestClusters.freePort(), false);
             Relay relay = new Relay("broker-zookeeper", new InetSocketAddress("127.0.0.1", 0),
                     new InetSocketAddress("127.0.0.1", zk.port()))) {
            BrokerConfig config = BrokerConfig.defaults(relay.address()).toBuilder().singleCopy().port(0).internalPort(0)
                    .bindAddress("127.0.0.1").metricsPort(0).zkSessionTimeout(Duration.ofSeconds(60)).build();
            Broker broker = new Broker(config).start();
            try {
                int port = broker.metricsPort();
                HttpResponse<String> ready = get(port, "/health/ready");
                assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
                assertThat(ready.body()).isEqualTo("ready\n");

                relay.setMode(RelayMode.RESET);
                await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                    HttpResponse<String> r = get(port, "/health/ready");
                    assertThat(r.statusCode()).isEqualTo(503);
                    assertThat(r.body()).contains("ZooKeeper connection is suspended");
                });
                assertThat(get(port, "/health/live").statusCode()).as("alive all along").isEqualTo(200);

                relay.heal();
                await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(get(port, "/health/ready").statusCode())
                        .isEqualTo(200));
            } finally {
                broker.close();
            }
        }
    }

    private static HttpResponse<String> get(int port, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(10))
                .build(), HttpResponse.BodyHandlers.ofString());
    }
}
