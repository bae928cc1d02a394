package io.tributary.broker.ratelimit;

import io.tributary.api.v1.SubscriptionStats;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A subscription's dispatch limits: its own bucket and its topic's, which all the topic's
 * subscriptions share. The dispatcher asks {@link #holdBack} before it delivers: while either bucket
 * is below zero it delivers nothing and one retry is scheduled for when the tokens return (no
 * spinning). Every entry sent is charged. Used on the topic's executor only.
 */
public final class DispatchThrottle {
    private final Supplier<RateLimits> limits;
    private final TokenBucket topic;
    private final TokenBucket own = new TokenBucket();
    private boolean holding;
    private long holdingSince;
    private boolean retryScheduled;
    private long throttledNanos;

    DispatchThrottle(Supplier<RateLimits> limits, TokenBucket topic) {
        this.limits = limits;
        this.topic = topic;
    }

    /** A throttle that never holds back (subscriptions of tests without a topic). */
    public static DispatchThrottle unlimited() {
        return new DispatchThrottle(() -> RateLimits.of(io.tributary.api.v1.NamespacePolicies.getDefaultInstance(),
                io.tributary.broker.RateLimitDefaults.NONE), new TokenBucket());
    }

    /**
     * True if dispatch must wait now; then {@code retry} runs on {@code executor} once the tokens are
     * back (one retry at a time, however often this is asked).
     */
    public boolean holdBack(ScheduledExecutorService scheduler, Executor executor, Runnable retry) {
        own.setRate(limits.get().dispatchPerSubscription());
        long wait = Math.max(own.nanosUntilPositive(), topic.nanosUntilPositive());
        long now = System.nanoTime();
        if (wait <= 0) {
            if (holding) {
                holding = false;
                throttledNanos += now - holdingSince;
            }
            return false;
        }
        if (!holding) {
            holding = true;
            holdingSince = now;
        }
        if (!retryScheduled) {
            retryScheduled = true;
            scheduler.schedule(() -> executor.execute(() -> {
                retryScheduled = false;
                retry.run();
            }), wait, TimeUnit.NANOSECONDS);
        }
        return true;
    }

    /**
     * {@code permits} or fewer: the messages the buckets hold now (at least 1, so that an entry is
     * read), so that a round reads no more than the limit lets it send.
     */
    public int cap(int permits) {
        long tokens = Math.min(own.messagesAvailable(), topic.messagesAvailable());
        return (int) Math.max(1, Math.min(permits, tokens));
    }

    /** Charges an entry sent to a consumer. */
    public void charge(int messages, long bytes) {
        own.charge(messages, bytes);
        topic.charge(messages, bytes);
    }

    /** {@code s} with the subscription's dispatch limit and the time its dispatch waited for tokens. */
    public SubscriptionStats.Builder stats(SubscriptionStats.Builder s) {
        long waited = throttledNanos + (holding ? System.nanoTime() - holdingSince : 0);
        return s.setDispatchRate(RateLimits.normal(limits.get().dispatchPerSubscription()))
                .setDispatchThrottledMsTotal(waited / 1_000_000);
    }
}
