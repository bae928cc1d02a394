package io.tributary.client.impl.consumer;

import io.tributary.client.DeadLetterPolicy;
import io.tributary.client.Message;
import io.tributary.client.MessageId;
import io.tributary.client.Producer;
import io.tributary.client.Schema;
import io.tributary.client.TypedMessageBuilder;
import io.tributary.client.impl.Futures;
import io.tributary.client.impl.MessageImpl;
import io.tributary.client.impl.TributaryClientImpl;
import io.tributary.client.impl.producer.ProducerBuilderImpl;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves messages out of the subscription: to the dead-letter topic once redelivered too often,
 * or to the retry topic for {@code reconsumeLater}. Each copy is published first and the
 * original acknowledged after, so a message is never lost, at worst copied twice. The two
 * producers are made on first use.
 *
 * <p>Holds no consumer state: it publishes, then asks the consumer to acknowledge or redeliver
 * ({@link AckGrouper#ackNow}, {@link UnackedTracker#redeliver}), which take the consumer's lock
 * ({@link ConsumerImpl#lock}) themselves; publishing never happens under that lock. The
 * producers are guarded by their own monitor.
 */
final class DeadLetterRouter<T> {
    private static final Logger LOG = LoggerFactory.getLogger(DeadLetterRouter.class);

    private final TributaryClientImpl client;
    /** The policy with both topic names resolved; null without one. */
    private final DeadLetterPolicy policy;
    private final ConsumerImpl<T> owner;
    private final Object producerLock = new Object();
    // guarded by producerLock
    private CompletableFuture<Producer<byte[]>> deadLetterProducer;
    private CompletableFuture<Producer<byte[]>> retryProducer;

    DeadLetterRouter(TributaryClientImpl client, DeadLetterPolicy policy, ConsumerImpl<T> owner) {
        this.client = client;
        this.policy = policy;
        this.owner = owner;
    }

    /** Whether a message with this redelivery count goes to the dead-letter topic if not acknowledged now. */
    boolean atLastDelivery(int redeliveryCount) {
        return policy != null && redeliveryCount >= policy.getMaxRedeliverCount();
    }

    /** Whether a message that arrives with this redelivery count goes to the dead-letter topic at once. */
    boolean pastLastDelivery(int redeliveryCount) {
        return policy != null && redeliveryCount > policy.getMaxRedeliverCount();
    }

    String deadLetterTopic() {
        return policy.getDeadLetterTopic();
    }

    /**
     * Publishes the message to the dead-letter topic and then acknowledges it; if the publish
     * fails, asks for the message again so that the next delivery tries once more.
     */
    void deadLetterOrRedeliver(Message<?> message, TopicSubscription<T> s, String reason) {
        deadLetter(message, s, true, reason).whenComplete((v, t) -> {
            if (t != null) {
                LOG.warn("[{}/{}] Could not dead-letter message {}: {}", s.topic(), owner.getSubscription(),
                        message.getMessageId(), t.toString());
            }
        });
    }

    private CompletableFuture<Void> deadLetter(Message<?> message, TopicSubscription<T> s, boolean redeliverOnFailure,
                                               String reason) {
        Map<String, String> props = new LinkedHashMap<>(message.getProperties());
        props.putIfAbsent(DeadLetterPolicy.REAL_TOPIC, message.getTopicName());
        props.putIfAbsent(DeadLetterPolicy.ORIGIN_MESSAGE_ID, message.getMessageId().toString());
        // why and when, for whoever looks at the dead letter (admin deadletters peek)
        long last = message instanceof MessageImpl<?> m ? m.receivedAt() : System.currentTimeMillis();
        String why = reason != null && !reason.isEmpty() ? reason : message.getLastFailureReason();
        props.put(DeadLetterPolicy.DLQ_SUBSCRIPTION, owner.getSubscription());
        props.put(DeadLetterPolicy.DLQ_REDELIVERY_COUNT, Integer.toString(message.getRedeliveryCount()));
        if (!why.isEmpty()) {
            props.put(DeadLetterPolicy.DLQ_FAILURE_REASON, why);
        }
        props.put(DeadLetterPolicy.DLQ_FIRST_DELIVERY_MS, Long.toString(message.getFirstDeliveryTime() > 0
                ? message.getFirstDeliveryTime() : last));
        props.put(DeadLetterPolicy.DLQ_LAST_DELIVERY_MS, Long.toString(last));
        CompletableFuture<MessageId> published = producer(false)
                .thenCompose(p -> copy(p, message, props).sendAsync());
        published.whenComplete((id, t) -> {
            if (t != null && redeliverOnFailure) {
                owner.unacked().redeliver(s, message.getMessageId());
            }
        });
        return published.thenCompose(id -> owner.acks().ackNow(s, message.getMessageId(), true));
    }

    /**
     * Publishes a copy to the retry topic, delivered after {@code delay}, and acknowledges the
     * original; after the policy's maxRedeliverCount retries, to the dead-letter topic instead.
     */
    CompletableFuture<Void> reconsumeLater(Message<?> message, long delay, TimeUnit unit) {
        if (owner.topics().retry() == null) {
            throw new IllegalStateException("reconsumeLater needs a consumer built with enableRetry(true)");
        }
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(unit, "unit");
        if (delay < 0) {
            throw new IllegalArgumentException("the delay must not be negative");
        }
        TopicSubscription<T> s;
        owner.lock.lock();
        try {
            if (!owner.openLocked()) {
                return Futures.failed(owner.closedErrorLocked());
            }
            s = owner.locateLocked(message, message.getMessageId());
            if (s == null) {
                return Futures.failed(owner.unknownId(message.getMessageId()));
            }
            // no ack timeout while it is being moved
            owner.unacked().remove(message.getMessageId());
        } finally {
            owner.lock.unlock();
        }
        int times = reconsumeTimes(message) + 1;
        if (times > policy.getMaxRedeliverCount()) {
            return deadLetter(message, s, false, "");
        }
        Map<String, String> props = new LinkedHashMap<>(message.getProperties());
        props.put(DeadLetterPolicy.RECONSUME_TIMES, Integer.toString(times));
        props.putIfAbsent(DeadLetterPolicy.REAL_TOPIC, message.getTopicName());
        props.putIfAbsent(DeadLetterPolicy.ORIGIN_MESSAGE_ID, message.getMessageId().toString());
        return producer(true)
                .thenCompose(p -> copy(p, message, props).deliverAfter(delay, unit).sendAsync())
                .thenCompose(id -> owner.acks().ackNow(s, message.getMessageId(), false));
    }

    private static int reconsumeTimes(Message<?> message) {
        String v = message.getProperty(DeadLetterPolicy.RECONSUME_TIMES);
        if (v == null) {
            return 0;
        }
        try {
            return Math.max(0, Integer.parseInt(v.trim()));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static TypedMessageBuilder<byte[]> copy(Producer<byte[]> p, Message<?> message, Map<String, String> props) {
        TypedMessageBuilder<byte[]> b = p.newMessage().value(message.getData()).properties(props)
                .eventTime(message.getEventTime());
        if (message.hasKey()) {
            b.key(message.getKey());
        }
        return b;
    }

    /** The dead-letter or the retry producer, created on first use (and again after a failed creation). */
    private CompletableFuture<Producer<byte[]>> producer(boolean forRetry) {
        synchronized (producerLock) {
            CompletableFuture<Producer<byte[]>> f = forRetry ? retryProducer : deadLetterProducer;
            if (f == null || f.isCompletedExceptionally()) {
                String topic = forRetry ? policy.getRetryLetterTopic() : policy.getDeadLetterTopic();
                // the dead-letter topic keeps what it is sent under its dead-letter subscription, one message per
                // entry (dead letters are few, and an operator's counts and redrives are then exact)
                f = forRetry ? client.newProducer(Schema.BYTES).topic(topic).createAsync()
                        : ((ProducerBuilderImpl<byte[]>) client.newProducer(Schema.BYTES))
                                .initialSubscription(policy.getInitialSubscriptionName()).topic(topic)
                                .enableBatching(false).createAsync();
                if (forRetry) {
                    retryProducer = f;
                } else {
                    deadLetterProducer = f;
                }
            }
            return f;
        }
    }

    /** Closes the producers made; never fails. */
    CompletableFuture<Void> close() {
        List<CompletableFuture<Producer<byte[]>>> made = new ArrayList<>(2);
        synchronized (producerLock) {
            if (deadLetterProducer != null) {
                made.add(deadLetterProducer);
            }
            if (retryProducer != null) {
                made.add(retryProducer);
            }
        }
        CompletableFuture<?>[] closing = made.stream()
                .map(f -> f.handle((p, t) -> p).thenCompose(p -> p == null
                        ? CompletableFuture.<Void>completedFuture(null)
                        : p.closeAsync().exceptionally(t -> null)))
                .toArray(CompletableFuture<?>[]::new);
        return CompletableFuture.allOf(closing);
    }
}
