package io.tributary.proxy;

import io.grpc.CallOptions;
import io.grpc.Context;
import io.grpc.MethodDescriptor;
import io.grpc.stub.StreamObserver;
import io.tributary.api.v1.ErrorDetail;
import io.tributary.api.v1.ErrorReason;
import io.tributary.protocol.TopicName;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Forwards unary calls about a topic to the topic's owner. When the owner answers NOT_OWNER the cached owner
 * is forgotten and the call is sent once more: to the owner named in the error's {@code owner_address}, or
 * else to the owner a fresh lookup finds. Other ownership failures (TOPIC_FENCED, BUNDLE_MOVING, an
 * unreachable owner) only forget the cached owner; the error goes back to the client, whose SDK retries.
 */
final class OwnerForwarder {
    private static final Logger LOG = LoggerFactory.getLogger(OwnerForwarder.class);

    private final OwnerLookup lookup;
    private final BrokerChannels channels;

    OwnerForwarder(OwnerLookup lookup, BrokerChannels channels) {
        this.lookup = lookup;
        this.channels = channels;
    }

    /**
     * Forwards a call from within a server handler: the backend call carries the client's deadline and is
     * cancelled with the client's call. The response or the error (status and trailers unchanged) goes to
     * {@code out}.
     */
    <Q, R> void forward(TopicName topic, MethodDescriptor<Q, R> method, Q request, StreamObserver<R> out) {
        relay(call(topic, method, request, Context.current()), out);
    }

    <Q, R> CompletableFuture<R> call(TopicName topic, MethodDescriptor<Q, R> method, Q request, Context ctx) {
        return lookup.ownerOf(topic).thenCompose(owner ->
                attempt(owner, method, request, ctx).exceptionallyCompose(error -> {
                    if (!Calls.isOwnershipChange(error) && !Calls.isOwnerUnreachable(error)) {
                        return CompletableFuture.failedFuture(error);
                    }
                    lookup.invalidate(topic, owner);
                    ErrorDetail detail = Calls.brokerDetail(error);
                    if (detail == null || detail.getReason() != ErrorReason.NOT_OWNER || ctx.isCancelled()) {
                        return CompletableFuture.failedFuture(error);
                    }
                    String named = detail.getOwnerAddress();
                    CompletableFuture<String> next;
                    if (!named.isBlank() && !named.equals(owner)) {
                        lookup.remember(topic, named);
                        next = CompletableFuture.completedFuture(named);
                    } else {
                        Context previous = ctx.attach(); // the lookup goes as the client's role
                        try {
                            next = lookup.ownerOf(topic);
                        } finally {
                            ctx.detach(previous);
                        }
                    }
                    lookup.metrics().redirect(ErrorReason.NOT_OWNER);
                    LOG.debug("{} {}: {} is not the owner; retrying at {}", method.getBareMethodName(), topic,
                            owner, named.isBlank() ? "the owner found by a new lookup" : named);
                    return next.thenCompose(retryOwner -> attempt(retryOwner, method, request, ctx)
                            .whenComplete((r, retryError) -> {
                                if (retryError != null && (Calls.isOwnershipChange(retryError)
                                        || Calls.isOwnerUnreachable(retryError))) {
                                    lookup.invalidate(topic, retryOwner);
                                }
                            }));
                }));
    }

    private <Q, R> CompletableFuture<R> attempt(String owner, MethodDescriptor<Q, R> method, Q request,
                                                Context ctx) {
        try {
            return Calls.unary(channels.channel(owner), method, CallOptions.DEFAULT, request, ctx);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** Completes a unary server call with a future's outcome; errors keep their status and trailers. */
    static <R> void relay(CompletableFuture<R> result, StreamObserver<R> out) {
        result.whenComplete((response, error) -> {
            try {
                if (error != null) {
                    out.onError(Calls.toClientError(error));
                } else {
                    out.onNext(response);
                    out.onCompleted();
                }
            } catch (RuntimeException e) {
                // the client call is already gone (cancelled, deadline passed)
                LOG.debug("Could not answer the client", e);
            }
        });
    }
}
