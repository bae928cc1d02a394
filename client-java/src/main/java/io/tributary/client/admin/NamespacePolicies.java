package io.tributary.client.admin;

import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The retention, expiry and backlog-quota policies a namespace sets. Every field is optional: an
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

    private NamespacePolicies(Builder b) {
        this.retentionTimeSeconds = b.retentionTimeSeconds;
        this.retentionSizeBytes = b.retentionSizeBytes;
        this.messageTtlSeconds = b.messageTtlSeconds;
        this.backlogQuota = b.backlogQuota;
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
                && Objects.equals(backlogQuota, p.backlogQuota);
    }

    @Override
    public int hashCode() {
        return Objects.hash(retentionTimeSeconds, retentionSizeBytes, messageTtlSeconds, backlogQuota);
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
        }
        return s.append('}').toString();
    }

    /** Builds {@link NamespacePolicies}; each setter checks its value. Not thread-safe. */
    public static final class Builder {
        private Long retentionTimeSeconds;
        private Long retentionSizeBytes;
        private Long messageTtlSeconds;
        private BacklogQuota backlogQuota;

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

        /** The policies set so far. */
        public NamespacePolicies build() {
            return new NamespacePolicies(this);
        }
    }
}
