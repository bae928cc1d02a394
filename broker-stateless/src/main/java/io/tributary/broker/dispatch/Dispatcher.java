package io.tributary.broker.dispatch;

import io.tributary.api.v1.ErrorReason;
import io.tributary.api.v1.SubscriptionType;
import io.tributary.protocol.TributaryException;
import io.tributary.storage.cursor.ManagedCursor;
import io.tributary.storage.log.Position;
import java.util.List;

/**
 * Hands the entries a subscription read ahead to its consumers by the rules of one subscription
 * type, and keeps track of what each consumer holds unacknowledged:
 * <ul>
 *   <li>{@link SingleActiveDispatcher}: Exclusive and Failover, one active consumer, in order;</li>
 *   <li>{@link SharedDispatcher}: the next consumer with permits;</li>
 *   <li>{@link KeySharedDispatcher}: the consumer of the entry's key, one consumer per key at a time.</li>
 * </ul>
 * {@link #forType} is the one place that maps a type to its rules. Every method runs on the
 * topic's executor.
 */
interface Dispatcher {

    /** Sends an entry that a dispatcher gave a consumer (and counted against its permits). */
    @FunctionalInterface
    interface Sender {
        void send(Consumer c, BufferedEntry e);
    }

    /**
     * What a dispatcher works with: its subscription's name and topic (for errors), cursor,
     * read-ahead and trackers, and how it sends an entry.
     */
    record Parts(String subscription, String topic, ManagedCursor cursor, EntryReadAhead readAhead,
                 RedeliveryTracker redeliveries, DelayedDeliveryTracker delayed, Sender sender) {}

    /** The dispatcher for a type (not UNSPECIFIED or UNRECOGNIZED: the subscription settles those). */
    static Dispatcher forType(SubscriptionType type, Parts parts) {
        return switch (type) {
            case EXCLUSIVE -> new SingleActiveDispatcher(type, false, parts);
            case FAILOVER -> new SingleActiveDispatcher(type, true, parts);
            case SHARED -> new SharedDispatcher(parts);
            case KEY_SHARED -> new KeySharedDispatcher(parts);
            default -> throw new TributaryException(ErrorReason.INVALID_REQUEST, "no dispatcher for subscription type " + type);
        };
    }

    SubscriptionType type();

    /** The attached consumers, in the order entries are offered to them (a read-only view). */
    List<Consumer> consumers();

    /** Attaches a consumer; throws CONSUMER_BUSY if this type takes no more consumers. */
    void add(Consumer c);

    /**
     * Detaches a consumer that left; what it held is delivered again, to whoever may take it now
     * (counted as a redelivery). False if it was not attached.
     */
    boolean remove(Consumer c);

    /**
     * Detaches a consumer that the subscription disconnects (a seek, a skip, closing); what it held
     * is dropped by {@link #restart}, or with the subscription.
     */
    void detach(Consumer c);

    /** Messages that the consumers allowed to receive now can still take. */
    int permits();

    /** Whether {@code c} receives entries now (for stats). */
    boolean isActive(Consumer c);

    boolean allowsCumulativeAck();

    /**
     * Whether newer entries are read while some read before wait for a consumer; not when one
     * consumer takes all entries in order.
     */
    boolean readsPastWaitingEntries();

    /** Hands buffered entries, in position order, to the consumers that may take them. */
    void deliverBuffered();

    /** {@code p} was acknowledged, by {@code c} or (null) through no consumer: nobody holds it any more. */
    void acknowledged(Consumer c, Position p);

    /**
     * {@code c} gave {@code p} back (a negative acknowledgement): when it was delivered to {@code c}
     * (epoch ms) if {@code c} held it and it is not acknowledged, so it is to be delivered again; else -1.
     */
    long returned(Consumer c, Position p);

    /** Everything up to {@code p} was acknowledged: no consumer holds any of it. */
    void forgetUpTo(Position p);

    /** Delivery starts over (a seek or skip): the consumers still attached hold nothing. */
    void restart();
}
