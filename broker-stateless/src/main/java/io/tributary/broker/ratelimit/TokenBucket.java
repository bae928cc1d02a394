package io.tributary.broker.ratelimit;

import io.tributary.api.v1.Rate;

/**
 * Two token buckets, of messages and of bytes, refilled continuously at their rates and holding at
 * most one second of them. Whoever accepted a batch charges it ({@link #charge}), which may take the
 * tokens below zero; while either is below zero the caller holds back, for {@link #nanosUntilPositive}.
 * A rate <= 0 does not limit. Never blocks; thread-safe.
 */
public final class TokenBucket {
    private long messageRate;
    private long byteRate;
    private double messages;
    private double bytes;
    private long refilledAt = System.nanoTime();

    /** Sets the rates; a rate newly set starts from an empty (not negative) bucket, a changed one keeps what it has up to its new capacity. */
    public synchronized void setRate(Rate r) {
        long m = Math.max(0, r.getMessagesPerSecond());
        long b = Math.max(0, r.getBytesPerSecond());
        if (m == messageRate && b == byteRate) {
            return;
        }
        refill();
        messages = messageRate <= 0 ? 0 : Math.min(messages, m);
        bytes = byteRate <= 0 ? 0 : Math.min(bytes, b);
        messageRate = m;
        byteRate = b;
    }

    /** Whether either rate limits. */
    public synchronized boolean limits() {
        return messageRate > 0 || byteRate > 0;
    }

    /** Takes {@code count} messages and {@code size} bytes, going below zero if need be. */
    public synchronized void charge(long count, long size) {
        refill();
        if (messageRate > 0) {
            messages -= count;
        }
        if (byteRate > 0) {
            bytes -= size;
        }
    }

    /** 0 if neither bucket is below zero, else the nanoseconds until both are back at zero. */
    public synchronized long nanosUntilPositive() {
        refill();
        long wait = 0;
        if (messageRate > 0 && messages < 0) {
            wait = (long) Math.ceil(-messages * 1e9 / messageRate);
        }
        if (byteRate > 0 && bytes < 0) {
            wait = Math.max(wait, (long) Math.ceil(-bytes * 1e9 / byteRate));
        }
        return wait;
    }

    /** The messages in the bucket now (may be negative); {@link Long#MAX_VALUE} if messages are not limited. */
    public synchronized long messagesAvailable() {
        refill();
        return messageRate > 0 ? (long) Math.floor(messages) : Long.MAX_VALUE;
    }

    private void refill() {
        long now = System.nanoTime();
        double seconds = (now - refilledAt) / 1e9;
        refilledAt = now;
        if (messageRate > 0) {
            messages = Math.min(messageRate, messages + seconds * messageRate);
        }
        if (byteRate > 0) {
            bytes = Math.min(byteRate, bytes + seconds * byteRate);
        }
    }
}
