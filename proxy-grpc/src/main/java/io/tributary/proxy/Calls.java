package io.tributary.proxy;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.Context;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import io.tributary.api.v1.ErrorDetail;
import io.tributary.api.v1.ErrorReason;
import io.tributary.protocol.ErrorReasons;
import io.tributary.protocol.TributaryException;
import java.util.concurrent.CompletableFuture;

/** Small helpers shared by the forwarding services: async unary calls and error relaying. */
final class Calls {
    private Calls() {}

    /**
     * Starts a unary call inside {@code ctx} (so the call inherits that context's deadline and cancellation)
     * and completes the future with its response or its {@link StatusRuntimeException}. Never blocks.
     */
    static <Q, R> CompletableFuture<R> unary(Channel channel, MethodDescriptor<Q, R> method, CallOptions options,
                                             Q request, Context ctx) {
        CompletableFuture<R> result = new CompletableFuture<>();
        StreamObserver<R> observer = new StreamObserver<>() {
            @Override
            public void onNext(R value) {
                result.complete(value);
            }

            @Override
            public void onError(Throwable t) {
                result.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {
                if (!result.isDone()) {
                    result.completeExceptionally(Status.INTERNAL
                            .withDescription("broker completed " + method.getFullMethodName() + " without a response")
                            .asRuntimeException());
                }
            }
        };
        Context previous = ctx.attach();
        try {
            ClientCall<Q, R> call = channel.newCall(method, options);
            ClientCalls.asyncUnaryCall(call, request, observer);
        } catch (RuntimeException e) {
            result.completeExceptionally(e);
        } finally {
            ctx.detach(previous);
        }
        return result;
    }

    /**
     * The error to send to a client for a failure: a gRPC status is relayed with its code, description and
     * trailers unchanged (the trailers are copied, as closing a call writes into them); our own exceptions
     * become their status; anything else is an INTERNAL_ERROR.
     */
    static StatusRuntimeException toClientError(Throwable t) {
        Throwable c = ErrorReasons.unwrap(t);
        if (c instanceof TributaryException te) {
            return te.toStatus();
        }
        if (c instanceof StatusRuntimeException || c instanceof StatusException) {
            Status status = Status.fromThrowable(c);
            Metadata trailers = Status.trailersFromThrowable(c);
            Metadata copy = new Metadata();
            if (trailers != null) {
                copy.merge(trailers);
            }
            return status.asRuntimeException(copy);
        }
        return ErrorReasons.toStatus(ErrorReasons.detail(ErrorReason.INTERNAL_ERROR, "proxy: " + c));
    }

    /** The ErrorDetail a broker attached to a failure, or null when it carries none. */
    static ErrorDetail brokerDetail(Throwable t) {
        Throwable c = ErrorReasons.unwrap(t);
        Metadata trailers = null;
        if (c instanceof StatusRuntimeException sre) {
            trailers = sre.getTrailers();
        } else if (c instanceof StatusException se) {
            trailers = se.getTrailers();
        } else if (c instanceof TributaryException te) {
            return te.detail();
        }
        return trailers != null && trailers.containsKey(ErrorReasons.DETAIL_KEY)
                ? trailers.get(ErrorReasons.DETAIL_KEY) : null;
    }

    /** The failure says the topic is served elsewhere now: forget the cached owner. */
    static boolean isOwnershipChange(Throwable t) {
        ErrorDetail d = brokerDetail(t);
        if (d == null) {
            return false;
        }
        ErrorReason r = d.getReason();
        return r == ErrorReason.NOT_OWNER || r == ErrorReason.TOPIC_FENCED || r == ErrorReason.BUNDLE_MOVING;
    }

    /** The failure says the topic's owner is gone or unreachable: a cached owner should be looked up again. */
    static boolean isOwnerUnreachable(Throwable t) {
        Status.Code code = Status.fromThrowable(ErrorReasons.unwrap(t)).getCode();
        return code == Status.Code.UNAVAILABLE && brokerDetail(t) == null;
    }

    /**
     * A forwarded stream's failure that a new owner can take over from: the topic moved, its owner is stopping
     * (it hands its bundles over), unreachable, or its server shut down under the call; and while a re-opened
     * stream is not answered yet ({@code reopening}), any UNAVAILABLE (the new owner may still be taking the
     * bundle).
     */
    static boolean isStreamMove(Throwable t, boolean reopening) {
        if (isOwnershipChange(t) || isOwnerUnreachable(t)) {
            return true;
        }
        ErrorDetail d = brokerDetail(t);
        if (d != null && d.getReason() == ErrorReason.BROKER_UNAVAILABLE) {
            return true;
        }
        Status.Code code = Status.fromThrowable(ErrorReasons.unwrap(t)).getCode();
        // CANCELLED without a broker's detail: the broker's server shut down (neither client nor proxy cancelled)
        return d == null && code == Status.Code.CANCELLED || reopening && code == Status.Code.UNAVAILABLE;
    }

    /** The failure in one word for logs: the broker's reason, else the status code. */
    static String describe(Throwable t) {
        ErrorDetail d = brokerDetail(t);
        return d != null ? d.getReason().name() : Status.fromThrowable(ErrorReasons.unwrap(t)).getCode().name();
    }

    /**
     * The broker could not serve the call at all (transport failure, or it says it is not ready): the same
     * call may go to another broker.
     */
    static boolean isBrokerUnavailable(Throwable t) {
        Status.Code code = Status.fromThrowable(ErrorReasons.unwrap(t)).getCode();
        if (code != Status.Code.UNAVAILABLE) {
            return false;
        }
        ErrorDetail d = brokerDetail(t);
        return d == null || d.getReason() == ErrorReason.BROKER_UNAVAILABLE
                || d.getReason() == ErrorReason.SERVICE_NOT_READY;
    }
}
