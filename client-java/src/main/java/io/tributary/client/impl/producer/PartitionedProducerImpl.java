package io.tributary.client.impl.producer;

import io.tributary.api.v1.ErrorReason;
import io.tributary.client.MessageId;
import io.tributary.client.MessageRouter;
import io.tributary.client.Producer;
import io.tributary.client.ProducerStats;
import io.tributary.client.Schema;
import io.tributary.client.TopicMetadata;
import io.tributary.client.Transaction;
import io.tributary.client.TributaryClientException;
import io.tributary.client.TypedMessageBuilder;
import io.tributary.client.impl.ClientContext;
import io.tributary.client.impl.Futures;
import io.tributary.protocol.TopicName;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A producer of a partitioned topic: one {@link ProducerImpl} per partition, all opened before
 * {@code create()} returns (so that a partition that cannot be written fails the creation, not
 * a send much later), and a {@link MessageRouter} that picks the partition of each message.
 * Every partition's producer has the same name: the one given, or else the one the broker
 * assigned to partition 0's. Sequence ids, batching and the pending-message bound are per
 * partition.
 */
final class PartitionedProducerImpl<T> implements Producer<T> {
    private static final Logger LOG = LoggerFactory.getLogger(PartitionedProducerImpl.class);

    private final String topic;
    private final Schema<T> schema;
    private final List<ProducerImpl<T>> partitions;
    private final MessageRouter router;
    private final TopicMetadata metadata;
    /** Shared by the partitions' producers, so that counts and latency percentiles cover them all. */
    private final ProducerStatsRecorder stats;

    private PartitionedProducerImpl(String topic, Schema<T> schema, List<ProducerImpl<T>> partitions,
                                    MessageRouter router, ProducerStatsRecorder stats) {
        this.topic = topic;
        this.stats = stats;
        this.schema = schema;
        this.partitions = partitions;
        this.router = router;
        int n = partitions.size();
        this.metadata = () -> n;
    }

    /**
     * Opens partition 0's producer, then the others under its name.
     *
     * @param configFor the settings of one partition's producer, from its topic and producer name
     */
    static <T> CompletableFuture<Producer<T>> create(ClientContext client, TopicName topic, int numPartitions,
                                                     Schema<T> schema, MessageRouter router, String producerName,
                                                     BiFunction<String, String, ProducerBuilderImpl.Config> configFor) {
        ProducerStatsRecorder stats = new ProducerStatsRecorder();
        ProducerImpl<T> first = new ProducerImpl<>(client, configFor.apply(topic.partition(0).toString(), producerName),
                schema, 0, stats);
        return first.start().thenCompose(p0 -> {
            String name = p0.getProducerName();
            List<ProducerImpl<T>> all = new ArrayList<>(numPartitions);
            List<CompletableFuture<Producer<T>>> opening = new ArrayList<>(numPartitions);
            all.add(first);
            opening.add(CompletableFuture.completedFuture(p0));
            for (int i = 1; i < numPartitions; i++) {
                ProducerImpl<T> p = new ProducerImpl<>(client, configFor.apply(topic.partition(i).toString(), name),
                        schema, i, stats);
                all.add(p);
                opening.add(p.start());
            }
            return CompletableFuture.allOf(opening.toArray(CompletableFuture<?>[]::new))
                    .handle((v, t) -> {
                        if (t == null) {
                            LOG.info("[{}] Producer {} created on {} partitions", topic, name, numPartitions);
                            return CompletableFuture.<Producer<T>>completedFuture(
                                    new PartitionedProducerImpl<>(topic.toString(), schema, List.copyOf(all), router, stats));
                        }
                        // the partitions that did open must not linger
                        List<CompletableFuture<Void>> closing = new ArrayList<>();
                        for (ProducerImpl<T> p : all) {
                            closing.add(p.closeAsync().exceptionally(e -> null));
                        }
                        return CompletableFuture.allOf(closing.toArray(CompletableFuture<?>[]::new))
                                .<Producer<T>>thenCompose(x -> CompletableFuture.failedFuture(t));
                    })
                    .thenCompose(f -> f);
        }).exceptionallyCompose(t -> {
            first.closeAsync();
            return CompletableFuture.failedFuture(TributaryClientException.from(t));
        });
    }

    // ---------------------------------------------------------------- sending

    @Override
    public MessageId send(T value) throws TributaryClientException {
        return Futures.await(sendAsync(value));
    }

    @Override
    public CompletableFuture<MessageId> sendAsync(T value) {
        return newMessage().value(value).sendAsync();
    }

    @Override
    public TypedMessageBuilder<T> newMessage() {
        return new TypedMessageBuilderImpl<>(this::route);
    }

    @Override
    public TypedMessageBuilder<T> newMessage(Transaction transaction) {
        return new TypedMessageBuilderImpl<>(this::route).inTransaction(transaction);
    }

    /** Sends a message through the partition its router picks. */
    private CompletableFuture<MessageId> route(TypedMessageBuilderImpl<T> m) {
        if (m.value == null) {
            return Futures.failed(new TributaryClientException(ErrorReason.INVALID_REQUEST, "the message has no value", null));
        }
        int n = partitions.size();
        int p;
        try {
            p = router.choosePartition(new RoutedMessage<>(m, schema, topic), metadata);
        } catch (RuntimeException e) {
            stats.failed(1);
            return Futures.failed(new TributaryClientException(ErrorReason.INVALID_REQUEST,
                    "the message router failed to choose a partition of " + topic + ": " + e, e));
        }
        if (p < 0 || p >= n) {
            stats.failed(1);
            return Futures.failed(new TributaryClientException(ErrorReason.INVALID_REQUEST,
                    "the message router chose partition " + p + ", but " + topic + " has partitions 0 to " + (n - 1),
                    null));
        }
        return partitions.get(p).sendAsync(m);
    }

    @Override
    public void flush() throws TributaryClientException {
        Futures.await(flushAsync());
    }

    /** Flushes every partition. */
    @Override
    public CompletableFuture<Void> flushAsync() {
        return CompletableFuture.allOf(partitions.stream().map(ProducerImpl::flushAsync).toArray(CompletableFuture<?>[]::new));
    }

    /** The stats of all partitions together: one histogram, so the percentiles are over every send. */
    @Override
    public ProducerStats getStats() {
        return stats.snapshot();
    }

    // ---------------------------------------------------------------- closing

    @Override
    public void close() throws TributaryClientException {
        Futures.await(closeAsync());
    }

    /** Closes every partition's producer, each waiting for its pending sends. */
    @Override
    public CompletableFuture<Void> closeAsync() {
        return CompletableFuture.allOf(partitions.stream().map(ProducerImpl::closeAsync).toArray(CompletableFuture<?>[]::new));
    }

    // ---------------------------------------------------------------- accessors

    /** The partitioned topic's name. */
    @Override
    public String getTopic() {
        return topic;
    }

    @Override
    public String getProducerName() {
        return partitions.get(0).getProducerName();
    }

    /** The highest sequence id acknowledged on any partition (each partition numbers its own messages). */
    @Override
    public long getLastSequenceId() {
        long max = -1;
        for (ProducerImpl<T> p : partitions) {
            max = Math.max(max, p.getLastSequenceId());
        }
        return max;
    }

    /** Whether every partition's producer is connected. */
    @Override
    public boolean isConnected() {
        return partitions.stream().allMatch(ProducerImpl::isConnected);
    }

    @Override
    public String toString() {
        return "Producer{topic=" + topic + ", partitions=" + partitions.size() + ", name=" + getProducerName() + "}";
    }
}
