package io.tributary.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsServer;
import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.hotspot.DefaultExports;
import io.tributary.protocol.security.JdkHttps;
import io.tributary.security.tls.ServerTls;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A process's HTTP endpoint for operators: {@code /metrics} (Prometheus text format, OpenMetrics when
 * the scraper asks for it in {@code Accept}), {@code /health/live} (200 while the process runs) and
 * {@code /health/ready} (200 when its {@link Readiness} says it serves, else 503 with the reason).
 * One per process (per broker where several share a test JVM), each with its own registry.
 *
 * <p>With {@link MetricsSettings#tls()} it serves HTTPS only, with the certificate and key of those
 * files, re-read when they change like every listener's ({@link ServerTls}); client certificates are
 * asked for as {@code clientAuth} says. A plaintext request on that port fails its handshake at once
 * and the connection is closed.
 */
public final class MetricsServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MetricsServer.class);

    private final HttpServer server;
    private final ExecutorService executor;
    private final ServerTls tls;

    private MetricsServer(HttpServer server, ExecutorService executor, ServerTls tls) {
        this.server = server;
        this.executor = executor;
        this.tls = tls;
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
     * turn the endpoint off (port -1). Over HTTPS when the settings have TLS. Every sample served
     * carries {@code cluster="<settings.clusterName>"} unless it has a {@code cluster} label of its own.
     *
     * @throws IOException when the port cannot be bound (the message names it)
     * @throws IllegalArgumentException when the TLS files cannot be used (the message names the file)
     */
    public static MetricsServer start(MetricsSettings settings, CollectorRegistry registry, Readiness readiness)
            throws IOException {
        if (settings.port() < 0) {
            return null;
        }
        ServerTls tls = settings.tls() == null ? null : ServerTls.startJdk(settings.tls());
        try {
            return serve(settings, registry, readiness, tls);
        } catch (IOException | RuntimeException e) {
            if (tls != null) {
                tls.close();
            }
            throw e;
        }
    }

    private static MetricsServer serve(MetricsSettings settings, CollectorRegistry registry, Readiness readiness, ServerTls tls)
            throws IOException {
        HttpServer http;
        InetSocketAddress address = new InetSocketAddress(settings.bindAddress(), settings.port());
        try {
            if (tls == null) {
                http = HttpServer.create(address, 3);
            } else {
                HttpsServer https = HttpsServer.create(address, 3);
                https.setHttpsConfigurator(JdkHttps.configurator(tls.jdkSslContext(), settings.tls().clientAuth()));
                http = https;
            }
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
        MetricsHandler metrics = new MetricsHandler(new ClusterLabelledRegistry(registry, settings.clusterName()));
        http.createContext("/metrics", metrics);
        http.createContext("/", metrics);
        // two scrapes at once at most (two Prometheus replicas); daemon threads: a process never waits for them
        ExecutorService executor = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "metrics-http");
            t.setDaemon(true);
            return t;
        });
        http.setExecutor(executor);
        http.start();
        LOG.debug("metrics and health at {}://{}:{}", settings.scheme(), settings.bindAddress(), http.getAddress().getPort());
        return new MetricsServer(http, executor, tls);
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
        return server.getAddress().getPort();
    }

    /** Whether it serves HTTPS. */
    public boolean tls() {
        return tls != null;
    }

    /** The certificate new HTTPS handshakes are served (null for plain HTTP). */
    public X509Certificate certificate() {
        return tls == null ? null : tls.certificate();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
        if (tls != null) {
            tls.close();
        }
    }
}
