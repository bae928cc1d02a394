package io.tributary.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.tributary.broker.Broker;
import io.tributary.cli.Standalone;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A standalone's brokers and proxy each serve metrics and health, on the ports after the first broker's. */
class StandaloneMetricsTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path dir;

    @Test
    void brokerIServesOnMetricsPortPlusIAndTheProxyAfterTheBrokers() throws Exception {
        int base = TestClusters.freePorts(3);
        Standalone.Options options = TestClusters.options(dir.toFile(), c -> c.toBuilder().metricsPort(base).build())
                .withBrokers(2);
        try (Standalone standalone = new Standalone(options).start()) {
            assertThat(standalone.brokers()).extracting(Broker::metricsPort).containsExactly(base, base + 1);
            assertThat(standalone.proxyMetricsPort()).isEqualTo(base + 2);
            for (int port = base; port <= base + 2; port++) {
                int p = port;
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(status(p, "/health/ready")).isEqualTo(200));
                assertThat(status(p, "/health/live")).isEqualTo(200);
                assertThat(status(p, "/metrics")).isEqualTo(200);
            }
        }
    }

    @Test
    void withPortZeroEveryEndpointTakesAFreePort() throws Exception {
        try (Standalone standalone = new Standalone(TestClusters.options(dir.toFile(), c -> c).withBrokers(2)).start()) {
            int proxy = standalone.proxyMetricsPort();
            assertThat(proxy).isPositive();
            assertThat(standalone.brokers()).extracting(Broker::metricsPort).doesNotContain(proxy, 0, -1).doesNotHaveDuplicates();
            assertThat(status(proxy, "/health/live")).isEqualTo(200);
        }
    }

    @Test
    void aMetricsPortInUseIsNamedWithItsOption() throws Exception {
        int taken = TestClusters.freePort();
        try (ServerSocket holder = new ServerSocket(taken, 1, InetAddress.getByName("127.0.0.1"))) {
            Standalone standalone = new Standalone(TestClusters.options(dir.toFile(), c -> c.toBuilder().metricsPort(taken).build()));
            assertThatThrownBy(standalone::start).hasMessageContaining(":" + taken).hasMessageContaining("--metrics-port");
        }
    }

    private static int status(int port, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(10))
                .build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }
}
