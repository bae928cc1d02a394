package io.tributary.proxy;

import io.grpc.Deadline;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The bookkeeping of one stream's resumption: when it began, until when it may look for the new owner, the
 * back-off between attempts and how many were made. Not thread-safe: used under its {@link StreamForwarder}'s lock.
 */
final class ResumeAttempts {
    /** Back-off between attempts of one resumption: doubling from the first to the last. */
    static final Duration FIRST_BACKOFF = Duration.ofMillis(50);
    static final Duration MAX_BACKOFF = Duration.ofMillis(500);

    private boolean active;
    private long startNanos;
    private long deadlineNanos;
    private long backoffMillis;
    private int attempts;

    /** Whether a resumption is under way (began and has not ended). */
    boolean active() {
        return active;
    }

    /** A resumption begins at {@code now}: it may last {@code timeout}, or until the client's deadline if earlier. */
    void begin(long now, Duration timeout, Deadline clientDeadline) {
        active = true;
        startNanos = now;
        deadlineNanos = now + timeout.toNanos();
        if (clientDeadline != null) {
            deadlineNanos = Math.min(deadlineNanos, now + clientDeadline.timeRemaining(TimeUnit.NANOSECONDS));
        }
        backoffMillis = FIRST_BACKOFF.toMillis();
        attempts = 0;
    }

    boolean expired(long now) {
        return now - deadlineNanos >= 0;
    }

    /**
     * How long to wait before the next attempt: none for the first one when a broker named the new owner, else
     * the back-off (which doubles), never past the deadline.
     */
    long nextDelayMillis(boolean ownerNamed, long now) {
        long delay = ownerNamed && attempts == 0 ? 0 : backoffMillis;
        backoffMillis = Math.min(MAX_BACKOFF.toMillis(), backoffMillis * 2);
        return Math.min(delay, Math.max(0, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - now)));
    }

    /** An attempt opens a call on an owner. */
    void attempted() {
        attempts++;
    }

    int attempts() {
        return attempts;
    }

    long elapsedMillis(long now) {
        return TimeUnit.NANOSECONDS.toMillis(now - startNanos);
    }

    /** Ends the resumption; returns how long it took, in seconds. */
    double end(long now) {
        active = false;
        return (now - startNanos) / 1e9;
    }
}
