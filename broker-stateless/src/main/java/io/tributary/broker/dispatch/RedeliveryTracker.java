package io.tributary.broker.dispatch;

import io.tributary.storage.log.Position;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The entries of a subscription to read again right away, before newer ones (negatively
 * acknowledged, held by a consumer that left or stopped being the active one, or whose delay is
 * over), and for each entry delivered again: how many times, when it was first delivered, and the
 * reason given with its last negative acknowledgement. Owned by the topic's executor.
 */
final class RedeliveryTracker {
    /** The longest reason kept, in UTF-16 units (the API refuses more than 1,024 bytes of UTF-8). */
    static final int MAX_REASON = 1024;

    /** What the next delivery of an entry delivered again carries. */
    static final class Redelivery {
        int count;
        /** When the subscription first delivered the entry (epoch ms), 0 if not known. */
        long firstDeliveryMs;
        String lastReason = "";
    }

    private final TreeSet<Position> toRedeliver = new TreeSet<>();
    private final Map<Position, Redelivery> counts = new HashMap<>();

    /** {@code p} is read again before newer entries. */
    void add(Position p) {
        toRedeliver.add(p);
    }

    /** {@code p} goes out once more than it did: its next delivery carries the count. */
    void countRedelivery(Position p) {
        countRedelivery(p, 0, null);
    }

    /**
     * {@code p} goes out once more than it did, first delivered at {@code deliveredMs} if that is
     * not known yet (0: not known), and a consumer's {@code reason} (null or empty: none given).
     */
    void countRedelivery(Position p, long deliveredMs, String reason) {
        Redelivery r = counts.computeIfAbsent(p, k -> new Redelivery());
        r.count++;
        if (r.firstDeliveryMs == 0) {
            r.firstDeliveryMs = deliveredMs;
        }
        if (reason != null && !reason.isEmpty()) {
            r.lastReason = reason.length() > MAX_REASON ? reason.substring(0, MAX_REASON) : reason;
        }
    }

    /** How many times {@code p} was delivered again. */
    int count(Position p) {
        Redelivery r = counts.get(p);
        return r == null ? 0 : r.count;
    }

    /** What the next delivery of {@code p} carries, or null if it was never delivered again. */
    Redelivery redelivery(Position p) {
        return counts.get(p);
    }

    boolean isEmpty() {
        return toRedeliver.isEmpty();
    }

    /** The first entry to read again, or null: on ordered types nothing after it is delivered before it. */
    Position first() {
        return toRedeliver.isEmpty() ? null : toRedeliver.first();
    }

    /** The next entries to read again in one read: a run of consecutive entries of one ledger, at most {@code max}. */
    List<Position> nextRun(int max) {
        List<Position> run = new ArrayList<>();
        for (Position q : toRedeliver) {
            Position prev = run.isEmpty() ? null : run.get(run.size() - 1);
            if (prev != null && (q.ledgerId() != prev.ledgerId() || q.entryId() != prev.entryId() + 1 || run.size() >= max)) {
                break;
            }
            run.add(q);
        }
        return run;
    }

    /** The run was read (what the log no longer holds is simply gone). */
    void read(List<Position> run) {
        run.forEach(toRedeliver::remove);
    }

    /** {@code p} was acknowledged: it is neither read again nor counted any more. */
    void acknowledged(Position p) {
        counts.remove(p);
        toRedeliver.remove(p);
    }

    /** Everything up to {@code p} was acknowledged. */
    void forgetUpTo(Position p) {
        toRedeliver.headSet(p, true).clear();
        counts.keySet().removeIf(k -> !k.isAfter(p));
    }

    /** Delivery starts over (a seek or skip): nothing is read again; the counts stay. */
    void clear() {
        toRedeliver.clear();
    }

    /** A seek: the entries are new to the consumers again. */
    void clearCounts() {
        counts.clear();
    }
}
