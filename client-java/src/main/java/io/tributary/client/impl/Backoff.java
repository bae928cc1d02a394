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

    /**
     * The delay after a failure with {@code cause}. A broker handing a topic over names the new owner
     * (NOT_OWNER with an address): the first retry then goes at once, since the owner is known and
     * ready; later ones back off as usual, so two brokers that disagree cannot make a client spin.
     */
    long nextDelayMs(io.tributary.api.v1.ErrorDetail cause) {
        if (attempts == 0 && cause.getReason() == io.tributary.api.v1.ErrorReason.NOT_OWNER
                && !cause.getOwnerAddress().isEmpty()) {
            attempts++;
            return 0;
        }
        return nextDelayMs();
    }

    void reset() {
        attempts = 0;
    }

    int attempts() {
        return attempts;
    }
}
