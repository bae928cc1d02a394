package io.tributary.broker.cluster;

import com.google.common.util.concurrent.ListenableFuture;
import io.grpc.CallCredentials;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.tributary.api.v1.ErrorReason;
import io.tributary.internal.v1.BrokerControlServiceGrpc;
import io.tributary.internal.v1.BrokerControlServiceGrpc.BrokerControlServiceFutureStub;
import io.tributary.internal.v1.BrokerRegistration;
import io.tributary.protocol.TributaryException;
import io.tributary.protocol.security.ClientTls;
import io.tributary.protocol.security.TlsFiles;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The control calls brokers make to each other, addressed by broker id: each goes to the internal
 * listener the broker registered ({@code internal_address}), never to its client port, over TLS and
 * with this broker's credentials when configured ({@code broker.internal.client.*}). One channel per
 * internal address.
 */
public final class BrokerClients implements AutoCloseable {
    private final ClusterView cluster;
    private final TlsFiles tls;
    private final CallCredentials credentials;
    private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();

    /**
     * @param tls TLS to other brokers' internal listeners (null: plaintext)
     * @param credentials what this broker sends to prove it is a broker (null: nothing)
     */
    public BrokerClients(ClusterView cluster, TlsFiles tls, CallCredentials credentials) {
        this.cluster = cluster;
        this.tls = tls;
        this.credentials = credentials;
    }

    /**
     * Makes {@code call} on broker {@code brokerId}'s control service, with a deadline of
     * {@code timeout}; fails with BROKER_UNAVAILABLE when that broker is not registered (gone).
     */
    public <T> CompletableFuture<T> control(String brokerId, Duration timeout,
                                            Function<BrokerControlServiceFutureStub, ListenableFuture<T>> call) {
        return cluster.broker(brokerId).thenCompose(reg -> {
            if (reg.isEmpty()) {
                return CompletableFuture.failedFuture(new TributaryException(ErrorReason.BROKER_UNAVAILABLE,
                        "broker " + brokerId + " is not registered: it stopped or lost its ZooKeeper session"));
            }
            BrokerControlServiceFutureStub stub = BrokerControlServiceGrpc.newFutureStub(channel(controlAddress(reg.get())))
                    .withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (credentials != null) {
                stub = stub.withCallCredentials(credentials);
            }
            return Rpc.call(call.apply(stub));
        });
    }

    /**
     * Where a broker serves its control service: its internal listener, or its client address in a
     * registration written by a broker from before the internal listener existed (a rolling upgrade).
     */
    static String controlAddress(BrokerRegistration reg) {
        return reg.getInternalAddress().isEmpty() ? reg.getAddress() : reg.getInternalAddress();
    }

    private ManagedChannel channel(String address) {
        return channels.computeIfAbsent(address, a -> ClientTls.apply(NettyChannelBuilder.forTarget(a), tls)
                .keepAliveTime(30, TimeUnit.SECONDS).build());
    }

    @Override
    public void close() {
        channels.values().forEach(ManagedChannel::shutdownNow);
        channels.clear();
    }
}
