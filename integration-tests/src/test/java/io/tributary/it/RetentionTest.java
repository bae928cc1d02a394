package io.tributary.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.tributary.api.v1.AdminServiceGrpc;
import io.tributary.api.v1.BacklogQuota;
import io.tributary.api.v1.BacklogQuotaPolicy;
import io.tributary.api.v1.CreateNamespaceRequest;
import io.tributary.api.v1.ErrorReason;
import io.tributary.api.v1.GetTopicStatsRequest;
import io.tributary.api.v1.NamespacePolicies;
import io.tributary.api.v1.SetNamespacePoliciesRequest;
import io.tributary.api.v1.SubscriptionStats;
import io.tributary.api.v1.TopicStats;
import io.tributary.broker.topic.Policies;
import io.tributary.cli.Standalone;
import io.tributary.client.Consumer;
import io.tributary.client.Message;
import io.tributary.client.MessageId;
import io.tributary.client.Producer;
import io.tributary.client.Schema;
import io.tributary.client.SubscriptionInitialPosition;
import io.tributary.client.SubscriptionType;
import io.tributary.client.TributaryClient;
import io.tributary.client.TributaryClientException;
import io.tributary.protocol.TopicName;
import io.tributary.storage.log.ManagedLogConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.bookkeeper.client.api.BKException;
import org.apache.bookkeeper.client.api.BookKeeper;
import org.apache.bookkeeper.client.api.DigestType;
import java.nio.charset.StandardCharsets;
import org.apache.bookkeeper.conf.ClientConfiguration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Retention, message TTL and backlog quotas, per namespace, on real BookKeeper: ledgers are really
 * deleted from the bookies, and only once no subscription and no retention rule needs them. Ledgers
 * here roll over every 10 entries; the policies are applied every 200 ms.
 */
class RetentionTest {
    @TempDir
    static Path dir;
    static Standalone standalone;
    static TributaryClient client;
    static ManagedChannel channel;
    static AdminServiceGrpc.AdminServiceBlockingStub admin;
    static BookKeeper bk;
    static final AtomicInteger NAMESPACES = new AtomicInteger();

    @BeforeAll
    static void start() throws Exception {
        standalone = new Standalone(TestClusters.options(dir.toFile(), c -> c.toBuilder()
                .log(ManagedLogConfig.DEFAULT.withRollover(1 << 30, 10, Duration.ofHours(1)))
                .policyCheckInterval(Duration.ofMillis(200))
                .backlogQuotaHoldTimeout(Duration.ofSeconds(60))
                .build())).start();
        client = TributaryClient.builder().serviceUrl(standalone.serviceUrl()).build();
        channel = NettyChannelBuilder.forTarget(standalone.serviceUrl()).usePlaintext().build();
        admin = AdminServiceGrpc.newBlockingStub(channel);
        bk = BookKeeper.newBuilder(new ClientConfiguration()
                .setMetadataServiceUri("zk+null://" + standalone.zookeeperConnect() + "/ledgers")).build();
    }

    @AfterAll
    static void stop() throws Exception {
        if (bk != null) {
            bk.close();
        }
        channel.shutdownNow();
        client.close();
        standalone.close();
    }

    /** A fresh namespace with these policies. */
    private static String namespace(NamespacePolicies policies) {
        String ns = "public/retention-" + NAMESPACES.incrementAndGet();
        admin.createNamespace(CreateNamespaceRequest.newBuilder().setNamespace(ns).setBundles(1).build());
        admin.setNamespacePolicies(SetNamespacePoliciesRequest.newBuilder().setNamespace(ns).setPolicies(policies).build());
        return ns;
    }

    private static boolean inBookKeeper(long ledgerId) throws Exception {
        try {
            bk.newOpenLedgerOp().withLedgerId(ledgerId).withRecovery(false).withDigestType(DigestType.CRC32C)
                    .withPassword("tributary".getBytes(StandardCharsets.UTF_8)).execute().get(30, TimeUnit.SECONDS).close();
            return true;
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof BKException bke && (bke.getCode() == BKException.Code.NoSuchLedgerExistsOnMetadataServerException
                    || bke.getCode() == BKException.Code.NoSuchLedgerExistsException)) {
                return false;
            }
            throw e;
        }
    }

    private static List<MessageId> produce(String topic, int n) throws Exception {
        try (Producer<String> p = client.newProducer(Schema.STRING).topic(topic).enableBatching(false).create()) {
            List<CompletableFuture<MessageId>> sent = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                sent.add(p.sendAsync("m" + i));
            }
            List<MessageId> ids = new ArrayList<>();
            for (CompletableFuture<MessageId> f : sent) {
                ids.add(f.get(30, TimeUnit.SECONDS));
            }
            return ids;
        }
    }

    private static Consumer<String> subscribe(String topic, String subscription) throws Exception {
        return client.newConsumer(Schema.STRING).topic(topic).subscriptionName(subscription)
                .subscriptionType(SubscriptionType.Exclusive)
                .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe();
    }

    /** Receives and acknowledges the next {@code n} messages. */
    private static void consume(Consumer<String> c, int n) throws Exception {
        for (int i = 0; i < n; i++) {
            Message<String> m = c.receive(30, TimeUnit.SECONDS);
            assertThat(m).isNotNull();
            c.acknowledge(m);
        }
    }

    private static TopicStats stats(String topic) {
        return admin.getTopicStats(GetTopicStatsRequest.newBuilder().setTopic(topic).build());
    }

    private static SubscriptionStats stats(String topic, String subscription) {
        return stats(topic).getSubscriptionsList().stream().filter(s -> s.getSubscription().equals(subscription))
                .findFirst().orElseThrow();
    }

    @Test
    void ledgersGoFromBookKeeperOnlyOnceEverySubscriptionAcknowledgedThem() throws Exception {
        String topic = namespace(NamespacePolicies.getDefaultInstance()) + "/acked";
        try (Consumer<String> fast = subscribe(topic, "fast"); Consumer<String> slow = subscribe(topic, "slow")) {
            List<MessageId> ids = produce(topic, 100);
            TreeSet<Long> ledgers = new TreeSet<>();
            ids.forEach(id -> ledgers.add(id.getLedgerId()));
            assertThat(ledgers).as("10 entries per ledger").hasSizeGreaterThanOrEqualTo(10);

            consume(fast, 55);
            consume(slow, 25);
            // deletable: ledgers whose every message is among the first 25 (acknowledged by both)
            List<Long> gone = new ArrayList<>();
            List<Long> kept = new ArrayList<>();
            for (long l : ledgers) {
                boolean allAcked = true;
                for (int i = 0; i < ids.size(); i++) {
                    if (ids.get(i).getLedgerId() == l && i >= 25) {
                        allAcked = false;
                    }
                }
                (allAcked ? gone : kept).add(l);
            }
            assertThat(gone).isNotEmpty();
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                for (long l : gone) {
                    assertThat(inBookKeeper(l)).as("ledger %d, acknowledged by both subscriptions", l).isFalse();
                }
            });
            for (long l : kept) {
                assertThat(inBookKeeper(l)).as("ledger %d, still needed by 'slow'", l).isTrue();
            }
            // the slow subscription reads on where it was, nothing missing
            for (int i = 25; i < 100; i++) {
                Message<String> m = slow.receive(30, TimeUnit.SECONDS);
                assertThat(m.getValue()).isEqualTo("m" + i);
                slow.acknowledge(m);
            }
        }
    }

    @Test
    void aTopicWithoutSubscriptionsKeepsItsDataForItsRetention() throws Exception {
        String kept = namespace(NamespacePolicies.newBuilder().setRetentionTimeSeconds(3600).build()) + "/kept";
        String dropped = namespace(NamespacePolicies.getDefaultInstance()) + "/dropped";
        String bySize = namespace(NamespacePolicies.newBuilder().setRetentionTimeSeconds(-1).setRetentionSizeBytes(1).build()) + "/sized";
        List<MessageId> keptIds = produce(kept, 50);
        List<MessageId> droppedIds = produce(dropped, 45);
        List<MessageId> sizedIds = produce(bySize, 50);

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            assertThat(inBookKeeper(droppedIds.get(0).getLedgerId())).as("no subscription, no retention").isFalse();
            assertThat(inBookKeeper(sizedIds.get(0).getLedgerId())).as("retention of 1 byte").isFalse();
        });
        // two more rounds of the policies cannot change the answer for the retained topic
        standalone.broker().topics().maintain(TopicName.of(kept)).get(30, TimeUnit.SECONDS);
        assertThat(standalone.broker().topics().maintain(TopicName.of(kept)).get(30, TimeUnit.SECONDS)).isEmpty();
        for (MessageId id : keptIds) {
            assertThat(inBookKeeper(id.getLedgerId())).as("retained for an hour").isTrue();
        }
        try (Consumer<String> late = subscribe(kept, "late")) {
            Message<String> first = late.receive(30, TimeUnit.SECONDS);
            assertThat(first.getValue()).as("a subscription made later reads the retained data").isEqualTo("m0");
        }
        // the last (open) ledger is never deleted
        assertThat(inBookKeeper(droppedIds.get(44).getLedgerId())).isTrue();
    }

    @Test
    void messagesOlderThanTheTtlExpireForEverySubscription() throws Exception {
        String topic = namespace(NamespacePolicies.newBuilder().setMessageTtlSeconds(1).build()) + "/ttl";
        subscribe(topic, "idle").close();
        produce(topic, 20);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            SubscriptionStats s = stats(topic, "idle");
            assertThat(s.getMsgBacklog()).isZero();
            assertThat(s.getExpiredTotal()).isEqualTo(20);
        });
        try (Consumer<String> c = subscribe(topic, "idle")) {
            produce(topic, 1);
            Message<String> m = c.receive(30, TimeUnit.SECONDS);
            assertThat(m.getValue()).as("the expired messages are skipped; new ones arrive").isEqualTo("m0");
            assertThat(m.getPublishTime()).isGreaterThan(System.currentTimeMillis() - 10_000);
        }
    }

    private static NamespacePolicies quota(long bytes, BacklogQuotaPolicy policy) {
        return NamespacePolicies.newBuilder().setBacklogQuota(BacklogQuota.newBuilder().setLimitBytes(bytes).setPolicy(policy)).build();
    }

    /** A topic whose subscription "slow" has 100 unacknowledged messages; then the quota applies. */
    private static String backlogThenQuota(String name, BacklogQuotaPolicy policy) throws Exception {
        String ns = namespace(NamespacePolicies.getDefaultInstance());
        String topic = ns + "/" + name;
        subscribe(topic, "slow").close();
        produce(topic, 100);
        admin.setNamespacePolicies(SetNamespacePoliciesRequest.newBuilder().setNamespace(ns)
                .setPolicies(quota(2000, policy)).build());
        return topic;
    }

    @Test
    void producerExceptionRefusesPublishesWhileABacklogIsOverTheQuota() throws Exception {
        String topic = backlogThenQuota("refuse", BacklogQuotaPolicy.PRODUCER_EXCEPTION);
        try (Consumer<String> c = subscribe(topic, "slow");
             Producer<String> p = client.newProducer(Schema.STRING).topic(topic).enableBatching(false).create()) {
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThatThrownBy(() -> p.send("more"))
                    .isInstanceOfSatisfying(TributaryClientException.class,
                            e -> assertThat(e.reason()).isEqualTo(ErrorReason.BACKLOG_QUOTA_EXCEEDED)));
            consume(c, 100);
            await().atMost(Duration.ofSeconds(30)).ignoreExceptions().untilAsserted(() -> assertThat(p.send("accepted again")).isNotNull());
        }
    }

    @Test
    void producerRequestHoldWaitsUntilTheBacklogShrinks() throws Exception {
        String topic = backlogThenQuota("hold", BacklogQuotaPolicy.PRODUCER_REQUEST_HOLD);
        try (Consumer<String> c = subscribe(topic, "slow");
             Producer<String> p = client.newProducer(Schema.STRING).topic(topic).enableBatching(false)
                     .sendTimeout(Duration.ofMinutes(2)).create()) {
            CompletableFuture<MessageId> held = new CompletableFuture<>();
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                CompletableFuture<MessageId> f = p.sendAsync("held");
                try {
                    f.get(1, TimeUnit.SECONDS);
                    return false;
                } catch (java.util.concurrent.TimeoutException stillHeld) {
                    f.whenComplete((id, e) -> {
                        if (e != null) {
                            held.completeExceptionally(e);
                        } else {
                            held.complete(id);
                        }
                    });
                    return true;
                }
            });
            assertThat(held).as("held while over the quota").isNotDone();
            while (!held.isDone()) {
                consume(c, 1);
            }
            assertThat(held.get(30, TimeUnit.SECONDS)).as("stored once the backlog is consumed").isNotNull();
        }
    }

    @Test
    void consumerBacklogEvictionSkipsTheOldestMessagesOfASlowSubscription() throws Exception {
        String topic = namespace(quota(2000, BacklogQuotaPolicy.CONSUMER_BACKLOG_EVICTION)) + "/evict";
        subscribe(topic, "slow").close();
        List<MessageId> ids = produce(topic, 100);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(stats(topic, "slow").getBacklogBytes()).isLessThanOrEqualTo(2000).isPositive());
        try (Consumer<String> c = subscribe(topic, "slow")) {
            Message<String> first = c.receive(30, TimeUnit.SECONDS);
            assertThat(first.getMessageId()).as("the oldest messages were skipped").isGreaterThan(ids.get(0));
            int at = ids.indexOf(first.getMessageId());
            c.acknowledge(first);
            for (int i = at + 1; i < 100; i++) {
                Message<String> m = c.receive(30, TimeUnit.SECONDS);
                assertThat(m.getMessageId()).as("the newest messages are all kept, in order").isEqualTo(ids.get(i));
                c.acknowledge(m);
            }
        }
    }

    @Test
    void policiesAreMergedAndValidated() {
        String ns = namespace(NamespacePolicies.newBuilder().setRetentionTimeSeconds(60).build());
        NamespacePolicies after = admin.setNamespacePolicies(SetNamespacePoliciesRequest.newBuilder().setNamespace(ns)
                .setPolicies(NamespacePolicies.newBuilder().setMessageTtlSeconds(30)).build());
        assertThat(after.getRetentionTimeSeconds()).as("untouched").isEqualTo(60);
        assertThat(after.getMessageTtlSeconds()).isEqualTo(30);
        assertThat(Policies.of(after, Policies.NONE).retentionTimeMs()).isEqualTo(60_000);
        assertThatThrownBy(() -> admin.setNamespacePolicies(SetNamespacePoliciesRequest.newBuilder().setNamespace(ns)
                .setPolicies(NamespacePolicies.newBuilder().setMessageTtlSeconds(-3)).build()))
                .isInstanceOfSatisfying(io.grpc.StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(io.grpc.Status.Code.INVALID_ARGUMENT);
                    assertThat(e.getStatus().getDescription()).contains("message_ttl_seconds").contains("-3");
                });
    }
}
