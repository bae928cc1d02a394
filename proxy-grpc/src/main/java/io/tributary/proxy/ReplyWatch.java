package io.tributary.proxy;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The replies a broker owes a forwarded stream, and since when it has been silent: what tells a stalled broker
 * (frozen, its connection still open) from a busy one. Not thread-safe: used under its {@link StreamForwarder}'s
 * lock.
 */
final class ReplyWatch {
    /** requests forwarded that the broker owes a reply to (saturating: any response counts as one) */
    private int owed;
    /** when the broker last sent something, or the wait for a reply began */
    private long sinceNanos;

    /** A request the broker owes a reply to was forwarded: if none was owed, the wait starts now. */
    void expect() {
        if (owed++ == 0) {
            sinceNanos = System.nanoTime();
        }
    }

    /** A new backend call owes {@code replies} from now. */
    void reset(int replies) {
        owed = replies;
        sinceNanos = System.nanoTime();
    }

    /** The broker sent something. */
    void received() {
        sinceNanos = System.nanoTime();
        owed = Math.max(0, owed - 1);
    }

    int owed() {
        return owed;
    }

    /** How long the broker has been silent while owing replies, if at least {@code limit}; else -1. */
    long stalledMillis(Duration limit) {
        long silent = System.nanoTime() - sinceNanos;
        return owed > 0 && silent >= limit.toNanos() ? TimeUnit.NANOSECONDS.toMillis(silent) : -1;
    }
}
