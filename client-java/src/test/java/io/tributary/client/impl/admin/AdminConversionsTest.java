package io.tributary.client.impl.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.api.v1.ConsumerStats;
import io.tributary.api.v1.SubscriptionStats;
import io.tributary.api.v1.SubscriptionType;
import io.tributary.client.MessageId;
import io.tributary.client.admin.BacklogQuota;
import io.tributary.client.admin.BacklogQuotaPolicy;
import io.tributary.client.admin.NamespacePolicies;
import io.tributary.client.admin.TopicStats;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The admin client's conversions: policies both ways, and stats summed over partitions. */
class AdminConversionsTest {

    @Test
    void policiesRoundTripWithUnsetFieldsLeftUnset() {
        NamespacePolicies p = NamespacePolicies.builder().retentionTimeSeconds(NamespacePolicies.FOREVER)
                .retentionSizeBytes(1 << 20).messageTtlSeconds(600)
                .backlogQuota(5_000, BacklogQuotaPolicy.PRODUCER_EXCEPTION).build();
        assertThat(AdminConversions.policies(AdminConversions.toProto(p))).isEqualTo(p);

        NamespacePolicies ttlOnly = NamespacePolicies.builder().messageTtlSeconds(30).build();
        io.tributary.api.v1.NamespacePolicies proto = AdminConversions.toProto(ttlOnly);
        assertThat(proto.hasRetentionTimeSeconds()).isFalse();
        assertThat(proto.hasBacklogQuota()).isFalse();
        assertThat(AdminConversions.policies(proto).retentionTimeSeconds()).isEmpty();
        assertThat(AdminConversions.policies(proto).messageTtlSeconds()).hasValue(30);
        assertThat(ttlOnly.toString()).isEqualTo("NamespacePolicies{messageTtlSeconds=30}");
        assertThat(AdminConversions.policies(io.tributary.api.v1.NamespacePolicies.getDefaultInstance()))
                .isEqualTo(NamespacePolicies.empty());

        NamespacePolicies noQuota = NamespacePolicies.builder().backlogQuota(new BacklogQuota(0, BacklogQuotaPolicy.NONE)).build();
        assertThat(AdminConversions.policies(AdminConversions.toProto(noQuota))).isEqualTo(noQuota);
    }

    @Test
    void policiesCheckTheirValues() {
        assertThatThrownBy(() -> NamespacePolicies.builder().retentionTimeSeconds(-2)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> NamespacePolicies.builder().retentionSizeBytes(-5)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> NamespacePolicies.builder().messageTtlSeconds(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> NamespacePolicies.builder().backlogQuota(null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new BacklogQuota(10, null)).isInstanceOf(IllegalArgumentException.class);
    }

    private static io.tributary.api.v1.TopicStats partition(int i, long in, long backlog, String consumer) {
        return io.tributary.api.v1.TopicStats.newBuilder().setTopic("t/n/x-partition-" + i).setMsgRateIn(1.5).setMsgInTotal(in)
                .setStorageSizeBytes(100).setEntries(in).setLedgers(1).setProducers(1).setBacklogBytes(backlog * 10)
                .addSubscriptions(SubscriptionStats.newBuilder().setSubscription("audit").setType(SubscriptionType.SHARED)
                        .setDurable(true).setMsgBacklog(backlog).setBacklogBytes(backlog * 10).setMsgOutTotal(in - backlog)
                        .setMarkDeletePosition(io.tributary.api.v1.MessageId.newBuilder().setLedgerId(9 + i).setEntryId(4))
                        .addConsumers(ConsumerStats.newBuilder().setConsumerName(consumer).setPermits(10)
                                .setUnackedMessages(1).setActive(true)))
                .build();
    }

    @Test
    void aPartitionedTopicsStatsAreTheSumsOfItsPartitions() {
        TopicStats p0 = AdminConversions.stats(partition(0, 10, 4, "worker"), 0);
        TopicStats p1 = AdminConversions.stats(partition(1, 20, 6, "worker"), 1);
        assertThat(p1.subscription("audit").markDeletePosition()).isEqualTo(new MessageId(10, 4, -1, 1, 0));

        TopicStats sum = AdminConversions.sum("t/n/x", List.of(p0, p1));
        assertThat(sum.topic()).isEqualTo("t/n/x");
        assertThat(sum.msgInTotal()).isEqualTo(30);
        assertThat(sum.msgRateIn()).isEqualTo(3.0);
        assertThat(sum.entries()).isEqualTo(30);
        assertThat(sum.ledgers()).isEqualTo(2);
        assertThat(sum.producers()).isEqualTo(2);
        assertThat(sum.storageSizeBytes()).isEqualTo(200);
        assertThat(sum.partitions()).containsExactly(p0, p1);
        assertThat(sum.subscriptions()).singleElement().satisfies(s -> {
            assertThat(s.name()).isEqualTo("audit");
            assertThat(s.type()).isEqualTo(io.tributary.client.SubscriptionType.Shared);
            assertThat(s.msgBacklog()).isEqualTo(10);
            assertThat(s.backlogBytes()).isEqualTo(100);
            assertThat(s.msgOutTotal()).isEqualTo(20);
            assertThat(s.markDeletePosition()).isNull();
            assertThat(s.consumers()).singleElement().satisfies(c -> {
                assertThat(c.consumerName()).isEqualTo("worker");
                assertThat(c.permits()).isEqualTo(20);
                assertThat(c.unackedMessages()).isEqualTo(2);
            });
        });
        assertThat(sum.backlogBytes()).as("the largest summed subscription backlog").isEqualTo(100);
    }
}
