package io.tributary.client.impl.admin;

import io.tributary.api.v1.GetTopicResponse;
import io.tributary.client.MessageId;
import io.tributary.client.SubscriptionType;
import io.tributary.client.admin.AutoTopicCreation;
import io.tributary.client.admin.BacklogQuota;
import io.tributary.client.admin.BacklogQuotaPolicy;
import io.tributary.client.admin.ConsumerStats;
import io.tributary.client.admin.NamespacePolicies;
import io.tributary.client.admin.Persistence;
import io.tributary.client.admin.PublisherStats;
import io.tributary.client.admin.Rate;
import io.tributary.client.admin.SubscriptionStats;
import io.tributary.client.admin.TopicInfo;
import io.tributary.client.admin.TopicStats;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/** Between the protocol's admin messages and the admin client's value types; sums over partitions. */
final class AdminConversions {
    private AdminConversions() {}

    // ---------------------------------------------------------------- policies

    static NamespacePolicies policies(io.tributary.api.v1.NamespacePolicies p) {
        NamespacePolicies.Builder b = NamespacePolicies.builder();
        // the server validated what it stored; anything else would be a newer server's meaning
        if (p.hasRetentionTimeSeconds()) {
            b.retentionTimeSeconds(Math.max(NamespacePolicies.FOREVER, p.getRetentionTimeSeconds()));
        }
        if (p.hasRetentionSizeBytes()) {
            b.retentionSizeBytes(Math.max(NamespacePolicies.NO_LIMIT, p.getRetentionSizeBytes()));
        }
        if (p.hasMessageTtlSeconds()) {
            b.messageTtlSeconds(Math.max(0, p.getMessageTtlSeconds()));
        }
        if (p.hasBacklogQuota()) {
            b.backlogQuota(p.getBacklogQuota().getLimitBytes(), policy(p.getBacklogQuota().getPolicy()));
        }
        if (p.hasPublishRatePerTopic()) {
            b.publishRatePerTopic(new Rate(Math.max(0, p.getPublishRatePerTopic().getMessagesPerSecond()), Math.max(0, p.getPublishRatePerTopic().getBytesPerSecond())));
        }
        if (p.hasPublishRatePerNamespace()) {
            b.publishRatePerNamespace(new Rate(Math.max(0, p.getPublishRatePerNamespace().getMessagesPerSecond()), Math.max(0, p.getPublishRatePerNamespace().getBytesPerSecond())));
        }
        if (p.hasDispatchRatePerSubscription()) {
            b.dispatchRatePerSubscription(new Rate(Math.max(0, p.getDispatchRatePerSubscription().getMessagesPerSecond()), Math.max(0, p.getDispatchRatePerSubscription().getBytesPerSecond())));
        }
        if (p.hasDispatchRatePerTopic()) {
            b.dispatchRatePerTopic(new Rate(Math.max(0, p.getDispatchRatePerTopic().getMessagesPerSecond()), Math.max(0, p.getDispatchRatePerTopic().getBytesPerSecond())));
        }
        if (p.hasMaxProducersPerTopic()) {
            b.maxProducersPerTopic(Math.max(0, p.getMaxProducersPerTopic()));
        }
        if (p.hasMaxConsumersPerTopic()) {
            b.maxConsumersPerTopic(Math.max(0, p.getMaxConsumersPerTopic()));
        }
        if (p.hasMaxSubscriptionsPerTopic()) {
            b.maxSubscriptionsPerTopic(Math.max(0, p.getMaxSubscriptionsPerTopic()));
        }
        if (p.hasMaxTopicsPerNamespace()) {
            b.maxTopicsPerNamespace(Math.max(0, p.getMaxTopicsPerNamespace()));
        }
        if (p.hasMaxMessageSizeBytes()) {
            b.maxMessageSizeBytes(Math.max(0, p.getMaxMessageSizeBytes()));
        }
        if (p.hasSubscriptionExpirationSeconds()) {
            b.subscriptionExpirationSeconds(Math.max(0, p.getSubscriptionExpirationSeconds()));
        }
        if (p.hasAutoTopicCreation()) {
            autoTopicCreation(p.getAutoTopicCreation()).ifPresent(b::autoTopicCreation);
        }
        if (p.hasDeduplicationEnabled()) {
            b.deduplicationEnabled(p.getDeduplicationEnabled());
        }
        if (p.hasPersistence()) {
            io.tributary.api.v1.Persistence q = p.getPersistence();
            try {
                b.persistence(new Persistence(q.getEnsembleSize(), q.getWriteQuorum(), q.getAckQuorum()));
            } catch (IllegalArgumentException e) {
                // not something this server stores: left out rather than failing the read
            }
        }
        return b.build();
    }

    static io.tributary.api.v1.NamespacePolicies toProto(NamespacePolicies p) {
        io.tributary.api.v1.NamespacePolicies.Builder b = io.tributary.api.v1.NamespacePolicies.newBuilder();
        p.retentionTimeSeconds().ifPresent(b::setRetentionTimeSeconds);
        p.retentionSizeBytes().ifPresent(b::setRetentionSizeBytes);
        p.messageTtlSeconds().ifPresent(b::setMessageTtlSeconds);
        p.backlogQuota().ifPresent(q -> b.setBacklogQuota(io.tributary.api.v1.BacklogQuota.newBuilder()
                .setLimitBytes(q.limitBytes()).setPolicy(toProto(q.policy()))));
        p.publishRatePerTopic().ifPresent(r -> b.setPublishRatePerTopic(toProto(r)));
        p.publishRatePerNamespace().ifPresent(r -> b.setPublishRatePerNamespace(toProto(r)));
        p.dispatchRatePerSubscription().ifPresent(r -> b.setDispatchRatePerSubscription(toProto(r)));
        p.dispatchRatePerTopic().ifPresent(r -> b.setDispatchRatePerTopic(toProto(r)));
        p.maxProducersPerTopic().ifPresent(b::setMaxProducersPerTopic);
        p.maxConsumersPerTopic().ifPresent(b::setMaxConsumersPerTopic);
        p.maxSubscriptionsPerTopic().ifPresent(b::setMaxSubscriptionsPerTopic);
        p.maxTopicsPerNamespace().ifPresent(b::setMaxTopicsPerNamespace);
        p.maxMessageSizeBytes().ifPresent(b::setMaxMessageSizeBytes);
        p.subscriptionExpirationSeconds().ifPresent(b::setSubscriptionExpirationSeconds);
        p.autoTopicCreation().ifPresent(a -> b.setAutoTopicCreation(io.tributary.api.v1.AutoTopicCreation.newBuilder()
                .setType(switch (a.type()) {
                    case DISABLED -> io.tributary.api.v1.AutoTopicCreationType.AUTO_TOPIC_CREATION_TYPE_DISABLED;
                    case NON_PARTITIONED -> io.tributary.api.v1.AutoTopicCreationType.AUTO_TOPIC_CREATION_TYPE_NON_PARTITIONED;
                    case PARTITIONED -> io.tributary.api.v1.AutoTopicCreationType.AUTO_TOPIC_CREATION_TYPE_PARTITIONED;
                }).setPartitions(a.partitions())));
        p.deduplicationEnabled().ifPresent(b::setDeduplicationEnabled);
        p.persistence().ifPresent(q -> b.setPersistence(io.tributary.api.v1.Persistence.newBuilder()
                .setEnsembleSize(q.ensembleSize()).setWriteQuorum(q.writeQuorum()).setAckQuorum(q.ackQuorum())));
        return b.build();
    }

    private static io.tributary.api.v1.Rate toProto(Rate r) {
        return io.tributary.api.v1.Rate.newBuilder().setMessagesPerSecond(r.messagesPerSecond())
                .setBytesPerSecond(r.bytesPerSecond()).build();
    }

    private static java.util.Optional<AutoTopicCreation> autoTopicCreation(io.tributary.api.v1.AutoTopicCreation a) {
        try {
            switch (a.getType()) {
                case AUTO_TOPIC_CREATION_TYPE_DISABLED:
                    return java.util.Optional.of(AutoTopicCreation.disabled());
                case AUTO_TOPIC_CREATION_TYPE_NON_PARTITIONED:
                    return java.util.Optional.of(AutoTopicCreation.nonPartitioned());
                case AUTO_TOPIC_CREATION_TYPE_PARTITIONED:
                    return java.util.Optional.of(AutoTopicCreation.partitioned(a.getPartitions()));
                default:
                    return java.util.Optional.empty();
            }
        } catch (IllegalArgumentException e) {
            return java.util.Optional.empty();
        }
    }

    private static BacklogQuotaPolicy policy(io.tributary.api.v1.BacklogQuotaPolicy p) {
        switch (p) {
            case PRODUCER_REQUEST_HOLD:
                return BacklogQuotaPolicy.PRODUCER_REQUEST_HOLD;
            case PRODUCER_EXCEPTION:
                return BacklogQuotaPolicy.PRODUCER_EXCEPTION;
            case CONSUMER_BACKLOG_EVICTION:
                return BacklogQuotaPolicy.CONSUMER_BACKLOG_EVICTION;
            default:
                return BacklogQuotaPolicy.NONE;
        }
    }

    private static io.tributary.api.v1.BacklogQuotaPolicy toProto(BacklogQuotaPolicy p) {
        switch (p) {
            case PRODUCER_REQUEST_HOLD:
                return io.tributary.api.v1.BacklogQuotaPolicy.PRODUCER_REQUEST_HOLD;
            case PRODUCER_EXCEPTION:
                return io.tributary.api.v1.BacklogQuotaPolicy.PRODUCER_EXCEPTION;
            case CONSUMER_BACKLOG_EVICTION:
                return io.tributary.api.v1.BacklogQuotaPolicy.CONSUMER_BACKLOG_EVICTION;
            case NONE:
            default:
                return io.tributary.api.v1.BacklogQuotaPolicy.BACKLOG_QUOTA_POLICY_UNSPECIFIED;
        }
    }

    // ---------------------------------------------------------------- topic info

    static TopicInfo info(GetTopicResponse r) {
        return new TopicInfo(r.getTopic(), r.getPartitions(), new TreeSet<>(r.getSubscriptionsList()).stream().toList(),
                r.getEntries(), r.getSizeBytes(), r.getLedgers());
    }

    /** A partitioned topic's info: the partitions' figures added, their subscriptions merged. */
    static TopicInfo sumInfo(String topic, List<TopicInfo> partitions) {
        TreeSet<String> subscriptions = new TreeSet<>();
        long entries = 0;
        long size = 0;
        int ledgers = 0;
        for (TopicInfo p : partitions) {
            subscriptions.addAll(p.subscriptions());
            entries += p.entries();
            size += p.sizeBytes();
            ledgers += p.ledgers();
        }
        return new TopicInfo(topic, partitions.size(), subscriptions.stream().toList(), entries, size, ledgers);
    }

    // ---------------------------------------------------------------- stats

    /** One topic's (or partition's) stats; {@code partition} is its index, -1 if not a partition. */
    static TopicStats stats(io.tributary.api.v1.TopicStats s, int partition) {
        List<SubscriptionStats> subs = new ArrayList<>(s.getSubscriptionsCount());
        for (io.tributary.api.v1.SubscriptionStats x : s.getSubscriptionsList()) {
            subs.add(subscription(x, partition));
        }
        return new TopicStats(s.getTopic(), s.getMsgRateIn(), s.getMsgRateOut(), s.getBytesRateIn(), s.getBytesRateOut(),
                s.getMsgInTotal(), s.getMsgOutTotal(), s.getStorageSizeBytes(), s.getEntries(), s.getLedgers(),
                s.getProducers(), s.getBacklogBytes(), subs, List.of(), publishers(s), s.getBacklogQuotaLimitBytes(),
                rate(s.getPublishRate()), rate(s.getNamespacePublishRateShare()), s.getPublishThrottledMsTotal());
    }

    private static List<PublisherStats> publishers(io.tributary.api.v1.TopicStats s) {
        List<PublisherStats> out = new ArrayList<>(s.getPublishersCount());
        for (io.tributary.api.v1.PublisherStats p : s.getPublishersList()) {
            out.add(new PublisherStats(p.getProducerName(), p.getMsgRateIn(), p.getBytesRateIn(), p.getMsgInTotal(),
                    p.getBytesInTotal(), p.getConnectedSinceMs(), p.getThrottledMsTotal()));
        }
        return out;
    }

    private static SubscriptionStats subscription(io.tributary.api.v1.SubscriptionStats s, int partition) {
        List<ConsumerStats> consumers = new ArrayList<>(s.getConsumersCount());
        for (io.tributary.api.v1.ConsumerStats c : s.getConsumersList()) {
            consumers.add(new ConsumerStats(c.getConsumerName(), c.getPermits(), c.getUnackedMessages(), c.getMsgRateOut(),
                    c.getMsgOutTotal(), c.getActive(), c.getPriority()));
        }
        MessageId md = s.hasMarkDeletePosition()
                ? new MessageId(s.getMarkDeletePosition().getLedgerId(), s.getMarkDeletePosition().getEntryId(), -1, partition, 0)
                : null;
        return new SubscriptionStats(s.getSubscription(), type(s.getType()), s.getDurable(), s.getMsgBacklog(),
                s.getBacklogBytes(), s.getMsgRateOut(), s.getMsgOutTotal(), s.getMsgRateRedeliver(), s.getRedeliveredTotal(),
                s.getUnackedMessages(), s.getDelayedMessages(), md, s.getAckedRanges(), s.getExpiredTotal(), consumers,
                s.getDeadLetteredTotal(), s.getOldestBacklogPublishTimeMs(), rate(s.getDispatchRate()),
                s.getDispatchThrottledMsTotal());
    }

    /** A rate limit in force as the broker reports it; fields <= 0 (none) as 0. */
    private static Rate rate(io.tributary.api.v1.Rate r) {
        return new Rate(Math.max(0, r.getMessagesPerSecond()), Math.max(0, r.getBytesPerSecond()));
    }

    static SubscriptionType type(io.tributary.api.v1.SubscriptionType t) {
        switch (t) {
            case EXCLUSIVE:
                return SubscriptionType.Exclusive;
            case SHARED:
                return SubscriptionType.Shared;
            case FAILOVER:
                return SubscriptionType.Failover;
            case KEY_SHARED:
                return SubscriptionType.Key_Shared;
            default:
                return null;
        }
    }

    /**
     * A partitioned topic's stats: every figure added over the partitions, subscriptions of the
     * same name summed into one, the topic's backlog the largest of those sums.
     */
    static TopicStats sum(String topic, List<TopicStats> partitions) {
        double rateIn = 0;
        double rateOut = 0;
        double bytesIn = 0;
        double bytesOut = 0;
        long in = 0;
        long out = 0;
        long storage = 0;
        long entries = 0;
        int ledgers = 0;
        int producers = 0;
        long quota = 0;
        Rate publishRate = new Rate(0, 0);
        Rate namespaceShare = new Rate(0, 0);
        long throttled = 0;
        List<PublisherStats> publishers = new ArrayList<>();
        Map<String, List<SubscriptionStats>> byName = new TreeMap<>();
        for (TopicStats p : partitions) {
            rateIn += p.msgRateIn();
            rateOut += p.msgRateOut();
            bytesIn += p.bytesRateIn();
            bytesOut += p.bytesRateOut();
            in += p.msgInTotal();
            out += p.msgOutTotal();
            storage += p.storageSizeBytes();
            entries += p.entries();
            ledgers += p.ledgers();
            producers += p.producers();
            quota = Math.max(quota, p.backlogQuotaLimitBytes());
            publishRate = max(publishRate, p.publishRate());
            namespaceShare = max(namespaceShare, p.namespacePublishRateShare());
            throttled += p.publishThrottledMsTotal();
            publishers.addAll(p.publishers());
            for (SubscriptionStats s : p.subscriptions()) {
                byName.computeIfAbsent(s.name(), k -> new ArrayList<>()).add(s);
            }
        }
        List<SubscriptionStats> subs = new ArrayList<>(byName.size());
        long backlog = 0;
        for (Map.Entry<String, List<SubscriptionStats>> e : byName.entrySet()) {
            SubscriptionStats s = sumSubscription(e.getKey(), e.getValue());
            backlog = Math.max(backlog, s.backlogBytes());
            subs.add(s);
        }
        return new TopicStats(topic, rateIn, rateOut, bytesIn, bytesOut, in, out, storage, entries, ledgers, producers,
                backlog, subs, partitions, publishers, quota, publishRate, namespaceShare, throttled);
    }

    private static Rate max(Rate a, Rate b) {
        return b == null ? a : new Rate(Math.max(a.messagesPerSecond(), b.messagesPerSecond()),
                Math.max(a.bytesPerSecond(), b.bytesPerSecond()));
    }

    private static SubscriptionStats sumSubscription(String name, List<SubscriptionStats> parts) {
        SubscriptionType type = null;
        boolean durable = true;
        long backlog = 0;
        long backlogBytes = 0;
        double rateOut = 0;
        long out = 0;
        double rateRedeliver = 0;
        long redelivered = 0;
        long unacked = 0;
        long delayed = 0;
        long ranges = 0;
        long expired = 0;
        long deadLettered = 0;
        long oldest = 0;
        Rate dispatchRate = new Rate(0, 0);
        long dispatchThrottled = 0;
        // a consumer of a partitioned topic is one consumer per partition, under one name
        Map<String, ConsumerStats> consumers = new LinkedHashMap<>();
        for (SubscriptionStats s : parts) {
            type = type == null ? s.type() : type;
            durable &= s.durable();
            backlog += s.msgBacklog();
            backlogBytes += s.backlogBytes();
            rateOut += s.msgRateOut();
            out += s.msgOutTotal();
            rateRedeliver += s.msgRateRedeliver();
            redelivered += s.redeliveredTotal();
            unacked += s.unackedMessages();
            delayed += s.delayedMessages();
            ranges += s.ackedRanges();
            expired += s.expiredTotal();
            deadLettered += s.deadLetteredTotal();
            dispatchRate = max(dispatchRate, s.dispatchRate());
            dispatchThrottled += s.dispatchThrottledMsTotal();
            if (s.oldestBacklogPublishTimeMs() > 0) {
                oldest = oldest == 0 ? s.oldestBacklogPublishTimeMs() : Math.min(oldest, s.oldestBacklogPublishTimeMs());
            }
            for (ConsumerStats c : s.consumers()) {
                consumers.merge(c.consumerName(), c, (a, b) -> new ConsumerStats(a.consumerName(), a.permits() + b.permits(),
                        a.unackedMessages() + b.unackedMessages(), a.msgRateOut() + b.msgRateOut(),
                        a.msgOutTotal() + b.msgOutTotal(), a.active() || b.active(), Math.min(a.priority(), b.priority())));
            }
        }
        return new SubscriptionStats(name, type, durable, backlog, backlogBytes, rateOut, out, rateRedeliver, redelivered,
                unacked, delayed, null, ranges, expired, List.copyOf(consumers.values()), deadLettered, oldest,
                dispatchRate, dispatchThrottled);
    }
}
