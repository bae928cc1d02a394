package io.tributary.client;

import java.util.concurrent.CompletableFuture;

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
     * Subscribes, waiting at most the client's operation timeout. Throws the mapped exception,
     * e.g. {@link TributaryClientException.TopicNotFoundException} or
     * {@link TributaryClientException.ConsumerBusyException}.
     */
    Consumer<T> subscribe() throws TributaryClientException;

    CompletableFuture<Consumer<T>> subscribeAsync();
}
