package io.tributary.client.admin;

import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * The policies a namespace sets: retention, expiry, backlog quota, rate limits and limits. Every field is optional: an
 * unset one follows the broker's defaults when read, and is left as it is when passed to
 * {@link Namespaces#setPolicies}. Immutable; build one with {@link #builder()}.
 */
public final class NamespacePolicies {

    /** A retention time that keeps acknowledged messages forever. */
    public static final long FOREVER = -1;

    /** A retention size without a limit. */
    public static final long NO_LIMIT = -1;

    private static final NamespacePolicies EMPTY = new Builder().build();

    private final Long retentionTimeSeconds;
    private final Long retentionSizeBytes;
    private final Long messageTtlSeconds;
    private final BacklogQuota backlogQuota;
    private final Rate publishRatePerTopic;
    private final Rate publishRatePerNamespace;
    private final Rate dispatchRatePerSubscription;
    private final Rate dispatchRatePerTopic;
    private final Integer maxProducersPerTopic;
    private final Integer maxConsumersPerTopic;
    private final Integer maxSubscriptionsPerTopic;
    private final Integer maxTopicsPerNamespace;
    private final Integer maxMessageSizeBytes;
    private final AutoTopicCreation autoTopicCreation;
    private final Boolean deduplicationEnabled;
    private final Long subscriptionExpirationSeconds;
    private final Persistence persistence;
    private final java.util.Set<String> clear;

    private NamespacePolicies(Builder b) {
        this.retentionTimeSeconds = b.retentionTimeSeconds;
        this.retentionSizeBytes = b.retentionSizeBytes;
        this.messageTtlSeconds = b.messageTtlSeconds;
        this.backlogQuota = b.backlogQuota;
        this.publishRatePerTopic = b.publishRatePerTopic;
        this.publishRatePerNamespace = b.publishRatePerNamespace;
        this.dispatchRatePerSubscription = b.dispatchRatePerSubscription;
        this.dispatchRatePerTopic = b.dispatchRatePerTopic;
        this.maxProducersPerTopic = b.maxProducersPerTopic;
        this.maxConsumersPerTopic = b.maxConsumersPerTopic;
        this.maxSubscriptionsPerTopic = b.maxSubscriptionsPerTopic;
        this.maxTopicsPerNamespace = b.maxTopicsPerNamespace;
        this.maxMessageSizeBytes = b.maxMessageSizeBytes;
        this.autoTopicCreation = b.autoTopicCreation;
        this.deduplicationEnabled = b.deduplicationEnabled;
        this.subscriptionExpirationSeconds = b.subscriptionExpirationSeconds;
        this.persistence = b.persistence;
        this.clear = java.util.Set.copyOf(b.clear);
    }

    /** Policies that set nothing. */
    public static NamespacePolicies empty() {
        return EMPTY;
    }

    /** A builder with nothing set. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding these policies, to change some of them. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.retentionTimeSeconds = retentionTimeSeconds;
        b.retentionSizeBytes = retentionSizeBytes;
        b.messageTtlSeconds = messageTtlSeconds;
        b.backlogQuota = backlogQuota;
        b.publishRatePerTopic = publishRatePerTopic;
        b.publishRatePerNamespace = publishRatePerNamespace;
        b.dispatchRatePerSubscription = dispatchRatePerSubscription;
        b.dispatchRatePerTopic = dispatchRatePerTopic;
        b.maxProducersPerTopic = maxProducersPerTopic;
        b.maxConsumersPerTopic = maxConsumersPerTopic;
        b.maxSubscriptionsPerTopic = maxSubscriptionsPerTopic;
        b.maxTopicsPerNamespace = maxTopicsPerNamespace;
        b.maxMessageSizeBytes = maxMessageSizeBytes;
        b.autoTopicCreation = autoTopicCreation;
        b.deduplicationEnabled = deduplicationEnabled;
        b.subscriptionExpirationSeconds = subscriptionExpirationSeconds;
        b.persistence = persistence;
        b.clear.addAll(clear);
        return b;
    }

    /**
     * How long acknowledged messages are kept, in seconds: {@link #FOREVER}, 0 (not at all, the
     * default) or more. If only one of time and size is set, only that one bounds retention.
     */
    public OptionalLong retentionTimeSeconds() {
        return retentionTimeSeconds == null ? OptionalLong.empty() : OptionalLong.of(retentionTimeSeconds);
    }

    /** How many bytes of acknowledged messages are kept: {@link #NO_LIMIT}, 0 (none, the default) or more. */
    public OptionalLong retentionSizeBytes() {
        return retentionSizeBytes == null ? OptionalLong.empty() : OptionalLong.of(retentionSizeBytes);
    }

    /** Unacknowledged messages older than this many seconds are acknowledged for every subscription; 0: never. */
    public OptionalLong messageTtlSeconds() {
        return messageTtlSeconds == null ? OptionalLong.empty() : OptionalLong.of(messageTtlSeconds);
    }

    /** The backlog quota of each subscription. */
    public Optional<BacklogQuota> backlogQuota() {
        return Optional.ofNullable(backlogQuota);
    }

    /** Each topic's publishing, on its own: producers over it are slowed. Policy field publish_rate_per_topic. */
    public Optional<Rate> publishRatePerTopic() {
        return Optional.ofNullable(publishRatePerTopic);
    }

    /** All topics of the namespace together, on all brokers. Policy field publish_rate_per_namespace. */
    public Optional<Rate> publishRatePerNamespace() {
        return Optional.ofNullable(publishRatePerNamespace);
    }

    /** Each subscription's dispatch, on its own. Policy field dispatch_rate_per_subscription. */
    public Optional<Rate> dispatchRatePerSubscription() {
        return Optional.ofNullable(dispatchRatePerSubscription);
    }

    /** All subscriptions of a topic together. Policy field dispatch_rate_per_topic. */
    public Optional<Rate> dispatchRatePerTopic() {
        return Optional.ofNullable(dispatchRatePerTopic);
    }

    /** Producers connected to one topic; 0: no limit (PRODUCER_BUSY beyond). Policy field max_producers_per_topic. */
    public OptionalInt maxProducersPerTopic() {
        return maxProducersPerTopic == null ? OptionalInt.empty() : OptionalInt.of(maxProducersPerTopic);
    }

    /** Consumers connected to one topic, over all its subscriptions; 0: no limit (CONSUMER_BUSY beyond). Policy field max_consumers_per_topic. */
    public OptionalInt maxConsumersPerTopic() {
        return maxConsumersPerTopic == null ? OptionalInt.empty() : OptionalInt.of(maxConsumersPerTopic);
    }

    /** Subscriptions of one topic, readers' included; 0: no limit (NOT_ALLOWED beyond). Policy field max_subscriptions_per_topic. */
    public OptionalInt maxSubscriptionsPerTopic() {
        return maxSubscriptionsPerTopic == null ? OptionalInt.empty() : OptionalInt.of(maxSubscriptionsPerTopic);
    }

    /** Topics of the namespace, a partitioned topic counting as its partitions; 0: no limit (NOT_ALLOWED beyond). Policy field max_topics_per_namespace. */
    public OptionalInt maxTopicsPerNamespace() {
        return maxTopicsPerNamespace == null ? OptionalInt.empty() : OptionalInt.of(maxTopicsPerNamespace);
    }

    /** The largest message (batch) a producer may publish, at most the broker's; 0: the broker's (MESSAGE_TOO_LARGE beyond). Policy field max_message_size_bytes. */
    public OptionalInt maxMessageSizeBytes() {
        return maxMessageSizeBytes == null ? OptionalInt.empty() : OptionalInt.of(maxMessageSizeBytes);
    }

    /** Whether producing to or consuming from a missing topic creates it, and how. Policy field auto_topic_creation. */
    public Optional<AutoTopicCreation> autoTopicCreation() {
        return Optional.ofNullable(autoTopicCreation);
    }

    /** Whether the broker drops batches a producer already stored (by producer name and sequence id). Policy field deduplication_enabled. */
    public Optional<Boolean> deduplicationEnabled() {
        return Optional.ofNullable(deduplicationEnabled);
    }

    /** A durable subscription without consumers for this many seconds is deleted; 0: never. Policy field subscription_expiration_seconds. */
    public OptionalLong subscriptionExpirationSeconds() {
        return subscriptionExpirationSeconds == null ? OptionalLong.empty() : OptionalLong.of(subscriptionExpirationSeconds);
    }

    /** The replication of the ledgers created from now on. Policy field persistence. */
    public Optional<Persistence> persistence() {
        return Optional.ofNullable(persistence);
    }

    /**
     * The policy fields (as named in admin.proto, e.g. {@code max_producers_per_topic}) that
     * {@link Namespaces#setPolicies} returns to the broker's default; empty when read.
     */
    public java.util.Set<String> clear() {
        return clear;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof NamespacePolicies)) {
            return false;
        }
        NamespacePolicies p = (NamespacePolicies) o;
        return Objects.equals(retentionTimeSeconds, p.retentionTimeSeconds)
                && Objects.equals(retentionSizeBytes, p.retentionSizeBytes)
                && Objects.equals(messageTtlSeconds, p.messageTtlSeconds)
                && Objects.equals(backlogQuota, p.backlogQuota)
                && Objects.equals(publishRatePerTopic, p.publishRatePerTopic)
                && Objects.equals(publishRatePerNamespace, p.publishRatePerNamespace)
                && Objects.equals(dispatchRatePerSubscription, p.dispatchRatePerSubscription)
                && Objects.equals(dispatchRatePerTopic, p.dispatchRatePerTopic)
                && Objects.equals(maxProducersPerTopic, p.maxProducersPerTopic)
                && Objects.equals(maxConsumersPerTopic, p.maxConsumersPerTopic)
                && Objects.equals(maxSubscriptionsPerTopic, p.maxSubscriptionsPerTopic)
                && Objects.equals(maxTopicsPerNamespace, p.maxTopicsPerNamespace)
                && Objects.equals(maxMessageSizeBytes, p.maxMessageSizeBytes)
                && Objects.equals(autoTopicCreation, p.autoTopicCreation)
                && Objects.equals(deduplicationEnabled, p.deduplicationEnabled)
                && Objects.equals(subscriptionExpirationSeconds, p.subscriptionExpirationSeconds)
                && Objects.equals(persistence, p.persistence)
                && clear.equals(p.clear);
    }

    @Override
    public int hashCode() {
        return Objects.hash(retentionTimeSeconds, retentionSizeBytes, messageTtlSeconds, backlogQuota, publishRatePerTopic, publishRatePerNamespace, dispatchRatePerSubscription, dispatchRatePerTopic, maxProducersPerTopic, maxConsumersPerTopic, maxSubscriptionsPerTopic, maxTopicsPerNamespace, maxMessageSizeBytes, autoTopicCreation, deduplicationEnabled, subscriptionExpirationSeconds, persistence, clear);
    }

    /** The fields that are set, e.g. {@code NamespacePolicies{retentionTimeSeconds=3600, messageTtlSeconds=600}}. */
    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("NamespacePolicies{");
        String sep = "";
        if (retentionTimeSeconds != null) {
            s.append("retentionTimeSeconds=").append(retentionTimeSeconds);
            sep = ", ";
        }
        if (retentionSizeBytes != null) {
            s.append(sep).append("retentionSizeBytes=").append(retentionSizeBytes);
            sep = ", ";
        }
        if (messageTtlSeconds != null) {
            s.append(sep).append("messageTtlSeconds=").append(messageTtlSeconds);
            sep = ", ";
        }
        if (backlogQuota != null) {
            s.append(sep).append("backlogQuota=").append(backlogQuota);
            sep = ", ";
        }
        Object[][] more = {{"publishRatePerTopic", publishRatePerTopic}, {"publishRatePerNamespace", publishRatePerNamespace}, {"dispatchRatePerSubscription", dispatchRatePerSubscription}, {"dispatchRatePerTopic", dispatchRatePerTopic}, {"maxProducersPerTopic", maxProducersPerTopic}, {"maxConsumersPerTopic", maxConsumersPerTopic}, {"maxSubscriptionsPerTopic", maxSubscriptionsPerTopic}, {"maxTopicsPerNamespace", maxTopicsPerNamespace}, {"maxMessageSizeBytes", maxMessageSizeBytes}, {"autoTopicCreation", autoTopicCreation}, {"deduplicationEnabled", deduplicationEnabled}, {"subscriptionExpirationSeconds", subscriptionExpirationSeconds}, {"persistence", persistence}, {"clear", clear.isEmpty() ? null : clear}};
        for (Object[] f : more) {
            if (f[1] != null) {
                s.append(sep).append(f[0]).append('=').append(f[1]);
                sep = ", ";
            }
        }
        return s.append('}').toString();
    }

    /** Builds {@link NamespacePolicies}; each setter checks its value. Not thread-safe. */
    public static final class Builder {
        private Long retentionTimeSeconds;
        private Long retentionSizeBytes;
        private Long messageTtlSeconds;
        private BacklogQuota backlogQuota;
        private Rate publishRatePerTopic;
        private Rate publishRatePerNamespace;
        private Rate dispatchRatePerSubscription;
        private Rate dispatchRatePerTopic;
        private Integer maxProducersPerTopic;
        private Integer maxConsumersPerTopic;
        private Integer maxSubscriptionsPerTopic;
        private Integer maxTopicsPerNamespace;
        private Integer maxMessageSizeBytes;
        private AutoTopicCreation autoTopicCreation;
        private Boolean deduplicationEnabled;
        private Long subscriptionExpirationSeconds;
        private Persistence persistence;
        private final java.util.Set<String> clear = new java.util.TreeSet<>();

        private Builder() {}

        /**
         * How long acknowledged messages are kept: {@link NamespacePolicies#FOREVER}, 0 or more seconds.
         *
         * @throws IllegalArgumentException for anything below -1
         */
        public Builder retentionTimeSeconds(long seconds) {
            if (seconds < FOREVER) {
                throw new IllegalArgumentException("the retention time must be -1 (forever) or >= 0 seconds, was " + seconds);
            }
            this.retentionTimeSeconds = seconds;
            return this;
        }

        /**
         * How many bytes of acknowledged messages are kept: {@link NamespacePolicies#NO_LIMIT}, 0 or more.
         *
         * @throws IllegalArgumentException for anything below -1
         */
        public Builder retentionSizeBytes(long bytes) {
            if (bytes < NO_LIMIT) {
                throw new IllegalArgumentException("the retention size must be -1 (no limit) or >= 0 bytes, was " + bytes);
            }
            this.retentionSizeBytes = bytes;
            return this;
        }

        /**
         * Expire unacknowledged messages after this many seconds; 0: never.
         *
         * @throws IllegalArgumentException if negative
         */
        public Builder messageTtlSeconds(long seconds) {
            if (seconds < 0) {
                throw new IllegalArgumentException("the message TTL must be >= 0 seconds (0: never), was " + seconds);
            }
            this.messageTtlSeconds = seconds;
            return this;
        }

        /**
         * The backlog quota of each subscription.
         *
         * @throws IllegalArgumentException if null
         */
        public Builder backlogQuota(BacklogQuota quota) {
            if (quota == null) {
                throw new IllegalArgumentException("the backlog quota must not be null");
            }
            this.backlogQuota = quota;
            return this;
        }

        /** {@code backlogQuota(new BacklogQuota(limitBytes, policy))}. */
        public Builder backlogQuota(long limitBytes, BacklogQuotaPolicy policy) {
            return backlogQuota(new BacklogQuota(limitBytes, policy));
        }

        /**
         * Each topic's publishing, on its own: producers over it are slowed.
         *
         * @throws IllegalArgumentException if null
         */
        public Builder publishRatePerTopic(Rate value) {
            if (value == null) {
                throw new IllegalArgumentException("publish_rate_per_topic must not be null; clear it with clear(\"publish_rate_per_topic\")");
            }
            this.publishRatePerTopic = value;
            return this;
        }

        /**
         * All topics of the namespace together, on all brokers.
         *
         * @throws IllegalArgumentException if null
         */
        public Builder publishRatePerNamespace(Rate value) {
            if (value == null) {
                throw new IllegalArgumentException("publish_rate_per_namespace must not be null; clear it with clear(\"publish_rate_per_namespace\")");
            }
            this.publishRatePerNamespace = value;
            return this;
        }

        /**
         * Each subscription's dispatch, on its own.
         *
         * @throws IllegalArgumentException if null
         */
        public Builder dispatchRatePerSubscription(Rate value) {
            if (value == null) {
                throw new IllegalArgumentException("dispatch_rate_per_subscription must not be null; clear it with clear(\"dispatch_rate_per_subscription\")");
            }
            this.dispatchRatePerSubscription = value;
            return this;
        }

        /**
         * All subscriptions of a topic together.
         *
         * @throws IllegalArgumentException if null
         */
        public Builder dispatchRatePerTopic(Rate value) {
            if (value == null) {
                throw new IllegalArgumentException("dispatch_rate_per_topic must not be null; clear it with clear(\"dispatch_rate_per_topic\")");
            }
            this.dispatchRatePerTopic = value;
            return this;
        }

        /**
         * Producers connected to one topic; 0: no limit (PRODUCER_BUSY beyond).
         *
         * @throws IllegalArgumentException if negative
         */
        public Builder maxProducersPerTopic(int value) {
            if (value < 0) {
                throw new IllegalArgumentException("max_producers_per_topic must be >= 0, was " + value);
            }
            this.maxProducersPerTopic = value;
            return this;
        }

        /**
         * Consumers connected to one topic, over all its subscriptions; 0: no limit (CONSUMER_BUSY beyond).
         *
         * @throws IllegalArgumentException if negative
         */
        public Builder maxConsumersPerTopic(int value) {
            if (value < 0) {
                throw new IllegalArgumentException("max_consumers_per_topic must be >= 0, was " + value);
            }
            this.maxConsumersPerTopic = value;
            return this;
        }

        /**
         * Subscriptions of one topic, readers' included; 0: no limit (NOT_ALLOWED beyond).
         *
         * @throws IllegalArgumentException if negative
         */
        public Builder maxSubscriptionsPerTopic(int value) {
            if (value < 0) {
                throw new IllegalArgumentException("max_subscriptions_per_topic must be >= 0, was " + value);
            }
            this.maxSubscriptionsPerTopic = value;
            return this;
        }

        /**
         * Topics of the namespace, a partitioned topic counting as its partitions; 0: no limit (NOT_ALLOWED beyond).
         *
         * @throws IllegalArgumentException if negative
         */
        public Builder maxTopicsPerNamespace(int value) {
            if (value < 0) {
                throw new IllegalArgumentException("max_topics_per_namespace must be >= 0, was " + value);
            }
            this.maxTopicsPerNamespace = value;
            return this;
        }

        /**
         * The largest message (batch) a producer may publish, at most the broker's; 0: the broker's (MESSAGE_TOO_LARGE beyond).
         *
         * @throws IllegalArgumentException if negative
         */
        public Builder maxMessageSizeBytes(int value) {
            if (value < 0) {
                throw new IllegalArgumentException("max_message_size_bytes must be >= 0, was " + value);
            }
            this.maxMessageSizeBytes = value;
            return this;
        }

        /**
         * Whether producing to or consuming from a missing topic creates it, and how.
         *
         * @throws IllegalArgumentException if null
         */
        public Builder autoTopicCreation(AutoTopicCreation value) {
            if (value == null) {
                throw new IllegalArgumentException("auto_topic_creation must not be null; clear it with clear(\"auto_topic_creation\")");
            }
            this.autoTopicCreation = value;
            return this;
        }

        /**
         * Whether the broker drops batches a producer already stored (by producer name and sequence id).
         */
        public Builder deduplicationEnabled(boolean value) {
            this.deduplicationEnabled = value;
            return this;
        }

        /**
         * A durable subscription without consumers for this many seconds is deleted; 0: never.
         *
         * @throws IllegalArgumentException if negative
         */
        public Builder subscriptionExpirationSeconds(long value) {
            if (value < 0) {
                throw new IllegalArgumentException("subscription_expiration_seconds must be >= 0, was " + value);
            }
            this.subscriptionExpirationSeconds = value;
            return this;
        }

        /**
         * The replication of the ledgers created from now on.
         *
         * @throws IllegalArgumentException if null
         */
        public Builder persistence(Persistence value) {
            if (value == null) {
                throw new IllegalArgumentException("persistence must not be null; clear it with clear(\"persistence\")");
            }
            this.persistence = value;
            return this;
        }

        /**
         * Returns these policy fields to the broker's default when passed to {@link Namespaces#setPolicies}:
         * names as in admin.proto ({@code max_producers_per_topic}, {@code persistence} ...); the server
         * refuses an unknown name with INVALID_REQUEST.
         */
        public Builder clear(String... fields) {
            for (String f : fields) {
                clear.add(java.util.Objects.requireNonNull(f, "a field name"));
            }
            return this;
        }

        /** The policies set so far. */
        public NamespacePolicies build() {
            return new NamespacePolicies(this);
        }
    }
}
