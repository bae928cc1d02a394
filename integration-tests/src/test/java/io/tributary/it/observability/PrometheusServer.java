package io.tributary.it.observability;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tributary.it.TestClusters;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * A real Prometheus server (Debian's {@code prometheus}, which {@code scripts/test.sh} installs)
 * scraping loopback targets every second, over HTTP or HTTPS, queried through its HTTP API.
 */
public final class PrometheusServer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final Process process;
    private final int port;
    private final Path log;

    private PrometheusServer(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    /**
     * Starts Prometheus in {@code dir} scraping each job's {@code host:port} targets, with the
     * rule files given (alerts are evaluated too).
     */
    static PrometheusServer start(Path dir, Map<String, List<Integer>> jobs, List<Path> ruleFiles) throws IOException, InterruptedException {
        return start(dir, jobs, ruleFiles, null);
    }

    /**
     * As {@link #start(Path, Map, List)}, scraping over HTTPS ({@code scheme: https}) and checking the
     * targets' certificates against {@code caFile} ({@code tls_config.ca_file}) when it is not null.
     * Targets are {@code 127.0.0.1:port}: their certificates must name that address.
     */
    public static PrometheusServer start(Path dir, Map<String, List<Integer>> jobs, List<Path> ruleFiles, Path caFile)
            throws IOException, InterruptedException {
        Path binary = Promtool.path().resolveSibling("prometheus");
        if (!Files.isExecutable(binary)) {
            throw new IllegalStateException("prometheus is not next to promtool: run the suite with scripts/test.sh");
        }
        StringBuilder config = new StringBuilder("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n");
        if (!ruleFiles.isEmpty()) {
            config.append("rule_files:\n");
            ruleFiles.forEach(f -> config.append("  - '").append(f.toAbsolutePath()).append("'\n"));
        }
        config.append("scrape_configs:\n");
        String https = caFile == null ? ""
                : "    scheme: https\n    tls_config:\n      ca_file: '" + caFile.toAbsolutePath() + "'\n";
        jobs.forEach((job, ports) -> config.append("  - job_name: '").append(job).append("'\n").append(https)
                .append("    static_configs:\n      - targets: [")
                .append(ports.stream().map(p -> "'127.0.0.1:" + p + "'").collect(Collectors.joining(", ")))
                .append("]\n"));
        Path configFile = Files.writeString(dir.resolve("prometheus.yml"), config);
        int port = TestClusters.freePort();
        Path log = dir.resolve("prometheus.log");
        Process p = new ProcessBuilder(binary.toString(), "--config.file=" + configFile,
                "--storage.tsdb.path=" + dir.resolve("data"), "--web.listen-address=127.0.0.1:" + port,
                "--web.enable-lifecycle")
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        PrometheusServer server = new PrometheusServer(p, port, log);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            try {
                if (HTTP.send(HttpRequest.newBuilder(URI.create(server.base() + "/-/ready")).build(),
                        HttpResponse.BodyHandlers.ofString()).statusCode() == 200) {
                    return server;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            if (!p.isAlive() || System.nanoTime() > deadline) {
                server.close();
                throw new IllegalStateException("Prometheus did not become ready: " + Files.readString(log));
            }
            TimeUnit.MILLISECONDS.sleep(200);
        }
    }

    String base() {
        return "http://127.0.0.1:" + port;
    }

    /** The result of an instant query: its {@code data.result} array; fails on a query error. */
    public JsonNode query(String promql) throws IOException, InterruptedException {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(base() + "/api/v1/query?query="
                + URLEncoder.encode(promql, StandardCharsets.UTF_8))).build(), HttpResponse.BodyHandlers.ofString());
        JsonNode body = JSON.readTree(r.body());
        if (!"success".equals(body.path("status").asText())) {
            throw new IllegalArgumentException("query " + promql + " failed: " + body.path("error").asText(r.body()));
        }
        return body.path("data").path("result");
    }

    /** The alerts firing or pending now. */
    JsonNode alerts() throws IOException, InterruptedException {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(base() + "/api/v1/alerts")).build(),
                HttpResponse.BodyHandlers.ofString());
        return JSON.readTree(r.body()).path("data").path("alerts");
    }

    public String log() throws IOException {
        return Files.readString(log);
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
