package io.tributary.client;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * Configures and creates a {@link Producer}. Not thread-safe.
 *
 * @param <T> the value type
 */
public interface ProducerBuilder<T> {

    /** The topic, {@code tenant/namespace/topic} (a {@code persistent://} prefix is accepted). Required. */
    ProducerBuilder<T> topic(String topic);

    /**
     * A name unique on the topic. With a fixed name the broker remembers the last sequence id
     * stored and drops resent duplicates across producer restarts; by default the broker
     * assigns a unique name.
     */
    ProducerBuilder<T> producerName(String producerName);

    /**
     * The producer group: the transactions this producer sends in are checked back with a live producer of the
     * group (of any client) when they time out without an end.
     */
    ProducerBuilder<T> producerGroup(String group);

    /**
     * Answers the broker's check-backs for the producer group's transactions: the producer keeps a stream open for
     * them while it is open. Needs {@link #producerGroup}.
     */
    ProducerBuilder<T> transactionChecker(TransactionChecker checker);

    /** How long a message may wait for the broker's acknowledgement; zero disables. Default 30 s. */
    ProducerBuilder<T> sendTimeout(Duration timeout);

    /** How many messages may await acknowledgement at once. Default 1000. */
    ProducerBuilder<T> maxPendingMessages(int max);

    /**
     * Whether a send blocks while {@link #maxPendingMessages(int)} messages are pending (true,
     * the default) or fails at once with {@link TributaryClientException.ProducerQueueIsFullException}.
     */
    ProducerBuilder<T> blockIfQueueFull(boolean block);

    /** Whether messages sent close together are grouped into one entry. Default true. */
    ProducerBuilder<T> enableBatching(boolean enable);

    /**
     * How messages are grouped into batches. Default {@link BatchingType#DEFAULT}; use
     * {@link BatchingType#KEY_BASED} for topics read through Key_Shared subscriptions.
     */
    ProducerBuilder<T> batchingType(BatchingType type);

    /** At most this many messages per batch. Default 1000. */
    ProducerBuilder<T> batchingMaxMessages(int max);

    /** At most about this many bytes per batch. Default 128 KiB. */
    ProducerBuilder<T> batchingMaxBytes(int max);

    /** How long the first message of a batch waits for others. Default 1 ms. */
    ProducerBuilder<T> batchingMaxPublishDelay(Duration delay);

    /**
     * How batches are compressed: {@link CompressionType#NONE} (the default), {@code LZ4},
     * {@code ZSTD} or {@code SNAPPY}. The producer compresses each batch once; every consumer
     * decompresses whatever codec an entry names, so this can be changed at any time. Batching
     * limits ({@link #batchingMaxBytes(int)}, the broker's maximum message size) and the client's
     * memory limit count the bytes before compression.
     */
    ProducerBuilder<T> compressionType(CompressionType type);

    /**
     * How messages are spread over the partitions of a partitioned topic. Default
     * {@link MessageRoutingMode#RoundRobinPartition}; {@link MessageRoutingMode#CustomPartition}
     * needs {@link #messageRouter(MessageRouter)}. Ignored for a plain topic.
     */
    ProducerBuilder<T> messageRoutingMode(MessageRoutingMode mode);

    /**
     * Routes every message of a partitioned topic with this router, and sets the mode to
     * {@link MessageRoutingMode#CustomPartition}. Creating the producer fails if another mode
     * is set afterwards. Ignored for a plain topic.
     */
    ProducerBuilder<T> messageRouter(MessageRouter router);

    /**
     * Opens the producer, waiting at most the client's operation timeout. For a partitioned topic
     * (the client asks the cluster how many partitions the topic has), the producer opens one
     * stream per partition before it returns; it fails if any partition fails to open.
     */
    Producer<T> create() throws TributaryClientException;

    /** Opens the producer; the future fails with a {@link TributaryClientException}. */
    CompletableFuture<Producer<T>> createAsync();
}
