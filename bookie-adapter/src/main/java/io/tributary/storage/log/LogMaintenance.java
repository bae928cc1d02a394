package io.tributary.storage.log;

import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.ToLongFunction;

/**
 * The upkeep role of a managed log: its ledgers and size, rollover by age, retention, and the
 * searches and estimates that policies (seek by time, backlog quotas) are made of.
 */
public interface LogMaintenance {

    /** The log's name: the canonical topic name. */
    String name();

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
     * @param consumedUpTo       the slowest subscription's mark-delete position; {@link LogReader#lastConfirmed()}
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
     * reads. Completes with {@link LogReader#endPosition()} as of the call when no entry qualifies.
     */
    CompletableFuture<Position> findFirst(ToLongFunction<byte[]> keyOf, long target);

    /**
     * Bytes of the entries from {@code from} (inclusive) to the end of the log: exact for whole
     * ledgers, estimated by the ledger's average entry size for the part of a ledger.
     */
    long sizeBytesFrom(Position from);

    /**
     * The earliest position {@code p} with {@code sizeBytesFrom(p) <= maxBytes}:
     * {@link LogReader#firstPosition()} if the whole log fits, {@link LogReader#endPosition()} if not even the last
     * entry does. Where a backlog quota moves a subscription that holds too much.
     */
    Position positionWithBytesAfter(long maxBytes);

    /**
     * Forgets the deduplication state (highest stored sequence id) of producers not in {@code active}
     * whose last stored entry, or last time they were {@code active}, is before {@code inactiveBeforeMs},
     * then of the least recently active beyond {@code maxProducers}; writes the snapshot if any was
     * forgotten. A producer forgotten and coming back starts afresh: its sequence ids are taken as new.
     * Completes with the names forgotten.
     */
    CompletableFuture<List<String>> forgetInactiveProducers(long inactiveBeforeMs, int maxProducers, Set<String> active);
}
