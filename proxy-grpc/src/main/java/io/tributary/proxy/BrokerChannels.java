package io.tributary.proxy;

import io.grpc.CallCredentials;
import io.grpc.ClientInterceptor;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.tributary.protocol.config.Transport;
import io.tributary.protocol.security.ClientTls;
import io.tributary.protocol.security.TlsFiles;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One {@link ManagedChannel} per broker address ({@code host:port}), created on first use and shared by
 * every call the proxy forwards to that broker: over TLS when {@code proxy.brokerClient.tls.*} says so,
 * each call carrying the proxy's credentials and the client's role ({@link ForwardedRole}).
 * {@link #close()} shuts them all down.
 */
public final class BrokerChannels implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(BrokerChannels.class);

    /**
     * Keepalive ping interval on broker connections while calls are active: brokers permit pings every
     * {@link Transport#PERMIT_KEEPALIVE_TIME}, and a frozen broker (its ZooKeeper session still alive for up to
     * {@code broker.zkSessionTimeout}, 15 s by default) must be abandoned in about that time, not minutes.
     */
    public static final Duration DEFAULT_KEEPALIVE_TIME = Transport.CLIENT_KEEPALIVE_TIME;
    public static final Duration DEFAULT_KEEPALIVE_TIMEOUT = Transport.KEEPALIVE_TIMEOUT;

    private final int maxInboundMessageSize;
    private final Duration keepAliveTime;
    private final TlsFiles tls;
    private final ClientInterceptor identity;
    /** sees every call to brokers (the proxy's readiness); null: none */
    private final ClientInterceptor observer;
    private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();
    private volatile boolean closed;

    public BrokerChannels(int maxInboundMessageSize) {
        this(maxInboundMessageSize, DEFAULT_KEEPALIVE_TIME);
    }

    public BrokerChannels(int maxInboundMessageSize, Duration keepAliveTime) {
        this(maxInboundMessageSize, keepAliveTime, null, null);
    }

    /**
     * @param tls TLS to brokers (null: plaintext)
     * @param credentials the proxy's own credentials, sent on every call (null: none)
     */
    public BrokerChannels(int maxInboundMessageSize, Duration keepAliveTime, TlsFiles tls, CallCredentials credentials) {
        this(maxInboundMessageSize, keepAliveTime, tls, credentials, null);
    }

    /**
     * @param tls TLS to brokers (null: plaintext)
     * @param credentials the proxy's own credentials, sent on every call (null: none)
     * @param observer sees every call to a broker (null: none)
     */
    public BrokerChannels(int maxInboundMessageSize, Duration keepAliveTime, TlsFiles tls, CallCredentials credentials,
                          ClientInterceptor observer) {
        if (maxInboundMessageSize <= 0) {
            throw new IllegalArgumentException("maxInboundMessageSize must be positive");
        }
        this.maxInboundMessageSize = maxInboundMessageSize;
        this.keepAliveTime = keepAliveTime;
        this.tls = tls;
        this.identity = ForwardedRole.toBrokers(credentials);
        this.observer = observer;
    }

    /** The channel to a broker's gRPC endpoint, {@code host:port}; created on first use. */
    public ManagedChannel channel(String address) {
        if (address == null || address.isBlank()) {
            throw new IllegalArgumentException("broker address is empty");
        }
        if (closed) {
            throw new IllegalStateException("broker channels are closed");
        }
        ManagedChannel ch = channels.computeIfAbsent(address, this::create);
        if (closed) {
            // raced with close(): make sure nothing leaks
            ch.shutdownNow();
            throw new IllegalStateException("broker channels are closed");
        }
        return ch;
    }

    private ManagedChannel create(String address) {
        LOG.info("Opening channel to broker {}", address);
        NettyChannelBuilder builder = ClientTls.apply(NettyChannelBuilder.forTarget("dns:///" + address), tls);
        if (observer != null) {
            builder.intercept(observer);
        }
        return builder
                .intercept(identity)
                .maxInboundMessageSize(maxInboundMessageSize)
                .keepAliveTime(keepAliveTime.toNanos(), TimeUnit.NANOSECONDS)
                .keepAliveTimeout(DEFAULT_KEEPALIVE_TIMEOUT.toNanos(), TimeUnit.NANOSECONDS)
                .keepAliveWithoutCalls(false)
                // what answers a forwarded call never blocks (it hands the answer on to the client's call,
                // or starts another asynchronous one): it runs on the connection's event loop, without a
                // hand-over to gRPC's executor for every message
                .directExecutor()
                .build();
    }

    /** Shuts every channel down, waiting at most {@code grace} in total before forcing them closed. */
    public void close(Duration grace) {
        closed = true;
        List<ManagedChannel> all = new ArrayList<>(channels.values());
        channels.clear();
        for (ManagedChannel ch : all) {
            ch.shutdown();
        }
        long deadline = System.nanoTime() + grace.toNanos();
        for (ManagedChannel ch : all) {
            try {
                long left = deadline - System.nanoTime();
                if (left <= 0 || !ch.awaitTermination(left, TimeUnit.NANOSECONDS)) {
                    ch.shutdownNow();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                ch.shutdownNow();
            }
        }
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(5));
    }
}
