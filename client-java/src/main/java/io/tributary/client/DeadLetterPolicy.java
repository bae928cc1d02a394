package io.tributary.client;

import io.tributary.protocol.DeadLetters;
import java.util.Objects;

/**
 * Where a consumer puts messages it gave up on, and when it gives up. Immutable; made with
 * {@link #builder()}.
 *
 * <p>With a policy the application sees a message at most {@code maxRedeliverCount + 1} times
 * (redelivery counts 0 to {@code maxRedeliverCount}). When a message whose redelivery count has
 * reached {@code maxRedeliverCount} is negatively acknowledged or times out
 * ({@link ConsumerBuilder#ackTimeout}), the consumer publishes it to the dead-letter topic and,
 * once that publish succeeded, acknowledges the original. A message that arrives with a higher
 * count (after a crash, say) goes to the dead-letter topic without reaching the application.
 * The dead-lettered copy has the value bytes, key, properties and event time of the original,
 * plus the properties {@code REAL_TOPIC} (the topic it was first published to) and
 * {@code ORIGIN_MESSAGE_ID} (its id there).
 *
 * <p>Topic names must be valid topic names ({@code tenant/namespace/name}, each part of
 * letters, digits and {@code - _ . = :}). The default names append to the consumer's topic the
 * subscription name and a suffix, so a subscription whose name holds other characters needs the
 * topics set explicitly; subscribing fails with
 * {@link TributaryClientException.InvalidTopicNameException} otherwise.
 */
public final class DeadLetterPolicy {

    /** Property of a retried or dead-lettered message: the topic it was first published to. */
    public static final String REAL_TOPIC = DeadLetters.REAL_TOPIC;
    /** Property of a retried or dead-lettered message: its id on the topic it was first published to. */
    public static final String ORIGIN_MESSAGE_ID = DeadLetters.ORIGIN_MESSAGE_ID;
    /** Property of a dead-lettered message: the subscription whose consumer gave up on it. */
    public static final String DLQ_SUBSCRIPTION = DeadLetters.DLQ_SUBSCRIPTION;
    /** Property of a dead-lettered message: how many times it had been delivered again. */
    public static final String DLQ_REDELIVERY_COUNT = DeadLetters.DLQ_REDELIVERY_COUNT;
    /** Property of a dead-lettered message: the reason of its last negative acknowledgement, if one was given. */
    public static final String DLQ_FAILURE_REASON = DeadLetters.DLQ_FAILURE_REASON;
    /** Property of a dead-lettered message: when the subscription first delivered it (epoch ms). */
    public static final String DLQ_FIRST_DELIVERY_MS = DeadLetters.DLQ_FIRST_DELIVERY_MS;
    /** Property of a dead-lettered message: when the consumer received it the last time (epoch ms). */
    public static final String DLQ_LAST_DELIVERY_MS = DeadLetters.DLQ_LAST_DELIVERY_MS;
    /** Property of a message redriven from a dead-letter topic: its id there. */
    public static final String REDRIVEN_FROM = DeadLetters.REDRIVEN_FROM;
    /** The dead-letter topic's subscription that keeps dead letters until they are redriven or purged. */
    public static final String DEFAULT_INITIAL_SUBSCRIPTION = DeadLetters.SUBSCRIPTION;
    /** Property of a retried message: how many times it was handed to {@link Consumer#reconsumeLater}. */
    public static final String RECONSUME_TIMES = "RECONSUMETIMES";

    private final int maxRedeliverCount;
    private final String deadLetterTopic;
    private final String retryLetterTopic;
    private final String initialSubscriptionName;

    private DeadLetterPolicy(int maxRedeliverCount, String deadLetterTopic, String retryLetterTopic,
                             String initialSubscriptionName) {
        this.initialSubscriptionName = initialSubscriptionName;
        this.maxRedeliverCount = maxRedeliverCount;
        this.deadLetterTopic = deadLetterTopic;
        this.retryLetterTopic = retryLetterTopic;
    }

    /** A builder; {@link Builder#maxRedeliverCount(int)} is required. */
    public static Builder builder() {
        return new Builder();
    }

    /** The highest redelivery count with which the application still sees a message. */
    public int getMaxRedeliverCount() {
        return maxRedeliverCount;
    }

    /** The dead-letter topic; null means {@code <topic>-<subscription>-DLQ}. */
    public String getDeadLetterTopic() {
        return deadLetterTopic;
    }

    /**
     * The subscription created on the dead-letter topic when the consumer first publishes there, which keeps
     * dead letters until an operator redrives or purges them ({@code admin deadletters}); default
     * {@link #DEFAULT_INITIAL_SUBSCRIPTION}.
     */
    public String getInitialSubscriptionName() {
        return initialSubscriptionName;
    }

    /** The retry topic; null means {@code <topic>-<subscription>-RETRY}. */
    public String getRetryLetterTopic() {
        return retryLetterTopic;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof DeadLetterPolicy)) {
            return false;
        }
        DeadLetterPolicy p = (DeadLetterPolicy) o;
        return maxRedeliverCount == p.maxRedeliverCount && Objects.equals(deadLetterTopic, p.deadLetterTopic)
                && Objects.equals(retryLetterTopic, p.retryLetterTopic)
                && initialSubscriptionName.equals(p.initialSubscriptionName);
    }

    @Override
    public int hashCode() {
        return Objects.hash(maxRedeliverCount, deadLetterTopic, retryLetterTopic, initialSubscriptionName);
    }

    @Override
    public String toString() {
        return "DeadLetterPolicy{maxRedeliverCount=" + maxRedeliverCount + ", deadLetterTopic=" + deadLetterTopic
                + ", retryLetterTopic=" + retryLetterTopic + ", initialSubscriptionName=" + initialSubscriptionName + "}";
    }

    /** Builds a {@link DeadLetterPolicy}. Not thread-safe. */
    public static final class Builder {
        private int maxRedeliverCount;
        private String deadLetterTopic;
        private String retryLetterTopic;
        private String initialSubscriptionName = DEFAULT_INITIAL_SUBSCRIPTION;

        private Builder() {}

        /**
         * The subscription that keeps dead letters on the dead-letter topic (created when the consumer first
         * publishes there). Default {@link #DEFAULT_INITIAL_SUBSCRIPTION}, the one {@code admin deadletters} works on.
         */
        public Builder initialSubscriptionName(String subscription) {
            this.initialSubscriptionName = Objects.requireNonNull(emptyToNull(subscription), "subscription");
            return this;
        }

        /**
         * The highest redelivery count with which the application still sees a message. Required.
         *
         * @throws IllegalArgumentException if below 1
         */
        public Builder maxRedeliverCount(int max) {
            if (max < 1) {
                throw new IllegalArgumentException("maxRedeliverCount must be at least 1");
            }
            this.maxRedeliverCount = max;
            return this;
        }

        /** The dead-letter topic. Default {@code <topic>-<subscription>-DLQ}. */
        public Builder deadLetterTopic(String topic) {
            this.deadLetterTopic = emptyToNull(topic);
            return this;
        }

        /** The retry topic, used with {@link ConsumerBuilder#enableRetry(boolean)}. Default {@code <topic>-<subscription>-RETRY}. */
        public Builder retryLetterTopic(String topic) {
            this.retryLetterTopic = emptyToNull(topic);
            return this;
        }

        /**
         * The policy.
         *
         * @throws IllegalStateException if {@link #maxRedeliverCount(int)} was not set
         */
        public DeadLetterPolicy build() {
            if (maxRedeliverCount < 1) {
                throw new IllegalStateException("maxRedeliverCount is required");
            }
            return new DeadLetterPolicy(maxRedeliverCount, deadLetterTopic, retryLetterTopic, initialSubscriptionName);
        }

        private static String emptyToNull(String s) {
            return s == null || s.isEmpty() ? null : s;
        }
    }
}
