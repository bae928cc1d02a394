package io.tributary.client.admin;

import java.util.List;

/**
 * A topic's rates, storage and subscriptions, as its owner sees them. Rates are per second over
 * the broker's last interval, totals count since the topic was loaded on its broker. For a
 * partitioned topic every figure is the sum over its partitions, subscriptions of the same name
 * are summed into one ({@link SubscriptionStats}), and {@link #partitions()} holds each
 * partition's own stats; it is empty for a topic that is not partitioned.
 *
 * @param topic            the canonical topic name
 * @param msgRateIn        messages per second published
 * @param msgRateOut       messages per second delivered, over all subscriptions
 * @param bytesRateIn      bytes per second published
 * @param bytesRateOut     bytes per second delivered
 * @param msgInTotal       messages published
 * @param msgOutTotal      messages delivered
 * @param storageSizeBytes bytes stored
 * @param entries          entries (batches) stored
 * @param ledgers          ledgers the data lives in
 * @param producers        producers connected
 * @param backlogBytes     the largest backlog of any subscription, in bytes
 * @param subscriptions    the subscriptions, by name
 * @param partitions       each partition's stats, in partition order; empty if not partitioned
 * @param publishers       the producers connected, by name (of a partitioned topic: every partition's)
 * @param backlogQuotaLimitBytes the backlog quota in force, the largest backlog one subscription may
 *                         have; 0 when there is none
 * @param publishRate      the publish rate limit in force for the topic (of a partitioned topic: for each
 *                         partition); 0s: none
 * @param namespacePublishRateShare the share of its namespace's publish limit its broker enforces (of a
 *                         partitioned topic: the largest over the partitions); 0s: none
 * @param publishThrottledMsTotal time its producers were held back for want of publish tokens since the topic
 *                         was loaded, in milliseconds (summed over partitions)
 */
public record TopicStats(String topic, double msgRateIn, double msgRateOut, double bytesRateIn, double bytesRateOut,
                         long msgInTotal, long msgOutTotal, long storageSizeBytes, long entries, int ledgers,
                         int producers, long backlogBytes, List<SubscriptionStats> subscriptions,
                         List<TopicStats> partitions, List<PublisherStats> publishers, long backlogQuotaLimitBytes,
                         Rate publishRate, Rate namespacePublishRateShare, long publishThrottledMsTotal) {

    /** Copies the lists, so that the record stays immutable. */
    public TopicStats {
        subscriptions = List.copyOf(subscriptions);
        partitions = List.copyOf(partitions);
        publishers = List.copyOf(publishers);
    }

    /** The subscription of that name, or null. */
    public SubscriptionStats subscription(String name) {
        for (SubscriptionStats s : subscriptions) {
            if (s.name().equals(name)) {
                return s;
            }
        }
        return null;
    }
}
