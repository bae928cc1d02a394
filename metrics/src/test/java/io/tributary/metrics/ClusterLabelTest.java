package io.tributary.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.Counter;
import io.prometheus.client.Gauge;
import io.prometheus.client.Histogram;
import io.tributary.protocol.config.Settings;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/** Every sample the endpoint serves carries the process's cluster, once. */
class ClusterLabelTest {
    private final HttpClient http = HttpClient.newHttpClient();

    private String scrape(int port, String accept) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"));
        if (accept != null) {
            b.header("Accept", accept);
        }
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        return r.body();
    }

    @Test
    void everySampleHasTheClusterLabelAndOnlyOnce() throws Exception {
        CollectorRegistry registry = MetricsServer.newRegistry();
        // a proxy-style family without labels, a broker-style one with a reason, a histogram, and a
        // topic-style family that names its cluster itself
        Counter.build("tributary_proxy_calls_total", "Calls").register(registry).inc(2);
        Counter.build("tributary_loadmanager_unloads_total", "Moves").labelNames("reason").register(registry)
                .labels("shed").inc();
        Histogram.build("tributary_broker_publish_latency_seconds", "Latency").buckets(0.1, 1).register(registry)
                .observe(0.05);
        Gauge.build("tributary_topic_backlog_messages", "Backlog").labelNames("cluster", "namespace", "topic")
                .register(registry).labels("elsewhere", "t/n", "persistent://t/n/a").set(7);

        try (MetricsServer server = MetricsServer.start(new MetricsSettings("127.0.0.1", 0, "east-1", null), registry,
                Readiness.ALWAYS)) {
            for (String accept : new String[] {null, "application/openmetrics-text; version=1.0.0"}) {
                // the text format ends label sets with a comma, OpenMetrics does not
                String body = scrape(server.port(), accept).replace(",}", "}");
                assertThat(body).contains(
                        "tributary_proxy_calls_total{cluster=\"east-1\"} 2.0",
                        "tributary_loadmanager_unloads_total{reason=\"shed\",cluster=\"east-1\"} 1.0",
                        "tributary_broker_publish_latency_seconds_bucket{le=\"0.1\",cluster=\"east-1\"} 1.0",
                        "tributary_broker_publish_latency_seconds_count{cluster=\"east-1\"} 1.0",
                        "tributary_topic_backlog_messages{cluster=\"elsewhere\",namespace=\"t/n\",topic=\"persistent://t/n/a\"} 7.0");
                List<String> samples = body.lines().filter(l -> !l.startsWith("#") && !l.isBlank()).toList();
                assertThat(samples).anyMatch(l -> l.startsWith("jvm_memory_bytes_used{area=\"heap\",cluster=\"east-1\"}"));
                assertThat(samples).allMatch(l -> l.contains("cluster=\""), "every sample has a cluster label");
                assertThat(samples).noneMatch(l -> l.indexOf("cluster=") != l.lastIndexOf("cluster="));
            }
        }
        // the registry itself is unchanged: the label is added to what is served
        assertThat(registry.getSampleValue("tributary_proxy_calls_total")).isEqualTo(2.0);
    }

    @Test
    void theClusterNameIsReadWithTheEndpointsSettings() {
        Properties p = new Properties();
        p.setProperty("bookie.clusterName", "west");
        assertThat(MetricsSettings.from(new Settings(p, Map.of()), "bookie", "0.0.0.0", 8000))
                .isEqualTo(new MetricsSettings("0.0.0.0", 8000, "west", null));
        assertThat(MetricsSettings.from(new Settings(new Properties(), Map.of()), "zookeeper", "0.0.0.0", 7000).clusterName())
                .isEqualTo("standalone");
    }
}
