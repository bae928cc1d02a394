package io.tributary.storage.log;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * The entries a log appended recently, kept in memory so that tailing readers need not go to the
 * bookies. How much stays is decided by the broker-wide {@link CacheBudget}, oldest first across
 * all logs. Written on the log's executor, read and evicted from any thread.
 */
final class TailCache {
    private final ConcurrentSkipListMap<Position, byte[]> entries = new ConcurrentSkipListMap<>();
    private final CacheBudget budget;

    TailCache(CacheBudget budget) {
        this.budget = budget;
    }

    void put(Position p, byte[] data) {
        if (!budget.enabled()) {
            return;
        }
        byte[] previous = entries.put(p, data);
        if (previous != null) {
            budget.release(previous.length);
        }
        budget.charge(this, p, data.length);
    }

    byte[] get(Position p) {
        byte[] data = entries.get(p);
        budget.recordRead(data != null);
        return data;
    }

    /** Entries {@code first..last} of a ledger if all of them are cached, else null. */
    List<LogEntry> read(long ledgerId, long first, long last) {
        List<LogEntry> out = cached(ledgerId, first, last);
        budget.recordRead(out != null);
        return out;
    }

    private List<LogEntry> cached(long ledgerId, long first, long last) {
        if (entries.isEmpty()) {
            return null;
        }
        List<LogEntry> out = new ArrayList<>((int) (last - first + 1));
        for (long e = first; e <= last; e++) {
            Position p = new Position(ledgerId, e);
            byte[] data = entries.get(p);
            if (data == null) {
                return null;
            }
            out.add(new LogEntry(p, data));
        }
        return out;
    }

    /** Removes one entry for the budget; the bytes freed, or -1 if it was gone already. */
    int evict(Position p) {
        byte[] data = entries.remove(p);
        return data == null ? -1 : data.length;
    }

    boolean holds(Position p) {
        return entries.containsKey(p);
    }

    /** Drops the entries of a deleted ledger. */
    void forgetLedger(long ledgerId) {
        NavigableMap<Position, byte[]> ledger =
                entries.subMap(new Position(ledgerId, Long.MIN_VALUE), true, new Position(ledgerId, Long.MAX_VALUE), true);
        for (Position p : ledger.keySet()) {
            remove(p);
        }
    }

    /** Drops every entry: the log closed. */
    void clear() {
        Map.Entry<Position, byte[]> e;
        while ((e = entries.pollFirstEntry()) != null) {
            budget.release(e.getValue().length);
        }
    }

    private void remove(Position p) {
        byte[] data = entries.remove(p);
        if (data != null) {
            budget.release(data.length);
        }
    }
}
