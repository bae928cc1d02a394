package io.tributary.client.admin;

import io.tributary.client.MessageId;
import io.tributary.client.SubscriptionType;
import java.util.List;

/**
 * One subscription of a topic. Of a partitioned topic, the sum over the partitions that have it:
 * counts and rates added, no mark-delete position, and each consumer listed once with its figures
 * added over the partitions (a consumer of a partitioned topic reads every partition under one name).
 *
 * @param name               the subscription's name
 * @param type               its type; null while no consumer attached since its broker loaded the topic
 * @param durable            false for a reader's subscription
 * @param msgBacklog         messages not acknowledged yet (estimated from entries for batches)
 * @param backlogBytes       bytes not acknowledged yet
 * @param msgRateOut         messages per second delivered
 * @param msgOutTotal        messages delivered since the topic was loaded on its broker
 * @param msgRateRedeliver   messages per second delivered again
 * @param redeliveredTotal   messages delivered again since the topic was loaded
 * @param unackedMessages    messages delivered to consumers and not acknowledged yet
 * @param delayedMessages    messages held back by deliverAfter/deliverAt
 * @param markDeletePosition everything at or before this entry is acknowledged (batch index -1);
 *                           null in a sum over partitions
 * @param ackedRanges        ranges acknowledged out of order beyond the mark-delete position
 * @param expiredTotal       messages expired by the namespace's TTL
 * @param consumers          the connected consumers
 * @param deadLetteredTotal  messages its consumers sent to the dead-letter topic since the topic was loaded
 * @param oldestBacklogPublishTimeMs the publish time (epoch ms) of the oldest unacknowledged message:
 *                           the backlog's age is now minus this; 0 with no backlog or not known yet
 *                           (of a partitioned topic: the oldest over the partitions)
 * @param dispatchRate       the dispatch rate limit in force for the subscription (of a partitioned
 *                           topic: for each partition); 0s: none
 * @param dispatchThrottledMsTotal time its dispatch waited for tokens (its own or its topic's dispatch
 *                           limit) since the topic was loaded, in milliseconds (summed over partitions)
 */
public record SubscriptionStats(String name, SubscriptionType type, boolean durable, long msgBacklog, long backlogBytes,
                                double msgRateOut, long msgOutTotal, double msgRateRedeliver, long redeliveredTotal,
                                long unackedMessages, long delayedMessages, MessageId markDeletePosition,
                                long ackedRanges, long expiredTotal, List<ConsumerStats> consumers, long deadLetteredTotal,
                                long oldestBacklogPublishTimeMs, Rate dispatchRate, long dispatchThrottledMsTotal) {

    /** Copies the list of consumers, so that the record stays immutable. */
    public SubscriptionStats {
        consumers = List.copyOf(consumers);
    }
}
