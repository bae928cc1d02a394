package io.tributary.client.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.tributary.api.v1.Ack;
import io.tributary.client.Consumer;
import io.tributary.client.Message;
import io.tributary.client.MessageId;
import io.tributary.client.Producer;
import io.tributary.client.Schema;
import io.tributary.client.SubscriptionInitialPosition;
import io.tributary.client.SubscriptionType;
import io.tributary.client.TributaryClient;
import io.tributary.client.TributaryClientException.AlreadyAcknowledgedException;
import io.tributary.client.TributaryClientException.NotAllowedException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Acknowledgement groups against {@link FakeBroker}: how many Ack requests go out, and what each future says. */
class AcknowledgmentGroupingTest {
    private static final String TOPIC = "acme/orders/grouped";

    private FakeBroker broker;
    private TributaryClient client;

    @BeforeEach
    void start() throws Exception {
        broker = new FakeBroker(TOPIC);
        client = TributaryClient.builder().serviceUrl(broker.url()).operationTimeout(Duration.ofSeconds(5)).build();
        try (Producer<String> p = client.newProducer(Schema.STRING).topic(TOPIC).enableBatching(false).create()) {
            for (int i = 0; i < 5; i++) {
                p.send("m" + i);
            }
        }
    }

    @AfterEach
    void stop() throws Exception {
        client.close();
        broker.close();
    }

    private Consumer<String> consumer(UnaryOperator<io.tributary.client.ConsumerBuilder<String>> more) throws Exception {
        return more.apply(client.newConsumer(Schema.STRING).topic(TOPIC).subscriptionName("s")
                .subscriptionType(SubscriptionType.Shared)
                .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest)).subscribe();
    }

    private static List<Message<String>> receive(Consumer<String> c, int n) throws Exception {
        List<Message<String>> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Message<String> m = c.receive(5, TimeUnit.SECONDS);
            assertThat(m).isNotNull();
            out.add(m);
        }
        return out;
    }

    private List<Ack> acks() {
        synchronized (broker) {
            return List.copyOf(broker.acks);
        }
    }

    @Test
    void asynchronousAcknowledgementsWithinTheGroupTimeTravelInOneRequest() throws Exception {
        try (Consumer<String> c = consumer(b -> b.acknowledgmentGroupTime(300, TimeUnit.MILLISECONDS))) {
            List<CompletableFuture<Void>> futures = new ArrayList<>();
            for (Message<String> m : receive(c, 5)) {
                futures.add(c.acknowledgeAsync(m));
            }
            assertThat(futures).as("confirmed only once the group went out").noneMatch(CompletableFuture::isDone);
            CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get(5, TimeUnit.SECONDS);
            assertThat(acks()).hasSize(1);
            assertThat(acks().get(0).getMessageIdsCount()).isEqualTo(5);
        }
    }

    @Test
    void withoutAGroupTimeEveryAcknowledgementIsARequest() throws Exception {
        try (Consumer<String> c = consumer(b -> b.acknowledgmentGroupTime(0, TimeUnit.MILLISECONDS))) {
            List<CompletableFuture<Void>> futures = new ArrayList<>();
            for (Message<String> m : receive(c, 5)) {
                futures.add(c.acknowledgeAsync(m));
            }
            CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get(5, TimeUnit.SECONDS);
            assertThat(acks()).hasSize(5);
        }
    }

    @Test
    void aBlockingAcknowledgementGoesAtOnceAndStillReportsADuplicate() throws Exception {
        try (Consumer<String> c = consumer(b -> b.acknowledgmentGroupTime(1, TimeUnit.MINUTES))) {
            List<Message<String>> ms = receive(c, 2);
            CompletableFuture<Void> waiting = c.acknowledgeAsync(ms.get(0));
            c.acknowledge(ms.get(1));
            assertThat(waiting).as("still in its group").isNotDone();
            assertThatThrownBy(() -> c.acknowledge(ms.get(1))).isInstanceOf(AlreadyAcknowledgedException.class);
        }
    }

    @Test
    void closingSendsWhatWaitsInTheGroup() throws Exception {
        CompletableFuture<Void> pending;
        try (Consumer<String> c = consumer(b -> b.acknowledgmentGroupTime(1, TimeUnit.MINUTES))) {
            pending = c.acknowledgeAsync(receive(c, 1).get(0));
        }
        assertThat(pending).isCompleted();
        assertThat(acks()).hasSize(1);
        synchronized (broker) {
            assertThat(broker.events).contains("ack " + TOPIC + " 0:0");
        }
    }

    @Test
    void aGroupedAcknowledgementOfAMessageAcknowledgedBeforeSucceedsAndTheOthersOfItsGroupStillCount() throws Exception {
        try (Consumer<String> c = consumer(b -> b.acknowledgmentGroupTime(200, TimeUnit.MILLISECONDS))) {
            List<Message<String>> ms = receive(c, 3);
            c.acknowledge(ms.get(0));
            List<CompletableFuture<Void>> futures = new ArrayList<>();
            for (Message<String> m : ms) {
                futures.add(c.acknowledgeAsync(m));
            }
            CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get(5, TimeUnit.SECONDS);
            // the blocking one, the group (refused as a whole for m0), then each of the group alone
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(acks()).hasSize(5));
            synchronized (broker) {
                FakeBroker.Subscription s = broker.subscriptions.values().iterator().next();
                assertThat(s.ackedIndexes.keySet()).containsExactlyInAnyOrder(0, 1, 2);
            }
        }
    }

    @Test
    void aListOfIdsTravelsAsOneRequestForTheTopic() throws Exception {
        try (Consumer<String> c = consumer(b -> b.acknowledgmentGroupTime(0, TimeUnit.MILLISECONDS))) {
            List<MessageId> ids = new ArrayList<>();
            for (Message<String> m : receive(c, 3)) {
                ids.add(m.getMessageId());
            }
            c.acknowledge(ids);
            assertThat(acks()).hasSize(1);
            assertThat(acks().get(0).getCumulative()).isFalse();
            assertThat(acks().get(0).getMessageIdsCount()).isEqualTo(3);
        }
    }

    @Test
    void aCumulativeAcknowledgementByMessageNamesThatMessage() throws Exception {
        try (Consumer<String> c = consumer(b -> b.subscriptionType(SubscriptionType.Exclusive)
                .acknowledgmentGroupTime(0, TimeUnit.MILLISECONDS))) {
            List<Message<String>> ms = receive(c, 3);
            c.acknowledgeCumulative(ms.get(1));
            assertThat(acks()).hasSize(1);
            assertThat(acks().get(0).getCumulative()).isTrue();
            assertThat(acks().get(0).getMessageIds(0).getEntryId()).isEqualTo(ms.get(1).getMessageId().getEntryId());
        }
    }

    @Test
    void aCumulativeAcknowledgementByMessageIsRefusedOnASharedSubscription() throws Exception {
        try (Consumer<String> c = consumer(UnaryOperator.identity())) {
            Message<String> m = receive(c, 1).get(0);
            assertThatThrownBy(() -> c.acknowledgeCumulative(m)).isInstanceOf(NotAllowedException.class);
        }
    }
}
