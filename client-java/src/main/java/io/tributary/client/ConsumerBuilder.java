package io.tributary.client;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Configures and subscribes a {@link Consumer}. Not thread-safe.
 *
 * @param <T> the value type
 */
public interface ConsumerBuilder<T> {

    /** The topic, {@code tenant/namespace/topic}. Required. */
    ConsumerBuilder<T> topic(String topic);

    /** The subscription; it is created on first use. Required. */
    ConsumerBuilder<T> subscriptionName(String subscription);

    /** Default {@link SubscriptionType#Exclusive}. */
    ConsumerBuilder<T> subscriptionType(SubscriptionType type);

    /** A name for this consumer; by default the broker assigns one. */
    ConsumerBuilder<T> consumerName(String consumerName);

    /** How many messages may wait in the client, prefetched, for the application. Default 1000. */
    ConsumerBuilder<T> receiverQueueSize(int size);

    /** Where a new subscription starts. Default {@link SubscriptionInitialPosition#Latest}. */
    ConsumerBuilder<T> subscriptionInitialPosition(SubscriptionInitialPosition position);

    /** In Shared subscriptions, lower values are served first. Default 0. */
    ConsumerBuilder<T> priorityLevel(int priority);

    /**
     * How long after {@link Consumer#negativeAcknowledge} the broker delivers the message again.
     * Default 1 minute; 0 means at once.
     *
     * @throws IllegalArgumentException if negative
     */
    ConsumerBuilder<T> negativeAckRedeliveryDelay(long delay, TimeUnit unit);

    /**
     * Messages handed to the application and not acknowledged within this time are asked for
     * again (as a negative acknowledgement with no delay), checked on a timer of about a fifth of
     * the timeout (at most 1 s). Default 0: off. After a reconnect the tracking starts afresh,
     * since the broker delivers every unacknowledged message again anyway.
     *
     * @throws IllegalArgumentException if negative
     */
    ConsumerBuilder<T> ackTimeout(long timeout, TimeUnit unit);

    /** Sends messages redelivered too often to a dead-letter topic; see {@link DeadLetterPolicy}. Default none. */
    ConsumerBuilder<T> deadLetterPolicy(DeadLetterPolicy policy);

    /**
     * Enables {@link Consumer#reconsumeLater}: the consumer also subscribes the retry topic
     * ({@link DeadLetterPolicy#getRetryLetterTopic()}) with the same subscription name and type,
     * starting at its earliest message, and feeds both into one receiver queue (each topic
     * granted {@link #receiverQueueSize(int)} permits). Retried messages are delayed, and the
     * broker delays delivery on Shared and Key_Shared subscriptions only, so subscribing fails
     * for Exclusive and Failover subscriptions. Without a dead-letter policy, one with
     * maxRedeliverCount 16 and the default topic names applies. Default false.
     *
     * <p>{@link Consumer#acknowledge(Message)} finds a message's topic from the message; an
     * acknowledgement by {@link MessageId} alone finds it from the id's ledger, which is unique in
     * the cluster, as learned from the messages received.
     */
    ConsumerBuilder<T> enableRetry(boolean enable);

    /** Told when the consumer becomes the active one of a Failover subscription, or a standby. Default none. */
    ConsumerBuilder<T> consumerEventListener(ConsumerEventListener listener);

    /**
     * Subscribes, waiting at most the client's operation timeout. Throws the mapped exception,
     * e.g. {@link TributaryClientException.TopicNotFoundException} or
     * {@link TributaryClientException.ConsumerBusyException}.
     */
    Consumer<T> subscribe() throws TributaryClientException;

    CompletableFuture<Consumer<T>> subscribeAsync();
}
