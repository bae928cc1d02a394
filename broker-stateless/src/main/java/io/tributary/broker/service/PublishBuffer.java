package io.tributary.broker.service;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The broker-wide budget for publish requests received and not yet stored, in bytes. Every Publish
 * stream counts each batch it reads until its append completes; while the total is at or above the
 * limit, streams stop asking gRPC for their next request ({@link #roomOrWait}), so producers slow
 * down (their sends wait in their own budget, HTTP/2 flow control holds the rest) instead of the
 * broker's heap filling up. A stream reads at most one request beyond the limit, so the total stays
 * below the limit plus one maximum-size batch per stream.
 * Thread-safe.
 */
final class PublishBuffer {
    private final long limit;
    private long used;
    private long peak;
    /** Streams waiting for room, each once, in the order they stopped. */
    private final Set<Runnable> waiting = new LinkedHashSet<>();

    PublishBuffer(long limit) {
        if (limit <= 0) {
            throw new IllegalArgumentException("the publish buffer limit must be positive, was " + limit);
        }
        this.limit = limit;
    }

    /** A batch of {@code bytes} was read from a stream. */
    synchronized void add(long bytes) {
        used += bytes;
        peak = Math.max(peak, used);
    }

    /** The batch's append completed (stored or refused): its bytes leave the buffer, and waiting streams resume if there is room. */
    void release(long bytes) {
        List<Runnable> resume;
        synchronized (this) {
            used -= bytes;
            if (used >= limit || waiting.isEmpty()) {
                return;
            }
            resume = new ArrayList<>(waiting);
            waiting.clear();
        }
        // outside the lock: a stream resuming takes its own lock, then may call back here
        for (Runnable r : resume) {
            r.run();
        }
    }

    /**
     * True if a stream may read its next request now; otherwise {@code resume} is kept (once) and run
     * when there is room again.
     */
    synchronized boolean roomOrWait(Runnable resume) {
        if (used < limit) {
            return true;
        }
        waiting.add(resume);
        return false;
    }

    /** A stream that ended no longer waits. */
    synchronized void forget(Runnable resume) {
        waiting.remove(resume);
    }

    synchronized long used() {
        return used;
    }

    /** The most bytes buffered at once since the broker started. */
    synchronized long peak() {
        return peak;
    }

    long limit() {
        return limit;
    }
}
