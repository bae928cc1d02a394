package io.tributary.broker.dispatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.tributary.api.v1.BatchHeader;
import io.tributary.api.v1.EntryBatch;
import io.tributary.api.v1.ErrorDetail;
import io.tributary.api.v1.ErrorReason;
import io.tributary.api.v1.MessageId;
import io.tributary.api.v1.SubscriptionType;
import io.tributary.protocol.TributaryException;
import io.tributary.storage.cursor.ManagedCursor;
import io.tributary.storage.log.Position;
import io.tributary.storage.StorageClients;
import io.tributary.storage.embedded.EmbeddedBookie;
import io.tributary.storage.embedded.EmbeddedZooKeeper;
import io.tributary.storage.log.ManagedLog;
import io.tributary.storage.log.ManagedLogConfig;
import io.tributary.storage.log.ManagedLogFactory;
import io.tributary.storage.meta.MetadataStore;
import java.io.File;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.apache.bookkeeper.client.api.BookKeeper;
import org.apache.bookkeeper.common.util.OrderedExecutor;
import org.apache.curator.framework.CuratorFramework;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Dispatch by subscription type, without a broker: a subscription over a real managed log (an
 * embedded ZooKeeper and bookie, started once for the class; a fresh log per test), its consumers
 * recording what they get. Every call into the subscription runs on the log's executor, as the
 * topic's calls do.
 */
class SubscriptionDispatchTest {
    private static final Duration DEADLINE = Duration.ofSeconds(10);
    private static final AtomicInteger TOPICS = new AtomicInteger();

    @TempDir
    static File dir;
    private static EmbeddedZooKeeper zk;
    private static EmbeddedBookie bookie;
    private static CuratorFramework curator;
    private static BookKeeper bk;
    private static OrderedExecutor executors;
    private static ScheduledExecutorService scheduler;
    private static ManagedLogFactory factory;

    private ManagedLog log;
    private ExecutorService executor;
    private Subscription subscription;

    @BeforeAll
    static void startStorage() throws Exception {
        zk = EmbeddedZooKeeper.start(new File(dir, "zk"), "127.0.0.1", 0);
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        bookie = EmbeddedBookie.start(StorageClients.metadataServiceUri(zk.connectString(), "/ledgers"),
                new File(dir, "bookie"), port, false);
        curator = StorageClients.curator(zk.connectString(), "/tributary", Duration.ofSeconds(10));
        bk = StorageClients.bookKeeper(zk.connectString(), "/ledgers");
        executors = OrderedExecutor.newBuilder().numThreads(2).name("dispatch-test").build();
        scheduler = Executors.newSingleThreadScheduledExecutor();
        factory = new ManagedLogFactory(new MetadataStore(curator), bk, ManagedLogConfig.DEFAULT,
                name -> executors.chooseThread(name));
    }

    @AfterAll
    static void stopStorage() throws Exception {
        bk.close();
        curator.close();
        executors.shutdown();
        scheduler.shutdownNow();
        bookie.close();
        zk.close();
    }

    @BeforeEach
    void openLog() {
        String name = "public/default/dispatch-" + TOPICS.incrementAndGet();
        log = factory.open(name, true).join();
        // the log and the subscription share one thread, as they do in a topic
        executor = executors.chooseThread(name);
        subscription = new Subscription(new SubscriptionContext(name, log, log::sizeBytesFrom, executor, scheduler, 100, p -> null,
                (messages, bytes) -> {}, s -> {}), "sub", ManagedCursor.nonDurable(log, "sub", log.lastConfirmed()));
    }

    @AfterEach
    void closeLog() {
        log.closeAsync().join();
    }

    /** Appends entries in order from the log's thread; returns their positions once all are stored. */
    private List<Position> append(List<byte[]> data) {
        List<CompletableFuture<Position>> appends = on(() -> data.stream().map(log::appendAsync).toList());
        return appends.stream().map(CompletableFuture::join).toList();
    }

    @Test
    void keySharedKeepsAKeyWithItsConsumerUntilItsEntriesAreAcknowledged() {
        TestConsumer a = new TestConsumer("a", 0);
        join(a, SubscriptionType.KEY_SHARED, 1000);
        List<String> keys = IntStream.range(0, 20).mapToObj(i -> "key-" + i).toList();
        List<Position> first = append(keys.stream().map(k -> entry(k, 0)).toList());
        await().atMost(DEADLINE).untilAsserted(() -> assertThat(a.positions()).containsExactlyElementsOf(first));

        TestConsumer b = new TestConsumer("b", 0);
        join(b, SubscriptionType.KEY_SHARED, 1000);
        KeySharedSelector ring = new KeySharedSelector();
        ring.add(a);
        ring.add(b);
        List<Position> second = append(keys.stream().map(k -> entry(k, 0)).toList());
        List<Position> stillA = new ArrayList<>();
        List<Position> movedToB = new ArrayList<>();
        for (int i = 0; i < keys.size(); i++) {
            (ring.select(KeySharedSelector.hashOf(keys.get(i))) == a ? stillA : movedToB).add(second.get(i));
        }
        assertThat(movedToB).isNotEmpty();
        assertThat(stillA).isNotEmpty();

        // a still holds every key: what moved to b waits, what stayed with a goes on
        await().atMost(DEADLINE).untilAsserted(() -> assertThat(a.positions()).hasSize(first.size() + stillA.size()));
        assertThat(a.positions().subList(first.size(), a.received.size())).containsExactlyElementsOf(stillA);
        assertThat(b.received).isEmpty();

        // once a acknowledged its entries of a key, b gets that key's waiting entries, in order
        assertThat(on(() -> subscription.acknowledge(a, ids(first), false)).join()).isNull();
        await().atMost(DEADLINE).untilAsserted(() -> assertThat(b.positions()).containsExactlyElementsOf(movedToB));
        assertThat(a.received).hasSize(first.size() + stillA.size());
    }

    @Test
    void failoverHandsTheNextConsumerEverythingFromTheFirstUnacknowledged() {
        TestConsumer a = new TestConsumer("a", 0);
        TestConsumer b = new TestConsumer("b", 1);
        join(a, SubscriptionType.FAILOVER, 100);
        join(b, SubscriptionType.FAILOVER, 100);
        List<Position> p = append(IntStream.range(0, 5).mapToObj(i -> entry(null, 0)).toList());
        await().atMost(DEADLINE).untilAsserted(() -> assertThat(a.positions()).containsExactlyElementsOf(p));
        assertThat(a.activeChanges).containsExactly(true);
        assertThat(b.activeChanges).isEmpty();

        on(() -> subscription.acknowledge(a, ids(p.subList(0, 2)), false)).join();
        on(() -> {
            subscription.removeConsumer(a);
            return null;
        });

        await().atMost(DEADLINE).untilAsserted(() -> assertThat(b.positions()).containsExactlyElementsOf(p.subList(2, 5)));
        assertThat(b.received).allMatch(r -> r.redeliveryCount() == 1);
        assertThat(b.activeChanges).containsExactly(true);
    }

    @Test
    void aFailoverConsumerOfHigherPriorityTakesOverWhatTheActiveOneHasNotAcknowledged() {
        TestConsumer low = new TestConsumer("low", 5);
        join(low, SubscriptionType.FAILOVER, 100);
        List<Position> p = append(IntStream.range(0, 4).mapToObj(i -> entry(null, 0)).toList());
        await().atMost(DEADLINE).untilAsserted(() -> assertThat(low.positions()).containsExactlyElementsOf(p));
        on(() -> subscription.acknowledge(low, ids(p.subList(0, 1)), false)).join();

        TestConsumer high = new TestConsumer("high", 1);
        join(high, SubscriptionType.FAILOVER, 100);

        await().atMost(DEADLINE).untilAsserted(() -> assertThat(high.positions()).containsExactlyElementsOf(p.subList(1, 4)));
        assertThat(high.received).allMatch(r -> r.redeliveryCount() == 0);
        assertThat(low.activeChanges).containsExactly(true, false);
        assertThat(high.activeChanges).containsExactly(true);
    }

    @Test
    void aNegativelyAcknowledgedEntryComesBackBeforeNewerOnes() {
        TestConsumer c = new TestConsumer("c", 0);
        join(c, SubscriptionType.EXCLUSIVE, 3);
        List<Position> p = append(IntStream.range(0, 5).mapToObj(i -> entry(null, 0)).toList());
        await().atMost(DEADLINE).untilAsserted(() -> assertThat(c.positions()).containsExactlyElementsOf(p.subList(0, 3)));

        on(() -> {
            subscription.negativeAcknowledge(c, ids(p.subList(1, 2)), 0, "bad order 1");
            subscription.flow(c, 3);
            return null;
        });

        await().atMost(DEADLINE).untilAsserted(() -> assertThat(c.received).hasSize(6));
        assertThat(c.positions().subList(3, 6)).containsExactly(p.get(1), p.get(3), p.get(4));
        assertThat(c.received.get(3).redeliveryCount()).isEqualTo(1);
        // the redelivery carries the consumer's reason and when the entry was first delivered
        assertThat(c.received.get(3).lastFailureReason()).isEqualTo("bad order 1");
        assertThat(c.received.get(3).firstDeliveryMs()).isPositive().isLessThanOrEqualTo(System.currentTimeMillis());
        assertThat(c.received.get(0).lastFailureReason()).isEmpty();
        assertThat(c.received.get(0).firstDeliveryMs()).isZero();
    }

    @Test
    void aReasonOverOneKibibyteIsRefusedAndNothingIsGivenBack() {
        TestConsumer c = new TestConsumer("c", 0);
        join(c, SubscriptionType.EXCLUSIVE, 1);
        List<Position> p = append(List.of(entry(null, 0)));
        await().atMost(DEADLINE).untilAsserted(() -> assertThat(c.positions()).containsExactly(p.get(0)));
        on(() -> {
            subscription.negativeAcknowledge(c, ids(p), 0, "\u00e9".repeat(513));
            subscription.flow(c, 1);
            return null;
        });
        await().atMost(DEADLINE).untilAsserted(() -> assertThat(c.refusals).singleElement()
                .satisfies(r -> assertThat(r.getMessage()).contains("at most 1024 bytes of UTF-8, was 1026 bytes")));
        assertThat(c.received).hasSize(1);
    }

    @Test
    void sharedRoundRobinsAndHoldsBackAnEntryUntilItsDeliveryTime() {
        TestConsumer a = new TestConsumer("a", 0);
        TestConsumer b = new TestConsumer("b", 0);
        join(a, SubscriptionType.SHARED, 100);
        join(b, SubscriptionType.SHARED, 100);
        List<Position> p = append(List.of(entry(null, System.currentTimeMillis() + 60_000), entry(null, 0),
                entry(null, 0), entry(null, 0), entry(null, 0)));

        await().atMost(DEADLINE).untilAsserted(() -> assertThat(a.received.size() + b.received.size()).isEqualTo(4));
        assertThat(a.received).hasSize(2);
        assertThat(b.received).hasSize(2);
        assertThat(a.positions()).doesNotContain(p.get(0));
        assertThat(b.positions()).doesNotContain(p.get(0));
        assertThat(on(() -> subscription.stats().getDelayedMessages())).isEqualTo(1);
    }

    @Test
    void anEntryWhoseDeliveryTimeHasComeIsDeliveredOnShared() {
        TestConsumer a = new TestConsumer("a", 0);
        join(a, SubscriptionType.SHARED, 100);
        List<Position> p = append(List.of(entry(null, System.currentTimeMillis() + 300), entry(null, 0)));

        await().atMost(DEADLINE).untilAsserted(() -> assertThat(a.positions()).containsExactlyInAnyOrderElementsOf(p));
        assertThat(on(() -> subscription.stats().getDelayedMessages())).isZero();
    }

    @Test
    void exclusiveIgnoresDeliveryTimes() {
        TestConsumer c = new TestConsumer("c", 0);
        join(c, SubscriptionType.EXCLUSIVE, 100);
        List<Position> p = append(List.of(entry(null, System.currentTimeMillis() + 60_000), entry(null, 0)));

        await().atMost(DEADLINE).untilAsserted(() -> assertThat(c.positions()).containsExactlyElementsOf(p));
    }

    @Test
    void aKeySharedConsumerThatLeavesHandsItsKeysToTheOthersAsRedeliveries() {
        TestConsumer a = new TestConsumer("a", 0);
        TestConsumer b = new TestConsumer("b", 0);
        join(a, SubscriptionType.KEY_SHARED, 1000);
        join(b, SubscriptionType.KEY_SHARED, 1000);
        List<Position> p = append(IntStream.range(0, 20).mapToObj(i -> entry("key-" + i, 0)).toList());
        await().atMost(DEADLINE).untilAsserted(() -> assertThat(a.received.size() + b.received.size()).isEqualTo(20));
        assertThat(a.received).isNotEmpty();
        assertThat(b.received).isNotEmpty();
        List<Position> ofB = b.positions();

        on(() -> {
            subscription.removeConsumer(b);
            return null;
        });

        await().atMost(DEADLINE).untilAsserted(() -> assertThat(a.received.size()).isEqualTo(20));
        assertThat(a.received.subList(20 - ofB.size(), 20)).extracting(TestConsumer.Received::position)
                .containsExactlyElementsOf(ofB);
        assertThat(a.received.subList(20 - ofB.size(), 20)).allMatch(r -> r.redeliveryCount() == 1);
    }

    @Test
    void aSeekDisconnectsTheOtherConsumersAndDeliversAgainFromTheTarget() {
        TestConsumer a = new TestConsumer("a", 0);
        TestConsumer b = new TestConsumer("b", 1);
        join(a, SubscriptionType.FAILOVER, 100);
        join(b, SubscriptionType.FAILOVER, 100);
        List<Position> p = append(IntStream.range(0, 5).mapToObj(i -> entry(null, 0)).toList());
        await().atMost(DEADLINE).untilAsserted(() -> assertThat(a.positions()).containsExactlyElementsOf(p));
        on(() -> {
            subscription.negativeAcknowledge(a, ids(p.subList(3, 4)), 0, null);
            return null;
        });
        await().atMost(DEADLINE).untilAsserted(() -> assertThat(a.received).hasSize(6));

        on(() -> subscription.seek(p.get(1), a)).join();

        assertThat(b.disconnected.getReason()).isEqualTo(ErrorReason.SERVICE_NOT_READY);
        assertThat(a.disconnected).isNull();
        assertThat(on(subscription::consumers)).containsExactly(a);
        await().atMost(DEADLINE).untilAsserted(() -> assertThat(a.received).hasSize(10));
        assertThat(a.positions().subList(6, 10)).containsExactlyElementsOf(p.subList(1, 5));
        assertThat(a.received.subList(6, 10)).allMatch(r -> r.redeliveryCount() == 0);
    }

    @Test
    void skippingCountsEveryMessageOfABatchAndDisconnectsTheConsumers() {
        TestConsumer a = new TestConsumer("a", 0);
        join(a, SubscriptionType.SHARED, 0);
        List<Position> p = append(List.of(entry(null, 0, 3), entry(null, 0, 3), entry(null, 0, 3)));

        assertThat(on(() -> subscription.skipMessages(4)).join()).isEqualTo(4);

        assertThat(a.disconnected.getReason()).isEqualTo(ErrorReason.SERVICE_NOT_READY);
        assertThat(on(subscription::consumers)).isEmpty();
        ManagedCursor cursor = subscription.cursor();
        assertThat(on(() -> cursor.isAcknowledged(p.get(0)))).isTrue();
        assertThat(on(() -> cursor.acknowledgedIndexes(p.get(1))).stream().boxed().toList()).containsExactly(0);
        assertThat(on(() -> subscription.skipMessages(100)).join()).isEqualTo(5);
        assertThat(on(() -> cursor.isAcknowledged(p.get(2)))).isTrue();
        assertThatThrownBy(() -> on(() -> subscription.skipMessages(0)).join())
                .hasRootCauseInstanceOf(TributaryException.class);
    }

    @Test
    void aDelayedNegativeAcknowledgementComesBackAfterItsDelayOnExclusiveToo() {
        TestConsumer c = new TestConsumer("c", 0);
        join(c, SubscriptionType.EXCLUSIVE, 100);
        List<Position> p = append(List.of(entry(null, 0), entry(null, 0)));
        await().atMost(DEADLINE).untilAsserted(() -> assertThat(c.positions()).containsExactlyElementsOf(p));

        on(() -> {
            subscription.negativeAcknowledge(c, ids(p.subList(0, 1)), 200, null);
            return null;
        });
        // a delayed negative acknowledgement is not a delayed message
        assertThat(on(() -> subscription.stats().getDelayedMessages())).isZero();

        await().atMost(DEADLINE).untilAsserted(() -> assertThat(c.received).hasSize(3));
        assertThat(c.received.get(2).position()).isEqualTo(p.get(0));
        assertThat(c.received.get(2).redeliveryCount()).isEqualTo(1);
    }

    @Test
    void refusesWhatTheTypeDoesNotAllow() {
        TestConsumer a = new TestConsumer("a", 0);
        join(a, SubscriptionType.SHARED, 0);

        assertThatThrownBy(() -> on(() -> {
            subscription.addConsumer(new TestConsumer("x", 0), SubscriptionType.FAILOVER);
            return null;
        })).hasRootCauseInstanceOf(TributaryException.class).rootCause()
                .satisfies(e -> assertThat(((TributaryException) e).reason()).isEqualTo(ErrorReason.CONSUMER_BUSY));
        ErrorDetail cumulative = on(() -> subscription.acknowledge(a, List.of(MessageId.newBuilder()
                .setLedgerId(log.lastConfirmed().ledgerId()).setEntryId(0).build()), true)).join();
        assertThat(cumulative.getReason()).isEqualTo(ErrorReason.NOT_ALLOWED);
        on(() -> {
            subscription.negativeAcknowledge(a, List.of(), -1, null);
            return null;
        });
        assertThat(a.refusals).extracting(ErrorDetail::getReason).containsExactly(ErrorReason.INVALID_REQUEST);
    }

    @Test
    void anExclusiveSubscriptionTakesOneConsumer() {
        join(new TestConsumer("a", 0), SubscriptionType.SUBSCRIPTION_TYPE_UNSPECIFIED, 0);
        assertThat(on(subscription::type)).isEqualTo(SubscriptionType.EXCLUSIVE);

        assertThatThrownBy(() -> join(new TestConsumer("b", 0), SubscriptionType.EXCLUSIVE, 0))
                .hasRootCauseInstanceOf(TributaryException.class).rootCause()
                .satisfies(e -> assertThat(((TributaryException) e).reason()).isEqualTo(ErrorReason.CONSUMER_BUSY));
        assertThatThrownBy(() -> join(new TestConsumer("c", 0), SubscriptionType.UNRECOGNIZED, 0))
                .hasRootCauseInstanceOf(TributaryException.class).rootCause()
                .satisfies(e -> assertThat(((TributaryException) e).reason()).isEqualTo(ErrorReason.INVALID_REQUEST));
    }

    @Test
    void acknowledgementsThatCameBeforeAFlowAreAppliedBeforeAnythingIsDelivered() {
        List<Position> p = append(IntStream.range(0, 4).mapToObj(i -> entry(null, 0)).toList());
        // a consumer on a new owner: a proxy resends acks (each must read its entry to learn its size), then a Flow
        TestConsumer c = new TestConsumer("c", 0);
        join(c, SubscriptionType.FAILOVER, 0);
        List<MessageId> sized = p.subList(0, 2).stream().map(x -> MessageId.newBuilder().setLedgerId(x.ledgerId())
                .setEntryId(x.entryId()).setBatchIndex(0).setBatchSize(1).build()).toList();
        CompletableFuture<ErrorDetail> acked = on(() -> {
            CompletableFuture<ErrorDetail> f = subscription.acknowledge(c, sized, false);
            subscription.flow(c, 10);
            return f;
        });
        assertThat(acked.join()).isNull();
        await().atMost(DEADLINE).untilAsserted(() -> assertThat(c.positions()).contains(p.get(3)));
        assertThat(c.positions()).as("the acknowledged entries are not delivered").containsExactly(p.get(2), p.get(3));
    }

    @Test
    void anAcknowledgementAfterCloseIsAnsweredWithTheReasonAndNotApplied() {
        TestConsumer c = new TestConsumer("c", 0);
        join(c, SubscriptionType.SHARED, 10);
        List<Position> p = append(IntStream.range(0, 2).mapToObj(i -> entry(null, 0)).toList());
        await().atMost(DEADLINE).untilAsserted(() -> assertThat(c.positions()).hasSize(2));
        ErrorDetail moved = ErrorDetail.newBuilder().setReason(ErrorReason.NOT_OWNER).setMessage("moved").build();
        on(() -> subscription.close(moved)).join();
        assertThat(c.disconnected).isEqualTo(moved);
        assertThat(on(() -> subscription.acknowledge(c, ids(p.subList(0, 1)), false)).join()).isEqualTo(moved);
        assertThat(on(() -> subscription.isAcknowledged(ids(p.subList(0, 1)).get(0)))).isFalse();
    }

    private void join(TestConsumer c, SubscriptionType type, int permits) {
        on(() -> {
            subscription.addConsumer(c, type);
            if (permits > 0) {
                subscription.flow(c, permits);
            }
            return null;
        });
    }

    private <T> T on(Callable<T> call) {
        try {
            return executor.submit(call).get(DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            throw new RuntimeException(e);
        }
    }

    private static List<MessageId> ids(List<Position> positions) {
        return positions.stream().map(p -> MessageId.newBuilder().setLedgerId(p.ledgerId()).setEntryId(p.entryId())
                .setBatchIndex(-1).build()).toList();
    }

    /** One entry of one message; {@code key} null for none, {@code deliverAtMs} 0 for at once. */
    private static byte[] entry(String key, long deliverAtMs) {
        return entry(key, deliverAtMs, 1);
    }

    private static byte[] entry(String key, long deliverAtMs, int messages) {
        BatchHeader.Builder h = BatchHeader.newBuilder().setMessageCount(messages).setDeliverAtMs(deliverAtMs);
        if (key != null) {
            h.setKey(key).setHasKey(true);
        }
        return EntryBatch.newBuilder().setHeader(h).setPayload(ByteString.copyFromUtf8("m")).build().toByteArray();
    }
}
