package io.tributary.broker.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.api.v1.NamespacePolicies;
import io.tributary.api.v1.Rate;
import io.tributary.broker.RateLimitDefaults;
import io.tributary.protocol.config.Settings;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class RateLimitDefaultsTest {

    private static Settings settings(String... kv) {
        Properties p = new Properties();
        for (int i = 0; i < kv.length; i += 2) {
            p.setProperty(kv[i], kv[i + 1]);
        }
        return new Settings(p, Map.of());
    }

    @Test
    void keysDefaultToNoLimitAndNamespacePoliciesOverrideThem() {
        assertThat(RateLimitDefaults.from(settings())).isEqualTo(RateLimitDefaults.NONE);
        RateLimitDefaults d = RateLimitDefaults.from(settings("broker.publishRateMessagesPerTopic", "100",
                "broker.publishRateBytesPerNamespace", "2048", "broker.dispatchRateMessagesPerSubscription", "7",
                "broker.dispatchRateBytesPerTopic", "9"));
        assertThat(d.publishPerTopic()).isEqualTo(Rate.newBuilder().setMessagesPerSecond(100).build());
        assertThat(d.publishPerNamespace()).isEqualTo(Rate.newBuilder().setBytesPerSecond(2048).build());
        RateLimits l = RateLimits.of(NamespacePolicies.newBuilder()
                .setPublishRatePerTopic(Rate.newBuilder().setMessagesPerSecond(5)).build(), d);
        assertThat(l.publishPerTopic().getMessagesPerSecond()).isEqualTo(5);
        assertThat(l.dispatchPerSubscription().getMessagesPerSecond()).isEqualTo(7);
        assertThat(l.dispatchPerTopic().getBytesPerSecond()).isEqualTo(9);
    }

    @Test
    void negativeKeyIsRefusedByName() {
        assertThatThrownBy(() -> RateLimitDefaults.from(settings("broker.dispatchRateBytesPerTopic", "-1")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("broker.dispatchRateBytesPerTopic");
    }
}
