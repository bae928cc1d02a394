package io.tributary.storage.log;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.ToLongFunction;

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

    /**
     * The last entry acknowledged to its writer; {@code (firstLedger, -1)} when the log is empty.
     * After {@link #trimLedgers} deleted the ledger holding it, it still names that entry (as an
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

    long numberOfEntries();

    long sizeBytes();

    int ledgerCount();

    /**
     * The ledgers of the log, oldest first; the last one is the open ledger while the log is
     * writing. The open ledger's figures are those of its acknowledged entries and may trail an
     * append that completes at the same moment.
     */
    List<LedgerSummary> ledgers();

    /**
     * Closes the open ledger and starts the next one if the open ledger holds at least one entry
     * and is older than {@link ManagedLogConfig#rolloverAge()}. Appends check the age as they
     * complete; an idle log needs this call, made periodically by its owner, so that its last
     * data ends up in a closed ledger that retention can delete. The next ledger is created at
     * once, so the log keeps one open (empty) ledger and its first append waits for nothing; an
     * empty ledger is never rolled, so an idle log does not churn ledgers.
     *
     * @return true if this call rolled the log over; false if the ledger was empty or young, or a
     *         rollover was already under way. Fails with {@link ManagedLogException.FencedException}
     *         once another writer took over.
     */
    CompletableFuture<Boolean> rolloverIfAged();

    /**
     * Deletes the ledgers that no subscription needs and retention no longer keeps. A ledger is a
     * candidate when it is closed and its last entry is at or before {@code consumedUpTo}; the open
     * ledger never is. Walking the candidates oldest first, a ledger is deleted while either limit
     * is exceeded: it closed at or before {@code nowMs - retentionTimeMs}, or the candidates still
     * kept hold more than {@code retentionSizeBytes} bytes; the walk stops at the first ledger kept.
     * The ledgers leave the metadata first (compare-and-set) and BookKeeper after; a failed
     * BookKeeper delete is logged, not reported. Afterwards reads, positions and counts behave as
     * if the deleted ledgers never existed: a position inside one moves to the first remaining entry.
     *
     * @param consumedUpTo       the slowest subscription's mark-delete position; {@link #lastConfirmed()}
     *                           when the topic has no subscription
     * @param retentionTimeMs    keep consumed ledgers closed within this many ms; -1: keep forever by time
     * @param retentionSizeBytes keep at most this many bytes of consumed ledgers; -1: no size limit
     * @param nowMs              the current time (ms), as the caller's clock says
     * @return the ids of the deleted ledgers, oldest first. Fails with
     *         {@link ManagedLogException.FencedException} once another writer took over.
     */
    CompletableFuture<List<Long>> trimLedgers(Position consumedUpTo, long retentionTimeMs, long retentionSizeBytes,
                                              long nowMs);

    /**
     * The position of the first entry whose key is at least {@code target}, where {@code keyOf}
     * reads an entry's key from its bytes (for example the publish time in its header) and keys do
     * not decrease along the log. Binary search: about log2(ledgers) + log2(entries of a ledger)
     * reads. Completes with {@link #endPosition()} as of the call when no entry qualifies.
     */
    CompletableFuture<Position> findFirst(ToLongFunction<byte[]> keyOf, long target);

    /**
     * Bytes of the entries from {@code from} (inclusive) to the end of the log: exact for whole
     * ledgers, estimated by the ledger's average entry size for the part of a ledger.
     */
    long sizeBytesFrom(Position from);

    /**
     * The earliest position {@code p} with {@code sizeBytesFrom(p) <= maxBytes}:
     * {@link #firstPosition()} if the whole log fits, {@link #endPosition()} if not even the last
     * entry does. Where a backlog quota moves a subscription that holds too much.
     */
    Position positionWithBytesAfter(long maxBytes);

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
