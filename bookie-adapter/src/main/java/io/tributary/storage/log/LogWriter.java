package io.tributary.storage.log;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The writing role of a managed log (like BookKeeper's {@code WriteHandle}): appends and what the
 * writer must know to deduplicate and to notice a takeover. Only the log's owner holds one.
 */
public interface LogWriter {

    /** The log's name: the canonical topic name. */
    String name();

    /**
     * Appends one entry; completes with its position once the ledger's ack quorum has it.
     * Fails with {@link ManagedLogException.FencedException} once another writer took over.
     */
    CompletableFuture<Position> appendAsync(byte[] data);

    /**
     * Appends one entry written by a producer; once it is stored, {@link #lastSequenceId} of that
     * producer is at least {@code mark.lastSequenceId()}.
     */
    CompletableFuture<Position> appendAsync(byte[] data, SequenceMark mark);

    /** The highest sequence id stored for a producer, -1 if none; survives takeovers. */
    long lastSequenceId(String producerName);

    /**
     * The producers' batches found in the ledger recovered when this writer took the log over (the
     * previous writer's last; up to the last 1024 per producer), oldest first: stored, though perhaps
     * never acknowledged, so a resend of one is answered with its position. Empty if none.
     */
    default List<RecoveredBatch> recoveredBatches() {
        return List.of();
    }

    /** True once another writer took the log over; every later append fails. */
    boolean isFenced();
}
