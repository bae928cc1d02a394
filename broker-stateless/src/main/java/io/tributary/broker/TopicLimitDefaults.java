package io.tributary.broker;

import com.google.common.base.Preconditions;
import io.tributary.api.v1.AutoTopicCreationType;
import io.tributary.protocol.config.Settings;
import java.time.Duration;
import java.time.temporal.ChronoUnit;

/**
 * The broker's defaults of the namespace limits that a namespace's policies may override
 * (docs/administration.md, "Namespace and topic limits"). 0 means no limit. The producers per
 * topic ({@code broker.maxProducersPerTopic}), the largest message ({@code broker.maxMessageSize}),
 * whether topics are created on first use ({@code broker.allowAutoTopicCreation}) and the ledgers'
 * replication ({@code broker.ensembleSize} ...) have their keys elsewhere.
 *
 * @param maxConsumersPerTopic      consumers one topic accepts, over all its subscriptions
 * @param maxSubscriptionsPerTopic  subscriptions one topic has, readers' included
 * @param maxTopicsPerNamespace     topics of one namespace, a partitioned topic counting as its partitions
 * @param autoTopicCreationType     what a topic created on first use is: NON_PARTITIONED or PARTITIONED
 * @param defaultNumPartitions      the partitions of a topic created on first use when PARTITIONED
 * @param deduplicationEnabled      whether batches a producer already stored are dropped
 * @param subscriptionExpirationTime a durable subscription without consumers this long is deleted; 0 never
 * @param maxPartitions             the most partitions a topic may have (CreateTopic, auto creation's partitions)
 */
public record TopicLimitDefaults(int maxConsumersPerTopic, int maxSubscriptionsPerTopic, int maxTopicsPerNamespace,
                                 AutoTopicCreationType autoTopicCreationType, int defaultNumPartitions,
                                 boolean deduplicationEnabled, Duration subscriptionExpirationTime, int maxPartitions) {

    /** The highest {@code broker.maxPartitions} may be. */
    public static final int MAX_PARTITIONS = 100_000;

    public static final TopicLimitDefaults DEFAULT = new TopicLimitDefaults(0, 0, 0,
            AutoTopicCreationType.AUTO_TOPIC_CREATION_TYPE_NON_PARTITIONED, 1, true, Duration.ZERO, 10_000);

    public TopicLimitDefaults {
        Preconditions.checkArgument(maxConsumersPerTopic >= 0, "broker.maxConsumersPerTopic must be >= 0 (0: no limit), was %s",
                maxConsumersPerTopic);
        Preconditions.checkArgument(maxSubscriptionsPerTopic >= 0,
                "broker.maxSubscriptionsPerTopic must be >= 0 (0: no limit), was %s", maxSubscriptionsPerTopic);
        Preconditions.checkArgument(maxTopicsPerNamespace >= 0, "broker.maxTopicsPerNamespace must be >= 0 (0: no limit), was %s",
                maxTopicsPerNamespace);
        Preconditions.checkArgument(autoTopicCreationType == AutoTopicCreationType.AUTO_TOPIC_CREATION_TYPE_NON_PARTITIONED
                        || autoTopicCreationType == AutoTopicCreationType.AUTO_TOPIC_CREATION_TYPE_PARTITIONED,
                "broker.autoTopicCreationType must be non-partitioned or partitioned, was %s", autoTopicCreationType);
        Preconditions.checkArgument(maxPartitions >= 1 && maxPartitions <= MAX_PARTITIONS,
                "broker.maxPartitions must be in [1, %s], was %s", MAX_PARTITIONS, maxPartitions);
        Preconditions.checkArgument(defaultNumPartitions >= 1 && defaultNumPartitions <= maxPartitions,
                "broker.defaultNumPartitions must be in [1, broker.maxPartitions=%s], was %s", maxPartitions,
                defaultNumPartitions);
        Preconditions.checkArgument(!subscriptionExpirationTime.isNegative(),
                "broker.subscriptionExpirationTime must be >= 0 (0: never), was %s", subscriptionExpirationTime);
    }

    /** Reads the {@code broker.*} keys, each defaulting to {@link #DEFAULT}'s. */
    public static TopicLimitDefaults from(Settings s) {
        TopicLimitDefaults d = DEFAULT;
        String type = s.get("broker.autoTopicCreationType", "non-partitioned");
        AutoTopicCreationType t = switch (type) {
            case "non-partitioned" -> AutoTopicCreationType.AUTO_TOPIC_CREATION_TYPE_NON_PARTITIONED;
            case "partitioned" -> AutoTopicCreationType.AUTO_TOPIC_CREATION_TYPE_PARTITIONED;
            default -> throw new IllegalArgumentException(
                    "broker.autoTopicCreationType must be non-partitioned or partitioned, was " + type);
        };
        return new TopicLimitDefaults(
                s.getInt("broker.maxConsumersPerTopic", d.maxConsumersPerTopic()),
                s.getInt("broker.maxSubscriptionsPerTopic", d.maxSubscriptionsPerTopic()),
                s.getInt("broker.maxTopicsPerNamespace", d.maxTopicsPerNamespace()),
                t,
                s.getInt("broker.defaultNumPartitions", d.defaultNumPartitions()),
                s.getBoolean("broker.deduplicationEnabled", d.deduplicationEnabled()),
                s.getDuration("broker.subscriptionExpirationTime", d.subscriptionExpirationTime(), ChronoUnit.SECONDS),
                s.getInt("broker.maxPartitions", d.maxPartitions()));
    }

    public TopicLimitDefaults withSubscriptionExpirationTime(Duration d) {
        return new TopicLimitDefaults(maxConsumersPerTopic, maxSubscriptionsPerTopic, maxTopicsPerNamespace,
                autoTopicCreationType, defaultNumPartitions, deduplicationEnabled, d, maxPartitions);
    }
}
