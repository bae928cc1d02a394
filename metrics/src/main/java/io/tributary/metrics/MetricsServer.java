package io.tributary.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.exporter.HTTPServer;
import io.prometheus.client.hotspot.DefaultExports;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A process's HTTP endpoint for operators: {@code /metrics} (Prometheus text format, OpenMetrics when
 * the scraper asks for it in {@code Accept}), {@code /health/live} (200 while the process runs) and
 * {@code /health/ready} (200 when its {@link Readiness} says it serves, else 503 with the reason).
 * One per process (per broker where several share a test JVM), each with its own registry.
 */
public final class MetricsServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MetricsServer.class);

    private final HTTPServer server;

    private MetricsServer(HTTPServer server) {
        this.server = server;
    }

    /**
     * A registry for one process: its own (several processes may share a test JVM), with the JVM's
     * metrics (heap, direct memory, GC, threads, class loading) already in it.
     */
    public static CollectorRegistry newRegistry() {
        CollectorRegistry registry = new CollectorRegistry(true);
        DefaultExports.register(registry);
        return registry;
    }

    /**
     * Serves {@code registry} and the health endpoints on {@code settings}; null when the settings
     * turn the endpoint off (port -1). Every sample served carries {@code cluster="<settings.clusterName>"}
     * unless it has a {@code cluster} label of its own.
     *
     * @throws IOException when the port cannot be bound (the message names it)
     */
    public static MetricsServer start(MetricsSettings settings, CollectorRegistry registry, Readiness readiness)
            throws IOException {
        if (settings.port() < 0) {
            return null;
        }
        HttpServer http;
        try {
            http = HttpServer.create(new InetSocketAddress(settings.bindAddress(), settings.port()), 3);
        } catch (IOException e) {
            throw new IOException("cannot serve metrics on " + settings.bindAddress() + ":" + settings.port() + ": "
                    + e.getMessage(), e);
        }
        http.createContext("/health/live", exchange -> answer(exchange, 200, "live\n"));
        http.createContext("/health/ready", exchange -> {
            String why;
            try {
                why = readiness.notReadyBecause();
            } catch (RuntimeException e) {
                why = "the readiness check failed: " + e;
            }
            answer(exchange, why == null ? 200 : 503, why == null ? "ready\n" : "not ready: " + why + "\n");
        });
        HTTPServer server = new HTTPServer.Builder().withHttpServer(http).withRegistry(new ClusterLabelledRegistry(registry, settings.clusterName())).withDaemonThreads(true).build();
        LOG.debug("metrics and health at {}:{}", settings.bindAddress(), server.getPort());
        return new MetricsServer(server);
    }

    private static void answer(HttpExchange exchange, int code, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        exchange.sendResponseHeaders(code, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** The port it listens on (the chosen one when asked for port 0). */
    public int port() {
        return server.getPort();
    }

    @Override
    public void close() {
        server.close();
    }
}
