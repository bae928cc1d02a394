package io.tributary.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.api.v1.ErrorReason;
import org.junit.jupiter.api.Test;

class NameRulesTest {

    @Test
    void aSubscriptionNameIsOneZnodeNameOfAtMost256Characters() {
        assertThat(SubscriptionName.check("orders-audit_1.v2=x:y")).isEqualTo("orders-audit_1.v2=x:y");
        assertThat(SubscriptionName.check("s".repeat(256))).hasSize(256);
        // applications name subscriptions after classes and jobs
        assertThat(SubscriptionName.check("wrong-json-io.app.Outer$Inner#2@eu")).isEqualTo("wrong-json-io.app.Outer$Inner#2@eu");
        for (String bad : new String[] {"a/b", ".", "..", "", "s".repeat(257), "tab\there", "with space", "nul\0", "ünï"}) {
            assertThatThrownBy(() -> SubscriptionName.check(bad)).as(bad)
                    .isInstanceOfSatisfying(TributaryException.class, e -> {
                        assertThat(e.reason()).isEqualTo(ErrorReason.INVALID_REQUEST);
                        assertThat(e.getMessage()).contains(SubscriptionName.RULE);
                    });
        }
        assertThat(SubscriptionName.problem(null)).contains("required");
        assertThat(SubscriptionName.problem("s".repeat(10_000))).as("a long name is not echoed whole").hasSizeLessThan(300);
    }

    @Test
    void topicNamePartsMayNotBeDotNames() {
        for (String bad : new String[] {"public/default/..", "public/./t", "../default/t"}) {
            assertThatThrownBy(() -> TopicName.of(bad)).as(bad).isInstanceOfSatisfying(TributaryException.class,
                    e -> assertThat(e.reason()).isEqualTo(ErrorReason.INVALID_TOPIC_NAME));
        }
        assertThat(TopicName.of("public/default/a.b").localName()).isEqualTo("a.b");
        assertThatThrownBy(() -> TopicName.namespaceOf("public/..")).isInstanceOf(TributaryException.class);
        assertThatThrownBy(() -> TopicName.tenantOf(".")).isInstanceOf(TributaryException.class);
    }
}
