package io.tributary.client.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.tributary.api.v1.Ack;
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
import io.tributary.client.TributaryClientException.NotAllowedException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The Pulsar-style overloads of {@link Consumer}: cumulative acks by message, acks by a list of ids, nacks of a batch. */
class ConsumerAcknowledgeOverloadsTest {
    private static final String TOPIC = "acme/orders/overloads";

    private FakeBroker broker;
    private TributaryClient client;

    @BeforeEach
    void start() throws Exception {
        broker = new FakeBroker(TOPIC);
        client = TributaryClient.builder().serviceUrl(broker.url()).operationTimeout(Duration.ofSeconds(5)).build();
        try (Producer<String> p = client.newProducer(Schema.STRING).topic(TOPIC).enableBatching(false).create()) {
            for (int i = 0; i < 3; i++) {
                p.send("m" + i);
            }
        }
    }

    @AfterEach
    void stop() throws Exception {
        client.close();
        broker.close();
    }

    private Consumer<String> consumer(SubscriptionType type) throws Exception {
        return client.newConsumer(Schema.STRING).topic(TOPIC).subscriptionName("s").subscriptionType(type)
                .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest)
                .acknowledgmentGroupTime(0, TimeUnit.MILLISECONDS)
                .batchReceivePolicy(BatchReceivePolicy.builder().maxNumMessages(3).timeout(Duration.ofSeconds(5)).build())
                .subscribe();
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
    void acknowledgeCumulativeByMessageCoversEverythingUpToIt() throws Exception {
        try (Consumer<String> c = consumer(SubscriptionType.Exclusive)) {
            List<Message<String>> ms = receive(c, 3);
            c.acknowledgeCumulative(ms.get(1));
            assertThat(acks()).hasSize(1);
            assertThat(acks().get(0).getCumulative()).isTrue();
            assertThat(acks().get(0).getMessageIds(0).getEntryId()).isEqualTo(ms.get(1).getMessageId().getEntryId());
            c.acknowledgeCumulativeAsync(ms.get(2)).get(5, TimeUnit.SECONDS);
            synchronized (broker) {
                assertThat(broker.events).contains("ack " + TOPIC + " <=1:0", "ack " + TOPIC + " <=2:0");
            }
        }
    }

    @Test
    void acknowledgeCumulativeByMessageIsRefusedOnASharedSubscription() throws Exception {
        try (Consumer<String> c = consumer(SubscriptionType.Shared)) {
            Message<String> m = receive(c, 1).get(0);
            assertThatThrownBy(() -> c.acknowledgeCumulative(m)).isInstanceOf(NotAllowedException.class);
        }
    }

    @Test
    void acknowledgingAListOfIdsSendsOneRequestForTheTopic() throws Exception {
        try (Consumer<String> c = consumer(SubscriptionType.Shared)) {
            List<MessageId> ids = new ArrayList<>();
            for (Message<String> m : receive(c, 3)) {
                ids.add(m.getMessageId());
            }
            c.acknowledge(ids);
            assertThat(acks()).hasSize(1);
            assertThat(acks().get(0).getCumulative()).isFalse();
            assertThat(acks().get(0).getMessageIdsCount()).isEqualTo(3);
            assertThatThrownBy(() -> c.acknowledgeAsync(ids.subList(0, 1)).get(5, TimeUnit.SECONDS))
                    .hasCauseInstanceOf(TributaryClientException.AlreadyAcknowledgedException.class);
        }
    }

    @Test
    void negativelyAcknowledgingABatchAsksForEachMessageAgain() throws Exception {
        try (Consumer<String> c = consumer(SubscriptionType.Shared)) {
            Messages<String> batch = c.batchReceive();
            assertThat(batch.size()).isEqualTo(3);
            c.negativeAcknowledge(batch);
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
                synchronized (broker) {
                    assertThat(broker.nacks).extracting(io.tributary.api.v1.MessageId::getEntryId)
                            .containsExactlyInAnyOrder(0L, 1L, 2L);
                }
            });
        }
    }
}
