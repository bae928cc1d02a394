package io.tributary.broker.topic;

import io.tributary.api.v1.BacklogQuotaPolicy;
import io.tributary.api.v1.ErrorReason;
import io.tributary.protocol.TopicName;
import io.tributary.protocol.TributaryException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongPredicate;
import java.util.function.Supplier;

/**
 * What a topic's backlog quota does to publishes: nothing while every durable subscription's backlog
 * is within the quota; over it, fail them (producer_exception) or hold them until the backlog is
 * back under the quota or the hold timeout passes (producer_request_hold). Whether to evict
 * (consumer_backlog_eviction) is {@link #evicts}; {@link PolicyEnforcer} does it.
 *
 * <p>Owned by the topic's executor: every method runs there.
 */
final class BacklogQuotaGuard {
    /** How often held publishes are checked against the quota. */
    static final long HOLD_CHECK_MS = 100;

    private final TopicName name;
    private final Executor executor;
    private final ScheduledExecutorService scheduler;
    private final Duration holdTimeout;
    /** Whether some durable subscription of the topic has a backlog of more than the given bytes. */
    private final LongPredicate anyBacklogOver;

    /** What retention, expiry and the backlog quota allow; refreshed by {@link PolicyEnforcer}. */
    private volatile Policies policies = Policies.NONE;
    /** Whether some subscription's backlog is over the quota (as of the last check). */
    private boolean overQuota;
    /** Publishes held while the backlog is over a producer_request_hold quota, in arrival order. */
    private final ArrayDeque<Held> held = new ArrayDeque<>();
    private ScheduledFuture<?> holdCheck;
    private boolean closed;

    private record Held(Runnable publish, CompletableFuture<?> result, long deadlineMs) {}

    BacklogQuotaGuard(TopicName name, Executor executor, ScheduledExecutorService scheduler, Duration holdTimeout,
                      LongPredicate anyBacklogOver) {
        this.name = name;
        this.executor = executor;
        this.scheduler = scheduler;
        this.holdTimeout = holdTimeout;
        this.anyBacklogOver = anyBacklogOver;
    }

    /** The largest backlog one durable subscription may have under the policies in force; 0: no quota. Any thread. */
    long limitBytes() {
        Policies p = policies;
        return p.hasBacklogQuota() ? p.backlogQuotaBytes() : 0;
    }

    /** The policies in force from now on (the enforcer's check applies them first). */
    void policies(Policies p) {
        policies = p;
    }

    /**
     * Lets a publish through ({@code publish} runs now), fails {@code result} with BACKLOG_QUOTA_EXCEEDED,
     * or holds the publish until the quota allows it.
     */
    void admit(Runnable publish, CompletableFuture<?> result) {
        if (overQuota && policies.backlogQuotaPolicy() == BacklogQuotaPolicy.PRODUCER_EXCEPTION) {
            result.completeExceptionally(quotaExceeded());
            return;
        }
        if (!held.isEmpty() || (overQuota && policies.backlogQuotaPolicy() == BacklogQuotaPolicy.PRODUCER_REQUEST_HOLD)) {
            // later publishes queue behind held ones, so that each producer's order is kept
            held.add(new Held(publish, result, System.currentTimeMillis() + holdTimeout.toMillis()));
            scheduleHoldCheck();
            return;
        }
        publish.run();
    }

    /** Whether under {@code p} a subscription whose backlog is over the quota is cut back to it. */
    static boolean evicts(Policies p) {
        return p.hasBacklogQuota() && p.backlogQuotaPolicy() == BacklogQuotaPolicy.CONSUMER_BACKLOG_EVICTION;
    }

    /** Checks the backlog against the quota again (after the policies changed or an eviction), releasing what it allows. */
    void recheck() {
        overQuota = computeOverQuota();
        if (!held.isEmpty()) {
            checkHeld();
        }
    }

    /** Fails every held publish with {@code reason}; later publishes are the topic's to refuse. */
    void close(Supplier<TributaryException> reason) {
        closed = true;
        if (holdCheck != null) {
            holdCheck.cancel(false);
        }
        while (!held.isEmpty()) {
            held.poll().result().completeExceptionally(reason.get());
        }
    }

    private TributaryException quotaExceeded() {
        return new TributaryException(ErrorReason.BACKLOG_QUOTA_EXCEEDED, "a subscription of " + name
                + " has a backlog over the namespace's quota of " + policies.backlogQuotaBytes() + " bytes");
    }

    private boolean computeOverQuota() {
        Policies p = policies;
        return p.hasBacklogQuota() && anyBacklogOver.test(p.backlogQuotaBytes());
    }

    private void scheduleHoldCheck() {
        if (holdCheck == null && !closed) {
            holdCheck = scheduler.schedule(() -> executor.execute(this::checkHeld), HOLD_CHECK_MS, TimeUnit.MILLISECONDS);
        }
    }

    /** Releases held publishes once the backlog is under the quota; fails those held too long. */
    private void checkHeld() {
        holdCheck = null;
        overQuota = computeOverQuota();
        long now = System.currentTimeMillis();
        while (!held.isEmpty()) {
            Held h = held.peek();
            if (!overQuota || policies.backlogQuotaPolicy() != BacklogQuotaPolicy.PRODUCER_REQUEST_HOLD) {
                held.poll();
                h.publish().run();
            } else if (h.deadlineMs() <= now) {
                held.poll();
                h.result().completeExceptionally(new TributaryException(ErrorReason.BACKLOG_QUOTA_EXCEEDED,
                        "held for " + holdTimeout.toMillis() + " ms: a subscription of " + name
                                + " has a backlog over the namespace's quota of " + policies.backlogQuotaBytes() + " bytes"));
            } else {
                break;
            }
        }
        if (!held.isEmpty()) {
            scheduleHoldCheck();
        }
    }
}
