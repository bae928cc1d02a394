package io.tributary.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.tributary.api.v1.AdminServiceGrpc;
import io.tributary.api.v1.CreateTopicRequest;
import io.tributary.cli.Standalone;
import io.tributary.client.Consumer;
import io.tributary.client.Message;
import io.tributary.client.MessageId;
import io.tributary.client.MessageRouter;
import io.tributary.client.MessageRoutingMode;
import io.tributary.client.Producer;
import io.tributary.client.Schema;
import io.tributary.client.SubscriptionInitialPosition;
import io.tributary.client.SubscriptionType;
import io.tributary.client.TributaryClient;
import io.tributary.client.TributaryClientException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Partitioned topics through the proxy with the SDK: a producer routes over the partitions
 * (round robin, key hash, one partition, a custom router), a consumer reads every partition
 * once, and acknowledgements, cumulative ones and seeks apply per partition.
 */
class PartitionedTopicsTest {
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

    /** Creates a partitioned topic through the proxy's admin service. */
    static String partitioned(String name, int partitions) {
        String topic = "public/default/" + name;
        AdminServiceGrpc.newBlockingStub(channel).createTopic(
                CreateTopicRequest.newBuilder().setTopic(topic).setPartitions(partitions).build());
        return topic;
    }

    private static Consumer<String> subscribe(String topic, String subscription) throws Exception {
        return client.newConsumer(Schema.STRING).topic(topic).subscriptionName(subscription)
                .subscriptionType(SubscriptionType.Shared)
                .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe();
    }

    /** Receives exactly {@code n} messages, then checks that no more come. */
    private static List<Message<String>> receiveExactly(Consumer<String> c, int n) throws Exception {
        List<Message<String>> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Message<String> m = c.receive(20, TimeUnit.SECONDS);
            assertThat(m).as("message %d of %d", i + 1, n).isNotNull();
            out.add(m);
        }
        assertThat(c.receive(500, TimeUnit.MILLISECONDS)).as("nothing beyond the %d messages", n).isNull();
        return out;
    }

    private static Map<Integer, Long> countByPartition(List<MessageId> ids) {
        return ids.stream().collect(Collectors.groupingBy(MessageId::getPartition, TreeMap::new, Collectors.counting()));
    }

    @Test
    void roundRobinWithoutBatchingPutsEachMessageOnTheNextPartition() throws Exception {
        String topic = partitioned("round-robin", 4);
        List<MessageId> ids = new ArrayList<>();
        try (Producer<String> p = client.newProducer(Schema.STRING).topic(topic).enableBatching(false).create()) {
            assertThat(p.getTopic()).isEqualTo(topic);
            for (int i = 0; i < 40; i++) {
                ids.add(p.send("m" + i));
            }
        }
        assertThat(countByPartition(ids)).isEqualTo(Map.of(0, 10L, 1, 10L, 2, 10L, 3, 10L));
        for (int i = 1; i < ids.size(); i++) {
            assertThat(ids.get(i).getPartition()).isEqualTo((ids.get(i - 1).getPartition() + 1) % 4);
        }
        try (Consumer<String> c = subscribe(topic, "s")) {
            for (Message<String> m : receiveExactly(c, 40)) {
                MessageId sent = ids.get(Integer.parseInt(m.getValue().substring(1)));
                assertThat(m.getMessageId()).isEqualTo(sent);
                assertThat(m.getTopicName()).isEqualTo(topic + "-partition-" + sent.getPartition());
            }
        }
    }

    @Test
    void roundRobinWithBatchingStaysOnAPartitionWhileABatchFills() throws Exception {
        String topic = partitioned("round-robin-batched", 4);
        try (Producer<String> p = client.newProducer(Schema.STRING).topic(topic)
                .batchingMaxPublishDelay(Duration.ofMillis(200)).create()) {
            List<CompletableFuture<MessageId>> burst = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                burst.add(p.sendAsync("burst-" + i));
            }
            p.flush();
            Set<String> entries = burst.stream().map(CompletableFuture::join)
                    .map(id -> id.getPartition() + "/" + id.getLedgerId() + ":" + id.getEntryId())
                    .collect(Collectors.toSet());
            assertThat(entries).as("a burst within one batching delay shares a batch (two if it straddles a switch)")
                    .hasSizeLessThanOrEqualTo(2);
            // one message per batching delay: each goes to the partition of its moment
            Set<Integer> partitions = new HashSet<>();
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                partitions.add(p.send("slow").getPartition());
                return partitions.size() == 4;
            });
        }
    }

    @Test
    void aKeyAlwaysGoesToThePartitionOfItsHashAndKeepsItsOrder() throws Exception {
        String topic = partitioned("keyed", 4);
        Map<String, List<CompletableFuture<MessageId>>> sent = new HashMap<>();
        try (Producer<String> p = client.newProducer(Schema.STRING).topic(topic).create()) {
            for (int i = 0; i < 20; i++) {
                for (int k = 0; k < 10; k++) {
                    String key = "customer-" + k;
                    sent.computeIfAbsent(key, x -> new ArrayList<>())
                            .add(p.newMessage().key(key).value(key + ":" + i).sendAsync());
                }
            }
            p.flush();
        }
        Set<Integer> used = new HashSet<>();
        sent.forEach((key, futures) -> {
            int expected = MessageRouter.partitionForKey(key, 4);
            used.add(expected);
            assertThat(futures).allSatisfy(f -> assertThat(f.join().getPartition()).as(key).isEqualTo(expected));
        });
        assertThat(used).as("ten keys spread over several partitions").hasSizeGreaterThan(1);
        try (Consumer<String> c = subscribe(topic, "s")) {
            Map<String, List<Integer>> order = new HashMap<>();
            for (Message<String> m : receiveExactly(c, 200)) {
                assertThat(m.getTopicName()).isEqualTo(topic + "-partition-" + MessageRouter.partitionForKey(m.getKey(), 4));
                order.computeIfAbsent(m.getKey(), x -> new ArrayList<>()).add(Integer.parseInt(m.getValue().split(":")[1]));
            }
            List<Integer> inOrder = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                inOrder.add(i);
            }
            assertThat(order).hasSize(10).allSatisfy((key, values) -> assertThat(values).as(key).isEqualTo(inOrder));
        }
    }

    @Test
    void singlePartitionSendsKeylessMessagesToOnePartitionAndKeyedOnesByHash() throws Exception {
        String topic = partitioned("single", 5);
        try (Producer<String> p = client.newProducer(Schema.STRING).topic(topic)
                .messageRoutingMode(MessageRoutingMode.SinglePartition).enableBatching(false).create()) {
            Set<Integer> partitions = new HashSet<>();
            for (int i = 0; i < 20; i++) {
                partitions.add(p.send("m" + i).getPartition());
            }
            assertThat(partitions).hasSize(1);
            assertThat(p.newMessage().key("order-42").value("keyed").send().getPartition())
                    .isEqualTo(MessageRouter.partitionForKey("order-42", 5));
        }
    }

    @Test
    void aCustomRouterPicksThePartitionAndAChoiceOutOfRangeFailsOnlyThatSend() throws Exception {
        String topic = partitioned("custom", 4);
        MessageRouter byProperty = (msg, metadata) -> {
            assertThat(metadata.numPartitions()).isEqualTo(4);
            return Integer.parseInt(msg.getProperty("partition"));
        };
        try (Producer<String> p = client.newProducer(Schema.STRING).topic(topic).messageRouter(byProperty).create()) {
            assertThat(p.newMessage().value("to 2").property("partition", "2").send().getPartition()).isEqualTo(2);
            assertThatThrownBy(() -> p.newMessage().value("to 4").property("partition", "4").send())
                    .isInstanceOf(TributaryClientException.class)
                    .hasMessageContaining("chose partition 4").hasMessageContaining("0 to 3");
            assertThatThrownBy(() -> p.newMessage().value("to -1").property("partition", "-1").send())
                    .isInstanceOf(TributaryClientException.class).hasMessageContaining("chose partition -1");
            assertThatThrownBy(() -> p.newMessage().value("no property").send())
                    .isInstanceOf(TributaryClientException.class).hasMessageContaining("router failed");
            assertThat(p.newMessage().value("to 0").property("partition", "0").send().getPartition())
                    .as("the producer stays usable").isZero();
        }
        try (Consumer<String> c = subscribe(topic, "s")) {
            Map<String, String> where = receiveExactly(c, 2).stream()
                    .collect(Collectors.toMap(Message::getValue, Message::getTopicName));
            assertThat(where).isEqualTo(Map.of("to 2", topic + "-partition-2", "to 0", topic + "-partition-0"));
        }
    }

    @Test
    void flushAndCloseCoverEveryPartitionAndThePartitionsShareTheProducerName() throws Exception {
        String topic = partitioned("flush-close", 3);
        List<CompletableFuture<MessageId>> pending = new ArrayList<>();
        try (Producer<String> p = client.newProducer(Schema.STRING).topic(topic).producerName("billing")
                .batchingMaxPublishDelay(Duration.ofMinutes(1)).create()) {
            assertThat(p.getProducerName()).isEqualTo("billing");
            for (int k = 0; k < 12; k++) {
                pending.add(p.newMessage().key("k" + k).value("v" + k).sendAsync());
            }
            assertThat(pending).as("batches wait for the delay").noneMatch(CompletableFuture::isDone);
            p.flush();
            assertThat(pending).allMatch(f -> f.isDone() && !f.isCompletedExceptionally());
            assertThat(pending.stream().map(f -> f.join().getPartition()).collect(Collectors.toSet())).hasSizeGreaterThan(1);
            assertThat(p.getLastSequenceId()).isGreaterThanOrEqualTo(0);
            for (int k = 12; k < 24; k++) {
                pending.add(p.newMessage().key("k" + k).value("v" + k).sendAsync());
            }
        }
        assertThat(pending).as("close waited for the sends of every partition")
                .allMatch(f -> f.isDone() && !f.isCompletedExceptionally());
        try (Consumer<String> c = subscribe(topic, "s")) {
            List<Message<String>> all = receiveExactly(c, 24);
            assertThat(all).extracting(Message::getProducerName).containsOnly("billing");
            assertThat(all.stream().map(Message::getTopicName).collect(Collectors.toSet())).hasSizeGreaterThan(1);
        }
    }

    @Test
    void aConsumerReadsEveryPartitionOnceAndAcknowledgedMessagesDoNotComeBack() throws Exception {
        String topic = partitioned("read-all", 4);
        try (Producer<String> p = client.newProducer(Schema.STRING).topic(topic).enableBatching(false).create()) {
            for (int i = 0; i < 40; i++) {
                p.send("m" + i);
            }
        }
        Set<String> unacked = new HashSet<>();
        try (Consumer<String> c = subscribe(topic, "audit")) {
            assertThat(c.getTopic()).isEqualTo(topic);
            List<Message<String>> all = receiveExactly(c, 40);
            assertThat(all.stream().map(Message::getValue).collect(Collectors.toSet())).hasSize(40);
            assertThat(all.stream().map(Message::getTopicName).collect(Collectors.toSet()))
                    .containsExactlyInAnyOrder(topic + "-partition-0", topic + "-partition-1", topic + "-partition-2",
                            topic + "-partition-3");
            for (Message<String> m : all) {
                int i = Integer.parseInt(m.getValue().substring(1));
                if (i % 4 == 3) {
                    unacked.add(m.getValue());
                } else if (i % 2 == 0) {
                    c.acknowledge(m);
                } else {
                    // by id alone: the id's partition tells which partition's subscription it is on
                    c.acknowledge(MessageId.fromByteArray(m.getMessageId().toByteArray()));
                }
            }
        }
        try (Consumer<String> again = subscribe(topic, "audit")) {
            List<Message<String>> redelivered = receiveExactly(again, unacked.size());
            assertThat(redelivered.stream().map(Message::getValue).collect(Collectors.toSet())).isEqualTo(unacked);
        }
    }

    @Test
    void cumulativeAcknowledgementAndSeekByIdApplyToTheIdsPartitionOnlyAndSeekByTimeToAll() throws Exception {
        String topic = partitioned("cumulative", 2);
        long beforePublishing = System.currentTimeMillis();
        try (Producer<String> p = client.newProducer(Schema.STRING).topic(topic).enableBatching(false).create()) {
            for (int i = 0; i < 10; i++) {
                p.send("m" + i);
            }
        }
        Function<Consumer<String>, Map<Integer, List<Message<String>>>> byPartition = c -> {
            try {
                return receiveExactly(c, 10).stream().collect(Collectors.groupingBy(
                        m -> m.getMessageId().getPartition(), TreeMap::new, Collectors.toList()));
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        };
        try (Consumer<String> c = client.newConsumer(Schema.STRING).topic(topic).subscriptionName("ordered")
                .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe()) {
            Map<Integer, List<Message<String>>> received = byPartition.apply(c);
            assertThat(received.get(0)).hasSize(5);
            c.acknowledgeCumulative(received.get(0).get(4).getMessageId());
        }
        try (Consumer<String> c = client.newConsumer(Schema.STRING).topic(topic).subscriptionName("ordered")
                .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe()) {
            List<Message<String>> rest = receiveExactly(c, 5);
            assertThat(rest).as("partition 0 was acknowledged up to its last message; partition 1 not at all")
                    .allSatisfy(m -> assertThat(m.getMessageId().getPartition()).isEqualTo(1));
            c.acknowledgeCumulative(rest.get(4).getMessageId());

            c.seek(beforePublishing);
            Map<Integer, List<Message<String>>> replayed = byPartition.apply(c);
            assertThat(replayed.keySet()).containsExactly(0, 1);

            // an id moves only its own partition: from the third message of partition 1 on
            MessageId third = replayed.get(1).get(2).getMessageId();
            c.acknowledgeCumulative(replayed.get(0).get(4).getMessageId());
            c.acknowledgeCumulative(replayed.get(1).get(4).getMessageId());
            c.seek(third);
            List<Message<String>> fromThird = receiveExactly(c, 3);
            assertThat(fromThird).extracting(Message::getMessageId)
                    .containsExactlyElementsOf(replayed.get(1).subList(2, 5).stream().map(Message::getMessageId).toList());

            c.seek(MessageId.earliest);
            assertThat(byPartition.apply(c).values()).allSatisfy(l -> assertThat(l).hasSize(5));
        }
    }
}
