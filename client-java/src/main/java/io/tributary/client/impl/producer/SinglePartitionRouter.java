package io.tributary.client.impl.producer;

import io.tributary.client.Message;
import io.tributary.client.MessageRouter;
import io.tributary.client.MessageRoutingMode;
import io.tributary.client.TopicMetadata;

/** {@link MessageRoutingMode#SinglePartition}: keyed messages by key hash, the others all to one partition. */
final class SinglePartitionRouter implements MessageRouter {
    /** Picked at random when the producer is made; taken modulo the partition count. */
    private final int chosen;

    SinglePartitionRouter(int chosen) {
        this.chosen = chosen & Integer.MAX_VALUE;
    }

    @Override
    public int choosePartition(Message<?> msg, TopicMetadata metadata) {
        int n = metadata.numPartitions();
        return msg.hasKey() ? MessageRouter.partitionForKey(msg.getKey(), n) : chosen % n;
    }
}
