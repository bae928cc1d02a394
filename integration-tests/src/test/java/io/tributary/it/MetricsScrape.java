package io.tributary.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** Reads a process's /metrics over HTTP, as Prometheus does. */
final class MetricsScrape {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private MetricsScrape() {
    }

    /** The exposition in the text format. */
    static String text(int port) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        return r.body();
    }

    /**
     * The sum of the samples whose line starts with {@code seriesPrefix}, the name and labels as written
     * ({@code name{a="b",}}: the text format ends labels with a comma); 0 when none.
     */
    static double sum(int port, String seriesPrefix) throws Exception {
        return text(port).lines().filter(l -> l.startsWith(seriesPrefix))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }
}
