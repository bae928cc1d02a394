package io.tributary.broker.dispatch;

import io.tributary.api.v1.ErrorDetail;
import io.tributary.broker.metrics.Rate;
import io.tributary.storage.log.Position;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A consumer attached to a subscription: a Subscribe stream, or the consumer behind unary
 * Receive calls. Its state is owned by the topic's executor, like the subscription's.
 */
public abstract class Consumer {
    private static final AtomicLong IDS = new AtomicLong();

    /** An entry handed to the consumer and not yet fully acknowledged. */
    record Delivered(int messages, boolean hasKey, int keyHash, long atMs) {}

    private final long id = IDS.incrementAndGet();
    private final String name;
    private final int priority;
    /**
     * The most permits a consumer holds: a grant beyond it is cut to it, so no number of grants
     * overflows (a client granting {@code Integer.MAX_VALUE} twice holds this many). Far above any
     * receiver queue; the stream's own flow control ({@link #isReady()}) bounds what is in flight.
     */
    public static final int MAX_PERMITS = 1 << 20;

    /** Messages the consumer can still take (negative after an entry larger than what was left). */
    int permits;
    /** Entries delivered and not yet fully acknowledged, in delivery order. */
    final Map<Position, Delivered> pending = new LinkedHashMap<>();
    final Rate messagesOut = new Rate();
    boolean active;

    protected Consumer(String name, int priority) {
        this.name = name;
        this.priority = priority;
    }

    public long id() {
        return id;
    }

    public String name() {
        return name;
    }

    public int priority() {
        return priority;
    }

    public int permits() {
        return permits;
    }

    /** Adds a grant of {@code n} messages (ignored if not positive), saturating at {@link #MAX_PERMITS}. */
    void grant(int n) {
        if (n > 0) {
            permits = (int) Math.min(MAX_PERMITS, (long) permits + n);
        }
    }

    /** Whether an entry may go to this consumer now: it has permits and its stream takes more. */
    final boolean canTake() {
        return permits > 0 && isReady();
    }

    /**
     * Whether the consumer's transport takes more now (a Subscribe stream whose client reads);
     * entries wait while it does not, and the subscription is told when it does again
     * ({@link Subscription#ready}). Any thread.
     */
    protected boolean isReady() {
        return true;
    }

    /** Messages delivered to this consumer and not acknowledged. */
    public long unackedMessages() {
        long n = 0;
        for (Delivered d : pending.values()) {
            n += d.messages();
        }
        return n;
    }

    /**
     * Hands one entry to the consumer. Called on the topic's executor.
     *
     * @param lastFailureReason on a redelivery, the reason of the entry's last negative acknowledgement ("" if none)
     * @param firstDeliveryMs   on a redelivery, when the subscription first delivered the entry (0 if not known)
     */
    protected abstract void deliver(Position position, byte[] entry, int messageCount, int redeliveryCount,
                                    BitSet ackedIndexes, String lastFailureReason, long firstDeliveryMs);

    /** The broker drops the consumer (topic closing, subscription deleted or reset); tells the client why. */
    protected abstract void disconnect(ErrorDetail reason);

    /** Failover: this consumer became the one receiving messages, or stopped being it. */
    protected void activeChanged(boolean isActive) {}

    /**
     * A request without a reply of its own (a negative acknowledgement) was refused; the consumer
     * stays attached.
     */
    protected void refused(ErrorDetail reason) {}
}
