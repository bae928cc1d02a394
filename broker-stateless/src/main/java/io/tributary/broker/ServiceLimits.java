package io.tributary.broker;

import com.google.common.base.Preconditions;
import io.tributary.protocol.config.Settings;
import java.time.Duration;

/**
 * What one broker lets its clients hold, in bytes, calls and time (see docs/configuration.md), so
 * that no client can take the broker's memory or its connections, and a frozen peer is noticed
 * within the ZooKeeper session timeout.
 *
 * @param receiveInvisibleDuration messages a unary Receive handed out and not acknowledged within this
 *                                 are delivered again (a request may ask for its own duration)
 * @param maxReceiveResponseBytes  most bytes of messages in one Receive response (at least one message is sent)
 * @param maxPublishBufferBytes    bytes of publish requests received and not yet stored, broker-wide; when
 *                                 full the broker stops reading producers' streams until it drains
 * @param maxConcurrentCallsPerConnection gRPC calls one connection may have open at once
 * @param keepAliveTime            the broker pings an idle client connection this often
 * @param keepAliveTimeout         and closes it when a ping is not answered within this
 * @param maxProducersPerTopic     live producers one topic accepts on this broker; more are refused with PRODUCER_BUSY
 * @param maxSendMessages          plain messages one Send call (or one PublishMessages request) may carry; more are
 *                                 refused with INVALID_REQUEST before anything is sized by their count
 */
public record ServiceLimits(
        Duration receiveInvisibleDuration,
        int maxReceiveResponseBytes,
        long maxPublishBufferBytes,
        int maxConcurrentCallsPerConnection,
        Duration keepAliveTime,
        Duration keepAliveTimeout,
        int maxProducersPerTopic,
        int maxSendMessages) {

    /** Shortest invisible duration a request may ask for: shorter ones would redeliver under the client's feet. */
    public static final Duration MIN_INVISIBLE_DURATION = Duration.ofMillis(100);
    /** Longest invisible duration a request may ask for. */
    public static final Duration MAX_INVISIBLE_DURATION = Duration.ofHours(12);

    public static final ServiceLimits DEFAULT = new ServiceLimits(Duration.ofSeconds(30), 4 * 1024 * 1024,
            64L * 1024 * 1024, 1000, Duration.ofSeconds(5), Duration.ofSeconds(5), 1000, 1000);

    public ServiceLimits {
        Preconditions.checkArgument(receiveInvisibleDuration.compareTo(MIN_INVISIBLE_DURATION) >= 0
                        && receiveInvisibleDuration.compareTo(MAX_INVISIBLE_DURATION) <= 0,
                "broker.receiveInvisibleDuration must be in [100ms, 12h], was %s", receiveInvisibleDuration);
        Preconditions.checkArgument(maxReceiveResponseBytes >= 1024,
                "broker.maxReceiveResponseBytes must be >= 1024, was %s", maxReceiveResponseBytes);
        Preconditions.checkArgument(maxPublishBufferBytes >= 1024,
                "broker.maxPublishBufferBytes must be >= 1024, was %s", maxPublishBufferBytes);
        Preconditions.checkArgument(maxConcurrentCallsPerConnection >= 1,
                "broker.maxConcurrentCallsPerConnection must be >= 1, was %s", maxConcurrentCallsPerConnection);
        Preconditions.checkArgument(!keepAliveTime.isNegative() && !keepAliveTime.isZero(), "broker.keepAliveTime must be positive");
        Preconditions.checkArgument(!keepAliveTimeout.isNegative() && !keepAliveTimeout.isZero(),
                "broker.keepAliveTimeout must be positive");
        Preconditions.checkArgument(maxProducersPerTopic >= 1,
                "broker.maxProducersPerTopic must be >= 1, was %s", maxProducersPerTopic);
        Preconditions.checkArgument(maxSendMessages >= 1 && maxSendMessages <= 1_000_000,
                "broker.maxSendMessages must be in [1, 1000000], was %s", maxSendMessages);
    }

    /** Reads the {@code broker.*} keys of these limits, each defaulting to {@link #DEFAULT}'s. */
    public static ServiceLimits from(Settings s) {
        ServiceLimits d = DEFAULT;
        return new ServiceLimits(
                s.getDuration("broker.receiveInvisibleDuration", d.receiveInvisibleDuration()),
                s.getInt("broker.maxReceiveResponseBytes", d.maxReceiveResponseBytes()),
                s.getLong("broker.maxPublishBufferBytes", d.maxPublishBufferBytes()),
                s.getInt("broker.maxConcurrentCallsPerConnection", d.maxConcurrentCallsPerConnection()),
                s.getDuration("broker.keepAliveTime", d.keepAliveTime()),
                s.getDuration("broker.keepAliveTimeout", d.keepAliveTimeout()),
                s.getInt("broker.maxProducersPerTopic", d.maxProducersPerTopic()),
                s.getInt("broker.maxSendMessages", d.maxSendMessages()));
    }

    public ServiceLimits withReceiveInvisibleDuration(Duration d) {
        return new ServiceLimits(d, maxReceiveResponseBytes, maxPublishBufferBytes, maxConcurrentCallsPerConnection,
                keepAliveTime, keepAliveTimeout, maxProducersPerTopic, maxSendMessages);
    }

    public ServiceLimits withMaxPublishBufferBytes(long bytes) {
        return new ServiceLimits(receiveInvisibleDuration, maxReceiveResponseBytes, bytes, maxConcurrentCallsPerConnection,
                keepAliveTime, keepAliveTimeout, maxProducersPerTopic, maxSendMessages);
    }

    public ServiceLimits withMaxProducersPerTopic(int max) {
        return new ServiceLimits(receiveInvisibleDuration, maxReceiveResponseBytes, maxPublishBufferBytes,
                maxConcurrentCallsPerConnection, keepAliveTime, keepAliveTimeout, max, maxSendMessages);
    }

    public ServiceLimits withMaxSendMessages(int max) {
        return new ServiceLimits(receiveInvisibleDuration, maxReceiveResponseBytes, maxPublishBufferBytes,
                maxConcurrentCallsPerConnection, keepAliveTime, keepAliveTimeout, maxProducersPerTopic, max);
    }

    /** The invisible duration a Receive asked for (0: the default), within the allowed range. */
    public long invisibleMs(long requestedMs) {
        if (requestedMs == 0) {
            return receiveInvisibleDuration.toMillis();
        }
        return Math.max(MIN_INVISIBLE_DURATION.toMillis(), Math.min(requestedMs, MAX_INVISIBLE_DURATION.toMillis()));
    }
}
