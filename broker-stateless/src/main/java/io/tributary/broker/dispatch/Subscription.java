package io.tributary.broker.dispatch;

import io.tributary.api.v1.ErrorDetail;
import io.tributary.api.v1.ErrorReason;
import io.tributary.api.v1.MessageId;
import io.tributary.api.v1.SubscriptionType;
import io.tributary.protocol.ErrorReasons;
import io.tributary.protocol.TributaryException;
import io.tributary.storage.cursor.ManagedCursor;
import io.tributary.storage.log.LogEntry;
import io.tributary.storage.log.ManagedLog;
import io.tributary.storage.log.ManagedLogException;
import io.tributary.storage.log.Position;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One subscription of a topic: its durable cursor, its consumers and the dispatch loop that
 * reads entries and hands them to consumers by their permits. Every method runs on the topic's
 * executor, so none of the state here needs a lock.
 *
 * <p>Exclusive and failover subscriptions deliver to one active consumer, in order. Shared
 * subscriptions spread entries over all consumers that have permits. Unacknowledged entries of a
 * consumer that leaves, and negatively acknowledged ones, are delivered again before new ones.
 */
public final class Subscription {
    private static final Logger LOG = LoggerFactory.getLogger(Subscription.class);

    private final String topic;
    private final String name;
    private final ManagedLog log;
    private final ManagedCursor cursor;
    private final Executor executor;
    private final int batchSize;

    private SubscriptionType type;
    private final List<Consumer> consumers = new ArrayList<>();
    private int nextConsumer;
    private Position readPosition;
    private final TreeSet<Position> toRedeliver = new TreeSet<>();
    private final Map<Position, Integer> redeliveryCounts = new HashMap<>();
    /** Messages per entry seen so far (a moving average), to size reads by the permits, which count messages. */
    private double messagesPerEntry = 1;
    private boolean reading;
    private boolean waitingForEntries;
    private boolean closed;

    private final io.tributary.broker.topic.Topic owner;

    public Subscription(io.tributary.broker.topic.Topic owner, String name, ManagedCursor cursor, int batchSize) {
        this.owner = owner;
        this.topic = owner.name().toString();
        this.name = name;
        this.log = owner.log();
        this.cursor = cursor;
        this.executor = owner.executor();
        this.batchSize = batchSize;
        this.readPosition = cursor.firstUnacknowledged();
    }

    public String name() {
        return name;
    }

    public ManagedCursor cursor() {
        return cursor;
    }

    public List<Consumer> consumers() {
        return List.copyOf(consumers);
    }

    public SubscriptionType type() {
        return type;
    }

    private static SubscriptionType normalize(SubscriptionType t) {
        return t == SubscriptionType.SUBSCRIPTION_TYPE_UNSPECIFIED || t == SubscriptionType.UNRECOGNIZED
                ? SubscriptionType.EXCLUSIVE : t;
    }

    /** Attaches a consumer, or throws CONSUMER_BUSY / NOT_ALLOWED. */
    public void addConsumer(Consumer c, SubscriptionType requested) {
        SubscriptionType t = normalize(requested);
        if (closed) {
            throw new TributaryException(ErrorReason.SERVICE_NOT_READY, "subscription " + name + " is closing");
        }
        if (!consumers.isEmpty()) {
            if (type != t) {
                throw new TributaryException(ErrorReason.CONSUMER_BUSY, "subscription " + name + " on " + topic
                        + " is " + type + " and has consumers; a " + t + " consumer cannot join");
            }
            if (t == SubscriptionType.EXCLUSIVE) {
                throw new TributaryException(ErrorReason.CONSUMER_BUSY, "exclusive subscription " + name + " on "
                        + topic + " already has a consumer");
            }
        }
        type = t;
        consumers.add(c);
        if (t == SubscriptionType.FAILOVER) {
            consumers.sort((a, b) -> a.priority() != b.priority()
                    ? Integer.compare(a.priority(), b.priority()) : a.name().compareTo(b.name()));
        }
        dispatch();
    }

    public void removeConsumer(Consumer c) {
        if (!consumers.remove(c)) {
            return;
        }
        for (Position p : c.pending.keySet()) {
            if (!cursor.isAcknowledged(p)) {
                toRedeliver.add(p);
            }
        }
        c.pending.clear();
        dispatch();
    }

    public void flow(Consumer c, int permits) {
        c.permits += permits;
        dispatch();
    }

    /**
     * Applies acknowledgements from {@code c} (null: from a unary Acknowledge with no consumer here). Returns null on success or the reason for refusing
     * them; the stream stays usable either way.
     */
    public ErrorDetail acknowledge(Consumer c, List<MessageId> ids, boolean cumulative) {
        if (cumulative && (type == SubscriptionType.SHARED || type == SubscriptionType.KEY_SHARED)) {
            return ErrorReasons.detail(ErrorReason.NOT_ALLOWED,
                    "cumulative acknowledgement is not allowed on " + type + " subscription " + name);
        }
        for (MessageId id : ids) {
            Position p = new Position(id.getLedgerId(), id.getEntryId());
            if (p.entryId() < 0 || p.isAfter(log.lastConfirmed())) {
                return ErrorReasons.detail(ErrorReason.INVALID_MESSAGE_ID,
                        "message id " + p + " does not belong to topic " + topic);
            }
            boolean wholeEntry = id.getBatchSize() <= 1;
            if (cumulative) {
                Position upTo = p;
                if (wholeEntry || id.getBatchIndex() >= id.getBatchSize() - 1) {
                    cursor.acknowledgeCumulative(p);
                } else {
                    // the entry itself stays pending until its remaining messages are acknowledged
                    upTo = new Position(p.ledgerId(), p.entryId() - 1);
                    cursor.acknowledgeCumulative(upTo);
                    for (int i = 0; i <= id.getBatchIndex(); i++) {
                        cursor.acknowledgeIndex(p, i, id.getBatchSize());
                    }
                }
                forgetUpTo(upTo);
            } else if (wholeEntry) {
                ackEntry(c, p);
            } else if (id.getBatchIndex() < 0 || id.getBatchIndex() >= id.getBatchSize()) {
                return ErrorReasons.detail(ErrorReason.INVALID_MESSAGE_ID,
                        "batch index " + id.getBatchIndex() + " is outside the batch of " + id.getBatchSize() + " messages");
            } else {
                cursor.acknowledgeIndex(p, id.getBatchIndex(), id.getBatchSize());
                if (cursor.isAcknowledged(p)) {
                    ackEntry(c, p);
                }
            }
        }
        if (!toRedeliver.isEmpty() || consumers.stream().anyMatch(x -> x.permits > 0)) {
            dispatch();
        }
        return null;
    }

    private void ackEntry(Consumer c, Position p) {
        cursor.acknowledge(p);
        redeliveryCounts.remove(p);
        toRedeliver.remove(p);
        if (c == null || c.pending.remove(p) == null) {
            for (Consumer other : consumers) {
                if (other.pending.remove(p) != null) {
                    break;
                }
            }
        }
    }

    /** After a cumulative ack of {@code p}: nothing at or before it is pending or due for redelivery. */
    private void forgetUpTo(Position p) {
        for (Consumer x : consumers) {
            x.pending.keySet().removeIf(k -> !k.isAfter(p));
        }
        toRedeliver.headSet(p, true).clear();
        redeliveryCounts.keySet().removeIf(k -> !k.isAfter(p));
    }

    /** Sends the given entries again (negative acknowledgement). */
    public void negativeAcknowledge(Consumer c, List<MessageId> ids) {
        for (MessageId id : ids) {
            Position p = new Position(id.getLedgerId(), id.getEntryId());
            if (c.pending.remove(p) != null && !cursor.isAcknowledged(p)) {
                toRedeliver.add(p);
            }
        }
        dispatch();
    }

    // ------------------------------------------------------------------ dispatch loop

    private Consumer nextConsumerWithPermits() {
        if (consumers.isEmpty()) {
            return null;
        }
        if (type != SubscriptionType.SHARED && type != SubscriptionType.KEY_SHARED) {
            Consumer active = consumers.get(0);
            return active.permits > 0 ? active : null;
        }
        for (int i = 0; i < consumers.size(); i++) {
            Consumer c = consumers.get((nextConsumer + i) % consumers.size());
            if (c.permits > 0) {
                nextConsumer = (nextConsumer + i + 1) % consumers.size();
                return c;
            }
        }
        return null;
    }

    private int totalPermits() {
        if (type != SubscriptionType.SHARED && type != SubscriptionType.KEY_SHARED) {
            return consumers.isEmpty() ? 0 : Math.max(0, consumers.get(0).permits);
        }
        int n = 0;
        for (Consumer c : consumers) {
            n += Math.max(0, c.permits);
        }
        return n;
    }

    /** Reads and delivers as much as the consumers' permits allow. */
    void dispatch() {
        if (reading || closed || totalPermits() == 0) {
            return;
        }
        if (!toRedeliver.isEmpty()) {
            Position p = toRedeliver.pollFirst();
            if (cursor.isAcknowledged(p)) {
                dispatch();
                return;
            }
            reading = true;
            log.readAsync(p, 1).whenCompleteAsync((entries, err) -> {
                reading = false;
                if (err != null) {
                    LOG.warn("{}/{}: redelivery read of {} failed: {}", topic, name, p, err.toString());
                    toRedeliver.add(p);
                    retryLater();
                    return;
                }
                for (LogEntry e : entries) {
                    int count = redeliveryCounts.getOrDefault(e.position(), 0) + 1;
                    if (deliver(e, count)) {
                        redeliveryCounts.put(e.position(), count);
                    } else {
                        toRedeliver.add(e.position());
                    }
                }
                dispatch();
            }, executor);
            return;
        }
        if (readPosition.isAfter(log.lastConfirmed())) {
            readPosition = log.nextPosition(new Position(readPosition.ledgerId(), readPosition.entryId() - 1));
            if (readPosition.isAfter(log.lastConfirmed())) {
                waitForEntries();
                return;
            }
        }
        reading = true;
        int n = (int) Math.max(1, Math.min(batchSize, Math.ceil(totalPermits() / messagesPerEntry)));
        log.readAsync(readPosition, n).whenCompleteAsync((entries, err) -> {
            reading = false;
            if (err != null) {
                if (ManagedLogException.class.isInstance(ErrorReasons.unwrap(err))
                        && ErrorReasons.unwrap(err) instanceof ManagedLogException.ClosedException) {
                    return;
                }
                LOG.warn("{}/{}: read at {} failed: {}", topic, name, readPosition, err.toString());
                retryLater();
                return;
            }
            if (entries.isEmpty()) {
                waitForEntries();
                return;
            }
            for (LogEntry e : entries) {
                if (!cursor.isAcknowledged(e.position()) && !deliver(e, redeliveryCounts.getOrDefault(e.position(), 0))) {
                    // permits ran out in the middle of a read: this entry is read again once there are more
                    break;
                }
                readPosition = log.nextPosition(e.position());
            }
            dispatch();
        }, executor);
    }

    /** Hands an entry to a consumer with permits; false if none has any left. */
    private boolean deliver(LogEntry e, int redeliveryCount) {
        Consumer c = nextConsumerWithPermits();
        if (c == null) {
            return false;
        }
        int count = EntryHeaders.messageCount(e.data());
        messagesPerEntry = messagesPerEntry * 0.9 + count * 0.1;
        c.permits -= count;
        c.pending.put(e.position(), count);
        owner.recordDelivered(count, e.data().length);
        c.deliver(e.position(), e.data(), count, redeliveryCount, cursor.acknowledgedIndexes(e.position()));
        return true;
    }

    private void waitForEntries() {
        if (waitingForEntries) {
            return;
        }
        waitingForEntries = true;
        Position last = new Position(readPosition.ledgerId(), readPosition.entryId() - 1);
        log.waitForEntriesAfter(last).whenCompleteAsync((v, err) -> {
            waitingForEntries = false;
            if (err == null) {
                dispatch();
            }
        }, executor);
    }

    private void retryLater() {
        CompletableFuture.delayedExecutor(100, java.util.concurrent.TimeUnit.MILLISECONDS, executor).execute(this::dispatch);
    }

    /** Detaches all consumers and persists the cursor. */
    public CompletableFuture<Void> close(ErrorDetail reason) {
        closed = true;
        for (Consumer c : List.copyOf(consumers)) {
            c.disconnect(reason);
        }
        consumers.clear();
        return cursor.close();
    }
}
