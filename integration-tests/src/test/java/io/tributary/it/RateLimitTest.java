package io.tributary.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.tributary.api.v1.AdminServiceGrpc;
import io.tributary.api.v1.LookupRequest;
import io.tributary.api.v1.LookupResponse;
import io.tributary.api.v1.LookupServiceGrpc;
import io.tributary.api.v1.MessagingServiceGrpc;
import io.tributary.api.v1.PlainMessage;
import io.tributary.api.v1.SendRequest;
import io.tributary.api.v1.SendResponse;
import io.tributary.api.v1.UnloadBundleRequest;
import io.tributary.broker.Broker;
import io.tributary.client.Consumer;
import io.tributary.client.Message;
import io.tributary.client.Producer;
import io.tributary.client.Schema;
import io.tributary.client.SubscriptionInitialPosition;
import io.tributary.client.TributaryClient;
import io.tributary.client.admin.NamespacePolicies;
import io.tributary.client.admin.Rate;
import io.tributary.client.admin.SubscriptionStats;
import io.tributary.client.admin.TopicStats;
import io.tributary.client.admin.TributaryAdmin;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The publish and dispatch rate limits of issue 17 through the proxy, on two in-process brokers
 * (real ZooKeeper and BookKeeper): a producer sending as fast as it can publishes at the topic's
 * limit, follows it when it is raised and lowered (no send fails); a consumer of a backlog receives
 * at its subscription's dispatch limit; a namespace's limit holds for its topics on both brokers
 * together. A rate is measured as the time a number of acknowledgements (or messages received)
 * takes, so every wait is a condition with a deadline.
 */
class RateLimitTest {
    @TempDir
    static Path dir;
    static InProcessCluster cluster;
    static TributaryClient client;
    static TributaryAdmin admin;
    static ManagedChannel channel;

    @BeforeAll
    static void start() throws Exception {
        cluster = new InProcessCluster(dir.toFile());
        for (int i = 0; i < 2; i++) {
            cluster.addBroker(c -> c.toBuilder().loadBalancer(InProcessCluster.MANUAL).metricsPort(0).build());
        }
        client = TributaryClient.builder().serviceUrl(cluster.serviceUrl()).build();
        admin = TributaryAdmin.builder().serviceUrl(cluster.serviceUrl()).operationTimeout(Duration.ofSeconds(20)).build();
        channel = NettyChannelBuilder.forTarget(cluster.serviceUrl()).usePlaintext().build();
    }

    @AfterAll
    static void stop() throws Exception {
        channel.shutdownNow();
        admin.close();
        client.close();
        cluster.close();
    }

    /** A producer thread sending as fast as the producer lets it (sendAsync waits while its queue is full). */
    private static final class Flood implements AutoCloseable {
        final AtomicLong acked = new AtomicLong();
        final AtomicReference<Throwable> failed = new AtomicReference<>();
        private final AtomicBoolean stop = new AtomicBoolean();
        private final Producer<String> producer;
        private final Thread thread;

        Flood(String topic) throws Exception {
            producer = client.newProducer(Schema.STRING).topic(topic).sendTimeout(Duration.ofSeconds(60)).create();
            thread = new Thread(() -> {
                try {
                    while (!stop.get()) {
                        producer.sendAsync("x").whenComplete((id, e) -> {
                            if (e != null) {
                                failed.compareAndSet(null, e);
                            } else {
                                acked.incrementAndGet();
                            }
                        });
                    }
                } catch (Exception e) {
                    if (!stop.get()) {
                        failed.compareAndSet(null, e);
                    }
                }
            }, "flood-" + topic);
            thread.start();
        }

        /** Messages per second acknowledged while {@code count} more are acknowledged (at most {@code seconds} waited). */
        double rate(long count, int seconds) {
            long from = acked.get();
            long t0 = System.nanoTime();
            await().atMost(Duration.ofSeconds(seconds)).pollInterval(Duration.ofMillis(5)).until(() -> acked.get() >= from + count);
            return (acked.get() - from) / ((System.nanoTime() - t0) / 1e9);
        }

        @Override
        public void close() throws Exception {
            stop.set(true);
            producer.flush();
            thread.join(10_000);
            producer.close();
            assertThat(failed.get()).as("no send fails").isNull();
        }
    }

    private static NamespacePolicies publishPerTopic(long messages) {
        return NamespacePolicies.builder().publishRatePerTopic(new Rate(messages, 0)).build();
    }

    private static double brokersMetric(String prefix) throws Exception {
        double sum = 0;
        for (Broker b : cluster.brokers) {
            sum += MetricsScrape.sum(b.metricsPort(), prefix);
        }
        return sum;
    }

    @Test
    void producerFollowsTheTopicsPublishLimit() throws Exception {
        String ns = "public/rate-publish";
        admin.namespaces().create(ns, 1);
        String topic = "persistent://" + ns + "/t";
        try (Flood flood = new Flood(topic)) {
            // the checker can fail: without a limit the rate is far above the one tested
            flood.rate(2_000, 10);
            double free = flood.rate(10_000, 20);
            assertThat(free).as("unlimited rate").isGreaterThan(2 * 2_000 * 1.1);

            admin.namespaces().setPolicies(ns, publishPerTopic(2_000));
            flood.rate(2_000, 10); // the producer's queue drains at the new rate
            assertThat(flood.rate(20_000, 15)).as("at 2,000 msg/s over 10 s").isBetween(1_800.0, 2_200.0);

            admin.namespaces().setPolicies(ns, publishPerTopic(4_000));
            flood.rate(1_000, 5);
            assertThat(flood.rate(20_000, 8)).as("raised to 4,000 msg/s, over 5 s").isBetween(3_600.0, 4_400.0);

            admin.namespaces().setPolicies(ns, publishPerTopic(1_000));
            flood.rate(1_000, 5);
            assertThat(flood.rate(5_000, 8)).as("lowered to 1,000 msg/s, over 5 s").isBetween(900.0, 1_100.0);

            TopicStats stats = admin.topics().getStats(topic);
            assertThat(stats.publishRate()).isEqualTo(new Rate(1_000, 0));
            assertThat(stats.publishThrottledMsTotal()).as("throttled time in TopicStats").isPositive();
            assertThat(stats.publishers()).singleElement().satisfies(p -> assertThat(p.throttledMsTotal()).isPositive());
        }
        assertThat(brokersMetric("tributary_topic_publish_throttled_seconds_total{cluster=")).as("throttled time in the metric")
                .isPositive();
        admin.namespaces().clearPolicies(ns, "publish_rate_per_topic");
        assertThat(admin.topics().getStats(topic).publishRate()).isEqualTo(new Rate(0, 0));
    }

    @Test
    void consumerReceivesABacklogAtTheSubscriptionsDispatchLimit() throws Exception {
        String ns = "public/rate-dispatch";
        admin.namespaces().create(ns, 1);
        String topic = "persistent://" + ns + "/t";
        int n = 4_000;
        try (Producer<String> p = client.newProducer(Schema.STRING).topic(topic).batchingMaxMessages(20).create()) {
            List<CompletableFuture<?>> sent = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                sent.add(p.sendAsync("m" + i));
            }
            CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        }
        admin.namespaces().setPolicies(ns, NamespacePolicies.builder().dispatchRatePerSubscription(new Rate(1_000, 0)).build());
        try (Consumer<String> c = client.newConsumer(Schema.STRING).topic(topic).subscriptionName("s")
                .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe()) {
            int received = 0;
            long t0 = 0;
            while (received < n) {
                Message<String> m = c.receive(10, TimeUnit.SECONDS);
                assertThat(m).as("message after %d", received).isNotNull();
                c.acknowledgeAsync(m);
                if (++received == 1_000) {
                    t0 = System.nanoTime();
                }
            }
            double rate = (n - 1_000) / ((System.nanoTime() - t0) / 1e9);
            assertThat(rate).as("dispatched at 1,000 msg/s").isBetween(900.0, 1_100.0);
            SubscriptionStats s = admin.topics().getStats(topic).subscription("s");
            assertThat(s.dispatchRate()).isEqualTo(new Rate(1_000, 0));
            assertThat(s.dispatchThrottledMsTotal()).isPositive();
        }
        assertThat(brokersMetric("tributary_subscription_dispatch_throttled_seconds_total{cluster=")).isPositive();
    }

    @Test
    void unarySendWaitsForPublishTokensWithinItsDeadline() throws Exception {
        String ns = "public/rate-send";
        admin.namespaces().create(ns, 1);
        admin.namespaces().setPolicies(ns, publishPerTopic(500));
        String topic = "persistent://" + ns + "/t";
        SendRequest.Builder req = SendRequest.newBuilder().setTopic(topic);
        for (int i = 0; i < 200; i++) {
            req.addMessages(PlainMessage.newBuilder().setValue(ByteString.copyFromUtf8("m" + i)));
        }
        MessagingServiceGrpc.MessagingServiceBlockingStub messaging = MessagingServiceGrpc.newBlockingStub(channel);
        messaging.withDeadlineAfter(30, TimeUnit.SECONDS).send(req.build()); // the topic loads; the bucket is in debt
        long t0 = System.nanoTime();
        for (int i = 0; i < 5; i++) {
            SendResponse r = messaging.withDeadlineAfter(30, TimeUnit.SECONDS).send(req.build());
            assertThat(r.getResultsList()).hasSize(200).allSatisfy(x -> assertThat(x.hasError()).isFalse());
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        // 1,200 messages at 500/s, the last 200 stored as soon as the debt before them is paid: about 2 s
        assertThat(seconds).as("5 Sends of 200 messages at 500 msg/s").isBetween(1.6, 3.0);
        assertThat(admin.topics().getStats(topic).publishThrottledMsTotal()).isPositive();
    }

    private LookupResponse lookup(String topic) {
        return LookupServiceGrpc.newBlockingStub(channel).lookup(LookupRequest.newBuilder().setTopic(topic).build());
    }

    @Test
    void namespaceLimitIsSharedByItsTopicsOnTwoBrokers() throws Exception {
        String ns = "public/rate-namespace";
        admin.namespaces().create(ns, 2);
        // one topic in each of the namespace's two bundles, the bundles on different brokers
        Map<String, String> topicByBundle = new HashMap<>();
        for (int i = 0; topicByBundle.size() < 2; i++) {
            String t = "persistent://" + ns + "/t" + i;
            topicByBundle.putIfAbsent(lookup(t).getBundle(), t);
        }
        List<String> topics = List.copyOf(topicByBundle.values());
        String first = lookup(topics.get(0)).getBrokerId();
        LookupResponse second = lookup(topics.get(1));
        if (second.getBrokerId().equals(first)) {
            String other = cluster.brokers.stream().map(Broker::brokerId).filter(id -> !id.equals(first)).findFirst().orElseThrow();
            AdminServiceGrpc.newBlockingStub(channel).unloadBundle(UnloadBundleRequest.newBuilder().setNamespace(ns)
                    .setBundle(second.getBundle()).setDestinationBrokerId(other).build());
        }
        assertThat(lookup(topics.get(1)).getBrokerId()).isNotEqualTo(lookup(topics.get(0)).getBrokerId());
        admin.namespaces().setPolicies(ns, NamespacePolicies.builder().publishRatePerNamespace(new Rate(2_000, 0)).build());
        try (Flood a = new Flood(topics.get(0)); Flood b = new Flood(topics.get(1))) {
            // each broker owns one of the two bundles: each enforces half the namespace's limit
            for (String t : topics) {
                await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                        assertThat(admin.topics().getStats(t).namespacePublishRateShare()).isEqualTo(new Rate(1_000, 0)));
            }
            a.rate(1_000, 5);
            long from = a.acked.get() + b.acked.get();
            long t0 = System.nanoTime();
            await().atMost(Duration.ofSeconds(8)).pollInterval(Duration.ofMillis(5))
                    .until(() -> a.acked.get() + b.acked.get() >= from + 10_000);
            double rate = (a.acked.get() + b.acked.get() - from) / ((System.nanoTime() - t0) / 1e9);
            assertThat(rate).as("both topics together at the namespace's 2,000 msg/s").isBetween(1_800.0, 2_200.0);
        }
    }
}
