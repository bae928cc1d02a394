package io.tributary.cli.perf;

import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * Paces sends at a fixed average rate on {@link System#nanoTime()}: message i is due at
 * {@code start + i / rate}. A sender that fell behind (blocked on a full queue, descheduled)
 * sends the overdue messages at once, so the rate holds on average (an open-loop load, as a
 * real application producing at that rate would behave). Waits park the thread, they do not spin:
 * on a small machine a spinning load generator would take a core from the system under test.
 * Not thread-safe: one pacer per sending thread.
 */
final class Pacer {
    private static final long MAX_PARK_NANOS = 50_000_000L;

    private final double periodNanos;
    private final long startNanos;
    private long next;

    Pacer(double ratePerSecond, long startNanos) {
        if (!(ratePerSecond > 0)) {
            throw new IllegalArgumentException("rate must be positive, was " + ratePerSecond);
        }
        this.periodNanos = 1e9 / ratePerSecond;
        this.startNanos = startNanos;
    }

    /** When the next message is due. */
    long nextDueNanos() {
        return startNanos + (long) (next * periodNanos);
    }

    /**
     * Waits until the next message is due and counts it. Returns false, without counting it,
     * if {@code stop} became true or the message would be due at or after {@code deadlineNanos}
     * (0 = no deadline).
     */
    boolean awaitNext(BooleanSupplier stop, long deadlineNanos) {
        long due = nextDueNanos();
        if (deadlineNanos != 0 && due - deadlineNanos >= 0) {
            return false;
        }
        while (true) {
            if (stop.getAsBoolean()) {
                return false;
            }
            long wait = due - System.nanoTime();
            if (wait <= 0) {
                next++;
                return true;
            }
            LockSupport.parkNanos(Math.min(wait, MAX_PARK_NANOS));
        }
    }
}
