package io.tributary.storage.log;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * The reading role of a managed log (like BookKeeper's {@code ReadHandle}): entries, positions and
 * tailing. Safe to call from any thread; what a subscription or a cursor needs of the log.
 */
public interface LogReader {

    /** Where this log's and its cursors' doings are counted (shared by the logs of one broker). */
    default StorageStats stats() {
        return new StorageStats();
    }

    /** The log's name: the canonical topic name. */
    String name();

    /**
     * Reads up to {@code maxEntries} entries starting at {@code from} (inclusive), never past
     * {@link #lastConfirmed()} and never across a ledger boundary in one call. Completes with an
     * empty list when there is nothing at or after {@code from} yet.
     */
    CompletableFuture<List<LogEntry>> readAsync(Position from, int maxEntries);

    /**
     * The last entry acknowledged to its writer; {@code (firstLedger, -1)} when the log is empty.
     * After {@link LogMaintenance#trimLedgers} deleted the ledger holding it, it still names that entry (as an
     * ordering mark) until the next append; positions up to it then read as the end of the log.
     */
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

    /**
     * The single thread that owns the log's state: the log changes only there, and the log's
     * cursors run and persist there, so none of them needs a lock.
     */
    Executor executor();
}
