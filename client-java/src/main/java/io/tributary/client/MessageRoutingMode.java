package io.tributary.client;

/**
 * How a producer of a partitioned topic picks the partition of each message. Messages with a key
 * always go to the partition of their key's hash ({@link MessageRouter#partitionForKey}) in the
 * two built-in modes, so every message of a key lands on one partition, in order. The mode
 * matters only for partitioned topics; a producer of a plain topic ignores it.
 */
public enum MessageRoutingMode {
    /**
     * Messages without a key go round robin over all partitions. With batching enabled the
     * producer stays on one partition for {@link ProducerBuilder#batchingMaxPublishDelay} (at
     * least 1 ms) before it moves to the next, so that batches fill as they would on a plain
     * topic; without batching, every message moves to the next partition. The default.
     */
    RoundRobinPartition,
    /**
     * Messages without a key all go to one partition, picked at random when the producer is
     * created: order across keyless messages is kept, at the cost of spreading no load.
     */
    SinglePartition,
    /** The {@link MessageRouter} given with {@link ProducerBuilder#messageRouter(MessageRouter)} picks the partition of every message. */
    CustomPartition
}
