package io.tributary.proxy;

import io.grpc.BindableService;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.tributary.api.v1.AdminServiceGrpc;
import io.tributary.api.v1.LookupServiceGrpc;
import io.tributary.api.v1.MessagingServiceGrpc;
import io.tributary.metrics.MetricsServer;
import io.tributary.protocol.StreamCallExecutors;
import io.tributary.protocol.config.Transport;
import io.tributary.protocol.security.BearerCredentials;
import io.tributary.protocol.security.ServerTlsSettings;
import io.tributary.protocol.security.TokenFile;
import io.tributary.rest.RestServer;
import io.tributary.security.auth.AuthenticationInterceptor;
import io.tributary.security.tls.ServerTls;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The proxy: a gRPC server offering {@code MessagingService}, {@code LookupService}, {@code AdminService} and
 * the standard health service, forwarding each call to the broker that owns its topic (or to any configured
 * broker). It keeps no state beyond a cache of topic owners and one channel per broker.
 *
 * <p>Security, all off by default: TLS on the public port ({@code proxy.tls.*}); clients authenticated
 * ({@code proxy.authentication.*}) on every call but the health check; TLS and the proxy's own token to
 * brokers ({@code proxy.brokerClient.*}), with the client's role forwarded on every call
 * ({@link ForwardedRole}). The proxy serves no broker-to-broker control service: brokers' internal
 * listeners are out of clients' reach through it.
 *
 * <pre>{@code
 * try (ProxyServer proxy = new ProxyServer(ProxyConfig.withBrokers("broker-1:6651,broker-2:6651")).start()) {
 *     ... proxy.port() ...
 * }
 * }</pre>
 */
public final class ProxyServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ProxyServer.class);

    /** How long {@link #close()} lets calls in progress finish before cutting them off. */
    public static final Duration SHUTDOWN_GRACE = Duration.ofSeconds(5);
    /** Clients may ping this often (the gRPC default of 5 minutes would make SDK keepalives fail). */
    static final Duration PERMIT_KEEPALIVE_TIME = Transport.PERMIT_KEEPALIVE_TIME;
    /** The proxy pings clients this often, so a frozen one is let go (with its streams) within seconds. */
    static final Duration SERVER_KEEPALIVE_TIME = Duration.ofSeconds(10);
    static final Duration SERVER_KEEPALIVE_TIMEOUT = Transport.KEEPALIVE_TIMEOUT;
    /** Calls one client connection may have open at once; more wait for one to end (HTTP/2 MAX_CONCURRENT_STREAMS). */
    static final int MAX_CONCURRENT_CALLS_PER_CONNECTION = 1000;

    private static final List<String> SERVICE_NAMES = List.of(
            MessagingServiceGrpc.SERVICE_NAME, LookupServiceGrpc.SERVICE_NAME, AdminServiceGrpc.SERVICE_NAME);

    private final ProxyConfig config;
    private final BrokerChannels channels;
    private final KnownBrokers brokers;
    /** The brokers registered in ZooKeeper (null: only the configured broker service URL). */
    private final BrokerDiscovery discovery;
    private final OwnerLookup ownerLookup;
    private final HealthStatusManager health = new HealthStatusManager();
    private final ProxyMetrics metrics = new ProxyMetrics();
    private final BrokerReachability reachability;
    /** /metrics and /health/* (null when proxy.metricsPort is -1 or before start) */
    private MetricsServer metricsServer;
    /** The admin service behind the public port's interceptors: served on the gRPC port and the REST port. */
    private final ServerServiceDefinition admin;
    /** The REST admin API ({@code proxy.httpPort}) and its TLS context; null when off or not started. */
    private volatile RestServer rest;
    private ServerTls restTls;
    private final Server server;
    /** The public port's TLS (null: plaintext), closed with the server. */
    private final ServerTls tls;
    /** Authenticates clients; null when authentication is off. */
    private final AuthenticationInterceptor authentication;
    private volatile boolean started;
    private volatile int boundPort = -1;
    private volatile boolean closed;
    /** The stall checks of forwarded streams. */
    private final ScheduledExecutorService timer = timer();

    public ProxyServer(ProxyConfig config) {
        this.config = config;
        this.discovery = config.discovery() == null ? null : BrokerDiscovery.start(config.discovery());
        Supplier<List<String>> known = knownBrokers(config.brokerAddresses(), discovery);
        this.reachability = new BrokerReachability(known, this::brokerChannel);
        this.channels = new BrokerChannels(config.maxInboundMessageSize(), BrokerChannels.DEFAULT_KEEPALIVE_TIME,
                config.brokerClientTls(), config.brokerClientAuthTokenFile() == null ? null
                        : new BearerCredentials(new TokenFile(config.brokerClientAuthTokenFile())),
                reachability.observer());
        if (config.brokerClientAuthTokenFile() != null && !config.authentication().enabled()) {
            LOG.warn("{} is set but {}.enabled is false: brokers serve every client of this proxy with the proxy's "
                    + "own role", ProxyConfig.KEY_BROKER_CLIENT_AUTH_TOKEN_FILE, ProxyConfig.PREFIX_AUTHENTICATION);
        }
        this.brokers = new KnownBrokers(known, channels);
        this.ownerLookup = new OwnerLookup(brokers, config.lookupCacheTtl(), metrics);
        // one for all services: they share its key cache (a JWKS document is fetched once, not per service)
        this.authentication = config.authentication().enabled() ? AuthenticationInterceptor.create(config.authentication()) : null;
        this.tls = config.tls() == null ? null : ServerTls.start(config.tls());
        // the REST admin API calls this very definition (the same interceptors) through an in-process server
        this.admin = authenticated(new AdminProxyService(brokers, ownerLookup));
        NettyServerBuilder builder = NettyServerBuilder.forAddress(new InetSocketAddress(config.bindAddress(), config.port()));
        if (tls != null) {
            builder.sslContext(tls.sslContext());
        }
        this.server = builder
                .maxInboundMessageSize(config.maxInboundMessageSize())
                .permitKeepAliveTime(PERMIT_KEEPALIVE_TIME.toNanos(), TimeUnit.NANOSECONDS)
                .permitKeepAliveWithoutCalls(true)
                .maxConcurrentCallsPerConnection(MAX_CONCURRENT_CALLS_PER_CONNECTION)
                .keepAliveTime(SERVER_KEEPALIVE_TIME.toNanos(), TimeUnit.NANOSECONDS)
                .keepAliveTimeout(SERVER_KEEPALIVE_TIMEOUT.toNanos(), TimeUnit.NANOSECONDS)
                .addTransportFilter(metrics.connectionFilter())
                .callExecutor(new StreamCallExecutors(config.authentication().jwksUrl() == null))
                .addService(authenticated(new MessagingProxyService(ownerLookup, channels, timer, config.streamResumeTimeout())))
                .addService(authenticated(new TransactionProxyService(ownerLookup, channels, timer, config.streamResumeTimeout())))
                .addService(authenticated(new LookupProxyService(ownerLookup, brokers)))
                .addService(admin)
                // grpcurl-style tools list and describe the services without the .proto files
                .addService(authenticated(ProtoReflectionServiceV1.newInstance()))
                .addService(health.getHealthService()) // probes carry no token
                .build();
    }

    /**
     * The brokers to ask: those registered in ZooKeeper when discovering; the configured ones without
     * discovery, and with it while ZooKeeper names none (not read yet, or no broker registered): a broker
     * service URL naming a Kubernetes Service in front of the brokers serves then.
     */
    static Supplier<List<String>> knownBrokers(List<String> configured, BrokerDiscovery discovery) {
        if (discovery == null) {
            return () -> configured;
        }
        return () -> {
            List<String> registered = discovery.addresses();
            return registered.isEmpty() ? configured : registered;
        };
    }

    /**
     * A public service behind, outermost first: the metrics (every call counted, refusals included), the
     * removal of any forwarded role a client sends, then authentication (when on), which puts the client's
     * principal where {@link ForwardedRole} finds it.
     */
    private ServerServiceDefinition authenticated(BindableService service) {
        ServerServiceDefinition s = service.bindService();
        if (authentication != null) {
            s = ServerInterceptors.intercept(s, authentication);
        }
        ServerInterceptor strip = ForwardedRole.stripFromClients();
        return ServerInterceptors.intercept(ServerInterceptors.intercept(s, strip), metrics.interceptor());
    }

    private ManagedChannel brokerChannel(String address) {
        return channels.channel(address);
    }

    /** Binds the port and starts serving; the health service reports SERVING from here on. */
    public synchronized ProxyServer start() throws IOException {
        if (closed) {
            throw new IllegalStateException("the proxy is closed");
        }
        if (started) {
            return this;
        }
        try {
            metricsServer = MetricsServer.start(config.metricsSettings(), metrics.registry(), this::notReadyBecause);
            server.start();
            rest = startRest();
        } catch (IOException | RuntimeException e) {
            close(); // stops watching the TLS files and the metrics endpoint
            throw e;
        }
        boundPort = server.getPort();
        started = true;
        health.setStatus("", ServingStatus.SERVING);
        for (String name : SERVICE_NAMES) {
            health.setStatus(name, ServingStatus.SERVING);
        }
        LOG.info("Tributary proxy listening on {}:{}{}{}, forwarding to brokers {}{}{}", config.bindAddress(), port(),
                tls != null ? ", TLS" : "", config.authentication().enabled() ? ", clients authenticated" : "",
                brokersDescription(), config.brokerClientTls() != null ? " over TLS" : "",
                metricsServer == null ? "" : "; metrics and health at " + config.metricsSettings().scheme() + "://"
                        + config.metricsSettings().bindAddress() + ":"
                        + metricsServer.port());
        if (rest != null) {
            LOG.info("Tributary proxy REST admin API at {}", restUrl());
        }
        return this;
    }

    /** The REST admin API on {@code proxy.httpPort}, over HTTPS with the public port's certificates; null when off. */
    private RestServer startRest() throws IOException {
        if (config.httpPort() < 0) {
            return null;
        }
        ServerTls jdk = config.tls() == null ? null : ServerTls.startJdk(config.tls());
        restTls = jdk;
        return RestServer.start(config.bindAddress(), config.httpPort(), ProxyConfig.KEY_HTTP_PORT, admin,
                jdk == null ? null : jdk.jdkSslContext(),
                config.tls() == null ? ServerTlsSettings.ClientAuth.NONE : config.tls().clientAuth());
    }

    /** The REST admin API's port; -1 when off (proxy.httpPort=-1) or not started. */
    public int httpPort() {
        RestServer r = rest;
        return r == null ? -1 : r.port();
    }

    /** The REST admin API's base URL, e.g. {@code http://0.0.0.0:6680/admin/v1/}; null when off. */
    public String restUrl() {
        return rest == null ? null : (tls != null ? "https" : "http") + "://" + config.bindAddress() + ":" + rest.port()
                + "/admin/v1/";
    }

    private String brokersDescription() {
        if (config.discovery() == null) {
            return config.brokerServiceUrl();
        }
        return "registered in ZooKeeper " + config.discovery().zookeeperServers() + config.discovery().metadataRoot()
                + (config.brokerServiceUrl() == null ? "" : " (else " + config.brokerServiceUrl() + ")");
    }

    /** Null when the proxy serves and some broker is reachable, else why not ({@code /health/ready}). */
    private String notReadyBecause() {
        if (closed) {
            return "stopping";
        }
        if (!started) {
            return "starting";
        }
        return reachability.notReadyBecause();
    }

    /** The port of {@code /metrics} and {@code /health/*}; -1 when off (proxy.metricsPort=-1) or not started. */
    public int metricsPort() {
        MetricsServer m = metricsServer;
        return m == null ? -1 : m.port();
    }

    /** The proxy's metrics (for tests). */
    public ProxyMetrics metrics() {
        return metrics;
    }

    /** The port actually bound (useful with port 0); -1 before {@link #start()}. */
    public int port() {
        return boundPort;
    }

    public ProxyConfig config() {
        return config;
    }

    /** The owner cache (for operations and tests). */
    public OwnerLookup ownerLookup() {
        return ownerLookup;
    }

    private static ScheduledExecutorService timer() {
        ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, r -> {
            Thread th = new Thread(r, "proxy-stall-checks");
            th.setDaemon(true);
            return th;
        });
        t.setRemoveOnCancelPolicy(true);
        return t;
    }

    /** Blocks until the server has terminated (after {@link #close()}). */
    public void awaitTermination() throws InterruptedException {
        server.awaitTermination();
    }

    /**
     * Stops accepting calls, gives calls in progress {@link #SHUTDOWN_GRACE} to finish, cuts off the rest, and
     * closes the broker channels.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        health.enterTerminalState();
        if (rest != null) {
            rest.close();
        }
        if (restTls != null) {
            restTls.close();
        }
        server.shutdown();
        try {
            if (!server.awaitTermination(SHUTDOWN_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.info("Calls still running after {}; cutting them off", SHUTDOWN_GRACE);
                server.shutdownNow();
                server.awaitTermination(SHUTDOWN_GRACE.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            server.shutdownNow();
        }
        channels.close(SHUTDOWN_GRACE);
        timer.shutdownNow();
        if (discovery != null) {
            discovery.close();
        }
        if (tls != null) {
            tls.close();
        }
        if (metricsServer != null) {
            metricsServer.close();
        }
        LOG.info("Tributary proxy stopped");
    }

    /**
     * Runs a proxy until the process is stopped. The optional argument is a properties file with the
     * {@code proxy.*} keys of {@link ProxyConfig#fromProperties}; environment variables override it.
     */
    public static void main(String[] args) throws Exception {
        Properties props = new Properties();
        if (args.length > 0) {
            try (InputStream in = Files.newInputStream(Path.of(args[0]))) {
                props.load(in);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + args[0], e);
            }
        }
        ProxyServer proxy = new ProxyServer(ProxyConfig.fromProperties(props)).start();
        Runtime.getRuntime().addShutdownHook(new Thread(proxy::close, "proxy-shutdown"));
        proxy.awaitTermination();
    }
}
