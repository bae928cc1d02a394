package io.tributary.client.impl;

import io.tributary.client.BatchingType;
import io.tributary.client.CompressionType;
import io.tributary.client.Producer;
import io.tributary.client.ProducerBuilder;
import io.tributary.client.Schema;
import io.tributary.client.TributaryClientException;
import io.tributary.protocol.TopicName;
import io.tributary.protocol.TributaryException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/** Collects a producer's settings. */
final class ProducerBuilderImpl<T> implements ProducerBuilder<T> {

    /** A producer's settings, fixed at creation. */
    record Config(String topic, String producerName, Duration sendTimeout, int maxPendingMessages,
                  boolean blockIfQueueFull, boolean batching, int batchingMaxMessages, int batchingMaxBytes,
                  Duration batchingMaxPublishDelay, BatchingType batchingType,
                  CompressionType compressionType) {}

    private final TributaryClientImpl client;
    private final Schema<T> schema;
    private String topic;
    private String producerName;
    private Duration sendTimeout = Duration.ofSeconds(30);
    private int maxPendingMessages = 1000;
    private boolean blockIfQueueFull = true;
    private boolean batching = true;
    private int batchingMaxMessages = 1000;
    private int batchingMaxBytes = 128 * 1024;
    private Duration batchingMaxPublishDelay = Duration.ofMillis(1);
    private BatchingType batchingType = BatchingType.DEFAULT;
    private CompressionType compressionType = CompressionType.NONE;

    ProducerBuilderImpl(TributaryClientImpl client, Schema<T> schema) {
        this.client = client;
        this.schema = schema;
    }

    @Override
    public ProducerBuilder<T> topic(String topic) {
        this.topic = topic;
        return this;
    }

    @Override
    public ProducerBuilder<T> producerName(String producerName) {
        this.producerName = producerName;
        return this;
    }

    @Override
    public ProducerBuilder<T> sendTimeout(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("the send timeout must not be negative");
        }
        this.sendTimeout = timeout;
        return this;
    }

    @Override
    public ProducerBuilder<T> maxPendingMessages(int max) {
        if (max < 1) {
            throw new IllegalArgumentException("maxPendingMessages must be at least 1");
        }
        this.maxPendingMessages = max;
        return this;
    }

    @Override
    public ProducerBuilder<T> blockIfQueueFull(boolean block) {
        this.blockIfQueueFull = block;
        return this;
    }

    @Override
    public ProducerBuilder<T> enableBatching(boolean enable) {
        this.batching = enable;
        return this;
    }

    @Override
    public ProducerBuilder<T> batchingType(BatchingType type) {
        this.batchingType = Objects.requireNonNull(type, "type");
        return this;
    }

    @Override
    public ProducerBuilder<T> batchingMaxMessages(int max) {
        if (max < 1) {
            throw new IllegalArgumentException("batchingMaxMessages must be at least 1");
        }
        this.batchingMaxMessages = max;
        return this;
    }

    @Override
    public ProducerBuilder<T> batchingMaxBytes(int max) {
        if (max < 1) {
            throw new IllegalArgumentException("batchingMaxBytes must be at least 1");
        }
        this.batchingMaxBytes = max;
        return this;
    }

    @Override
    public ProducerBuilder<T> batchingMaxPublishDelay(Duration delay) {
        Objects.requireNonNull(delay, "delay");
        if (delay.isNegative()) {
            throw new IllegalArgumentException("batchingMaxPublishDelay must not be negative");
        }
        this.batchingMaxPublishDelay = delay;
        return this;
    }

    @Override
    public ProducerBuilder<T> compressionType(CompressionType type) {
        if (type == null) {
            throw new IllegalArgumentException("compressionType must not be null; CompressionType.NONE turns compression off");
        }
        this.compressionType = type;
        return this;
    }

    @Override
    public Producer<T> create() throws TributaryClientException {
        return Futures.await(createAsync());
    }

    @Override
    public CompletableFuture<Producer<T>> createAsync() {
        TopicName name;
        try {
            name = TopicName.of(topic);
        } catch (TributaryException e) {
            return Futures.failed(TributaryClientException.of(e.detail(), e));
        }
        if (client.isClosed()) {
            return Futures.failed(new TributaryClientException.AlreadyClosedException("the client is closed"));
        }
        String n = producerName == null || producerName.isEmpty() ? null : producerName;
        Config config = new Config(name.toString(), n, sendTimeout, maxPendingMessages, blockIfQueueFull,
                batching, batchingMaxMessages, batchingMaxBytes, batchingMaxPublishDelay, batchingType,
                compressionType);
        return new ProducerImpl<>(client, config, schema, name.partitionIndex()).start();
    }
}
