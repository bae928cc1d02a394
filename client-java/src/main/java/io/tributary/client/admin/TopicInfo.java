package io.tributary.client.admin;

import java.util.List;

/**
 * What a topic holds (summed over the partitions of a partitioned topic).
 *
 * @param topic         the canonical topic name
 * @param partitions    its partitions; 0 if it is not partitioned
 * @param subscriptions its durable subscriptions, sorted (of any partition)
 * @param entries       entries (batches) stored
 * @param sizeBytes     bytes stored
 * @param ledgers       ledgers the data lives in
 */
public record TopicInfo(String topic, int partitions, List<String> subscriptions, long entries, long sizeBytes,
                        int ledgers) {

    /** Copies the list of subscriptions, so that the record stays immutable. */
    public TopicInfo {
        subscriptions = List.copyOf(subscriptions);
    }
}
