package io.tributary.broker.topic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.api.v1.AutoTopicCreation;
import io.tributary.api.v1.AutoTopicCreationType;
import io.tributary.api.v1.NamespacePolicies;
import io.tributary.api.v1.Persistence;
import io.tributary.broker.BrokerConfig;
import io.tributary.broker.TopicLimitDefaults;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/** The broker keys of the namespace limits, and a namespace's policies over them. */
class TopicLimitsTest {

    private static BrokerConfig config(String... kv) {
        Properties p = new Properties();
        for (int i = 0; i < kv.length; i += 2) {
            p.setProperty(kv[i], kv[i + 1]);
        }
        return BrokerConfig.fromProperties(p, Map.of());
    }

    @Test
    void theBrokerKeysAreReadWithTheirDefaults() {
        TopicLimitDefaults d = config().topicLimits();
        assertThat(d).isEqualTo(TopicLimitDefaults.DEFAULT);
        TopicLimitDefaults set = config("broker.maxConsumersPerTopic", "5", "broker.maxSubscriptionsPerTopic", "6",
                "broker.maxTopicsPerNamespace", "7", "broker.autoTopicCreationType", "partitioned",
                "broker.defaultNumPartitions", "3", "broker.deduplicationEnabled", "false",
                "broker.subscriptionExpirationTime", "0").topicLimits();
        assertThat(set).isEqualTo(new TopicLimitDefaults(5, 6, 7, AutoTopicCreationType.AUTO_TOPIC_CREATION_TYPE_PARTITIONED,
                3, false, Duration.ZERO, 10_000));
        assertThat(config("broker.subscriptionExpirationTime", "2h").topicLimits().subscriptionExpirationTime())
                .isEqualTo(Duration.ofHours(2));
        assertThatThrownBy(() -> config("broker.autoTopicCreationType", "sometimes"))
                .hasMessageContaining("broker.autoTopicCreationType must be non-partitioned or partitioned");
        assertThatThrownBy(() -> config("broker.maxConsumersPerTopic", "-1")).hasMessageContaining("broker.maxConsumersPerTopic");
        assertThatThrownBy(() -> config("broker.defaultNumPartitions", "0")).hasMessageContaining("broker.defaultNumPartitions");
        assertThatThrownBy(() -> config("broker.maxPartitions", "4", "broker.defaultNumPartitions", "5"))
                .hasMessageContaining("broker.defaultNumPartitions must be in [1, broker.maxPartitions=4]");
        assertThat(config("broker.maxPartitions", "20").topicLimits().maxPartitions()).isEqualTo(20);
    }

    @Test
    void aNamespacesPolicyWinsOverTheBrokersDefaultAndZeroIsNoLimit() {
        BrokerConfig c = config("broker.maxConsumersPerTopic", "5", "broker.allowAutoTopicCreation", "false",
                "broker.ensembleSize", "3", "broker.writeQuorum", "3", "broker.ackQuorum", "2");
        TopicLimits.Effective none = TopicLimits.Effective.of("a/b", NamespacePolicies.getDefaultInstance(), c);
        assertThat(none.consumers().max()).isEqualTo(5);
        assertThat(none.consumers().source()).contains("broker.maxConsumersPerTopic");
        assertThat(none.producers().max()).isEqualTo(1000);
        assertThat(none.messageSize().max()).isEqualTo(BrokerConfig.DEFAULT_MAX_MESSAGE_SIZE);
        assertThat(none.autoTopicCreation()).isEqualTo(AutoTopicCreationType.AUTO_TOPIC_CREATION_TYPE_DISABLED);
        assertThat(none.deduplication()).isTrue();
        assertThat(none.ledgers().ensembleSize()).isEqualTo(3);

        TopicLimits.Effective set = TopicLimits.Effective.of("a/b", NamespacePolicies.newBuilder()
                .setMaxConsumersPerTopic(0).setMaxProducersPerTopic(2).setMaxMessageSizeBytes(100)
                .setAutoTopicCreation(AutoTopicCreation.newBuilder()
                        .setType(AutoTopicCreationType.AUTO_TOPIC_CREATION_TYPE_PARTITIONED).setPartitions(4))
                .setDeduplicationEnabled(false).setSubscriptionExpirationSeconds(60)
                .setPersistence(Persistence.newBuilder().setEnsembleSize(1).setWriteQuorum(1).setAckQuorum(1)).build(), c);
        assertThat(set.consumers().exceededBy(1_000_000)).isFalse();
        assertThat(set.producers().exceededBy(1)).isFalse();
        assertThat(set.producers().exceededBy(2)).isTrue();
        assertThat(set.producers().source()).isEqualTo("the most namespace a/b allows (max_producers_per_topic)");
        assertThat(set.messageSize().max()).isEqualTo(100);
        assertThat(set.autoTopicCreation()).isEqualTo(AutoTopicCreationType.AUTO_TOPIC_CREATION_TYPE_PARTITIONED);
        assertThat(set.partitions()).isEqualTo(4);
        assertThat(set.deduplication()).isFalse();
        assertThat(set.subscriptionExpirationMs()).isEqualTo(60_000);
        assertThat(set.ledgers().ensembleSize()).isEqualTo(1);
        assertThat(set.ledgers().ackQuorum()).isEqualTo(1);
    }

    @Test
    void aPartitionedTopicCountsAsItsPartitions() {
        assertThat(NamespaceTopics.count(List.of("p", "p-partition-0", "p-partition-1", "q", "r-partition-0"))).isEqualTo(4);
        assertThat(NamespaceTopics.count(List.of())).isZero();
    }
}
