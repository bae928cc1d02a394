package io.tributary.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.Counter;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicReference;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;

class MetricsServerTest {
    private final HttpClient http = HttpClient.newHttpClient();

    private HttpResponse<String> get(int port, String path, String accept) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path));
        if (accept != null) {
            b.header("Accept", accept);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void servesTheRegistryInBothFormatsAndTheHealthOfTheProcess() throws Exception {
        CollectorRegistry registry = MetricsServer.newRegistry();
        Counter.build("tributary_test_things_total", "Things counted").register(registry).inc(3);
        AtomicReference<String> notReady = new AtomicReference<>("not registered yet");
        try (MetricsServer server = MetricsServer.start(new MetricsSettings("127.0.0.1", 0), registry, notReady::get)) {
            HttpResponse<String> text = get(server.port(), "/metrics", null);
            assertThat(text.statusCode()).isEqualTo(200);
            assertThat(text.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/plain; version=0.0.4");
            assertThat(text.body()).contains("tributary_test_things_total{cluster=\"standalone\",} 3.0", "jvm_memory_bytes_used");
            HttpResponse<String> open = get(server.port(), "/metrics", "application/openmetrics-text; version=1.0.0");
            assertThat(open.headers().firstValue("Content-Type").orElseThrow()).startsWith("application/openmetrics-text");
            assertThat(open.body()).contains("tributary_test_things_total{cluster=\"standalone\"} 3.0").endsWith("# EOF\n");

            assertThat(get(server.port(), "/health/live", null).statusCode()).isEqualTo(200);
            HttpResponse<String> waiting = get(server.port(), "/health/ready", null);
            assertThat(waiting.statusCode()).isEqualTo(503);
            assertThat(waiting.body()).contains("not registered yet");
            notReady.set(null);
            assertThat(get(server.port(), "/health/ready", null).statusCode()).isEqualTo(200);
        }
    }

    @Test
    void answersGzipNameFiltersAndHeadAsPrometheusExpects() throws Exception {
        CollectorRegistry registry = MetricsServer.newRegistry();
        Counter.build("tributary_test_things_total", "Things counted").labelNames("kind").register(registry)
                .labels("a \"quoted\" value").inc(2);
        try (MetricsServer server = MetricsServer.start(new MetricsSettings("127.0.0.1", 0), registry, Readiness.ALWAYS)) {
            HttpResponse<byte[]> zipped = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/metrics"))
                    .header("Accept-Encoding", "gzip").build(), HttpResponse.BodyHandlers.ofByteArray());
            assertThat(zipped.headers().firstValue("Content-Encoding")).hasValue("gzip");
            String unzipped = new String(new GZIPInputStream(new ByteArrayInputStream(zipped.body())).readAllBytes(), StandardCharsets.UTF_8);
            assertThat(unzipped).contains("tributary_test_things_total{kind=\"a \\\"quoted\\\" value\",cluster=\"standalone\",} 2.0");

            HttpResponse<String> one = get(server.port(), "/metrics?name[]=tributary_test_things_total", null);
            assertThat(one.body()).contains("tributary_test_things_total{").doesNotContain("jvm_memory_bytes_used");
            assertThat(get(server.port(), "/metrics?name%5B%5D=jvm_threads_current", null).body())
                    .contains("jvm_threads_current").doesNotContain("tributary_test_things_total");

            HttpResponse<String> head = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/metrics"))
                    .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(head.statusCode()).isEqualTo(200);
            assertThat(head.body()).isEmpty();
        }
    }

    @Test
    void portMinusOneServesNothing() throws Exception {
        assertThat(MetricsServer.start(MetricsSettings.OFF, MetricsServer.newRegistry(), Readiness.ALWAYS)).isNull();
    }
}
