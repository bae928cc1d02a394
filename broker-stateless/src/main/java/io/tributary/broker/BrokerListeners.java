package io.tributary.broker;

import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.tributary.api.v1.AdminServiceGrpc;
import io.tributary.broker.auth.AuthorizationInterceptor;
import io.tributary.broker.metrics.RejectionCounter;
import io.tributary.broker.auth.AuthorizationService;
import io.tributary.protocol.StreamCallExecutors;
import io.tributary.protocol.config.Transport;
import io.tributary.rest.RestServer;
import io.tributary.protocol.security.ServerTlsSettings;
import io.tributary.security.auth.AuthenticationInterceptor;
import io.tributary.security.tls.ServerTls;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The broker's two gRPC servers. The client port serves messaging, lookup, admin and health to
 * clients and proxies; the internal listener serves only the control service, to other brokers.
 * Each has its own TLS (files re-read when they change); with authentication on, every call but
 * the health check must authenticate, and the internal listener admits only the roles of
 * {@code broker.internal.roles}.
 */
final class BrokerListeners {
    private static final Logger LOG = LoggerFactory.getLogger(BrokerListeners.class);

    private final BrokerConfig config;
    private final List<ServerTls> tls = new ArrayList<>();
    private final List<Server> servers = new ArrayList<>();
    /** Shared by both listeners and all services, so signing keys are read (or fetched) once; null when off. */
    private final AuthenticationInterceptor authentication;

    /** Null unless {@code broker.authorization.enabled}: then it runs inside authentication on the client port. */
    private final AuthorizationInterceptor authorization;

    /** Counts every client-port call that ends with an error reason, outermost. */
    private final RejectionCounter rejections;

    /** The REST admin API ({@code broker.httpPort}), or null when off or not started. */
    private RestServer rest;

    BrokerListeners(BrokerConfig config, AuthorizationService authorizationService, RejectionCounter rejections) {
        this.config = config;
        this.rejections = rejections;
        this.authentication = config.authentication().enabled() ? AuthenticationInterceptor.create(config.authentication()) : null;
        this.authorization = config.authorization().enabled() ? new AuthorizationInterceptor(authorizationService) : null;
    }

    /** Starts the client port on {@code port}: {@code services} behind authentication, {@code health} open to all. */
    Server startClientPort(int port, ServerServiceDefinition health, List<BindableService> services) throws IOException {
        NettyServerBuilder b = builder(config.bindAddress(), port, config.tls());
        b.callExecutor(new StreamCallExecutors(config.authentication().jwksUrl() == null));
        b.addService(health); // probes (Kubernetes, load balancers) carry no token
        ServerServiceDefinition admin = null;
        for (BindableService s : services) {
            ServerServiceDefinition d = secured(s.bindService(), clientPortInterceptors());
            b.addService(d);
            if (d.getServiceDescriptor().getName().equals(AdminServiceGrpc.SERVICE_NAME)) {
                admin = d;
            }
        }
        Server server = start(b, "broker.port", port);
        if (config.httpPort() >= 0 && admin != null) {
            startRest(admin);
        }
        return server;
    }

    /**
     * The REST admin API on {@code broker.httpPort}: the admin service exactly as the client port serves it
     * (the same interceptors), over HTTPS with the client port's certificates (re-read the same way).
     */
    private void startRest(ServerServiceDefinition admin) throws IOException {
        ServerTlsSettings t = config.tls();
        ServerTls jdk = null;
        if (t != null) {
            jdk = ServerTls.startJdk(t);
            tls.add(jdk);
        }
        rest = RestServer.start(config.bindAddress(), config.httpPort(), "broker.httpPort", admin,
                jdk == null ? null : jdk.jdkSslContext(), t == null ? ServerTlsSettings.ClientAuth.NONE : t.clientAuth());
    }

    /** The REST admin API's port, or -1 when it is off. */
    int httpPort() {
        return rest == null ? -1 : rest.port();
    }

    /** Starts the internal listener with the control service, admitting brokers only. */
    Server startInternal(BindableService control) throws IOException {
        InternalListenerConfig internal = config.internal();
        NettyServerBuilder b = builder(config.internalBindAddress(), internal.port(), internal.tls());
        List<ServerInterceptor> interceptors = new ArrayList<>();
        if (authentication != null) {
            interceptors.add(authentication.onlyCallers(internal.roles())); // empty: any authenticated caller
        }
        b.addService(secured(control.bindService(), interceptors));
        return start(b, "broker.internal.port", internal.port());
    }

    /**
     * What every client-port call passes through, outermost first: the rejection counter,
     * authentication, then (once it enabled) authorization, which needs the principal authentication found.
     */
    private List<ServerInterceptor> clientPortInterceptors() {
        List<ServerInterceptor> out = new ArrayList<>();
        out.add(rejections);
        if (authentication != null) {
            out.add(authentication);
        }
        if (authorization != null) {
            out.add(authorization);
        }
        return out;
    }

    /** {@code service} behind {@code outermostFirst} (ServerInterceptors runs the last one given first). */
    private static ServerServiceDefinition secured(ServerServiceDefinition service, List<ServerInterceptor> outermostFirst) {
        List<ServerInterceptor> reversed = new ArrayList<>(outermostFirst);
        Collections.reverse(reversed);
        return ServerInterceptors.intercept(service, reversed);
    }

    private NettyServerBuilder builder(String bindAddress, int port, ServerTlsSettings tlsSettings) {
        ServiceLimits limits = config.limits();
        NettyServerBuilder b = NettyServerBuilder.forAddress(new InetSocketAddress(bindAddress, port))
                // as large as the proxy's and the SDK's, so an oversized batch gets MESSAGE_TOO_LARGE from the
                // Publish handler on a stream that stays open, not RESOURCE_EXHAUSTED from the transport
                .maxInboundMessageSize(Math.max(Transport.MAX_INBOUND_MESSAGE_SIZE, config.maxMessageSize() + 1024 * 1024))
                .maxConcurrentCallsPerConnection(limits.maxConcurrentCallsPerConnection())
                .permitKeepAliveTime(Transport.PERMIT_KEEPALIVE_TIME.toNanos(), TimeUnit.NANOSECONDS)
                .permitKeepAliveWithoutCalls(true)
                // a frozen client or proxy is noticed, and its streams (and what they hold) released, within seconds
                .keepAliveTime(limits.keepAliveTime().toNanos(), TimeUnit.NANOSECONDS)
                .keepAliveTimeout(limits.keepAliveTimeout().toNanos(), TimeUnit.NANOSECONDS);
        if (tlsSettings != null) {
            ServerTls t = ServerTls.start(tlsSettings);
            tls.add(t);
            b.sslContext(t.sslContext());
        }
        return b;
    }

    private Server start(NettyServerBuilder b, String portKey, int port) throws IOException {
        Server s;
        try {
            s = b.build().start();
        } catch (IOException e) {
            // two brokers on one host need different ports for both listeners: say which setting to change
            throw new IOException("cannot listen on " + portKey + "=" + port + " (" + e.getMessage()
                    + "); is another process using it?", e);
        }
        servers.add(s);
        LOG.debug("{} bound to {}", portKey, s.getPort());
        return s;
    }

    /** Stops accepting calls on both listeners; calls in progress go on until {@link #awaitTermination}. */
    void shutdown() {
        if (rest != null) {
            rest.close();
        }
        servers.forEach(Server::shutdown);
    }

    /** Waits up to {@code seconds} for calls to end, cuts off the rest, and stops watching the TLS files. */
    void awaitTermination(long seconds) throws InterruptedException {
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            for (Server s : servers) {
                if (!s.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                    s.shutdownNow();
                }
            }
        } finally {
            closeTls();
        }
    }

    /** Stops watching the TLS files (after the servers stopped, or when starting failed). */
    void closeTls() {
        tls.forEach(ServerTls::close);
        tls.clear();
    }
}
