package io.tributary.broker.dispatch;

import io.tributary.storage.log.Position;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Entries waiting for a time: negative acknowledgements with a delay, and entries whose delivery
 * time is in the future (Shared and Key_Shared only). One timer, for the earliest; when it fires,
 * on the topic's executor, the entries that are due go to {@code onDue}. Delayed entries are not
 * acknowledged, so after a restart they are read again and set aside again.
 */
final class DelayedDeliveryTracker {
    private final Executor executor;
    private final ScheduledExecutorService scheduler;
    private final java.util.function.Consumer<List<Position>> onDue;
    /** Positions by due time. */
    private final TreeMap<Long, List<Position>> scheduled = new TreeMap<>();
    /** The entries among {@link #scheduled} held back by their delivery time (for stats). */
    private final Set<Position> delayed = new HashSet<>();
    private ScheduledFuture<?> timer;
    private long timerDueMs = Long.MAX_VALUE;
    private boolean closed;

    DelayedDeliveryTracker(Executor executor, ScheduledExecutorService scheduler,
                           java.util.function.Consumer<List<Position>> onDue) {
        this.executor = executor;
        this.scheduler = scheduler;
        this.onDue = onDue;
    }

    /** Hands {@code p} to {@code onDue} no sooner than {@code dueMs} (a delayed negative acknowledgement). */
    void schedule(Position p, long dueMs) {
        scheduled.computeIfAbsent(dueMs, k -> new ArrayList<>(1)).add(p);
        armTimer();
    }

    /** Holds {@code p} back until its delivery time. */
    void holdUntil(Position p, long deliverAtMs) {
        delayed.add(p);
        schedule(p, deliverAtMs);
    }

    /** Entries held back by their delivery time. */
    int delayedCount() {
        return delayed.size();
    }

    /** Everything up to {@code p} was acknowledged. */
    void forgetUpTo(Position p) {
        delayed.removeIf(k -> !k.isAfter(p));
    }

    /** Delivery starts over (a seek or skip): nothing waits any more. */
    void clear() {
        scheduled.clear();
        delayed.clear();
        cancelTimer();
    }

    /** The subscription closed: no timer fires any more. */
    void close() {
        closed = true;
        cancelTimer();
    }

    private void armTimer() {
        if (scheduled.isEmpty() || closed) {
            return;
        }
        long first = scheduled.firstKey();
        if (timer != null && timerDueMs <= first) {
            return;
        }
        cancelTimer();
        timerDueMs = first;
        long wait = Math.max(0, first - System.currentTimeMillis());
        timer = scheduler.schedule(() -> executor.execute(this::onTimer), wait, TimeUnit.MILLISECONDS);
    }

    private void cancelTimer() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
        timerDueMs = Long.MAX_VALUE;
    }

    private void onTimer() {
        timer = null;
        timerDueMs = Long.MAX_VALUE;
        long now = System.currentTimeMillis();
        List<Position> due = new ArrayList<>();
        while (!scheduled.isEmpty() && scheduled.firstKey() <= now) {
            for (Position p : scheduled.pollFirstEntry().getValue()) {
                delayed.remove(p);
                due.add(p);
            }
        }
        armTimer();
        onDue.accept(due);
    }
}
