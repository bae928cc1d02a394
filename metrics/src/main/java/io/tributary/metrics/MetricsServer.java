package io.tributary.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.exporter.HTTPServer;
import io.prometheus.client.hotspot.DefaultExports;
import io.tributary.protocol.security.ServerTlsSettings;
import io.tributary.security.tls.ServerTls;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
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

    private final HTTPServer server;
    private final ServerTls tls;

    private MetricsServer(HTTPServer server, ServerTls tls) {
        this.server = server;
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
                https.setHttpsConfigurator(configurator(tls.jdkSslContext(), settings.tls().clientAuth()));
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
        HTTPServer server = new HTTPServer.Builder().withHttpServer(http)
                .withRegistry(new ClusterLabelledRegistry(registry, settings.clusterName())).withDaemonThreads(true).build();
        LOG.debug("metrics and health at {}://{}:{}", settings.scheme(), settings.bindAddress(), server.getPort());
        return new MetricsServer(server, tls);
    }

    /** Each connection's TLS: the context's defaults, client certificates asked for as {@code clientAuth} says. */
    private static HttpsConfigurator configurator(SSLContext context, ServerTlsSettings.ClientAuth clientAuth) {
        return new HttpsConfigurator(context) {
            @Override
            public void configure(HttpsParameters params) {
                SSLParameters p = getSSLContext().getDefaultSSLParameters();
                switch (clientAuth) {
                    case REQUIRE -> p.setNeedClientAuth(true);
                    case OPTIONAL -> p.setWantClientAuth(true);
                    case NONE -> { }
                }
                params.setSSLParameters(p);
            }
        };
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
        server.close();
        if (tls != null) {
            tls.close();
        }
    }
}
