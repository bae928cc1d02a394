package io.tributary.client.impl.producer;

import io.tributary.api.v1.ErrorReason;
import io.tributary.client.BatchingType;
import io.tributary.client.CompressionType;
import io.tributary.client.MessageRouter;
import io.tributary.client.MessageRoutingMode;
import io.tributary.client.Producer;
import io.tributary.client.ProducerBuilder;
import io.tributary.client.Schema;
import io.tributary.client.TransactionChecker;
import io.tributary.client.TributaryClientException;
import io.tributary.client.impl.ClientContext;
import io.tributary.client.impl.Futures;
import io.tributary.protocol.TopicName;
import io.tributary.protocol.TributaryException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/** Collects a producer's settings. */
public final class ProducerBuilderImpl<T> implements ProducerBuilder<T> {

    /** A producer's settings, fixed at creation. */
    record Config(String topic, String producerName, Duration sendTimeout, int maxPendingMessages,
                  boolean blockIfQueueFull, boolean batching, int batchingMaxMessages, int batchingMaxBytes,
                  Duration batchingMaxPublishDelay, BatchingType batchingType,
                  CompressionType compressionType, String initialSubscription, String producerGroup,
                  TransactionChecker transactionChecker) {}

    private final ClientContext client;
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
    private MessageRoutingMode routingMode = MessageRoutingMode.RoundRobinPartition;
    private MessageRouter router;
    private String initialSubscription;
    private String producerGroup = "";
    private TransactionChecker transactionChecker;

    public ProducerBuilderImpl(ClientContext client, Schema<T> schema) {
        this.client = client;
        this.schema = schema;
    }

    /**
     * A durable subscription the broker creates at the end of the topic (if missing) before the
     * producer opens, so that what it publishes is kept for it: the SDK's dead-letter producers.
     */
    public ProducerBuilderImpl<T> initialSubscription(String subscription) {
        this.initialSubscription = subscription;
        return this;
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
    public ProducerBuilder<T> producerGroup(String group) {
        this.producerGroup = Objects.requireNonNull(group, "group");
        return this;
    }

    @Override
    public ProducerBuilder<T> transactionChecker(TransactionChecker checker) {
        this.transactionChecker = Objects.requireNonNull(checker, "checker");
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
    public ProducerBuilder<T> messageRoutingMode(MessageRoutingMode mode) {
        this.routingMode = Objects.requireNonNull(mode, "mode");
        return this;
    }

    @Override
    public ProducerBuilder<T> messageRouter(MessageRouter router) {
        this.router = Objects.requireNonNull(router, "router");
        this.routingMode = MessageRoutingMode.CustomPartition;
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
        if (transactionChecker != null && producerGroup.isEmpty()) {
            return Futures.failed(new TributaryClientException(ErrorReason.INVALID_REQUEST,
                    "a transaction checker answers for a producer group: set producerGroup too", null));
        }
        MessageRouter routing;
        try {
            routing = router();
        } catch (TributaryClientException e) {
            return Futures.failed(e);
        }
        if (name.partitionIndex() >= 0) {
            // a partition is a plain topic of its own
            return new ProducerImpl<>(client, config(name.toString(), n), schema, name.partitionIndex()).start();
        }
        return client.topicLookup().partitions(name.toString()).thenCompose(partitions -> partitions == 0
                ? new ProducerImpl<>(client, config(name.toString(), n), schema, -1).start()
                : PartitionedProducerImpl.create(client, name, partitions, schema, routing, n, this::config));
    }

    /** The settings of a producer of one topic (or partition). */
    private Config config(String topic, String name) {
        return new Config(topic, name, sendTimeout, maxPendingMessages, blockIfQueueFull, batching,
                batchingMaxMessages, batchingMaxBytes, batchingMaxPublishDelay, batchingType, compressionType,
                initialSubscription, producerGroup, transactionChecker);
    }

    /** The router of the routing mode, for a partitioned topic. */
    private MessageRouter router() throws TributaryClientException {
        switch (routingMode) {
            case CustomPartition:
                if (router == null) {
                    throw new TributaryClientException(ErrorReason.INVALID_REQUEST,
                            "messageRoutingMode CustomPartition needs a messageRouter", null);
                }
                return router;
            case SinglePartition:
                checkNoRouter();
                return new SinglePartitionRouter(ThreadLocalRandom.current().nextInt());
            case RoundRobinPartition:
            default:
                checkNoRouter();
                // with batching, stay on a partition while a batch fills
                long switchNanos = batching ? Math.max(TimeUnit.MILLISECONDS.toNanos(1),
                        batchingMaxPublishDelay.toNanos()) : 0;
                return new RoundRobinPartitionRouter(switchNanos);
        }
    }

    private void checkNoRouter() throws TributaryClientException {
        if (router != null) {
            throw new TributaryClientException(ErrorReason.INVALID_REQUEST, "a messageRouter is set, but "
                    + "messageRoutingMode is " + routingMode + ": a router needs CustomPartition", null);
        }
    }
}
