package io.tributary.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.tributary.api.v1.AdminServiceGrpc;
import io.tributary.api.v1.CreateTopicRequest;
import io.tributary.cli.Standalone;
import io.tributary.client.BatchReceivePolicy;
import io.tributary.client.Consumer;
import io.tributary.client.Message;
import io.tributary.client.MessageId;
import io.tributary.client.Messages;
import io.tributary.client.Producer;
import io.tributary.client.Schema;
import io.tributary.client.SubscriptionInitialPosition;
import io.tributary.client.SubscriptionType;
import io.tributary.client.TributaryClient;
import io.tributary.client.TributaryClientException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One consumer over several topics through the proxy: a list of topics, a pattern that picks
 * up topics created later, a message listener, and batch receives.
 */
class MultiTopicConsumerTest {
    @TempDir
    static Path dir;
    static Standalone standalone;
    static TributaryClient client;
    static ManagedChannel channel;

    @BeforeAll
    static void start() throws Exception {
        standalone = TestClusters.start(dir.toFile());
        client = TributaryClient.builder().serviceUrl(standalone.serviceUrl()).build();
        channel = NettyChannelBuilder.forTarget(standalone.serviceUrl()).usePlaintext().build();
    }

    @AfterAll
    static void stop() throws Exception {
        channel.shutdownNow();
        client.close();
        standalone.close();
    }

    private static String partitioned(String topic, int partitions) {
        AdminServiceGrpc.newBlockingStub(channel).createTopic(
                CreateTopicRequest.newBuilder().setTopic(topic).setPartitions(partitions).build());
        return topic;
    }

    private static void produce(String topic, int n, String prefix) throws Exception {
        try (Producer<String> p = client.newProducer(Schema.STRING).topic(topic).enableBatching(false).create()) {
            for (int i = 0; i < n; i++) {
                p.send(prefix + i);
            }
        }
    }

    private static List<Message<String>> receive(Consumer<String> c, int n) throws Exception {
        List<Message<String>> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Message<String> m = c.receive(20, TimeUnit.SECONDS);
            assertThat(m).as("message %d of %d", i + 1, n).isNotNull();
            out.add(m);
        }
        return out;
    }

    @Test
    void aListOfTopicsIsReadAsOneAndEachMessageSaysWhereItCameFrom() throws Exception {
        String plain = "public/default/list-plain";
        String parted = partitioned("public/default/list-parted", 2);
        produce(plain, 5, "plain-");
        produce(parted, 6, "parted-");
        try (Consumer<String> c = client.newConsumer(Schema.STRING).topics(List.of(plain, parted, "persistent://" + plain))
                .subscriptionName("s").subscriptionType(SubscriptionType.Shared)
                .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe()) {
            assertThat(c.getTopic()).isEqualTo(plain + "," + parted);
            List<Message<String>> all = receive(c, 11);
            assertThat(c.receive(500, TimeUnit.MILLISECONDS)).as("the duplicate topic is read once").isNull();
            Map<String, Long> byTopic = all.stream().collect(Collectors.groupingBy(Message::getTopicName, Collectors.counting()));
            assertThat(byTopic).isEqualTo(Map.of(plain, 5L, parted + "-partition-0", 3L, parted + "-partition-1", 3L));
            assertThat(all).allSatisfy(m -> assertThat(m.getValue())
                    .startsWith(m.getTopicName().equals(plain) ? "plain-" : "parted-"));
            for (Message<String> m : all) {
                // by id alone: the consumer knows which topic delivered the id's ledger
                c.acknowledge(MessageId.fromString(m.getMessageId().toString()));
            }
        }
        try (Consumer<String> again = client.newConsumer(Schema.STRING).topics(List.of(plain, parted))
                .subscriptionName("s").subscriptionType(SubscriptionType.Shared).subscribe()) {
            assertThat(again.receive(1, TimeUnit.SECONDS)).as("every acknowledgement reached its topic").isNull();
        }
    }

    @Test
    void groupedAcknowledgementsReachEveryTopicAndARefusedIdFailsOnItsOwn() throws Exception {
        String plain = "public/default/grouped-plain";
        String parted = partitioned("public/default/grouped-parted", 2);
        produce(plain, 4, "plain-");
        produce(parted, 4, "parted-");
        try (Consumer<String> c = client.newConsumer(Schema.STRING).topics(List.of(plain, parted))
                .subscriptionName("s").subscriptionType(SubscriptionType.Shared)
                .acknowledgmentGroupTime(200, TimeUnit.MILLISECONDS)
                .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe()) {
            List<Message<String>> all = receive(c, 8);
            List<CompletableFuture<Void>> acks = new ArrayList<>();
            for (Message<String> m : all) {
                acks.add(c.acknowledgeAsync(m));
            }
            MessageId real = all.get(0).getMessageId();
            // in the same group as the real one: an entry far past the end of its topic
            CompletableFuture<Void> bogus = c.acknowledgeAsync(
                    new MessageId(real.getLedgerId(), 10_000, 0, real.getPartition(), 0));
            CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get(20, TimeUnit.SECONDS);
            assertThatThrownBy(() -> bogus.get(20, TimeUnit.SECONDS))
                    .hasCauseInstanceOf(TributaryClientException.InvalidMessageIdException.class);
        }
        try (Consumer<String> again = client.newConsumer(Schema.STRING).topics(List.of(plain, parted))
                .subscriptionName("s").subscriptionType(SubscriptionType.Shared).subscribe()) {
            assertThat(again.receive(1, TimeUnit.SECONDS)).as("every grouped acknowledgement was applied").isNull();
        }
    }

    @Test
    void aPatternReadsMatchingTopicsAndPicksUpTopicsCreatedLater() throws Exception {
        produce("public/default/pat-first", 2, "first-");
        produce("public/default/unrelated", 1, "unrelated-");
        try (Consumer<String> c = client.newConsumer(Schema.STRING).topicsPattern("public/default/pat-.*")
                .patternAutoDiscoveryPeriod(300, TimeUnit.MILLISECONDS).subscriptionName("s")
                .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe()) {
            assertThat(c.getTopic()).isEqualTo("public/default/pat-.*");
            assertThat(receive(c, 2)).extracting(Message::getValue).containsExactly("first-0", "first-1");

            // created after the subscription: a partitioned topic and a plain one
            String parted = partitioned("public/default/pat-later", 3);
            produce(parted, 6, "later-");
            produce("public/default/pat-plain", 2, "plain-");
            List<Message<String>> later = new ArrayList<>();
            await().atMost(Duration.ofSeconds(20)).until(() -> {
                Message<String> m = c.receive(100, TimeUnit.MILLISECONDS);
                if (m != null) {
                    later.add(m);
                    c.acknowledge(m);
                }
                return later.size() == 8;
            });
            assertThat(later.stream().map(Message::getTopicName).collect(Collectors.toSet())).containsExactlyInAnyOrder(
                    parted + "-partition-0", parted + "-partition-1", parted + "-partition-2", "public/default/pat-plain");
            assertThat(c.receive(500, TimeUnit.MILLISECONDS)).as("nothing from topics that do not match").isNull();
        }
    }

    @Test
    void aListenerGetsEveryMessageOnOneThreadOneAtATimeInOrderAndReceiveIsRefused() throws Exception {
        String topic = partitioned("public/default/listened", 3);
        produce(topic, 30, "");
        List<Message<String>> seen = Collections.synchronizedList(new ArrayList<>());
        Set<String> threads = ConcurrentHashMap.newKeySet();
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger mostInside = new AtomicInteger();
        try (Consumer<String> c = client.newConsumer(Schema.STRING).topic(topic).subscriptionName("s")
                .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).receiverQueueSize(6)
                .messageListener((consumer, m) -> {
                    mostInside.accumulateAndGet(inside.incrementAndGet(), Math::max);
                    threads.add(Thread.currentThread().getName());
                    try {
                        seen.add(m);
                        consumer.acknowledge(m);
                    } catch (TributaryClientException e) {
                        throw new IllegalStateException(e);
                    } finally {
                        inside.decrementAndGet();
                    }
                }).subscribe()) {
            assertThatThrownBy(() -> c.receive(1, TimeUnit.SECONDS)).isInstanceOf(TributaryClientException.class)
                    .hasMessageContaining("messageListener");
            assertThatThrownBy(c::batchReceive).hasMessageContaining("messageListener");
            await().atMost(Duration.ofSeconds(20)).until(() -> seen.size() >= 30);
            assertThat(seen).hasSize(30);
            assertThat(mostInside).hasValue(1);
            assertThat(threads).hasSize(1);
            Map<String, List<Integer>> perPartition = new HashMap<>();
            synchronized (seen) {
                for (Message<String> m : seen) {
                    perPartition.computeIfAbsent(m.getTopicName(), k -> new ArrayList<>()).add(Integer.parseInt(m.getValue()));
                }
            }
            assertThat(perPartition).hasSize(3).allSatisfy((partition, values) ->
                    assertThat(values).as(partition).isSorted().doesNotHaveDuplicates());
        }
        try (Consumer<String> again = client.newConsumer(Schema.STRING).topic(topic).subscriptionName("s").subscribe()) {
            assertThat(again.receive(1, TimeUnit.SECONDS)).as("the listener acknowledged everything").isNull();
        }
    }

    @Test
    void aBatchReceiveReturnsAsSoonAsTheCountOrTheByteLimitIsReachedOverSeveralTopics() throws Exception {
        String a = "public/default/batch-a";
        String b = "public/default/batch-b";
        String hundredBytes = "x".repeat(100);
        try (Producer<String> pa = client.newProducer(Schema.STRING).topic(a).create();
             Producer<String> pb = client.newProducer(Schema.STRING).topic(b).create()) {
            for (int i = 0; i < 15; i++) {
                pa.sendAsync(hundredBytes);
                pb.sendAsync(hundredBytes);
            }
            pa.flush();
            pb.flush();
        }
        try (Consumer<String> c = client.newConsumer(Schema.STRING).topics(List.of(a, b)).subscriptionName("count")
                .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest)
                .batchReceivePolicy(BatchReceivePolicy.builder().maxNumMessages(10).timeout(30, TimeUnit.SECONDS).build())
                .subscribe()) {
            long start = System.nanoTime();
            List<Messages<String>> batches = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                batches.add(c.batchReceive());
            }
            assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start)).as("no batch waited for the timeout")
                    .isLessThan(20);
            assertThat(batches).allSatisfy(m -> assertThat(m.size()).isEqualTo(10));
            List<String> topics = new ArrayList<>();
            batches.forEach(m -> m.forEach(x -> topics.add(x.getTopicName())));
            assertThat(topics).containsOnly(a, b).hasSize(30);
            for (Messages<String> m : batches) {
                c.acknowledge(m);
            }
        }
        try (Consumer<String> c = client.newConsumer(Schema.STRING).topics(List.of(a, b)).subscriptionName("bytes")
                .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest)
                .batchReceivePolicy(BatchReceivePolicy.builder().maxNumBytes(250).timeout(30, TimeUnit.SECONDS).build())
                .subscribe()) {
            long start = System.nanoTime();
            Messages<String> m = c.batchReceive();
            assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start)).isLessThan(20);
            assertThat(m.size()).as("a third value would take the batch over 250 bytes").isEqualTo(2);
        }
        try (Consumer<String> c = client.newConsumer(Schema.STRING).topics(List.of(a, b)).subscriptionName("count")
                .subscribe()) {
            assertThat(c.receive(1, TimeUnit.SECONDS)).as("acknowledge(Messages) acknowledged every batch").isNull();
        }
    }

    @Test
    void aBatchReceiveReturnsWhatCameAtTheTimeoutEvenNothing() throws Exception {
        String topic = partitioned("public/default/batch-timeout", 2);
        produce(topic, 3, "m");
        try (Consumer<String> c = client.newConsumer(Schema.STRING).topic(topic).subscriptionName("s")
                .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest)
                .batchReceivePolicy(BatchReceivePolicy.builder().maxNumMessages(100).timeout(300, TimeUnit.MILLISECONDS).build())
                .subscribe()) {
            List<String> got = new ArrayList<>();
            await().atMost(Duration.ofSeconds(20)).until(() -> {
                long start = System.nanoTime();
                Messages<String> m = c.batchReceive();
                assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).as("waited for the timeout")
                        .isGreaterThanOrEqualTo(290);
                m.forEach(x -> got.add(x.getValue()));
                return got.size() >= 3;
            });
            assertThat(got).containsExactlyInAnyOrder("m0", "m1", "m2");
            long start = System.nanoTime();
            Messages<String> none = c.batchReceiveAsync().get(10, TimeUnit.SECONDS);
            assertThat(none.isEmpty()).isTrue();
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isGreaterThanOrEqualTo(290);
        }
        try (Consumer<String> c = client.newConsumer(Schema.STRING).topic(topic).subscriptionName("async")
                .batchReceivePolicy(BatchReceivePolicy.builder().maxNumMessages(4).timeout(30, TimeUnit.SECONDS).build())
                .subscribe()) {
            long start = System.nanoTime();
            CompletableFuture<Messages<String>> pending = c.batchReceiveAsync();
            assertThat(pending).isNotDone();
            produce(topic, 4, "late");
            assertThat(pending.get(20, TimeUnit.SECONDS).size()).isEqualTo(4);
            assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start)).as("completed by the count").isLessThan(20);
        }
    }
}
