package io.tributary.storage.log;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The durable log of one topic: a chain of BookKeeper ledgers, one of them open for writing,
 * listed in ZooKeeper. Opening a log takes it over from any previous writer: the previous
 * writer's last ledger is opened with recovery, which fences it, so a stale writer can no
 * longer append a single entry.
 */
public interface ManagedLog extends AutoCloseable {

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
     * Reads up to {@code maxEntries} entries starting at {@code from} (inclusive), never past
     * {@link #lastConfirmed()} and never across a ledger boundary in one call. Completes with an
     * empty list when there is nothing at or after {@code from} yet.
     */
    CompletableFuture<List<LogEntry>> readAsync(Position from, int maxEntries);

    /** The last entry acknowledged to its writer; {@code (firstLedger, -1)} when the log is empty. */
    Position lastConfirmed();

    /** The first entry still stored. Equal to {@link #endPosition()} when the log holds nothing. */
    Position firstPosition();

    /** Where the next appended entry will be; what a subscription starting at "latest" reads next. */
    Position endPosition();

    /** The position of the entry that follows {@code p}, stepping over ledger boundaries. */
    Position nextPosition(Position p);

    /** Completes once an entry after {@code p} is readable (at once if one already is). */
    CompletableFuture<Void> waitForEntriesAfter(Position p);

    /** Entries from {@code from} (inclusive) to the end of the log. */
    long entriesFrom(Position from);

    long numberOfEntries();

    long sizeBytes();

    int ledgerCount();

    boolean isFenced();

    /** Stops writing: waits for in-flight appends and closes the current ledger. */
    CompletableFuture<Void> closeAsync();

    /** Closes the log and deletes its ledgers and its metadata. */
    CompletableFuture<Void> deleteAsync();

    @Override
    default void close() {
        closeAsync().join();
    }
}
