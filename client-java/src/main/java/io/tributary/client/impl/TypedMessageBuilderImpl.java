package io.tributary.client.impl;

import io.tributary.client.MessageId;
import io.tributary.client.TributaryClientException;
import io.tributary.client.TypedMessageBuilder;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/** One message being put together for {@link ProducerImpl}. */
final class TypedMessageBuilderImpl<T> implements TypedMessageBuilder<T> {
    private final ProducerImpl<T> producer;
    T value;
    String key;
    final Map<String, String> properties = new LinkedHashMap<>();
    long eventTime;
    Long sequenceId;

    TypedMessageBuilderImpl(ProducerImpl<T> producer) {
        this.producer = producer;
    }

    @Override
    public TypedMessageBuilder<T> key(String key) {
        this.key = key;
        return this;
    }

    @Override
    public TypedMessageBuilder<T> value(T value) {
        this.value = value;
        return this;
    }

    @Override
    public TypedMessageBuilder<T> property(String name, String value) {
        properties.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value"));
        return this;
    }

    @Override
    public TypedMessageBuilder<T> properties(Map<String, String> properties) {
        properties.forEach(this::property);
        return this;
    }

    @Override
    public TypedMessageBuilder<T> eventTime(long timestampMs) {
        if (timestampMs < 0) {
            throw new IllegalArgumentException("the event time must not be negative");
        }
        this.eventTime = timestampMs;
        return this;
    }

    @Override
    public TypedMessageBuilder<T> sequenceId(long sequenceId) {
        if (sequenceId < 0) {
            throw new IllegalArgumentException("the sequence id must not be negative");
        }
        this.sequenceId = sequenceId;
        return this;
    }

    @Override
    public MessageId send() throws TributaryClientException {
        return Futures.await(sendAsync());
    }

    @Override
    public CompletableFuture<MessageId> sendAsync() {
        return producer.sendAsync(this);
    }
}
