package io.tributary.broker.ratelimit;

import io.tributary.api.v1.ErrorReason;
import io.tributary.api.v1.PublisherStats;
import io.tributary.api.v1.TopicStats;
import io.tributary.protocol.TributaryException;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * A topic's rate limits on this broker: its publish bucket, its namespace's shared publish bucket,
 * and the dispatch bucket all its subscriptions share. The rates are read from the namespace's
 * policies (cached, refreshed by a ZooKeeper watch) at each check, so a changed limit applies at the
 * next check. Thread-safe.
 */
public final class TopicRates {
    private final Supplier<RateLimits> limits;
    private final NamespaceRates.Shared namespace;
    private final TokenBucket publish = new TokenBucket();
    private final TokenBucket dispatch = new TokenBucket();
    private final LongAdder publishThrottledNanos = new LongAdder();
    private final Map<String, LongAdder> throttledByProducer = new ConcurrentHashMap<>();

    public TopicRates(Supplier<RateLimits> limits, NamespaceRates.Shared namespace) {
        this.limits = limits;
        this.namespace = namespace;
    }

    RateLimits limits() {
        return limits.get();
    }

    private RateLimits refresh() {
        RateLimits l = limits.get();
        publish.setRate(l.publishPerTopic());
        namespace.limit(RateLimits.normal(l.publishPerNamespace()));
        dispatch.setRate(l.dispatchPerTopic());
        return l;
    }

    /** Charges a batch a producer's stream accepted: {@code messages} messages, an entry of {@code bytes}. */
    public void chargePublish(int messages, long bytes) {
        publish.charge(messages, bytes);
        namespace.bucket().charge(messages, bytes);
    }

    /** 0 if producers may go on, else the nanoseconds until the topic's and its namespace's tokens return. */
    public long publishWaitNanos() {
        refresh();
        return Math.max(publish.nanosUntilPositive(), namespace.bucket().nanosUntilPositive());
    }

    /**
     * Completes once the topic's and its namespace's publish tokens are back (at once if they are),
     * for a unary Send, whose storing waits; fails with TIMEOUT, nothing stored, if {@code cancelled}
     * (the call's deadline passed, the client left) while it waits. The time waited counts as the
     * producer's throttled time.
     */
    public CompletableFuture<Void> publishAllowed(String producer, ScheduledExecutorService scheduler, BooleanSupplier cancelled) {
        CompletableFuture<Void> allowed = new CompletableFuture<>();
        long wait = publishWaitNanos();
        if (wait <= 0) {
            allowed.complete(null);
        } else {
            long since = System.nanoTime();
            scheduler.schedule(() -> waitForTokens(producer, scheduler, cancelled, allowed, since), wait, TimeUnit.NANOSECONDS);
        }
        return allowed;
    }

    private void waitForTokens(String producer, ScheduledExecutorService scheduler, BooleanSupplier cancelled,
                               CompletableFuture<Void> allowed, long since) {
        long wait = publishWaitNanos();
        if (wait <= 0) {
            publishThrottled(producer, System.nanoTime() - since);
            allowed.complete(null);
        } else if (cancelled.getAsBoolean()) {
            publishThrottled(producer, System.nanoTime() - since);
            allowed.completeExceptionally(new TributaryException(ErrorReason.TIMEOUT,
                    "the call ended while it waited for the topic's publish rate limit; nothing was stored"));
        } else {
            scheduler.schedule(() -> waitForTokens(producer, scheduler, cancelled, allowed, since), wait, TimeUnit.NANOSECONDS);
        }
    }

    /** A producer's stream was held back for {@code nanos}. */
    public void publishThrottled(String producer, long nanos) {
        publishThrottledNanos.add(nanos);
        throttledByProducer.computeIfAbsent(producer, p -> new LongAdder()).add(nanos);
    }

    /** The producer left: its own throttled time is no longer shown. */
    public void forgetProducer(String producer) {
        throttledByProducer.remove(producer);
    }

    /** A subscription's dispatch limiter, sharing this topic's dispatch bucket. */
    public DispatchThrottle newSubscription() {
        return new DispatchThrottle(this::refreshDispatch, dispatch);
    }

    private RateLimits refreshDispatch() {
        RateLimits l = limits.get();
        dispatch.setRate(l.dispatchPerTopic());
        return l;
    }

    /** {@code s} with the publish limits in force and the time producers were held back. */
    public TopicStats withStats(TopicStats s) {
        RateLimits l = refresh();
        TopicStats.Builder b = s.toBuilder().setPublishRate(RateLimits.normal(l.publishPerTopic()))
                .setNamespacePublishRateShare(namespace.enforced())
                .setPublishThrottledMsTotal(publishThrottledNanos.sum() / 1_000_000);
        for (int i = 0; i < b.getPublishersCount(); i++) {
            PublisherStats p = b.getPublishers(i);
            LongAdder t = throttledByProducer.get(p.getProducerName());
            if (t != null) {
                b.setPublishers(i, p.toBuilder().setThrottledMsTotal(t.sum() / 1_000_000));
            }
        }
        return b.build();
    }
}
