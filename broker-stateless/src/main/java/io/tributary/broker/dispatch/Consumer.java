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
    record Delivered(int messages, boolean hasKey, int keyHash) {}

    private final long id = IDS.incrementAndGet();
    private final String name;
    private final int priority;
    /** Messages the consumer can still take. */
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

    /** Messages delivered to this consumer and not acknowledged. */
    public long unackedMessages() {
        long n = 0;
        for (Delivered d : pending.values()) {
            n += d.messages();
        }
        return n;
    }

    /** Hands one entry to the consumer. Called on the topic's executor. */
    protected abstract void deliver(Position position, byte[] entry, int messageCount, int redeliveryCount,
                                    BitSet ackedIndexes);

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
