package io.tributary.it.observability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.prometheus.client.Collector.MetricFamilySamples;
import io.tributary.api.v1.AdminServiceGrpc;
import io.tributary.api.v1.GetTopicStatsRequest;
import io.tributary.cli.Standalone;
import io.tributary.client.Consumer;
import io.tributary.client.DeadLetterPolicy;
import io.tributary.client.Message;
import io.tributary.client.Producer;
import io.tributary.client.Schema;
import io.tributary.client.SubscriptionInitialPosition;
import io.tributary.client.SubscriptionType;
import io.tributary.client.TributaryClient;
import io.tributary.client.admin.BacklogQuotaPolicy;
import io.tributary.client.admin.NamespacePolicies;
import io.tributary.client.admin.PublisherStats;
import io.tributary.client.admin.SubscriptionStats;
import io.tributary.client.admin.TopicStats;
import io.tributary.client.admin.TributaryAdmin;
import io.tributary.it.TestClusters;
import io.tributary.storage.log.ManagedLogConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The topic and subscription metrics say what the admin API says, per topic or per namespace. */
class TopicMetricsTest {
    @TempDir
    Path dir;

    /** The samples named {@code name}, by their label values joined with '/'. */
    static Map<String, Double> samples(Standalone standalone, String name) {
        Map<String, Double> out = new TreeMap<>();
        for (MetricFamilySamples f : Collections.list(standalone.broker().metrics().registry().metricFamilySamples())) {
            for (MetricFamilySamples.Sample s : f.samples) {
                if (s.name.equals(name)) {
                    out.put(String.join("|", s.labelValues), s.value);
                }
            }
        }
        return out;
    }

    /** Publishes 30 messages and takes 15 on a shared subscription, acknowledging 10. */
    static void traffic(Standalone standalone, String topic) throws Exception {
        try (TributaryClient client = TributaryClient.builder().serviceUrl(standalone.serviceUrl()).build()) {
            Consumer<String> consumer = client.newConsumer(Schema.STRING).topic(topic).subscriptionName("billing")
                    .subscriptionType(SubscriptionType.Shared).receiverQueueSize(15)
                    .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe();
            try (Producer<String> producer = client.newProducer(Schema.STRING).topic(topic).create()) {
                for (int i = 0; i < 30; i++) {
                    producer.send("message " + i);
                }
            }
            List<Message<String>> got = new ArrayList<>();
            for (int i = 0; i < 15; i++) {
                Message<String> m = consumer.receive(30, TimeUnit.SECONDS);
                assertThat(m).isNotNull();
                got.add(m);
            }
            for (Message<String> m : got.subList(0, 10)) {
                consumer.acknowledge(m);
            }
        }
    }

    @Test
    void perTopicSeriesMatchTheAdminApi() throws Exception {
        try (Standalone standalone = new Standalone(TestClusters.options(dir.toFile(), c -> c.toBuilder().clusterName("east").build())).start()) {
            String topic = "public/default/metered";
            traffic(standalone, topic);
            String key = "east|public/default|" + topic;
            assertThat(samples(standalone, "tributary_topic_messages_in_total")).containsEntry(key, 30.0);
            assertThat(samples(standalone, "tributary_topic_bytes_in_total").get(key)).isGreaterThan(30 * "message 0".length());
            try (TributaryAdmin admin = TributaryAdmin.builder().serviceUrl(standalone.serviceUrl()).build()) {
                TopicStats stats = admin.topics().getStats(topic);
                SubscriptionStats billing = stats.subscriptions().get(0);
                String sub = key + "|billing";
                assertThat(samples(standalone, "tributary_subscription_backlog_messages")).containsEntry(sub, (double) billing.msgBacklog());
                assertThat(samples(standalone, "tributary_subscription_backlog_bytes")).containsEntry(sub, (double) billing.backlogBytes());
                assertThat(billing.msgBacklog()).isEqualTo(20);
                assertThat(samples(standalone, "tributary_topic_storage_size_bytes")).containsEntry(key, (double) stats.storageSizeBytes());
                // a refusal of the broker's is counted by its reason
                ManagedChannel toBroker = NettyChannelBuilder.forTarget(standalone.broker().address()).usePlaintext().build();
                try {
                    assertThatThrownBy(() -> AdminServiceGrpc.newBlockingStub(toBroker).getTopicStats(
                            GetTopicStatsRequest.newBuilder().setTopic("public/default/never-made").build()))
                            .hasMessageContaining("TOPIC_NOT_FOUND");
                } finally {
                    toBroker.shutdownNow();
                }
                assertThat(samples(standalone, "tributary_broker_rejections_total")).containsKey("TOPIC_NOT_FOUND");
            }
            assertThat(samples(standalone, "tributary_topic_subscriptions")).containsEntry(key, 1.0);
        }
    }

    @Test
    void withoutTopicLevelOnlyNamespacesHaveSeries() throws Exception {
        try (Standalone standalone = new Standalone(TestClusters.options(dir.toFile(), c -> c.toBuilder().metricsTopicLevel(false).build()))
                .start()) {
            traffic(standalone, "public/default/one");
            traffic(standalone, "public/default/two");
            assertThat(samples(standalone, "tributary_topic_messages_in_total")).containsOnlyKeys("standalone|public/default")
                    .containsEntry("standalone|public/default", 60.0);
            assertThat(samples(standalone, "tributary_subscription_backlog_messages")).containsOnlyKeys("standalone|public/default")
                    .containsEntry("standalone|public/default", 40.0);
        }
    }

    @Test
    void withoutProducerLevelTopicsKeepTheirSeriesAndProducersHaveNone() throws Exception {
        try (Standalone standalone = new Standalone(TestClusters.options(dir.toFile(), c -> c.toBuilder().metricsProducerLevel(false).build()))
                .start()) {
            try (TributaryClient client = TributaryClient.builder().serviceUrl(standalone.serviceUrl()).build();
                 Producer<String> producer = client.newProducer(Schema.STRING).topic("public/default/quiet").create()) {
                producer.send("one");
                // the producer is connected: with producer level on it would have its series now
                assertThat(samples(standalone, "tributary_topic_messages_in_total"))
                        .containsEntry("standalone|public/default|public/default/quiet", 1.0);
                assertThat(samples(standalone, "tributary_topic_producers"))
                        .containsEntry("standalone|public/default|public/default/quiet", 1.0);
                assertThat(samples(standalone, "tributary_producer_messages_in_total")).isEmpty();
            }
        }
    }

    @Test
    void rolloversTrimsAndCursorWritesAreCounted() throws Exception {
        try (Standalone standalone = new Standalone(TestClusters.options(dir.toFile(), c -> c.toBuilder()
                .log(ManagedLogConfig.DEFAULT.withRollover(1 << 30, 10, Duration.ofHours(1)))
                .policyCheckInterval(Duration.ofMillis(200)).build())).start();
             TributaryClient client = TributaryClient.builder().serviceUrl(standalone.serviceUrl()).build();
             Consumer<String> consumer = client.newConsumer(Schema.STRING).topic("public/default/rolled").subscriptionName("s")
                     .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe();
             Producer<String> producer = client.newProducer(Schema.STRING).topic("public/default/rolled").create()) {
            for (int i = 0; i < 50; i++) {
                producer.send("m" + i); // one entry each: a new ledger every ten
            }
            for (int i = 0; i < 50; i++) {
                Message<String> m = consumer.receive(30, TimeUnit.SECONDS);
                assertThat(m).isNotNull();
                consumer.acknowledge(m);
            }
            assertThat(samples(standalone, "tributary_broker_ledger_rollovers_total").get("")).isGreaterThanOrEqualTo(4.0);
            // everything acknowledged and no retention: the consumed ledgers go, and the cursor was written
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                assertThat(samples(standalone, "tributary_broker_ledgers_trimmed_total").get("")).isGreaterThanOrEqualTo(1.0);
                assertThat(samples(standalone, "tributary_broker_cursor_persist_seconds_count").get("")).isGreaterThanOrEqualTo(1.0);
            });
            assertThat(samples(standalone, "tributary_broker_cursor_persist_failures_total").get("")).isZero();
        }
    }

    @Test
    void producersBacklogAgeDeadLettersAndTheBacklogQuotaHaveSeriesThatMatchTheAdminApi() throws Exception {
        String topic = "public/default/watched";
        String key = "standalone|public/default|" + topic;
        try (Standalone standalone = new Standalone(TestClusters.options(dir.toFile(), c -> c.toBuilder()
                .policyCheckInterval(Duration.ofMillis(200)).build())).start();
             TributaryClient client = TributaryClient.builder().serviceUrl(standalone.serviceUrl()).build();
             TributaryAdmin admin = TributaryAdmin.builder().serviceUrl(standalone.serviceUrl()).build()) {
            admin.namespaces().setPolicies("public/default", NamespacePolicies.builder()
                    .backlogQuota(1 << 20, BacklogQuotaPolicy.PRODUCER_EXCEPTION).build());
            Consumer<String> late = client.newConsumer(Schema.STRING).topic(topic).subscriptionName("late")
                    .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe();
            late.close(); // a subscription nobody reads: its backlog ages
            try (Producer<String> producer = client.newProducer(Schema.STRING).topic(topic).producerName("orders-1").create();
                 Consumer<String> picky = client.newConsumer(Schema.STRING).topic(topic).subscriptionName("picky")
                         .subscriptionType(SubscriptionType.Shared).negativeAckRedeliveryDelay(0, TimeUnit.MILLISECONDS)
                         .deadLetterPolicy(DeadLetterPolicy.builder().maxRedeliverCount(1).build())
                         .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe()) {
                long firstSent = System.currentTimeMillis();
                for (int i = 0; i < 20; i++) {
                    producer.send("order " + i);
                }
                // the first message is refused on its two deliveries and goes to the dead-letter topic; the rest are acknowledged
                int acked = 0;
                int refused = 0;
                while (acked < 19 || refused < 2) {
                    Message<String> m = picky.receive(30, TimeUnit.SECONDS);
                    assertThat(m).isNotNull();
                    if (m.getValue().equals("order 0")) {
                        picky.negativeAcknowledge(m);
                        refused++;
                    } else {
                        picky.acknowledge(m);
                        acked++;
                    }
                }
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(
                        admin.topics().getStats(topic).subscription("picky").deadLetteredTotal()).isEqualTo(1));
                assertThat(samples(standalone, "tributary_subscription_dead_lettered_messages_total"))
                        .containsEntry(key + "|picky", 1.0).containsEntry(key + "|late", 0.0);

                TopicStats stats = admin.topics().getStats(topic);
                assertThat(stats.publishers()).extracting(PublisherStats::producerName).containsExactly("orders-1");
                assertThat(stats.publishers().get(0).msgInTotal()).isEqualTo(20);
                // the dead-letter topic's producer (the consumer's) has its own series on that topic
                assertThat(samples(standalone, "tributary_producer_messages_in_total")).containsEntry(key + "|orders-1", 20.0);
                // the rate counts complete seconds: it shows once a second with a send has passed
                await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                    producer.send("tick");
                    assertThat(samples(standalone, "tributary_producer_publish_rate").get(key + "|orders-1")).isPositive();
                });

                // the backlog of "late" began with the first message: its age grows from there
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                    double age = samples(standalone, "tributary_subscription_backlog_age_seconds").get(key + "|late");
                    assertThat(age).isGreaterThanOrEqualTo(1.0)
                            .isLessThanOrEqualTo((System.currentTimeMillis() - firstSent) / 1000.0 + 1);
                });
                SubscriptionStats lateStats = admin.topics().getStats(topic).subscription("late");
                assertThat(lateStats.oldestBacklogPublishTimeMs()).isBetween(firstSent - 1000, System.currentTimeMillis());
                // picky takes the ticks too: without a backlog its age is 0
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                    for (Message<String> m = picky.receive(100, TimeUnit.MILLISECONDS); m != null;
                         m = picky.receive(100, TimeUnit.MILLISECONDS)) {
                        picky.acknowledge(m);
                    }
                    assertThat(samples(standalone, "tributary_subscription_backlog_age_seconds")).containsEntry(key + "|picky", 0.0);
                });

                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(
                        samples(standalone, "tributary_topic_backlog_quota_limit_bytes")).containsEntry(key, (double) (1 << 20)));
                TopicStats now = admin.topics().getStats(topic);
                assertThat(now.backlogQuotaLimitBytes()).isEqualTo(1 << 20);
                assertThat(samples(standalone, "tributary_topic_backlog_quota_usage_ratio").get(key))
                        .isCloseTo(now.backlogBytes() / (double) (1 << 20), within(1e-9)).isPositive();
            }
            // a producer gone has no series any more
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                    assertThat(samples(standalone, "tributary_producer_messages_in_total")).doesNotContainKey(key + "|orders-1"));
        }
    }
}
