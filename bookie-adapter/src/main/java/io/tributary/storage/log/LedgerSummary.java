package io.tributary.storage.log;

/**
 * One ledger of a managed log as seen at one moment.
 *
 * @param ledgerId  the BookKeeper ledger id
 * @param entries   entries in the ledger; for the open ledger, the entries acknowledged so far
 * @param sizeBytes bytes of those entries (entry payloads, as appended)
 * @param createdMs when the log started the ledger (wall clock, ms)
 * @param closedMs  when the ledger was closed (wall clock, ms); 0 while it is open
 * @param open      whether this is the ledger the log is writing to
 */
public record LedgerSummary(long ledgerId, long entries, long sizeBytes, long createdMs, long closedMs, boolean open) {

    /** Estimated bytes of this ledger's last {@code n} entries: exact for all or none, by average entry size between. */
    long bytesOfLast(long n) {
        if (n <= 0 || entries <= 0) {
            return 0;
        }
        if (n >= entries) {
            return sizeBytes;
        }
        // sizeBytes * n / entries without overflowing for large ledgers
        return sizeBytes / entries * n + sizeBytes % entries * n / entries;
    }
}
