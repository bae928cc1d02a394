package io.tributary.chaos.load;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class LoadPlanTest {
    @Test
    void oneSeedGivesOnePlanAndItsJsonReplaysIt() {
        LoadPlan a = LoadPlan.fromSeed(42, Duration.ofMinutes(2));
        assertThat(LoadPlan.fromSeed(42, Duration.ofMinutes(2))).isEqualTo(a);
        assertThat(LoadPlan.fromSeed(43, Duration.ofMinutes(2))).isNotEqualTo(a);
        assertThat(LoadPlan.fromJson(a.toJson())).isEqualTo(a);
        assertThat(a.toJson()).contains("\"seed\" : 42", "KEY_SHARED", "FAILOVER", "EXCLUSIVE", "SHARED", "READER");
    }

    @Test
    void thePlanCoversEveryKindOfLoadTheSuiteNeeds() {
        LoadPlan p = LoadPlan.fromSeed(-7, Duration.ofSeconds(20));
        assertThat(p.topics()).anyMatch(t -> t.partitions() > 1);
        assertThat(p.producers()).extracting(LoadPlan.ProducerPlan::mode)
                .contains(LoadPlan.ProducerMode.BATCHED, LoadPlan.ProducerMode.UNBATCHED, LoadPlan.ProducerMode.KEY_BASED,
                        LoadPlan.ProducerMode.PAIRED);
        assertThat(p.subscriptions()).extracting(LoadPlan.SubscriptionPlan::ackStyle)
                .contains(LoadPlan.AckStyle.INDIVIDUAL, LoadPlan.AckStyle.CUMULATIVE,
                        LoadPlan.AckStyle.NEGATIVE_THEN_INDIVIDUAL, LoadPlan.AckStyle.EVEN_ONLY);
        assertThat(p.shortLived()).isNotEmpty();
        assertThat(p.pollers()).isNotEmpty();
        // modest: a few hundred messages a second at most, all producers together
        assertThat(p.producers().stream().mapToInt(LoadPlan.ProducerPlan::messagesPerSecond).sum()).isLessThan(400);
        assertThat(LoadPlan.partitionsOf(new LoadPlan.TopicPlan("a/b/c", 2))).containsExactly("a/b/c-partition-0",
                "a/b/c-partition-1");
    }
}
