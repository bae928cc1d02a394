package io.tributary.broker.topic;

import io.tributary.storage.log.Position;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import java.util.function.ToLongFunction;

/**
 * A topic's per-producer deduplication state (in the spirit of Pulsar's MessageDeduplication):
 * the highest sequence id handed to the log per producer, the append of that batch, and where the
 * producer's recent batches were stored, so that a resend is answered as a duplicate carrying the
 * original's position. What is stored lives in the log itself ({@code storedSequence}), which keeps
 * it across owners; this class only remembers what this broker pushed since it took the topic.
 *
 * <p>Not thread-safe: the topic calls it from its own executor only.
 */
final class Deduplication {
    static final int RECENT_PRODUCERS = 1024;
    static final int RECENT_BATCHES_PER_PRODUCER = 1024;

    /** The highest sequence id stored in the log for a producer, -1 if none. */
    private final ToLongFunction<String> storedSequence;
    /**
     * Highest sequence id handed to the log per producer (stored or in flight), and the publish of
     * the highest one: a resend waits for that publish's result, which completes only once its
     * position is recorded here (its append completes before that, and a resend answered then would
     * find no position).
     */
    private final Map<String, Long> lastPushedSequence = new HashMap<>();
    private final Map<String, CompletableFuture<?>> lastPushed = new HashMap<>();
    /**
     * Where each producer's recent batches were stored, by last sequence id, so that a resend
     * answered as a duplicate carries the original's position. A producer resends at most its pending
     * batches (1000 messages by default), so 1024 batches cover it; at most 1024 producers are
     * remembered (24 KiB each). After a takeover, the batches found in the recovered ledger are known too.
     * An older resend, or one of a batch stored before a clean move, is answered without a position.
     */
    private final Map<String, RecentBatches> recentPositions;
    private final int batchesPerProducer;
    /**
     * Per producer, the first sequence id of the oldest batch whose append failed and that was not
     * appended again since. The log stores nothing behind a failed entry, so until the producer
     * resends from there, a batch with higher ids would leave a gap that the stored mark then hides:
     * such a batch is refused ({@link #skipsFailed}).
     */
    private final Map<String, Long> failedFrom = new HashMap<>();

    /** Whether resends are dropped now (the namespace's deduplication_enabled): off, every batch is stored. */
    private final BooleanSupplier enabled;

    Deduplication(ToLongFunction<String> storedSequence) {
        this(storedSequence, () -> true);
    }

    Deduplication(ToLongFunction<String> storedSequence, BooleanSupplier enabled) {
        this(storedSequence, RECENT_PRODUCERS, RECENT_BATCHES_PER_PRODUCER, enabled);
    }

    Deduplication(ToLongFunction<String> storedSequence, int producers, int batchesPerProducer) {
        this(storedSequence, producers, batchesPerProducer, () -> true);
    }

    Deduplication(ToLongFunction<String> storedSequence, int producers, int batchesPerProducer, BooleanSupplier enabled) {
        this.storedSequence = storedSequence;
        this.enabled = enabled;
        this.recentPositions = boundedLru(producers);
        this.batchesPerProducer = batchesPerProducer;
    }

    /**
     * Whether a batch starting at {@code firstSequenceId} repeats ids already stored or in flight;
     * never while deduplication is off (no sequence-id check: a resent batch is stored again).
     */
    boolean isResend(String producerName, long firstSequenceId) {
        return enabled.getAsBoolean() && firstSequenceId <= pushedMark(producerName);
    }

    /** Whether resends are dropped now. */
    boolean enabled() {
        return enabled.getAsBoolean();
    }

    /** The highest sequence id handed to the log for a producer (stored or in flight), -1 if none. */
    long pushedMark(String producerName) {
        Long pushed = lastPushedSequence.get(producerName);
        return pushed != null ? pushed : storedSequence.applyAsLong(producerName);
    }

    /** Whether the producer's latest publish is settled (stored or failed): then {@link #pushedMark} is what the log stored. */
    boolean settled(String producerName) {
        CompletableFuture<?> f = lastPushed.get(producerName);
        return f == null || f.isDone();
    }

    /**
     * The producer's latest publish, settled either way (never exceptional): a resend is answered once
     * the original is durable and recorded, or failed.
     */
    CompletableFuture<Void> inFlight(String producerName) {
        CompletableFuture<?> f = lastPushed.get(producerName);
        return f == null ? CompletableFuture.completedFuture(null) : f.handle((v, e) -> null);
    }

    /** Whether the log has stored the batch starting at {@code firstSequenceId}. */
    boolean isStored(String producerName, long firstSequenceId) {
        return storedSequence.applyAsLong(producerName) >= firstSequenceId;
    }

    /**
     * Where the batch ending at {@code lastSequenceId} was stored (by this broker, or found in the
     * ledger it recovered at takeover); null if it no longer knows.
     */
    Position storedAt(String producerName, long lastSequenceId) {
        RecentBatches recent = recentPositions.get(producerName);
        return recent == null ? null : recent.find(lastSequenceId);
    }

    /**
     * Records a batch handed to the log, ending at {@code lastSequenceId}; {@code published} completes
     * after the batch was {@link #stored} or its append failed.
     */
    void pushed(String producerName, long lastSequenceId, CompletableFuture<?> published) {
        lastPushedSequence.put(producerName, lastSequenceId);
        lastPushed.put(producerName, published);
    }

    /** Records where the batch ending at {@code lastSequenceId} was stored. */
    void stored(String producerName, long lastSequenceId, Position p) {
        recentPositions.computeIfAbsent(producerName, k -> new RecentBatches(batchesPerProducer)).add(lastSequenceId, p);
    }

    /**
     * Forgets what was pushed but not stored (an append failed), so that a resend with the same ids
     * is appended, not answered as a duplicate.
     */
    void backToStored(String producerName) {
        lastPushedSequence.put(producerName, storedSequence.applyAsLong(producerName));
    }

    /** Producers with a publish not settled yet. */
    Set<String> producersInFlight() {
        Set<String> out = new HashSet<>();
        lastPushed.forEach((producer, f) -> {
            if (!f.isDone()) {
                out.add(producer);
            }
        });
        return out;
    }

    /** Forgets producers the log forgot (inactive): their next sequence ids are taken as new. */
    void forget(Collection<String> producerNames) {
        for (String p : producerNames) {
            lastPushedSequence.remove(p);
            lastPushed.remove(p);
            recentPositions.remove(p);
        }
    }

    /**
     * The append of the batch starting at {@code firstSequenceId} failed: the marks go back to what
     * the log really stored, and batches after it are refused until it is appended again.
     */
    void appendFailed(String producerName, long firstSequenceId) {
        backToStored(producerName);
        failedFrom.merge(producerName, firstSequenceId, Math::min);
    }

    /**
     * Whether a batch starting at {@code firstSequenceId} skips a failed batch of its producer that
     * was not appended again: appending it would store later ids while earlier ones are not stored.
     */
    boolean skipsFailed(String producerName, long firstSequenceId) {
        Long failed = failedFrom.get(producerName);
        return failed != null && firstSequenceId > failed;
    }

    /** The first sequence id of the producer's oldest failed batch not appended since; -1 if none. */
    long failedFrom(String producerName) {
        return failedFrom.getOrDefault(producerName, -1L);
    }

    /** A batch starting at {@code firstSequenceId} goes to the log: a resend from the failed one clears the gap. */
    void appending(String producerName, long firstSequenceId) {
        Long failed = failedFrom.get(producerName);
        if (failed != null && firstSequenceId <= failed) {
            failedFrom.remove(producerName);
        }
    }

    private static <K, V> Map<K, V> boundedLru(int max) {
        return new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<K, V> eldest) {
                return size() > max;
            }
        };
    }
}
