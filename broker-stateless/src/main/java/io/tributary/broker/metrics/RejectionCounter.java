package io.tributary.broker.metrics;

import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.prometheus.client.Counter;
import io.tributary.api.v1.ErrorDetail;
import io.tributary.protocol.ErrorReasons;

/**
 * Counts the client-port calls a broker ends with an error naming an {@code ErrorReason}, by that
 * reason: its own refusals, authentication's and authorization's alike (it runs outermost).
 */
public final class RejectionCounter implements ServerInterceptor {
    private final Counter rejections;

    public RejectionCounter(Counter rejections) {
        this.rejections = rejections;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        return next.startCall(new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
            @Override
            public void close(Status status, Metadata trailers) {
                if (!status.isOk() && trailers != null && trailers.containsKey(ErrorReasons.DETAIL_KEY)) {
                    ErrorDetail detail = trailers.get(ErrorReasons.DETAIL_KEY);
                    if (detail != null) {
                        rejections.labels(detail.getReason().name()).inc();
                    }
                }
                super.close(status, trailers);
            }
        }, headers);
    }
}
