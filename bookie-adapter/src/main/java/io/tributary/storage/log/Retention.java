package io.tributary.storage.log;

import io.tributary.internal.v1.LedgerInfo;
import java.util.ArrayList;
import java.util.List;

/**
 * Which ledgers a retention pass deletes. A pure function of the ledger list, so the rule reads in
 * one place and runs against the metadata version that the compare-and-set will name.
 */
final class Retention {
    private Retention() {}

    /**
     * The ids of the ledgers to delete, oldest first. Only closed ledgers whose last entry is at or
     * before {@code consumedUpTo} are candidates, and the open ledger never is. Walking the candidates
     * oldest first, a ledger goes while a limit is exceeded: it closed at or before
     * {@code nowMs - retentionTimeMs} (when that is >= 0), or the candidates still kept hold more than
     * {@code retentionSizeBytes} (when that is >= 0). The walk stops at the first ledger kept, so the
     * log never gets a hole.
     */
    static List<Long> ledgersToDelete(List<LedgerInfo> ledgers, Position consumedUpTo,
                                      long retentionTimeMs, long retentionSizeBytes, long nowMs) {
        List<LedgerInfo> consumed = new ArrayList<>();
        long consumedBytes = 0;
        for (LedgerInfo li : ledgers) {
            boolean closed = li.getEntries() >= 0;
            if (!closed || new Position(li.getLedgerId(), li.getEntries() - 1).isAfter(consumedUpTo)) {
                break;
            }
            consumed.add(li);
            consumedBytes += li.getSizeBytes();
        }
        List<Long> doomed = new ArrayList<>();
        long kept = consumedBytes;
        for (LedgerInfo li : consumed) {
            boolean tooOld = retentionTimeMs >= 0 && li.getClosedMs() <= nowMs - retentionTimeMs;
            boolean tooBig = retentionSizeBytes >= 0 && kept > retentionSizeBytes;
            if (!tooOld && !tooBig) {
                break;
            }
            doomed.add(li.getLedgerId());
            kept -= li.getSizeBytes();
        }
        return doomed;
    }
}
