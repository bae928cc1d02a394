package io.tributary.client.impl;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Exponential reconnect delays with jitter, so that the clients of a restarted broker do not
 * all come back in the same instant. Not thread-safe: each producer or consumer uses its own
 * under its own lock.
 */
final class Backoff {
    static final long INITIAL_MS = 100;
    static final long MAX_MS = 5_000;

    private final long initialMs;
    private final long maxMs;
    private int attempts;

    Backoff() {
        this(INITIAL_MS, MAX_MS);
    }

    Backoff(long initialMs, long maxMs) {
        this.initialMs = initialMs;
        this.maxMs = maxMs;
    }

    /** The next delay: half of the current step fixed, the other half random. */
    long nextDelayMs() {
        long step = initialMs << Math.min(attempts, 20);
        step = Math.min(step, maxMs);
        attempts++;
        long half = step / 2;
        return half + ThreadLocalRandom.current().nextLong(step - half + 1);
    }

    void reset() {
        attempts = 0;
    }

    int attempts() {
        return attempts;
    }
}
