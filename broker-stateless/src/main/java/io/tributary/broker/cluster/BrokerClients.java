package io.tributary.broker.cluster;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.tributary.internal.v1.BrokerControlServiceGrpc;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/** One channel per other broker, for the control calls brokers make to each other. */
public final class BrokerClients implements AutoCloseable {
    private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();

    public BrokerControlServiceGrpc.BrokerControlServiceFutureStub control(String address) {
        return BrokerControlServiceGrpc.newFutureStub(channel(address));
    }

    public ManagedChannel channel(String address) {
        return channels.computeIfAbsent(address, a -> NettyChannelBuilder.forTarget(a).usePlaintext()
                .keepAliveTime(30, TimeUnit.SECONDS).build());
    }

    @Override
    public void close() {
        channels.values().forEach(ManagedChannel::shutdownNow);
        channels.clear();
    }
}
