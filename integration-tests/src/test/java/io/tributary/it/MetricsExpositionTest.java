package io.tributary.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.broker.Broker;
import io.tributary.cli.Standalone;
import io.tributary.client.Consumer;
import io.tributary.client.Message;
import io.tributary.client.Producer;
import io.tributary.client.Schema;
import io.tributary.client.SubscriptionInitialPosition;
import io.tributary.client.TributaryClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every process's {@code /metrics}, after some traffic, passes Prometheus's own lint
 * ({@code promtool check metrics}): names, units, counter suffixes, help texts.
 */
class MetricsExpositionTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    static Path dir;
    static Standalone standalone;

    @BeforeAll
    static void start() throws Exception {
        standalone = new Standalone(TestClusters.options(dir.toFile(), c -> c)).start();
        try (TributaryClient client = TributaryClient.builder().serviceUrl(standalone.serviceUrl()).build();
             Consumer<String> consumer = client.newConsumer(Schema.STRING).topic("public/default/scraped").subscriptionName("s")
                     .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe();
             Producer<String> producer = client.newProducer(Schema.STRING).topic("public/default/scraped").create()) {
            for (int i = 0; i < 20; i++) {
                producer.send("m" + i);
            }
            for (int i = 0; i < 10; i++) {
                Message<String> m = consumer.receive(30, TimeUnit.SECONDS);
                assertThat(m).isNotNull();
                consumer.acknowledge(m);
            }
        }
    }

    @AfterAll
    static void stop() {
        if (standalone != null) {
            standalone.close();
        }
    }

    /** Every endpoint of the standalone by the process it belongs to. */
    static Map<String, Integer> endpoints() {
        Map<String, Integer> ports = new LinkedHashMap<>();
        for (Broker b : standalone.brokers()) {
            ports.put("broker " + b.brokerId(), b.metricsPort());
        }
        ports.put("proxy", standalone.proxyMetricsPort());
        return ports;
    }

    static String scrape(int port) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        return r.body();
    }

    @Test
    void everyProcessPassesPromtoolsLint() throws Exception {
        for (Map.Entry<String, Integer> e : endpoints().entrySet()) {
            Promtool.Result result = Promtool.checkMetrics(scrape(e.getValue()));
            assertThat(result.passed()).as("promtool check metrics on the %s:%n%s", e.getKey(), result.output()).isTrue();
        }
    }

    @Test
    void promtoolFindsAMisnamedCounter() throws Exception {
        // the checker can fail: a counter without _total is reported
        Promtool.Result result = Promtool.checkMetrics("# HELP tributary_bad_things Bad\n# TYPE tributary_bad_things counter\n"
                + "tributary_bad_things 1\n");
        assertThat(result.passed()).as(result.output()).isFalse();
    }
}
