package io.tributary.client.impl;

import io.tributary.api.v1.ErrorReason;
import io.tributary.client.Consumer;
import io.tributary.client.ConsumerBuilder;
import io.tributary.client.Schema;
import io.tributary.client.SubscriptionInitialPosition;
import io.tributary.client.SubscriptionType;
import io.tributary.client.TributaryClientException;
import io.tributary.protocol.TopicName;
import io.tributary.protocol.TributaryException;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/** Collects a consumer's settings. */
final class ConsumerBuilderImpl<T> implements ConsumerBuilder<T> {

    /** A consumer's settings, fixed at subscription. */
    record Config(String topic, String subscription, SubscriptionType type, String consumerName,
                  int receiverQueueSize, SubscriptionInitialPosition initialPosition, int priority) {}

    private final TributaryClientImpl client;
    private final Schema<T> schema;
    private String topic;
    private String subscription;
    private SubscriptionType type = SubscriptionType.Exclusive;
    private String consumerName;
    private int receiverQueueSize = 1000;
    private SubscriptionInitialPosition initialPosition = SubscriptionInitialPosition.Latest;
    private int priority;

    ConsumerBuilderImpl(TributaryClientImpl client, Schema<T> schema) {
        this.client = client;
        this.schema = schema;
    }

    @Override
    public ConsumerBuilder<T> topic(String topic) {
        this.topic = topic;
        return this;
    }

    @Override
    public ConsumerBuilder<T> subscriptionName(String subscription) {
        this.subscription = subscription;
        return this;
    }

    @Override
    public ConsumerBuilder<T> subscriptionType(SubscriptionType type) {
        this.type = Objects.requireNonNull(type, "type");
        return this;
    }

    @Override
    public ConsumerBuilder<T> consumerName(String consumerName) {
        this.consumerName = consumerName;
        return this;
    }

    @Override
    public ConsumerBuilder<T> receiverQueueSize(int size) {
        if (size < 1) {
            throw new IllegalArgumentException("receiverQueueSize must be at least 1");
        }
        this.receiverQueueSize = size;
        return this;
    }

    @Override
    public ConsumerBuilder<T> subscriptionInitialPosition(SubscriptionInitialPosition position) {
        this.initialPosition = Objects.requireNonNull(position, "position");
        return this;
    }

    @Override
    public ConsumerBuilder<T> priorityLevel(int priority) {
        if (priority < 0) {
            throw new IllegalArgumentException("the priority level must not be negative");
        }
        this.priority = priority;
        return this;
    }

    @Override
    public Consumer<T> subscribe() throws TributaryClientException {
        return Futures.await(subscribeAsync());
    }

    @Override
    public CompletableFuture<Consumer<T>> subscribeAsync() {
        TopicName name;
        try {
            name = TopicName.of(topic);
        } catch (TributaryException e) {
            return Futures.failed(TributaryClientException.of(e.detail(), e));
        }
        if (subscription == null || subscription.isEmpty()) {
            return Futures.failed(new TributaryClientException(ErrorReason.INVALID_REQUEST,
                    "a subscription name is required", null));
        }
        if (client.isClosed()) {
            return Futures.failed(new TributaryClientException.AlreadyClosedException("the client is closed"));
        }
        String n = consumerName == null || consumerName.isEmpty() ? null : consumerName;
        Config config = new Config(name.toString(), subscription, type, n, receiverQueueSize, initialPosition, priority);
        return new ConsumerImpl<>(client, config, schema, name.partitionIndex()).start();
    }
}
