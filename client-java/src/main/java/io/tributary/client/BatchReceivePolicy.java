package io.tributary.client;

import java.time.Duration;
import java.util.Objects;

/**
 * When {@link Consumer#batchReceive()} returns: as soon as the receiver queue holds
 * {@link #getMaxNumMessages()} messages or {@link #getMaxNumBytes()} bytes of values, or when
 * {@link #getTimeout()} has passed, with what has come by then (possibly nothing). Immutable;
 * made with {@link #builder()}. The defaults are Pulsar's: 100 messages, 10 MiB, 100 ms.
 *
 * <pre>{@code
 * BatchReceivePolicy policy = BatchReceivePolicy.builder()
 *         .maxNumMessages(500).maxNumBytes(1024 * 1024).timeout(Duration.ofMillis(200)).build();
 * }</pre>
 */
public final class BatchReceivePolicy {

    /** 100 messages, 10 MiB, 100 ms. */
    public static final BatchReceivePolicy DEFAULT = builder().build();

    private final int maxNumMessages;
    private final long maxNumBytes;
    private final Duration timeout;

    private BatchReceivePolicy(int maxNumMessages, long maxNumBytes, Duration timeout) {
        this.maxNumMessages = maxNumMessages;
        this.maxNumBytes = maxNumBytes;
        this.timeout = timeout;
    }

    /** A builder with the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** At most this many messages in a batch. */
    public int getMaxNumMessages() {
        return maxNumMessages;
    }

    /**
     * At most about this many bytes of message values in a batch: a message that would take the
     * batch over it waits for the next batch, except the first, which is always taken.
     */
    public long getMaxNumBytes() {
        return maxNumBytes;
    }

    /** How long a batch receive waits for a full batch; zero: it takes what is there at once. */
    public Duration getTimeout() {
        return timeout;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof BatchReceivePolicy)) {
            return false;
        }
        BatchReceivePolicy p = (BatchReceivePolicy) o;
        return maxNumMessages == p.maxNumMessages && maxNumBytes == p.maxNumBytes && timeout.equals(p.timeout);
    }

    @Override
    public int hashCode() {
        return Objects.hash(maxNumMessages, maxNumBytes, timeout);
    }

    @Override
    public String toString() {
        return "BatchReceivePolicy{maxNumMessages=" + maxNumMessages + ", maxNumBytes=" + maxNumBytes + ", timeout="
                + timeout + "}";
    }

    /** Builds a {@link BatchReceivePolicy}. Not thread-safe. */
    public static final class Builder {
        private int maxNumMessages = 100;
        private long maxNumBytes = 10L * 1024 * 1024;
        private Duration timeout = Duration.ofMillis(100);

        private Builder() {}

        /**
         * At most this many messages per batch. Default 100.
         *
         * @throws IllegalArgumentException if not positive
         */
        public Builder maxNumMessages(int maxNumMessages) {
            if (maxNumMessages < 1) {
                throw new IllegalArgumentException("maxNumMessages must be at least 1, was " + maxNumMessages);
            }
            this.maxNumMessages = maxNumMessages;
            return this;
        }

        /**
         * At most about this many bytes of values per batch. Default 10 MiB.
         *
         * @throws IllegalArgumentException if not positive
         */
        public Builder maxNumBytes(long maxNumBytes) {
            if (maxNumBytes < 1) {
                throw new IllegalArgumentException("maxNumBytes must be at least 1, was " + maxNumBytes);
            }
            this.maxNumBytes = maxNumBytes;
            return this;
        }

        /**
         * How long to wait for a full batch. Default 100 ms; zero takes what is queued at once.
         *
         * @throws IllegalArgumentException if negative
         */
        public Builder timeout(Duration timeout) {
            Objects.requireNonNull(timeout, "timeout");
            if (timeout.isNegative()) {
                throw new IllegalArgumentException("timeout must not be negative, was " + timeout);
            }
            this.timeout = timeout;
            return this;
        }

        /** {@link #timeout(Duration)} in a unit. */
        public Builder timeout(long timeout, java.util.concurrent.TimeUnit unit) {
            Objects.requireNonNull(unit, "unit");
            if (timeout < 0) {
                throw new IllegalArgumentException("timeout must not be negative, was " + timeout + " " + unit);
            }
            return timeout(Duration.ofNanos(unit.toNanos(timeout)));
        }

        /** The policy. */
        public BatchReceivePolicy build() {
            return new BatchReceivePolicy(maxNumMessages, maxNumBytes, timeout);
        }
    }
}
