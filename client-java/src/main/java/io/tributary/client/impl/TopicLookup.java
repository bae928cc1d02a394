package io.tributary.client.impl;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.tributary.api.v1.AdminServiceGrpc;
import io.tributary.api.v1.ErrorDetail;
import io.tributary.api.v1.GetPartitionsRequest;
import io.tributary.api.v1.GetPartitionsResponse;
import io.tributary.api.v1.ListTopicsRequest;
import io.tributary.api.v1.ListTopicsResponse;
import io.tributary.api.v1.LookupServiceGrpc;
import io.tributary.client.TributaryClientException;
import io.tributary.client.impl.stream.Backoff;
import io.tributary.protocol.ErrorReasons;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the client asks the cluster about topics before it opens streams: how many partitions a
 * topic has, and which topics a namespace holds. Retriable failures are retried with backoff
 * until the client's operation timeout.
 */
public final class TopicLookup {
    private static final Logger LOG = LoggerFactory.getLogger(TopicLookup.class);

    private final TributaryClientImpl client;
    private final LookupServiceGrpc.LookupServiceStub lookup;
    private final AdminServiceGrpc.AdminServiceStub admin;

    TopicLookup(TributaryClientImpl client) {
        this.client = client;
        this.lookup = LookupServiceGrpc.newStub(client.channel());
        this.admin = AdminServiceGrpc.newStub(client.channel());
    }

    /**
     * The partitions of a topic: N > 0 for a partitioned topic, 0 for a plain topic or one that does
     * not exist yet. A server that does not know the call (an older proxy) has no partitioned
     * topics, so it counts as 0.
     */
    public CompletableFuture<Integer> partitions(String topic) {
        GetPartitionsRequest request = GetPartitionsRequest.newBuilder().setTopic(topic).build();
        CompletableFuture<GetPartitionsResponse> answer = retrying("the partitions of " + topic,
                (timeoutNanos, out) -> lookup.withDeadlineAfter(timeoutNanos, TimeUnit.NANOSECONDS)
                        .getPartitions(request, out));
        return answer.handle((r, t) -> {
            if (t == null) {
                return Math.max(0, r.getPartitions());
            }
            if (Status.fromThrowable(t).getCode() == Status.Code.UNIMPLEMENTED) {
                LOG.debug("The server does not answer GetPartitions; taking {} as a plain topic", topic);
                return 0;
            }
            throw new CompletionException(TributaryClientException.from(t));
        });
    }

    /** The topics of a namespace, as the cluster lists them: plain topics, partitioned topics and their partitions. */
    public CompletableFuture<List<String>> topicsOf(String namespace) {
        ListTopicsRequest request = ListTopicsRequest.newBuilder().setNamespace(namespace).build();
        CompletableFuture<ListTopicsResponse> answer = retrying("the topics of " + namespace,
                (timeoutNanos, out) -> admin.withDeadlineAfter(timeoutNanos, TimeUnit.NANOSECONDS)
                        .listTopics(request, out));
        return answer.handle((r, t) -> {
            if (t != null) {
                throw new CompletionException(TributaryClientException.from(t));
            }
            return List.copyOf(r.getTopicsList());
        });
    }

    /** Calls until an answer, a failure that is not retriable, or the operation timeout. */
    private <R> CompletableFuture<R> retrying(String what, BiConsumer<Long, StreamObserver<R>> call) {
        CompletableFuture<R> result = new CompletableFuture<>();
        long deadline = System.nanoTime() + client.operationTimeout().toNanos();
        attempt(what, call, deadline, new Backoff(), result);
        return result;
    }

    private <R> void attempt(String what, BiConsumer<Long, StreamObserver<R>> call, long deadline, Backoff backoff,
                             CompletableFuture<R> result) {
        long remaining = deadline - System.nanoTime();
        // a call that is already over its time still gets a moment, so the failure names a cause
        call.accept(Math.max(remaining, TimeUnit.MILLISECONDS.toNanos(100)), new StreamObserver<>() {
            @Override
            public void onNext(R value) {
                result.complete(value);
            }

            @Override
            public void onError(Throwable t) {
                ErrorDetail detail = ErrorReasons.detailOf(t);
                boolean unimplemented = t instanceof StatusRuntimeException sre
                        && sre.getStatus().getCode() == Status.Code.UNIMPLEMENTED;
                if (unimplemented || !ErrorReasons.isRetriable(detail.getReason())) {
                    result.completeExceptionally(t);
                    return;
                }
                long delayMs = backoff.nextDelayMs(detail);
                if (System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(delayMs) >= deadline) {
                    result.completeExceptionally(new TributaryClientException.TimeoutException(
                            "could not learn " + what + " within " + client.operationTimeout() + "; last error "
                                    + detail.getReason() + ": " + detail.getMessage()));
                    return;
                }
                LOG.debug("Could not learn {} yet ({}: {}); retrying", what, detail.getReason(), detail.getMessage());
                ScheduledFuture<?> retry = client.schedule(() -> attempt(what, call, deadline, backoff, result),
                        delayMs, TimeUnit.MILLISECONDS);
                if (retry == null) {
                    result.completeExceptionally(new TributaryClientException.AlreadyClosedException("the client is closed"));
                }
            }

            @Override
            public void onCompleted() {
                // the answer came in onNext
            }
        });
    }
}
