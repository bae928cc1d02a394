package io.tributary.client;

import com.google.common.hash.Hashing;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * Picks the partition of each message sent to a partitioned topic, for
 * {@link MessageRoutingMode#CustomPartition}. Called on the sending thread, once per message,
 * before the message is queued: it must be fast, thread-safe and must not block.
 *
 * <pre>{@code
 * Producer<String> p = client.newProducer(Schema.STRING).topic("acme/shop/orders")
 *         .messageRouter((msg, topic) -> "vip".equals(msg.getProperty("tier")) ? 0
 *                 : MessageRouter.partitionForKey(msg.getKey(), topic.numPartitions()))
 *         .create();
 * }</pre>
 */
@FunctionalInterface
public interface MessageRouter {

    /**
     * The partition for {@code msg}, in {@code [0, metadata.numPartitions())}. A number outside
     * that range, or an exception, fails this message's send (with a
     * {@link TributaryClientException} saying so); the producer stays usable.
     *
     * <p>{@code msg} is the message being sent: its value, data, key, properties, event time and
     * sequence id (-1 unless set explicitly) are known; its message id, publish time and producer
     * name are not yet (null, 0 and null), and its topic is the partitioned topic's name.
     */
    int choosePartition(Message<?> msg, TopicMetadata metadata);

    /**
     * The partition of a key in the built-in routing modes, so that every client, in any language,
     * can place keys the same way: the 32-bit Murmur3 hash (x86 variant, seed 0) of the key's UTF-8
     * bytes, read as a little-endian int, with its sign bit cleared, modulo the number of
     * partitions. For example the key {@code "order-42"} with 4 partitions lands where
     * {@code (murmur3_32("order-42") & 0x7fffffff) % 4} says.
     *
     * @throws IllegalArgumentException if {@code numPartitions} is not positive
     * @throws NullPointerException if {@code key} is null
     */
    static int partitionForKey(String key, int numPartitions) {
        Objects.requireNonNull(key, "key");
        if (numPartitions < 1) {
            throw new IllegalArgumentException("numPartitions must be at least 1, was " + numPartitions);
        }
        int hash = Hashing.murmur3_32_fixed().hashBytes(key.getBytes(StandardCharsets.UTF_8)).asInt();
        return (hash & Integer.MAX_VALUE) % numPartitions;
    }
}
