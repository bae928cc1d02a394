package io.tributary.broker.ratelimit;

import io.tributary.api.v1.NamespacePolicies;
import io.tributary.api.v1.Rate;
import io.tributary.broker.RateLimitDefaults;

/** The rate limits in force for a namespace: each one its policies set, else the broker's default. */
public record RateLimits(Rate publishPerTopic, Rate publishPerNamespace, Rate dispatchPerSubscription, Rate dispatchPerTopic) {

    public static RateLimits of(NamespacePolicies p, RateLimitDefaults d) {
        return new RateLimits(
                p.hasPublishRatePerTopic() ? p.getPublishRatePerTopic() : d.publishPerTopic(),
                p.hasPublishRatePerNamespace() ? p.getPublishRatePerNamespace() : d.publishPerNamespace(),
                p.hasDispatchRatePerSubscription() ? p.getDispatchRatePerSubscription() : d.dispatchPerSubscription(),
                p.hasDispatchRatePerTopic() ? p.getDispatchRatePerTopic() : d.dispatchPerTopic());
    }

    /** {@code r} as it limits: fields <= 0 become 0 (no limit). */
    static Rate normal(Rate r) {
        return Rate.newBuilder().setMessagesPerSecond(Math.max(0, r.getMessagesPerSecond()))
                .setBytesPerSecond(Math.max(0, r.getBytesPerSecond())).build();
    }
}
