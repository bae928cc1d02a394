package io.tributary.broker;

import com.google.common.base.Preconditions;
import io.tributary.api.v1.Rate;
import io.tributary.protocol.config.Settings;

/**
 * The broker's default publish and dispatch rate limits, for namespaces whose policies set none
 * (docs/administration.md, "Rate limits"). A value of 0 does not limit.
 *
 * @param publishPerTopic          each topic's publishing ({@code broker.publishRate*PerTopic})
 * @param publishPerNamespace      all topics of a namespace together, over all brokers ({@code broker.publishRate*PerNamespace})
 * @param dispatchPerSubscription  each subscription's dispatch ({@code broker.dispatchRate*PerSubscription})
 * @param dispatchPerTopic         all subscriptions of a topic together ({@code broker.dispatchRate*PerTopic})
 */
public record RateLimitDefaults(Rate publishPerTopic, Rate publishPerNamespace, Rate dispatchPerSubscription,
                                Rate dispatchPerTopic) {

    public static final RateLimitDefaults NONE = new RateLimitDefaults(Rate.getDefaultInstance(),
            Rate.getDefaultInstance(), Rate.getDefaultInstance(), Rate.getDefaultInstance());

    /** Reads the {@code broker.publishRate*} and {@code broker.dispatchRate*} keys, each 0 (no limit) by default. */
    public static RateLimitDefaults from(Settings s) {
        return new RateLimitDefaults(rate(s, "publishRateMessagesPerTopic", "publishRateBytesPerTopic"),
                rate(s, "publishRateMessagesPerNamespace", "publishRateBytesPerNamespace"),
                rate(s, "dispatchRateMessagesPerSubscription", "dispatchRateBytesPerSubscription"),
                rate(s, "dispatchRateMessagesPerTopic", "dispatchRateBytesPerTopic"));
    }

    private static Rate rate(Settings s, String messagesKey, String bytesKey) {
        long messages = s.getLong("broker." + messagesKey, 0);
        long bytes = s.getLong("broker." + bytesKey, 0);
        Preconditions.checkArgument(messages >= 0, "broker.%s must be >= 0 (0: no limit), was %s", messagesKey, messages);
        Preconditions.checkArgument(bytes >= 0, "broker.%s must be >= 0 (0: no limit), was %s", bytesKey, bytes);
        return Rate.newBuilder().setMessagesPerSecond(messages).setBytesPerSecond(bytes).build();
    }
}
