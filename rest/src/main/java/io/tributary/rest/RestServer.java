package io.tributary.rest;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsServer;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.tributary.api.v1.ErrorReason;
import io.tributary.protocol.security.JdkHttps;
import io.tributary.protocol.security.ServerTlsSettings;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The REST admin API of a broker or proxy: an HTTP(S) server (the JDK's) whose requests {@link RestTranscoder}
 * turns into calls of the admin service. The calls go through an in-process gRPC server that holds the very
 * {@link ServerServiceDefinition} the gRPC port serves, interceptors included, so authentication, authorization,
 * metrics and logging run exactly as for a gRPC call. Authentication is by token only: a client certificate
 * (when TLS asks for one) secures the connection, but the in-process call carries no TLS session, so no role is
 * taken from it. {@code GET /admin/v1/openapi.json} serves the OpenAPI document of the same routes.
 */
public final class RestServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RestServer.class);

    /** The largest request body taken; a larger one gets 413. */
    public static final int MAX_BODY_BYTES = 1024 * 1024;
    /**
     * Of a body over the limit, this much more is read and dropped before the 413, so a client still sending
     * reads the answer instead of a reset connection; beyond it the connection is closed.
     */
    static final long MAX_DRAIN_BYTES = 8L * 1024 * 1024;
    /** The longest query string taken; a longer one gets 414. */
    public static final int MAX_QUERY_CHARS = 8192;
    public static final String OPENAPI_PATH = "/admin/v1/openapi.json";
    /** Each call's deadline, as the CLI's admin calls have. */
    static final Duration DEADLINE = Duration.ofSeconds(30);
    /** Requests served at once; up to {@link #QUEUE} more wait, beyond that the connection is closed. */
    static final int THREADS = 8;
    static final int QUEUE = 256;

    private final HttpServer http;
    private final ThreadPoolExecutor executor;
    private final Server inProcess;
    private final ManagedChannel channel;
    private final RestTranscoder transcoder;
    private final byte[] openApi;

    private RestServer(HttpServer http, ThreadPoolExecutor executor, Server inProcess, ManagedChannel channel,
                       RestTranscoder transcoder, byte[] openApi) {
        this.http = http;
        this.executor = executor;
        this.inProcess = inProcess;
        this.channel = channel;
        this.transcoder = transcoder;
        this.openApi = openApi;
    }

    /**
     * Serves {@code admin} (the service as the gRPC port serves it, behind its interceptors) on
     * {@code bindAddress:port} (0: any free port), over HTTPS with {@code tls} when it is not null.
     *
     * @param portKey the setting that chose the port, named when it cannot be bound
     */
    public static RestServer start(String bindAddress, int port, String portKey, ServerServiceDefinition admin,
                                   SSLContext tls, ServerTlsSettings.ClientAuth clientAuth) throws IOException {
        String name = "tributary-rest-" + UUID.randomUUID();
        Server inProcess = InProcessServerBuilder.forName(name).addService(admin).build().start();
        ManagedChannel channel = InProcessChannelBuilder.forName(name).build();
        try {
            RestTranscoder transcoder = new RestTranscoder(List.of(admin.getServiceDescriptor()), channel, DEADLINE);
            byte[] doc = OpenApi.document(transcoder.routes()).getBytes(StandardCharsets.UTF_8);
            HttpServer http;
            InetSocketAddress address = new InetSocketAddress(bindAddress, port);
            try {
                if (tls == null) {
                    http = HttpServer.create(address, 64);
                } else {
                    HttpsServer https = HttpsServer.create(address, 64);
                    https.setHttpsConfigurator(JdkHttps.configurator(tls, clientAuth));
                    http = https;
                }
            } catch (IOException e) {
                throw new IOException("cannot listen on " + portKey + "=" + port + " (" + e.getMessage()
                        + "); is another process using it?", e);
            }
            AtomicInteger n = new AtomicInteger();
            ThreadPoolExecutor executor = new ThreadPoolExecutor(THREADS, THREADS, 60, TimeUnit.SECONDS,
                    new ArrayBlockingQueue<>(QUEUE), r -> {
                        Thread t = new Thread(r, "rest-admin-" + n.incrementAndGet());
                        t.setDaemon(true);
                        return t;
                    });
            executor.allowCoreThreadTimeOut(true);
            RestServer server = new RestServer(http, executor, inProcess, channel, transcoder, doc);
            http.createContext("/", server::serve);
            http.setExecutor(executor);
            http.start();
            return server;
        } catch (IOException | RuntimeException e) {
            channel.shutdownNow();
            inProcess.shutdownNow();
            throw e;
        }
    }

    private void serve(HttpExchange exchange) {
        try (exchange) {
            String method = exchange.getRequestMethod();
            String path = exchange.getRequestURI().getRawPath();
            String query = exchange.getRequestURI().getRawQuery();
            if (OPENAPI_PATH.equals(path)) {
                if (!method.equals("GET")) {
                    exchange.getResponseHeaders().set("Allow", "GET");
                    send(exchange, problem(405, Status.Code.UNIMPLEMENTED, null, "method " + method + " is not allowed on "
                            + path + "; allowed: GET"));
                } else {
                    send(exchange, 200, openApi);
                }
                return;
            }
            if (query != null && query.length() > MAX_QUERY_CHARS) {
                send(exchange, problem(414, Status.Code.INVALID_ARGUMENT, ErrorReason.INVALID_REQUEST,
                        "the query string is longer than " + MAX_QUERY_CHARS + " characters"));
                return;
            }
            byte[] body = readBody(exchange);
            if (body == null) {
                drain(exchange);
                send(exchange, problem(413, Status.Code.RESOURCE_EXHAUSTED, ErrorReason.INVALID_REQUEST,
                        "the request body is larger than the limit of " + MAX_BODY_BYTES + " bytes"));
                return;
            }
            RestTranscoder.Response r = transcoder.handle(method, path, query,
                    exchange.getRequestHeaders().getFirst("Authorization"), body);
            if (r.allow() != null) {
                exchange.getResponseHeaders().set("Allow", r.allow());
            }
            send(exchange, r);
        } catch (IOException | RuntimeException e) {
            // the client went away, or a bug: log it, never send a stack trace
            LOG.debug("REST request {} {} failed", exchange.getRequestMethod(), exchange.getRequestURI(), e);
            try {
                send(exchange, problem(500, Status.Code.INTERNAL, ErrorReason.INTERNAL_ERROR, "internal error"));
            } catch (IOException | RuntimeException ignored) {
                // headers already sent or the connection is gone
            }
        }
    }

    /** The body, or null when it is larger than {@link #MAX_BODY_BYTES} (by its Content-Length or as read). */
    private static byte[] readBody(HttpExchange exchange) throws IOException {
        String length = exchange.getRequestHeaders().getFirst("Content-Length");
        if (length != null) {
            try {
                if (Long.parseLong(length.trim()) > MAX_BODY_BYTES) {
                    return null;
                }
            } catch (NumberFormatException e) {
                return null;
            }
        }
        // not closed here: an oversized body is drained before the answer; the exchange closes it
        byte[] bytes = exchange.getRequestBody().readNBytes(MAX_BODY_BYTES + 1);
        return bytes.length > MAX_BODY_BYTES ? null : bytes;
    }

    /** Drops the rest of an oversized body, up to {@link #MAX_DRAIN_BYTES}; beyond, the connection closes after the answer. */
    private static void drain(HttpExchange exchange) throws IOException {
        InputStream in = exchange.getRequestBody();
        long dropped = 0;
        byte[] buffer = new byte[64 * 1024];
        int n;
        while (dropped <= MAX_DRAIN_BYTES && (n = in.read(buffer)) >= 0) {
            dropped += n;
        }
        if (dropped > MAX_DRAIN_BYTES) {
            exchange.getResponseHeaders().set("Connection", "close");
        }
    }

    private static RestTranscoder.Response problem(int http, Status.Code code, ErrorReason reason, String message) {
        return RestTranscoder.error(new RestError(http, code, reason, message, null));
    }

    private static void send(HttpExchange exchange, RestTranscoder.Response r) throws IOException {
        send(exchange, r.status(), r.json().getBytes(StandardCharsets.UTF_8));
    }

    private static void send(HttpExchange exchange, int status, byte[] json) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, json.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(json);
        }
    }

    /** The port it listens on (the chosen one when asked for port 0). */
    public int port() {
        return http.getAddress().getPort();
    }

    /** Stops listening (waiting up to a second for requests in progress), then the in-process server. */
    @Override
    public void close() {
        http.stop(1);
        executor.shutdownNow();
        channel.shutdownNow();
        inProcess.shutdownNow();
    }
}
