package io.tributary.client.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.api.v1.ErrorReason;
import io.tributary.client.ConsumerBuilder;
import io.tributary.client.DeadLetterPolicy;
import io.tributary.client.MessageRoutingMode;
import io.tributary.client.Schema;
import io.tributary.client.TributaryClient;
import io.tributary.client.TributaryClientException;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Settings of routing, multi-topic and pattern consumers that are refused before anything is sent. */
class PartitionAndMultiTopicBuildersTest {
    private final TributaryClient client;

    PartitionAndMultiTopicBuildersTest() throws Exception {
        // nothing listens there: every case below must fail before a call is made
        client = TributaryClient.builder().serviceUrl("localhost:1").build();
    }

    @AfterEach
    void close() throws Exception {
        client.close();
    }

    private static void assertInvalidRequest(ThrowingCall call, String mentioning) {
        assertThatThrownBy(call::run).isInstanceOf(TributaryClientException.class)
                .hasMessageContaining(mentioning)
                .extracting(e -> ((TributaryClientException) e).reason()).isEqualTo(ErrorReason.INVALID_REQUEST);
    }

    private interface ThrowingCall {
        void run() throws Exception;
    }

    @Test
    void customRoutingNeedsARouterAndARouterNeedsCustomRouting() {
        assertInvalidRequest(() -> client.newProducer(Schema.STRING).topic("t/ns/x")
                .messageRoutingMode(MessageRoutingMode.CustomPartition).create(), "messageRouter");
        assertInvalidRequest(() -> client.newProducer(Schema.STRING).topic("t/ns/x").messageRouter((m, md) -> 0)
                .messageRoutingMode(MessageRoutingMode.SinglePartition).create(), "messageRouter");
        assertThatThrownBy(() -> client.newProducer(Schema.STRING).messageRouter(null))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("router");
    }

    @Test
    void topicListsMustNameTopics() {
        ConsumerBuilder<String> b = client.newConsumer(Schema.STRING);
        assertThatThrownBy(() -> b.topics(List.of())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("topics");
        assertThatThrownBy(() -> b.topics(Arrays.asList("t/ns/a", null))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("topics");
        assertThatThrownBy(() -> client.newConsumer(Schema.STRING).topics(List.of("t/ns/a", "bad name"))
                .subscriptionName("s").subscribe()).isInstanceOf(TributaryClientException.InvalidTopicNameException.class);
    }

    @Test
    void aPatternMustBeginWithALiteralNamespace() {
        ConsumerBuilder<String> b = client.newConsumer(Schema.STRING);
        for (String bad : List.of(".*", "t/.*", "t/ns.*/x", "t/[a-z]+/x")) {
            assertThatThrownBy(() -> b.topicsPattern(bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("topicsPattern");
        }
        assertThatThrownBy(() -> b.topicsPattern("t/ns/(")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("topicsPattern");
        b.topicsPattern("t/ns/orders-.*");
        b.topicsPattern(Pattern.compile("persistent://t/ns/.*"));
        assertThatThrownBy(() -> b.patternAutoDiscoveryPeriod(0, TimeUnit.SECONDS))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("patternAutoDiscoveryPeriod");
    }

    @Test
    void aPatternExcludesTopicsAndNeedsNamedLetterTopics() {
        assertInvalidRequest(() -> client.newConsumer(Schema.STRING).topic("t/ns/a").topicsPattern("t/ns/.*")
                .subscriptionName("s").subscribe(), "topicsPattern");
        assertInvalidRequest(() -> client.newConsumer(Schema.STRING).topicsPattern("t/ns/.*").subscriptionName("s")
                .deadLetterPolicy(DeadLetterPolicy.builder().maxRedeliverCount(3).build()).subscribe(), "deadLetterTopic");
    }

    @Test
    void theAcknowledgmentGroupTimeIsZeroOrAtLeastAMillisecond() {
        ConsumerBuilder<String> b = client.newConsumer(Schema.STRING);
        assertThatThrownBy(() -> b.acknowledgmentGroupTime(-1, TimeUnit.MILLISECONDS))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("acknowledgmentGroupTime");
        assertThatThrownBy(() -> b.acknowledgmentGroupTime(10, TimeUnit.MICROSECONDS))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("acknowledgmentGroupTime");
        b.acknowledgmentGroupTime(0, TimeUnit.MILLISECONDS).acknowledgmentGroupTime(1, TimeUnit.SECONDS);
    }

    @Test
    void listenerAndBatchPolicyAreRequiredWhenSet() {
        ConsumerBuilder<String> b = client.newConsumer(Schema.STRING);
        assertThatThrownBy(() -> b.messageListener(null)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("listener");
        assertThatThrownBy(() -> b.batchReceivePolicy(null)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("policy");
    }
}
