package io.tributary.broker.transaction;

import io.tributary.api.v1.ErrorReason;
import io.tributary.api.v1.PlainMessage;
import io.tributary.api.v1.SendRequest;
import io.tributary.api.v1.SendResult;
import io.tributary.protocol.ErrorReasons;
import io.tributary.protocol.TopicName;
import io.tributary.protocol.TributaryException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stores committed transactions on their topics: each topic's messages of a transaction as one entry through the
 * topic's owner, under {@link TransactionRecords#APPLY_PRODUCER} with the transaction's apply sequence ids (so the
 * topic's de-duplication stores an apply made again after a failover once), sent again with back-off until stored,
 * even when the topic refuses them (a committed message is never dropped).
 * One topic takes the commits in the order they are handed here. Runs on the coordinator's thread.
 */
final class CommitApplication {
    private static final Logger LOG = LoggerFactory.getLogger(CommitApplication.class);
    private static final long RETRY_MIN_MS = 100;
    private static final long RETRY_MAX_MS = 5_000;
    /** The longest wait between attempts a topic refused (not a move or an outage). */
    private static final long REFUSED_RETRY_MAX_MS = 30_000;

    private final CommitApplier applier;
    private final Executor executor;
    private final BooleanSupplier stopped;
    /** The last apply to each topic: the next waits for it, so a topic takes commits in their order. */
    private final Map<String, CompletableFuture<Void>> tails = new HashMap<>();

    CommitApplication(CommitApplier applier, Executor executor, BooleanSupplier stopped) {
        this.applier = applier;
        this.executor = executor;
        this.stopped = stopped;
    }

    /** Completes once every topic of the committed transaction has its messages; fails if the coordinator stopped. */
    CompletableFuture<Void> apply(Txn t) {
        List<CompletableFuture<Void>> all = new ArrayList<>();
        long sequence = t.firstApplySequence;
        for (Map.Entry<String, List<PlainMessage>> e : t.byTopic.entrySet()) {
            long first = sequence;
            sequence += e.getValue().size();
            CompletableFuture<Void> previous = tails.getOrDefault(e.getKey(), CompletableFuture.completedFuture(null));
            CompletableFuture<Void> apply = previous.thenCompose(v -> applyTo(t, e.getKey(), e.getValue(), first, RETRY_MIN_MS));
            tails.put(e.getKey(), apply);
            apply.whenCompleteAsync((v, err) -> tails.remove(e.getKey(), apply), executor);
            all.add(apply);
        }
        return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new));
    }

    /** Stores a commit's messages on one topic as one entry, sending again until it is stored (or refused for good). */
    private CompletableFuture<Void> applyTo(Txn t, String topic, List<PlainMessage> messages, long firstSequence,
                                            long retryMs) {
        if (stopped.getAsBoolean()) {
            return CompletableFuture.failedFuture(new TributaryException(ErrorReason.BUNDLE_MOVING,
                    "the transaction coordinator moved; its next owner applies transaction " + t.id));
        }
        SendRequest.Builder req = SendRequest.newBuilder().setTopic(topic).setProducerName(TransactionRecords.APPLY_PRODUCER);
        for (int i = 0; i < messages.size(); i++) {
            req.addMessages(messages.get(i).toBuilder().setSequenceId(firstSequence + i));
        }
        return applier.send(TopicName.of(topic), req.build()).handle((r, e) -> {
            if (e == null) {
                for (SendResult result : r.getResultsList()) {
                    if (result.hasError()) {
                        LOG.error("transaction {}: topic {} refused a committed message: {}", t.id, topic,
                                result.getError().getMessage());
                    }
                }
                return CompletableFuture.<Void>completedFuture(null);
            }
            long next;
            if (ErrorReasons.isRetriable(ErrorReasons.detailOf(e).getReason())) {
                LOG.info("transaction {}: applying to {} failed ({}); again in {} ms", t.id, topic,
                        ErrorReasons.unwrap(e).getMessage(), retryMs);
                next = Math.min(RETRY_MAX_MS, retryMs * 2);
            } else {
                // a committed message is never dropped: the operator sees it here and in ListTransactions (a topic
                // deleted, a namespace's message size below the broker's), puts it right, and the apply goes through
                LOG.warn("transaction {}: topic {} refuses its committed messages ({}); asking again in {} ms", t.id,
                        topic, ErrorReasons.unwrap(e).getMessage(), retryMs);
                next = Math.min(REFUSED_RETRY_MAX_MS, retryMs * 2);
            }
            return CompletableFuture.runAsync(() -> { }, CompletableFuture.delayedExecutor(retryMs, TimeUnit.MILLISECONDS))
                    .thenCompose(v -> applyTo(t, topic, messages, firstSequence, next));
        }).thenCompose(f -> f);
    }
}
