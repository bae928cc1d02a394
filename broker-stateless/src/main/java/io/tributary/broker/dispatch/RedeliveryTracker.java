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
 * over), and how many times each entry was delivered again. Owned by the topic's executor.
 */
final class RedeliveryTracker {
    private final TreeSet<Position> toRedeliver = new TreeSet<>();
    private final Map<Position, Integer> counts = new HashMap<>();

    /** {@code p} is read again before newer entries. */
    void add(Position p) {
        toRedeliver.add(p);
    }

    /** {@code p} goes out once more than it did: its next delivery carries the count. */
    void countRedelivery(Position p) {
        counts.merge(p, 1, Integer::sum);
    }

    /** How many times {@code p} was delivered again. */
    int count(Position p) {
        return counts.getOrDefault(p, 0);
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
