package io.tributary.broker.topic;

import io.tributary.api.v1.AutoTopicCreationType;
import io.tributary.api.v1.ErrorReason;
import io.tributary.protocol.TopicName;
import io.tributary.protocol.TributaryException;
import io.tributary.storage.meta.MetadataPaths;
import io.tributary.storage.meta.MetadataStore;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The namespace limits that concern whole topics: how many topics a namespace has (counted from
 * ZooKeeper, a partitioned topic counting as its partitions), whether and how a missing topic is
 * created on first use, and the expiry of subscriptions left without consumers.
 */
final class NamespaceTopics {
    private static final Logger LOG = LoggerFactory.getLogger(NamespaceTopics.class);

    private final MetadataStore store;
    /** Creates a topic: with N > 0, a partitioned topic and its N partitions. */
    private final BiFunction<TopicName, Integer, CompletableFuture<Void>> createTopic;

    NamespaceTopics(MetadataStore store, BiFunction<TopicName, Integer, CompletableFuture<Void>> createTopic) {
        this.store = store;
        this.createTopic = createTopic;
    }

    /**
     * Decides the creation of a missing topic that a producer or consumer asked for: TOPIC_NOT_FOUND
     * if it may not be created (not asked to, or the namespace's auto topic creation is disabled);
     * NOT_ALLOWED if the namespace is at its topic limit; with PARTITIONED, creates the partitioned
     * topic and answers NOT_ALLOWED naming its partitions (the client publishes to those); else
     * completes, and the caller creates the topic's log.
     */
    CompletableFuture<Void> create(TopicName name, boolean createIfMissing, TopicLimits.Effective limits) {
        if (!createIfMissing) {
            return CompletableFuture.failedFuture(new TributaryException(ErrorReason.TOPIC_NOT_FOUND,
                    "topic " + name + " does not exist"));
        }
        AutoTopicCreationType type = limits.autoTopicCreation();
        if (type == AutoTopicCreationType.AUTO_TOPIC_CREATION_TYPE_DISABLED) {
            return CompletableFuture.failedFuture(new TributaryException(ErrorReason.TOPIC_NOT_FOUND, "topic " + name
                    + " does not exist and auto topic creation is disabled for namespace " + limits.namespace()
                    + " (auto_topic_creation, broker.allowAutoTopicCreation)"));
        }
        if (type == AutoTopicCreationType.AUTO_TOPIC_CREATION_TYPE_PARTITIONED && name.partitionIndex() < 0) {
            int n = limits.partitions();
            return createTopic.apply(name, n).thenApply(v -> {
                throw new TributaryException(ErrorReason.NOT_ALLOWED, "topic " + name + " was created partitioned into "
                        + n + " partitions (auto_topic_creation of namespace " + limits.namespace() + "); use "
                        + name.partition(0) + " ... " + name.partition(n - 1));
            });
        }
        return checkTopicCount(name, 1, limits);
    }

    /**
     * NOT_ALLOWED if adding {@code adding} topics to the namespace of {@code name} takes it over its
     * limit. Two creates at once may both pass and overshoot the limit by one each.
     */
    CompletableFuture<Void> checkTopicCount(TopicName name, int adding, TopicLimits.Effective limits) {
        TopicLimits.Limit l = limits.topics();
        if (l.max() <= 0) {
            return CompletableFuture.completedFuture(null);
        }
        return store.children(MetadataPaths.topicsOfNamespace(name.namespace())).thenAccept(children -> {
            long count = count(children);
            if (count + adding > l.max()) {
                throw new TributaryException(ErrorReason.NOT_ALLOWED, "namespace " + name.namespace() + " has " + count
                        + " topics (a partitioned topic counting as its partitions), " + l.source() + ": " + l.max()
                        + "; " + name + " would add " + adding);
            }
        });
    }

    /** The topics among a namespace's topic znodes: a partitioned topic's own znode does not count, its partitions do. */
    static long count(List<String> children) {
        Set<String> all = new HashSet<>(children);
        return children.stream().filter(c -> !all.contains(c + TopicName.PARTITION_SUFFIX + "0")).count();
    }

    /**
     * Deletes the topic's durable subscriptions that have had no consumer for longer than the
     * namespace's subscription expiry (a consumer that connects meanwhile keeps its subscription).
     */
    static CompletableFuture<Void> expireSubscriptions(Topic t) {
        return CompletableFuture.supplyAsync(() -> t.limits().expiredSubscriptions(System.currentTimeMillis()), t.executor())
                .thenCompose(names -> CompletableFuture.allOf(names.stream().map(n -> {
                    LOG.info("{}: deleting subscription {}: no consumer for longer than the subscription expiry of {} ms",
                            t.name(), n, t.limits().now().subscriptionExpirationMs());
                    return t.deleteSubscription(n, false).exceptionally(e -> {
                        LOG.info("{}: subscription {} not expired: {}", t.name(), n, e.toString());
                        return null;
                    });
                }).toArray(CompletableFuture[]::new)));
    }
}
