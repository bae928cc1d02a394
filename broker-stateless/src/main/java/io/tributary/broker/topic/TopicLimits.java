package io.tributary.broker.topic;

import io.tributary.api.v1.AutoTopicCreationType;
import io.tributary.api.v1.ErrorReason;
import io.tributary.api.v1.NamespacePolicies;
import io.tributary.broker.BrokerConfig;
import io.tributary.broker.TopicLimitDefaults;
import io.tributary.broker.dispatch.Subscription;
import io.tributary.broker.ratelimit.NamespaceRates;
import io.tributary.broker.ratelimit.RateLimits;
import io.tributary.broker.ratelimit.TopicRates;
import io.tributary.protocol.TopicName;
import io.tributary.protocol.TributaryException;
import io.tributary.storage.log.ManagedLogConfig;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * A topic's namespace limits (producers, consumers, subscriptions, message size, deduplication,
 * subscription expiry) as they are now: each check reads the namespace's cached policies, which a
 * ZooKeeper watch refreshes when they change, so a changed policy applies to the next check (while
 * the cache reloads, for the few milliseconds ZooKeeper takes to answer, the policies last read or
 * written on this broker apply). Also tracks how long each durable subscription has had no
 * consumer, for the expiry.
 */
public final class TopicLimits {

    /** One limit: its maximum (0: none) and the words saying whose it is, for the error. */
    public record Limit(int max, String source) {
        boolean exceededBy(int count) {
            return max > 0 && count >= max;
        }
    }

    /** The limits in force for a namespace: its policies over the broker's defaults. */
    public record Effective(String namespace, Limit producers, Limit consumers, Limit subscriptions, Limit topics,
                            Limit messageSize, AutoTopicCreationType autoTopicCreation, int partitions,
                            boolean deduplication, long subscriptionExpirationMs, ManagedLogConfig ledgers,
                            RateLimits rates) {

        public static Effective of(String namespace, NamespacePolicies p, BrokerConfig c) {
            TopicLimitDefaults d = c.topicLimits();
            Limit producers = p.hasMaxProducersPerTopic()
                    ? limit(namespace, p.getMaxProducersPerTopic(), "max_producers_per_topic")
                    : new Limit(c.limits().maxProducersPerTopic(), "the most this broker allows (broker.maxProducersPerTopic)");
            Limit consumers = p.hasMaxConsumersPerTopic()
                    ? limit(namespace, p.getMaxConsumersPerTopic(), "max_consumers_per_topic")
                    : new Limit(d.maxConsumersPerTopic(), "the most this broker allows (broker.maxConsumersPerTopic)");
            Limit subscriptions = p.hasMaxSubscriptionsPerTopic()
                    ? limit(namespace, p.getMaxSubscriptionsPerTopic(), "max_subscriptions_per_topic")
                    : new Limit(d.maxSubscriptionsPerTopic(), "the most this broker allows (broker.maxSubscriptionsPerTopic)");
            Limit topics = p.hasMaxTopicsPerNamespace()
                    ? limit(namespace, p.getMaxTopicsPerNamespace(), "max_topics_per_namespace")
                    : new Limit(d.maxTopicsPerNamespace(), "the most this broker allows (broker.maxTopicsPerNamespace)");
            Limit size = p.hasMaxMessageSizeBytes() && p.getMaxMessageSizeBytes() > 0
                    ? new Limit(Math.min(p.getMaxMessageSizeBytes(), c.maxMessageSize()),
                            "the maximum message size of namespace " + namespace + " (max_message_size_bytes)")
                    : new Limit(c.maxMessageSize(), "the maximum message size (broker.maxMessageSize)");
            AutoTopicCreationType type = c.allowAutoTopicCreation() ? d.autoTopicCreationType()
                    : AutoTopicCreationType.AUTO_TOPIC_CREATION_TYPE_DISABLED;
            int partitions = d.defaultNumPartitions();
            if (p.hasAutoTopicCreation() && p.getAutoTopicCreation().getType()
                    != AutoTopicCreationType.AUTO_TOPIC_CREATION_TYPE_UNSPECIFIED) {
                type = p.getAutoTopicCreation().getType();
                if (p.getAutoTopicCreation().getPartitions() > 0) {
                    partitions = p.getAutoTopicCreation().getPartitions();
                }
            }
            boolean dedup = p.hasDeduplicationEnabled() ? p.getDeduplicationEnabled() : d.deduplicationEnabled();
            long expiry = p.hasSubscriptionExpirationSeconds() ? p.getSubscriptionExpirationSeconds() * 1000
                    : d.subscriptionExpirationTime().toMillis();
            ManagedLogConfig ledgers = p.hasPersistence() ? c.log().withQuorum(p.getPersistence().getEnsembleSize(),
                    p.getPersistence().getWriteQuorum(), p.getPersistence().getAckQuorum()) : c.log();
            return new Effective(namespace, producers, consumers, subscriptions, topics, size, type, partitions, dedup,
                    expiry, ledgers, RateLimits.of(p, c.rateLimits()));
        }

        private static Limit limit(String namespace, int max, String field) {
            return new Limit(max, "the most namespace " + namespace + " allows (" + field + ")");
        }
    }

    /** The limits computed from one version of the policies (compared by identity: the cache keeps one object). */
    private record Computed(io.tributary.internal.v1.NamespacePolicies policies, Effective effective) {}

    private final TopicName name;
    private final Supplier<io.tributary.internal.v1.NamespacePolicies> policies;
    private final Function<NamespacePolicies, Effective> compute;
    private Supplier<List<Subscription>> openSubscriptions = List::of;
    private final long loadedAtMs = System.currentTimeMillis();
    private volatile Computed computed;
    private volatile TopicRates rates;
    /** Durable subscriptions without consumers, by name: since when (runs on the topic's executor). */
    private final Map<String, Long> idleSince = new HashMap<>();
    private boolean firstRound = true;

    /**
     * @param policies the namespace's policies now, without waiting (null: not known, keep the last)
     * @param compute  the limits they give, over the broker's defaults
     * @param initial  the limits read when the topic was loaded
     */
    TopicLimits(TopicName name, Supplier<io.tributary.internal.v1.NamespacePolicies> policies,
                Function<NamespacePolicies, Effective> compute, Effective initial) {
        this.name = name;
        this.policies = policies;
        this.compute = compute;
        this.computed = new Computed(null, initial);
        this.rates = new TopicRates(() -> now().rates(), NamespaceRates.unshared().of(name.namespace()));
    }

    /** Shares the namespace's publish bucket of this broker's {@code namespaces} with the namespace's other topics here. */
    TopicLimits sharing(NamespaceRates namespaces) {
        this.rates = new TopicRates(() -> now().rates(), namespaces.of(name.namespace()));
        return this;
    }

    /** The topic's rate limiters (publish and dispatch). */
    public TopicRates rates() {
        return rates;
    }

    /** Limits that never change (tests). */
    static TopicLimits fixed(TopicName name, Effective limits) {
        return new TopicLimits(name, () -> null, p -> limits, limits);
    }

    /** Binds the topic's open subscriptions (call on its executor only), counted by the checks. */
    TopicLimits counting(Supplier<List<Subscription>> subscriptions) {
        this.openSubscriptions = subscriptions;
        return this;
    }

    /** The namespace's limits now in force. */
    public Effective now() {
        io.tributary.internal.v1.NamespacePolicies p = policies.get();
        Computed c = computed;
        if (p != null) {
            if (c.policies() != p) {
                c = new Computed(p, compute.apply(p.getPolicies()));
                computed = c;
            }
        }
        return c.effective();
    }

    /** PRODUCER_BUSY if the topic has as many producers as allowed. */
    void checkProducers(int producers) {
        Limit l = now().producers();
        if (l.exceededBy(producers)) {
            throw new TributaryException(ErrorReason.PRODUCER_BUSY, "topic " + name + " has " + producers
                    + " producers, " + l.source() + ": " + l.max());
        }
    }

    /** CONSUMER_BUSY if the topic has as many consumers, over its subscriptions, as allowed. Runs on the executor. */
    public void checkConsumers() {
        Limit l = now().consumers();
        if (l.max() > 0) {
            int consumers = openSubscriptions.get().stream().mapToInt(s -> s.consumers().size()).sum();
            if (l.exceededBy(consumers)) {
                throw new TributaryException(ErrorReason.CONSUMER_BUSY, "topic " + name + " has " + consumers
                        + " consumers, " + l.source() + ": " + l.max());
            }
        }
    }

    /** NOT_ALLOWED if the topic has as many subscriptions (readers' included) as allowed. Runs on the executor. */
    void checkSubscriptions(int subscriptions) {
        Limit l = now().subscriptions();
        if (l.exceededBy(subscriptions)) {
            throw new TributaryException(ErrorReason.NOT_ALLOWED, "topic " + name + " has " + subscriptions
                    + " subscriptions, " + l.source() + ": " + l.max());
        }
    }

    /** MESSAGE_TOO_LARGE's text if an entry of {@code bytes} is over the limit, else null. */
    public String messageTooLarge(long bytes) {
        Limit l = now().messageSize();
        return bytes > l.max() ? "batch of " + bytes + " bytes exceeds " + l.source() + ": " + l.max() + " bytes" : null;
    }

    boolean deduplicationEnabled() {
        return now().deduplication();
    }

    /**
     * The durable subscriptions without consumers for longer than the expiry (none if it is 0). A
     * subscription's idle time is measured from the check that first found it without consumers (from
     * the topic's load on this broker for the first check), so it may run up to one policy check late.
     * Runs on the executor.
     */
    List<String> expiredSubscriptions(long nowMs) {
        long expiry = now().subscriptionExpirationMs();
        Set<String> seen = new HashSet<>();
        List<String> expired = new ArrayList<>();
        for (Subscription s : openSubscriptions.get()) {
            if (!s.cursor().isDurable()) {
                continue;
            }
            seen.add(s.name());
            if (!s.consumers().isEmpty()) {
                idleSince.remove(s.name());
                continue;
            }
            long since = idleSince.computeIfAbsent(s.name(), n -> firstRound ? loadedAtMs : nowMs);
            if (expiry > 0 && nowMs - since > expiry) {
                expired.add(s.name());
            }
        }
        idleSince.keySet().retainAll(seen);
        firstRound = false;
        return expired;
    }
}
