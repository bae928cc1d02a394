package io.tributary.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Producing and consuming through the proxy with the SDK, on real ZooKeeper and BookKeeper. */
class EndToEndTest {
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
        if (client != null) {
            client.close();
        }
        if (standalone != null) {
            standalone.close();
        }
    }

    private static Consumer<String> subscribe(String topic, String subscription, SubscriptionType type) throws Exception {
        return client.newConsumer(Schema.STRING).topic(topic).subscriptionName(subscription).subscriptionType(type)
                .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe();
    }

    @Test
    void tenThousandMessagesArriveInOrderOnEverySubscription() throws Exception {
        String topic = "public/default/orders";
        int n = 10_000;
        try (Consumer<String> audit = subscribe(topic, "audit", SubscriptionType.Exclusive);
             Consumer<String> billing = subscribe(topic, "billing", SubscriptionType.Exclusive);
             Producer<String> producer = client.newProducer(Schema.STRING).topic(topic).create()) {
            List<CompletableFuture<MessageId>> sent = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                sent.add(producer.sendAsync("order-" + i));
            }
            producer.flush();
            List<MessageId> ids = new ArrayList<>();
            for (CompletableFuture<MessageId> f : sent) {
                ids.add(f.get(60, TimeUnit.SECONDS));
            }
            assertThat(ids).as("message ids follow the order of sending").isSorted().doesNotHaveDuplicates();

            for (Consumer<String> c : List.of(audit, billing)) {
                for (int i = 0; i < n; i++) {
                    Message<String> m = c.receive(30, TimeUnit.SECONDS);
                    assertThat(m).as("message %d on %s", i, c.getSubscription()).isNotNull();
                    assertThat(m.getValue()).isEqualTo("order-" + i);
                    assertThat(m.getMessageId()).isEqualTo(ids.get(i));
                    assertThat(m.getRedeliveryCount()).as("first delivery of message %d", i).isZero();
                    c.acknowledge(m);
                }
                assertThat(c.receive(200, TimeUnit.MILLISECONDS)).as("nothing beyond what was sent").isNull();
            }
        }
    }

    @Test
    void sharedSubscriptionSpreadsMessagesAndDeliversEachOnce() throws Exception {
        String topic = "public/default/shared-work";
        int n = 2_000;
        try (Consumer<String> a = subscribe(topic, "workers", SubscriptionType.Shared);
             Consumer<String> b = subscribe(topic, "workers", SubscriptionType.Shared);
             Producer<String> producer = client.newProducer(Schema.STRING).topic(topic)
                     .batchingMaxMessages(10).create()) {
            for (int i = 0; i < n; i++) {
                producer.sendAsync("job-" + i);
            }
            producer.flush();
            Set<String> seen = new HashSet<>();
            int fromA = 0;
            int fromB = 0;
            while (seen.size() < n) {
                Message<String> m = a.receive(50, TimeUnit.MILLISECONDS);
                if (m != null) {
                    assertThat(seen.add(m.getValue())).as("delivered once: %s", m.getValue()).isTrue();
                    a.acknowledge(m);
                    fromA++;
                }
                m = b.receive(50, TimeUnit.MILLISECONDS);
                if (m != null) {
                    assertThat(seen.add(m.getValue())).as("delivered once: %s", m.getValue()).isTrue();
                    b.acknowledge(m);
                    fromB++;
                }
            }
            assertThat(fromA).as("consumer a got a share").isPositive();
            assertThat(fromB).as("consumer b got a share").isPositive();
        }
    }

    @Test
    void unacknowledgedMessagesOfALeavingSharedConsumerGoToTheOther() throws Exception {
        String topic = "public/default/shared-redelivery";
        try (Producer<String> producer = client.newProducer(Schema.STRING).topic(topic).enableBatching(false).create();
             Consumer<String> stays = subscribe(topic, "jobs", SubscriptionType.Shared)) {
            Consumer<String> leaves = subscribe(topic, "jobs", SubscriptionType.Shared);
            for (int i = 0; i < 20; i++) {
                producer.send("job-" + i);
            }
            Set<String> seen = new HashSet<>();
            // the leaving consumer takes what it is given and acknowledges nothing
            Message<String> taken = leaves.receive(10, TimeUnit.SECONDS);
            assertThat(taken).isNotNull();
            leaves.close();
            while (seen.size() < 20) {
                Message<String> m = stays.receive(10, TimeUnit.SECONDS);
                assertThat(m).as("all 20 reach the remaining consumer, got %s", seen).isNotNull();
                seen.add(m.getValue());
                stays.acknowledge(m);
            }
            assertThat(seen).contains(taken.getValue());
        }
    }

    @Test
    void secondExclusiveConsumerIsRefused() throws Exception {
        String topic = "public/default/exclusive";
        try (Consumer<String> first = subscribe(topic, "only-one", SubscriptionType.Exclusive)) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> subscribe(topic, "only-one", SubscriptionType.Exclusive))
                    .isInstanceOf(io.tributary.client.TributaryClientException.class)
                    .hasMessageContaining("CONSUMER_BUSY");
            assertThat(first.getSubscription()).isEqualTo("only-one");
        }
    }

    // ---------------------------------------------------------------- the Pulsar-style acknowledgement overloads

    private static void publishPlain(String topic, int n) throws Exception {
        try (Producer<String> p = client.newProducer(Schema.STRING).topic(topic).enableBatching(false).create()) {
            for (int i = 0; i < n; i++) {
                p.send("m" + i);
            }
        }
    }

    private static Consumer<String> ackingConsumer(String topic, SubscriptionType type) throws Exception {
        return client.newConsumer(Schema.STRING).topic(topic).subscriptionName("s").subscriptionType(type)
                .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest)
                .negativeAckRedeliveryDelay(0, TimeUnit.MILLISECONDS)
                .batchReceivePolicy(BatchReceivePolicy.builder().maxNumMessages(3).timeout(Duration.ofSeconds(10)).build())
                .subscribe();
    }

    private static List<String> receiveValues(Consumer<String> c, int n) throws Exception {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Message<String> m = c.receive(10, TimeUnit.SECONDS);
            assertThat(m).as("message %d of %d", i + 1, n).isNotNull();
            out.add(m.getValue());
        }
        return out;
    }

    @Test
    void aCumulativeAckByMessageLeavesOnlyTheLaterMessagesForTheNextConsumer() throws Exception {
        String topic = "public/default/ack-cumulative-message";
        publishPlain(topic, 5);
        try (Consumer<String> c = ackingConsumer(topic, SubscriptionType.Exclusive)) {
            Message<String> third = null;
            for (int i = 0; i < 3; i++) {
                third = c.receive(10, TimeUnit.SECONDS);
            }
            c.acknowledgeCumulative(third);
        }
        try (Consumer<String> again = ackingConsumer(topic, SubscriptionType.Exclusive)) {
            assertThat(receiveValues(again, 2)).containsExactly("m3", "m4");
        }
    }

    @Test
    void aListOfIdsIsAcknowledgedAsAWholeAndNotDeliveredAgain() throws Exception {
        String topic = "public/default/ack-list";
        publishPlain(topic, 4);
        List<MessageId> firstThree = new ArrayList<>();
        try (Consumer<String> c = ackingConsumer(topic, SubscriptionType.Shared)) {
            for (int i = 0; i < 3; i++) {
                firstThree.add(c.receive(10, TimeUnit.SECONDS).getMessageId());
            }
            c.acknowledge(firstThree);
            assertThatThrownBy(() -> c.acknowledgeAsync(firstThree.subList(0, 1)).get(10, TimeUnit.SECONDS))
                    .hasCauseInstanceOf(TributaryClientException.AlreadyAcknowledgedException.class);
        }
        try (Consumer<String> again = ackingConsumer(topic, SubscriptionType.Shared)) {
            assertThat(receiveValues(again, 1)).containsExactly("m3");
            assertThat(again.receive(1, TimeUnit.SECONDS)).isNull();
        }
    }

    @Test
    void aNegativelyAcknowledgedBatchComesBackWhole() throws Exception {
        String topic = "public/default/nack-batch";
        publishPlain(topic, 3);
        try (Consumer<String> c = ackingConsumer(topic, SubscriptionType.Shared)) {
            Messages<String> batch = c.batchReceive();
            assertThat(batch.size()).isEqualTo(3);
            c.negativeAcknowledge(batch);
            assertThat(receiveValues(c, 3)).containsExactlyInAnyOrder("m0", "m1", "m2");
        }
    }
}
