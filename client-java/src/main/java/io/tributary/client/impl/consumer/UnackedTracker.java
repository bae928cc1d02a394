package io.tributary.client.impl.consumer;

import io.tributary.client.Message;
import io.tributary.client.MessageId;
import io.tributary.client.impl.MessageImpl;
import io.tributary.client.impl.TributaryClientImpl;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Messages handed out and not acknowledged, and asking for them again: negative
 * acknowledgements, and the ack timeout. It tracks the messages that matter: with an ack
 * timeout, all of them (asked for again when the time is up); with a dead-letter policy, those
 * at their last redelivery (sent to the dead-letter topic instead of being asked for again).
 * They are kept in hand-out order, so a scan for expired ones stops at the first that is not.
 * The tracker also tells which stream handed out an id, to route an acknowledgement by id.
 *
 * <p>Guarded by the consumer's lock ({@link ConsumerImpl#lock}).
 */
final class UnackedTracker<T> {
    private static final Logger LOG = LoggerFactory.getLogger(UnackedTracker.class);

    /** A message handed to the application and not acknowledged yet. */
    record Tracked<T>(MessageImpl<T> message, TopicSubscription<T> stream, long handedNanos) {}

    private final ConsumerImpl<T> consumer;
    private final TributaryClientImpl client;
    private final long ackTimeoutMs;
    private final long nackDelayMs;
    private final DeadLetterRouter<T> deadLetters;
    // guarded by the consumer's lock
    private final LinkedHashMap<MessageId, Tracked<T>> tracked = new LinkedHashMap<>();
    private ScheduledFuture<?> ackTimeoutTask;

    UnackedTracker(ConsumerImpl<T> consumer, TributaryClientImpl client, long ackTimeoutMs, long nackDelayMs,
                   DeadLetterRouter<T> deadLetters) {
        this.consumer = consumer;
        this.client = client;
        this.ackTimeoutMs = ackTimeoutMs;
        this.nackDelayMs = nackDelayMs;
        this.deadLetters = deadLetters;
    }

    /** Starts looking for expired messages, with an ack timeout set. */
    void startLocked() {
        if (ackTimeoutMs > 0) {
            long period = Math.max(10, Math.min(1000, ackTimeoutMs / 5));
            ackTimeoutTask = client.scheduleWithFixedDelay(this::checkAckTimeouts, period, TimeUnit.MILLISECONDS);
        }
    }

    /** Closed or failed: nothing is tracked any more. */
    void stopLocked() {
        if (ackTimeoutTask != null) {
            ackTimeoutTask.cancel(false);
            ackTimeoutTask = null;
        }
        tracked.clear();
    }

    /**
     * Asks the broker for the message again after the nack delay, or, at its last redelivery
     * with a dead-letter policy, sends it to the dead-letter topic. By id, the dead-letter rule
     * applies only to a message this consumer handed out and tracks.
     *
     * @throws IllegalArgumentException if the consumer cannot tell which topic the id is of
     */
    void negativeAcknowledge(Message<?> message, MessageId id, String reason) {
        TopicSubscription<T> s;
        Message<?> dead;
        consumer.lock.lock();
        try {
            if (!consumer.openLocked()) {
                return;
            }
            s = consumer.locateLocked(message, id);
            if (s == null) {
                throw new IllegalArgumentException(consumer.unknownId(id).getMessage());
            }
            Tracked<T> t = tracked.remove(id);
            if (message == null && t != null) {
                s = t.stream();
            }
            dead = message != null ? message : t == null ? null : t.message();
            if (dead == null || !deadLetters.atLastDelivery(dead.getRedeliveryCount())) {
                s.nack(List.of(id), nackDelayMs, reason);
                return;
            }
        } finally {
            consumer.lock.unlock();
        }
        deadLetters.deadLetterOrRedeliver(dead, s, reason);
    }

    /** Asks for a message again after the nack delay (a dead-letter copy could not be published). */
    void redeliver(TopicSubscription<T> s, MessageId id) {
        consumer.lock.lock();
        try {
            if (consumer.openLocked()) {
                s.nack(List.of(id), nackDelayMs, "");
            }
        } finally {
            consumer.lock.unlock();
        }
    }

    /** Asks again for what the application did not acknowledge in time. */
    private void checkAckTimeouts() {
        List<Tracked<T>> dead;
        consumer.lock.lock();
        try {
            if (!consumer.openLocked()) {
                return;
            }
            Map<TopicSubscription<T>, List<MessageId>> expired = new HashMap<>();
            dead = takeExpired(System.nanoTime(), expired);
            expired.forEach((s, ids) -> {
                LOG.debug("[{}/{}] {} messages not acknowledged within {} ms; asking for them again", s.topic(),
                        consumer.getSubscription(), ids.size(), ackTimeoutMs);
                s.nack(ids, 0, "");
            });
        } finally {
            consumer.lock.unlock();
        }
        for (Tracked<T> t : dead) {
            deadLetters.deadLetterOrRedeliver(t.message(), t.stream(), "");
        }
    }

    /** A message went to the application. */
    void handedOut(MessageImpl<T> m, TopicSubscription<T> s) {
        if (ackTimeoutMs > 0 || deadLetters.atLastDelivery(m.getRedeliveryCount())) {
            // re-inserted so that the map stays in hand-out order
            tracked.remove(m.getMessageId());
            tracked.put(m.getMessageId(), new Tracked<>(m, s, System.nanoTime()));
        }
    }

    /** Stops tracking a message (acknowledged, nacked, moved, or back in the queue); returns what was tracked. */
    Tracked<T> remove(MessageId id) {
        return tracked.remove(id);
    }

    /** The stream that handed out {@code id}, if tracked. */
    TopicSubscription<T> streamOf(MessageId id) {
        Tracked<T> t = tracked.get(id);
        return t == null ? null : t.stream();
    }

    /** A cumulative acknowledgement on {@code s} up to {@code id}. */
    void removeThrough(TopicSubscription<T> s, MessageId id) {
        tracked.values().removeIf(t -> t.stream() == s && ReaderPosition.compareInTopic(t.message().getMessageId(), id) <= 0);
    }

    /** What {@code s} handed out is redelivered anyway (its stream was lost, or it moved). */
    void removeAll(TopicSubscription<T> s) {
        tracked.values().removeIf(t -> t.stream() == s);
    }

    /**
     * Takes the messages whose ack timeout ran out: returns those that go to the dead-letter
     * topic, and puts the others in {@code redeliver} by stream.
     */
    private List<Tracked<T>> takeExpired(long nowNanos, Map<TopicSubscription<T>, List<MessageId>> redeliver) {
        List<Tracked<T>> dead = new ArrayList<>(0);
        long limit = TimeUnit.MILLISECONDS.toNanos(ackTimeoutMs);
        Iterator<Tracked<T>> it = tracked.values().iterator();
        while (it.hasNext()) {
            Tracked<T> t = it.next();
            // in hand-out order, so the first one not expired ends the scan
            if (nowNanos - t.handedNanos() < limit) {
                break;
            }
            it.remove();
            if (deadLetters.atLastDelivery(t.message().getRedeliveryCount())) {
                dead.add(t);
            } else {
                redeliver.computeIfAbsent(t.stream(), k -> new ArrayList<>()).add(t.message().getMessageId());
            }
        }
        return dead;
    }
}
