package io.tributary.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.api.v1.ErrorReason;
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
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Failover and Key_Shared subscriptions through the proxy (Exclusive and Shared: {@link EndToEndTest}). */
class SubscriptionTypesTest {
    @TempDir
    static Path dir;
    static Standalone standalone;
    static TributaryClient client;

    @BeforeAll
    static void start() throws Exception {
        standalone = TestClusters.start(dir.toFile());
        client = TributaryClient.builder().serviceUrl(standalone.serviceUrl()).build();
    }

    @AfterAll
    static void stop() throws Exception {
        client.close();
        standalone.close();
    }

    private static Consumer<String> consumer(String topic, String sub, SubscriptionType type, String name, int priority,
                                             int queue) throws Exception {
        return client.newConsumer(Schema.STRING).topic(topic).subscriptionName(sub).subscriptionType(type)
                .consumerName(name).priorityLevel(priority).receiverQueueSize(queue)
                .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe();
    }

    private static List<MessageId> send(String topic, String key, int from, int to) throws Exception {
        List<MessageId> ids = new ArrayList<>();
        try (Producer<String> p = client.newProducer(Schema.STRING).topic(topic).enableBatching(false).create()) {
            for (int i = from; i < to; i++) {
                ids.add(p.newMessage().key(key == null ? "k" + (i % 20) : key).value("v" + i).send());
            }
        }
        return ids;
    }

    @Test
    void aSecondExclusiveConsumerIsRefusedWithConsumerBusy() throws Exception {
        try (Consumer<String> first = consumer("public/default/excl", "s", SubscriptionType.Exclusive, "a", 0, 10)) {
            assertThatThrownBy(() -> consumer("public/default/excl", "s", SubscriptionType.Exclusive, "b", 0, 10))
                    .isInstanceOfSatisfying(TributaryClientException.ConsumerBusyException.class,
                            e -> assertThat(e.reason()).isEqualTo(ErrorReason.CONSUMER_BUSY));
            assertThatThrownBy(() -> consumer("public/default/excl", "s", SubscriptionType.Shared, "c", 0, 10))
                    .as("another type cannot join either").isInstanceOf(TributaryClientException.ConsumerBusyException.class);
        }
    }

    @Test
    void failoverDeliversToTheFirstByPriorityThenNameAndTheNextTakesOverFromTheFirstUnacknowledged() throws Exception {
        String topic = "public/default/failover";
        send(topic, "k", 0, 20);
        // joining in any order: priority 0 beats 5; between the two of priority 0 the name decides: b-active < c-standby.
        // A consumer that loses the active role drops what it prefetched; the new active one gets it.
        try (Consumer<String> standbyLowPriority = consumer(topic, "f", SubscriptionType.Failover, "a-standby", 5, 5);
             Consumer<String> standby = consumer(topic, "f", SubscriptionType.Failover, "c-standby", 0, 5)) {
            Consumer<String> active = consumer(topic, "f", SubscriptionType.Failover, "b-active", 0, 5);
            for (int i = 0; i < 5; i++) {
                Message<String> m = active.receive(30, TimeUnit.SECONDS);
                assertThat(m.getValue()).isEqualTo("v" + i);
                if (i < 3) {
                    active.acknowledge(m);
                }
            }
            assertThat(standby.receive(200, TimeUnit.MILLISECONDS)).as("a standby gets nothing").isNull();

            long closed = System.nanoTime();
            active.close();
            Message<String> taken = standby.receive(30, TimeUnit.SECONDS);
            long takeoverMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - closed);
            assertThat(taken.getValue()).as("from the first unacknowledged message").isEqualTo("v3");
            System.out.printf("failover takeover: first message at the next consumer %d ms after the active one closed%n", takeoverMs);
            assertThat(takeoverMs).as("takeover bound (see docs/subscriptions.md)").isLessThan(5_000);
            standby.acknowledge(taken);
            for (int i = 4; i < 20; i++) {
                Message<String> m = standby.receive(30, TimeUnit.SECONDS);
                assertThat(m.getValue()).isEqualTo("v" + i);
                standby.acknowledge(m);
            }
            assertThat(standbyLowPriority.receive(200, TimeUnit.MILLISECONDS)).isNull();
        }
    }

    @Test
    void keySharedSendsEachKeyToOneConsumerInOrder() throws Exception {
        String topic = "public/default/keyshared";
        try (Consumer<String> a = consumer(topic, "ks", SubscriptionType.Key_Shared, "a", 0, 50);
             Consumer<String> b = consumer(topic, "ks", SubscriptionType.Key_Shared, "b", 0, 50);
             Consumer<String> c = consumer(topic, "ks", SubscriptionType.Key_Shared, "c", 0, 50)) {
            send(topic, null, 0, 600);
            Map<String, String> ownerOfKey = new HashMap<>();
            Map<String, Integer> lastOfKey = new HashMap<>();
            Map<String, Integer> perConsumer = new HashMap<>();
            int received = 0;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (received < 600) {
                boolean any = false;
                for (Consumer<String> x : List.of(a, b, c)) {
                    Message<String> m = x.receive(50, TimeUnit.MILLISECONDS);
                    if (m == null) {
                        continue;
                    }
                    any = true;
                    received++;
                    int n = Integer.parseInt(m.getValue().substring(1));
                    String owner = ownerOfKey.putIfAbsent(m.getKey(), x.getConsumerName());
                    assertThat(owner == null ? x.getConsumerName() : owner).as("key %s stays on one consumer", m.getKey())
                            .isEqualTo(x.getConsumerName());
                    assertThat(n).as("key %s in order", m.getKey()).isGreaterThan(lastOfKey.getOrDefault(m.getKey(), -1));
                    lastOfKey.put(m.getKey(), n);
                    perConsumer.merge(x.getConsumerName(), 1, Integer::sum);
                    x.acknowledge(m);
                }
                if (!any) {
                    assertThat(System.nanoTime()).as("all 600 arrive within 30 s").isLessThan(deadline);
                }
            }
            assertThat(perConsumer).as("20 keys spread over the three consumers").hasSizeGreaterThanOrEqualTo(2);
        }
    }

    @Test
    void aJoiningKeySharedConsumerGetsAKeyOnlyAfterEarlierMessagesOfThatKeyWereAcknowledged() throws Exception {
        String topic = "public/default/keyshared-join";
        try (Consumer<String> a = consumer(topic, "ks", SubscriptionType.Key_Shared, "a", 0, 1000)) {
            send(topic, null, 0, 200);
            List<Message<String>> heldByA = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                Message<String> m = a.receive(30, TimeUnit.SECONDS);
                assertThat(m).isNotNull();
                heldByA.add(m);
            }
            // b joins while a holds unacknowledged messages of every key
            try (Consumer<String> b = consumer(topic, "ks", SubscriptionType.Key_Shared, "b", 0, 1000)) {
                send(topic, null, 200, 400);
                Map<String, Integer> lastOfKey = new HashMap<>();
                for (Message<String> m : heldByA) {
                    lastOfKey.merge(m.getKey(), Integer.parseInt(m.getValue().substring(1)), Math::max);
                }
                // nothing reaches b while a still holds earlier messages of b's keys
                assertThat(b.receive(500, TimeUnit.MILLISECONDS)).as("b waits for a's acknowledgements").isNull();
                // a acknowledges; now every key goes on, in order, wherever it lives now
                for (Message<String> m : heldByA) {
                    a.acknowledge(m);
                }
                Map<String, String> ownerAfter = new HashMap<>();
                int received = 0;
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (received < 200) {
                    boolean any = false;
                    for (Consumer<String> x : List.of(a, b)) {
                        Message<String> m = x.receive(50, TimeUnit.MILLISECONDS);
                        if (m == null) {
                            continue;
                        }
                        any = true;
                        received++;
                        int n = Integer.parseInt(m.getValue().substring(1));
                        assertThat(n).as("key %s in order across the change", m.getKey())
                                .isGreaterThan(lastOfKey.getOrDefault(m.getKey(), -1));
                        lastOfKey.put(m.getKey(), n);
                        String owner = ownerAfter.putIfAbsent(m.getKey(), x.getConsumerName());
                        assertThat(owner == null ? x.getConsumerName() : owner).isEqualTo(x.getConsumerName());
                        x.acknowledge(m);
                    }
                    if (!any) {
                        assertThat(System.nanoTime()).as("all 200 new messages arrive within 30 s").isLessThan(deadline);
                    }
                }
                assertThat(ownerAfter.containsValue("b")).as("b took some keys over").isTrue();
            }
        }
    }
}
