package io.tributary.client.impl.producer;

import io.tributary.client.MessageId;
import io.tributary.client.Transaction;
import io.tributary.client.TributaryClientException;
import io.tributary.client.TypedMessageBuilder;
import io.tributary.client.impl.Futures;
import io.tributary.client.impl.transaction.TransactionImpl;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/** One message being put together for {@link ProducerImpl} (or routed to one by {@link PartitionedProducerImpl}). */
final class TypedMessageBuilderImpl<T> implements TypedMessageBuilder<T> {
    private final Function<TypedMessageBuilderImpl<T>, CompletableFuture<MessageId>> sender;
    T value;
    String key;
    /** Empty and shared until a property is set: most messages have none. */
    Map<String, String> properties = Map.of();
    long eventTime;
    Long sequenceId;
    /** Not before this time (epoch ms); 0: at once. */
    long deliverAtMs;
    /** The transaction it is sent in; null: none. */
    TransactionImpl transaction;

    TypedMessageBuilderImpl(ProducerImpl<T> producer) {
        this(m -> producer.sendAsync(m));
    }

    /** A message that {@code sender} sends. */
    TypedMessageBuilderImpl(Function<TypedMessageBuilderImpl<T>, CompletableFuture<MessageId>> sender) {
        this.sender = sender;
    }

    /** Sends the message in {@code t} (a transaction of this client). */
    TypedMessageBuilderImpl<T> inTransaction(Transaction t) {
        if (!(Objects.requireNonNull(t, "transaction") instanceof TransactionImpl impl)) {
            throw new IllegalArgumentException("the transaction was not begun by a Tributary client");
        }
        this.transaction = impl;
        return this;
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
        if (properties.isEmpty()) {
            properties = new LinkedHashMap<>();
        }
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
    public TypedMessageBuilder<T> deliverAfter(long delay, TimeUnit unit) {
        Objects.requireNonNull(unit, "unit");
        if (delay < 0) {
            throw new IllegalArgumentException("the delivery delay must not be negative");
        }
        long now = System.currentTimeMillis();
        long ms = unit.toMillis(delay);
        // saturate instead of wrapping into the past
        this.deliverAtMs = ms > Long.MAX_VALUE - now ? Long.MAX_VALUE : now + ms;
        return this;
    }

    @Override
    public TypedMessageBuilder<T> deliverAfter(Duration delay) {
        Objects.requireNonNull(delay, "delay");
        if (delay.isNegative()) {
            throw new IllegalArgumentException("the delivery delay must not be negative");
        }
        // convert() saturates where Duration.toMillis() would overflow
        return deliverAfter(TimeUnit.MILLISECONDS.convert(delay), TimeUnit.MILLISECONDS);
    }

    @Override
    public TypedMessageBuilder<T> deliverAt(long epochMs) {
        if (epochMs < 0) {
            throw new IllegalArgumentException("the delivery time must not be negative");
        }
        this.deliverAtMs = epochMs;
        return this;
    }

    @Override
    public MessageId send() throws TributaryClientException {
        return Futures.await(sendAsync());
    }

    @Override
    public CompletableFuture<MessageId> sendAsync() {
        return sender.apply(this);
    }
}
