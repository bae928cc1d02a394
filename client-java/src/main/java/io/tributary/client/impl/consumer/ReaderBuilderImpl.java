package io.tributary.client.impl.consumer;

import io.tributary.api.v1.ErrorReason;
import io.tributary.client.MessageId;
import io.tributary.client.Reader;
import io.tributary.client.ReaderBuilder;
import io.tributary.client.Schema;
import io.tributary.client.SubscriptionInitialPosition;
import io.tributary.client.SubscriptionType;
import io.tributary.client.TributaryClientException;
import io.tributary.client.impl.Futures;
import io.tributary.client.impl.TributaryClientImpl;
import io.tributary.protocol.TopicName;
import io.tributary.protocol.TributaryException;
import java.util.concurrent.CompletableFuture;

/** Collects a reader's settings. */
public final class ReaderBuilderImpl<T> implements ReaderBuilder<T> {
    /** The prefix of a reader's subscription name; a random suffix follows. */
    static final String SUBSCRIPTION_PREFIX = "reader";

    private final TributaryClientImpl client;
    private final Schema<T> schema;
    private String topic;
    private MessageId startMessageId;
    private boolean inclusive;
    private String readerName;
    private int receiverQueueSize = 1000;

    public ReaderBuilderImpl(TributaryClientImpl client, Schema<T> schema) {
        this.client = client;
        this.schema = schema;
    }

    @Override
    public ReaderBuilder<T> topic(String topic) {
        this.topic = topic;
        return this;
    }

    @Override
    public ReaderBuilder<T> startMessageId(MessageId messageId) {
        this.startMessageId = messageId;
        return this;
    }

    @Override
    public ReaderBuilder<T> startMessageIdInclusive() {
        this.inclusive = true;
        return this;
    }

    @Override
    public ReaderBuilder<T> readerName(String name) {
        this.readerName = name;
        return this;
    }

    @Override
    public ReaderBuilder<T> receiverQueueSize(int size) {
        if (size < 1) {
            throw new IllegalArgumentException("receiverQueueSize must be at least 1");
        }
        this.receiverQueueSize = size;
        return this;
    }

    @Override
    public Reader<T> create() throws TributaryClientException {
        return Futures.await(createAsync());
    }

    @Override
    public CompletableFuture<Reader<T>> createAsync() {
        TopicName name;
        try {
            name = TopicName.of(topic);
        } catch (TributaryException e) {
            return Futures.failed(TributaryClientException.of(e.detail(), e));
        }
        if (startMessageId == null) {
            return Futures.failed(new TributaryClientException(ErrorReason.INVALID_REQUEST,
                    "a start message id is required: MessageId.earliest, MessageId.latest or a message's id", null));
        }
        if (client.isClosed()) {
            return Futures.failed(new TributaryClientException.AlreadyClosedException("the client is closed"));
        }
        String n = readerName == null || readerName.isEmpty() ? null : readerName;
        ConsumerBuilderImpl.Config config = new ConsumerBuilderImpl.Config(name.toString(), SUBSCRIPTION_PREFIX,
                SubscriptionType.Exclusive, n, receiverQueueSize, SubscriptionInitialPosition.Latest, 0, 0, 0, null,
                null, null, new ConsumerBuilderImpl.ReaderStart(startMessageId, inclusive));
        return new ConsumerImpl<>(client, config, schema).start()
                .thenApply(c -> new ReaderImpl<>((ConsumerImpl<T>) c));
    }
}
