package io.tributary.protocol;

import com.google.common.util.concurrent.MoreExecutors;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallExecutorSupplier;
import io.tributary.api.v1.MessagingServiceGrpc;
import java.util.Set;
import java.util.concurrent.Executor;

/**
 * Where a broker or the proxy runs the calls it serves. The Publish and Subscribe streams carry every
 * message, and their handlers never block (the proxy's StreamForwarder, the broker's PublishHandler and
 * SubscribeHandler hand work to the topic's executor): they run on the connection's event loop, saving a
 * hand-over to gRPC's executor (a thread wake-up) per message. Everything else (admin, lookup and unary
 * calls, which may wait) stays on the executor, and so do the streams when a token's keys may have to be
 * fetched over the network (a JWKS URL) while the call starts.
 */
public final class StreamCallExecutors implements ServerCallExecutorSupplier {
    private static final Set<String> STREAMS = Set.of(
            MessagingServiceGrpc.getPublishMethod().getFullMethodName(),
            MessagingServiceGrpc.getSubscribeMethod().getFullMethodName());

    private final boolean streamsDirect;

    /** @param streamsDirect false: every call on gRPC's executor */
    public StreamCallExecutors(boolean streamsDirect) {
        this.streamsDirect = streamsDirect;
    }

    @Override
    public <Q, R> Executor getExecutor(ServerCall<Q, R> call, Metadata metadata) {
        return streamsDirect && STREAMS.contains(call.getMethodDescriptor().getFullMethodName())
                ? MoreExecutors.directExecutor() : null;
    }
}
