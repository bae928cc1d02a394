package io.tributary.client.impl.producer;

import io.tributary.client.Message;
import io.tributary.client.MessageRouter;
import io.tributary.client.MessageRoutingMode;
import io.tributary.client.TopicMetadata;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * {@link MessageRoutingMode#RoundRobinPartition}: keyed messages by key hash, the others round
 * robin. With batching the partition changes once per switch interval rather than per message,
 * so that the messages sent within the interval can share a batch (as Pulsar does); the
 * interval is the batching delay, at least 1 ms.
 */
final class RoundRobinPartitionRouter implements MessageRouter {
    private final long switchNanos;
    private final LongSupplier nanoClock;
    /** Where the rotation starts, so that many short-lived producers do not all begin at 0. */
    private final int start;
    private final AtomicInteger next;

    /** @param switchNanos how long to stay on a partition; 0 moves on with every message */
    RoundRobinPartitionRouter(long switchNanos) {
        this(switchNanos, System::nanoTime, ThreadLocalRandom.current().nextInt(Integer.MAX_VALUE));
    }

    RoundRobinPartitionRouter(long switchNanos, LongSupplier nanoClock, int start) {
        this.switchNanos = switchNanos;
        this.nanoClock = nanoClock;
        this.start = start;
        this.next = new AtomicInteger(start);
    }

    @Override
    public int choosePartition(Message<?> msg, TopicMetadata metadata) {
        int n = metadata.numPartitions();
        if (msg.hasKey()) {
            return MessageRouter.partitionForKey(msg.getKey(), n);
        }
        if (switchNanos <= 0) {
            return Math.floorMod(next.getAndIncrement(), n);
        }
        long slot = Math.floorDiv(nanoClock.getAsLong(), switchNanos);
        return (int) Math.floorMod(slot + start, (long) n);
    }
}
