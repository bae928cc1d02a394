package io.tributary.client;

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
    public static final String REAL_TOPIC = "REAL_TOPIC";
    /** Property of a retried or dead-lettered message: its id on the topic it was first published to. */
    public static final String ORIGIN_MESSAGE_ID = "ORIGIN_MESSAGE_ID";
    /** Property of a retried message: how many times it was handed to {@link Consumer#reconsumeLater}. */
    public static final String RECONSUME_TIMES = "RECONSUMETIMES";

    private final int maxRedeliverCount;
    private final String deadLetterTopic;
    private final String retryLetterTopic;

    private DeadLetterPolicy(int maxRedeliverCount, String deadLetterTopic, String retryLetterTopic) {
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
                && Objects.equals(retryLetterTopic, p.retryLetterTopic);
    }

    @Override
    public int hashCode() {
        return Objects.hash(maxRedeliverCount, deadLetterTopic, retryLetterTopic);
    }

    @Override
    public String toString() {
        return "DeadLetterPolicy{maxRedeliverCount=" + maxRedeliverCount + ", deadLetterTopic=" + deadLetterTopic
                + ", retryLetterTopic=" + retryLetterTopic + "}";
    }

    /** Builds a {@link DeadLetterPolicy}. Not thread-safe. */
    public static final class Builder {
        private int maxRedeliverCount;
        private String deadLetterTopic;
        private String retryLetterTopic;

        private Builder() {}

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
            return new DeadLetterPolicy(maxRedeliverCount, deadLetterTopic, retryLetterTopic);
        }

        private static String emptyToNull(String s) {
            return s == null || s.isEmpty() ? null : s;
        }
    }
}
