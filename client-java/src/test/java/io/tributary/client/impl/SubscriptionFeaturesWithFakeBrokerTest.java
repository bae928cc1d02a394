package io.tributary.client.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.tributary.api.v1.BatchHeader;
import io.tributary.api.v1.ErrorReason;
import io.tributary.api.v1.InitialPosition;
import io.tributary.api.v1.NegativeAck;
import io.tributary.api.v1.Seek;
import io.tributary.api.v1.SingleMessage;
import io.tributary.api.v1.SubscribeOpen;
import io.tributary.client.BatchingType;
import io.tributary.client.Consumer;
import io.tributary.client.ConsumerEventListener;
import io.tributary.client.DeadLetterPolicy;
import io.tributary.client.Message;
import io.tributary.client.MessageId;
import io.tributary.client.Producer;
import io.tributary.client.Reader;
import io.tributary.client.Schema;
import io.tributary.client.SubscriptionInitialPosition;
import io.tributary.client.SubscriptionType;
import io.tributary.client.TributaryClient;
import io.tributary.client.TributaryClientException;
import io.tributary.client.TributaryClientException.AlreadyAcknowledgedException;
import io.tributary.client.TributaryClientException.InvalidTopicNameException;
import io.tributary.client.TributaryClientException.PositionOutOfRangeException;
import io.tributary.client.TypedMessageBuilder;
import io.tributary.protocol.EntryCodec.Decoded;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Delayed delivery, key-based batching, negative acks, ack timeouts, dead and retry letters,
 * seeks, readers and failover notices against {@link FakeBroker}: what goes on the wire and what
 * the application sees.
 */
class SubscriptionFeaturesWithFakeBrokerTest {
    private static final String TOPIC = "acme/orders/created";
    private static final String DLQ = TOPIC + "-s-DLQ";
    private static final String RETRY = TOPIC + "-s-RETRY";

    private FakeBroker broker;
    private TributaryClient client;

    @BeforeEach
    void start() throws Exception {
        broker = new FakeBroker(TOPIC, DLQ, RETRY);
        client = TributaryClient.builder().serviceUrl(broker.url()).operationTimeout(Duration.ofSeconds(5)).build();
    }

    @AfterEach
    void stop() throws Exception {
        client.close();
        broker.close();
    }

    private static <T> T await5(CompletableFuture<T> f) throws Exception {
        return f.get(5, TimeUnit.SECONDS);
    }

    private void publish(String... values) throws Exception {
        try (Producer<String> p = client.newProducer(Schema.STRING).topic(TOPIC).enableBatching(false).create()) {
            for (String v : values) {
                p.send(v);
            }
        }
    }

    private Consumer<String> shared(java.util.function.UnaryOperator<io.tributary.client.ConsumerBuilder<String>> more)
            throws TributaryClientException {
        return more.apply(client.newConsumer(Schema.STRING).topic(TOPIC).subscriptionName("s")
                .subscriptionType(SubscriptionType.Shared)
                .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest)).subscribe();
    }

    private Message<String> receive(Consumer<String> c) throws TributaryClientException {
        Message<String> m = c.receive(5, TimeUnit.SECONDS);
        assertThat(m).as("a message within 5 s").isNotNull();
        return m;
    }

    private static String value(SingleMessage m) {
        return m.getValue().toStringUtf8();
    }

    // ---------------------------------------------------------------- producer

    @Test
    void aDelayedMessageTravelsAloneWithItsDeliveryTime() throws Exception {
        try (Producer<String> producer = client.newProducer(Schema.STRING).topic(TOPIC)
                .batchingMaxPublishDelay(Duration.ofMinutes(1)).create()) {
            long before = System.currentTimeMillis();
            producer.sendAsync("a");
            producer.sendAsync("b");
            producer.newMessage().value("later").deliverAfter(10, TimeUnit.SECONDS).sendAsync();
            producer.sendAsync("c");
            producer.newMessage().value("at").deliverAt(before + 60_000).sendAsync();
            producer.flush();
            long after = System.currentTimeMillis();

            List<Decoded> stored = broker.decoded(TOPIC);
            assertThat(stored).extracting(d -> d.messages().stream().map(SubscriptionFeaturesWithFakeBrokerTest::value)
                    .collect(Collectors.toList()))
                    .containsExactly(List.of("a", "b"), List.of("later"), List.of("c"), List.of("at"));
            assertThat(stored.get(0).header().getDeliverAtMs()).isZero();
            assertThat(stored.get(1).header().getDeliverAtMs()).isBetween(before + 10_000, after + 10_000);
            assertThat(stored.get(1).messages().get(0).getDeliverAtMs()).isEqualTo(stored.get(1).header().getDeliverAtMs());
            assertThat(stored.get(2).header().getDeliverAtMs()).isZero();
            assertThat(stored.get(3).header().getDeliverAtMs()).isEqualTo(before + 60_000);
            // order and sequence ids are those of the sends
            assertThat(stored).extracting(d -> d.header().getFirstSequenceId()).containsExactly(0L, 2L, 3L, 4L);

            TypedMessageBuilder<String> m = producer.newMessage().value("x");
            assertThatThrownBy(() -> m.deliverAfter(-1, TimeUnit.SECONDS)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> m.deliverAfter(Duration.ofMillis(-1))).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> m.deliverAt(-5)).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void keyBasedBatchingPutsOneKeyInEachBatch() throws Exception {
        try (Producer<String> producer = client.newProducer(Schema.STRING).topic(TOPIC)
                .batchingType(BatchingType.KEY_BASED).batchingMaxMessages(3)
                .batchingMaxPublishDelay(Duration.ofMinutes(1)).create()) {
            List<CompletableFuture<MessageId>> sent = new ArrayList<>();
            String[] keys = {"k1", "k2", "k1", "k2", "k1", null, "k3", "k1"};
            for (int i = 0; i < keys.length; i++) {
                TypedMessageBuilder<String> m = producer.newMessage().value(keys[i] + "-" + i);
                if (keys[i] != null) {
                    m.key(keys[i]);
                }
                sent.add(m.sendAsync());
            }
            producer.flush();
            for (CompletableFuture<MessageId> f : sent) {
                assertThat(await5(f)).isNotNull();
            }
        }
        List<Decoded> stored = broker.decoded(TOPIC);
        for (Decoded d : stored) {
            BatchHeader h = d.header();
            List<SingleMessage> msgs = d.messages();
            if (msgs.get(0).getHasKey()) {
                assertThat(h.getHasKey()).isTrue();
                assertThat(msgs).allSatisfy(m -> assertThat(m.getKey()).isEqualTo(h.getKey()));
            } else {
                assertThat(h.getHasKey()).isFalse();
                assertThat(msgs).allSatisfy(m -> assertThat(m.getHasKey()).isFalse());
            }
            // the header names only the first sequence id: the others must follow it
            for (int i = 0; i < msgs.size(); i++) {
                assertThat(msgs.get(i).getSequenceId()).isEqualTo(h.getFirstSequenceId() + i);
            }
        }
        // k1 filled a batch of three on its own; the others were flushed together, k1's order kept
        assertThat(stored.get(0).header().getKey()).isEqualTo("k1");
        List<String> k1 = stored.stream().filter(d -> d.header().getKey().equals("k1"))
                .flatMap(d -> d.messages().stream()).map(SubscriptionFeaturesWithFakeBrokerTest::value)
                .collect(Collectors.toList());
        assertThat(k1).containsExactly("k1-0", "k1-2", "k1-4", "k1-7");
        assertThat(stored).hasSize(5);
        synchronized (broker) {
            long seq = 0;
            for (var b : broker.receivedBatches) {
                assertThat(b.getSequenceId()).isEqualTo(seq);
                seq += b.getMessageCount();
            }
        }
    }

    @Test
    void defaultBatchingSetsTheKeyOnlyWhenAllMessagesShareIt() throws Exception {
        try (Producer<String> producer = client.newProducer(Schema.STRING).topic(TOPIC)
                .batchingMaxMessages(2).batchingMaxPublishDelay(Duration.ofMinutes(1)).create()) {
            producer.newMessage().value("a").key("k").sendAsync();
            producer.newMessage().value("b").key("k").sendAsync();
            producer.newMessage().value("c").key("k").sendAsync();
            producer.newMessage().value("d").key("other").sendAsync();
            producer.flush();
        }
        List<Decoded> stored = broker.decoded(TOPIC);
        assertThat(stored).hasSize(2);
        assertThat(stored.get(0).header().getHasKey()).isTrue();
        assertThat(stored.get(0).header().getKey()).isEqualTo("k");
        assertThat(stored.get(1).header().getHasKey()).isFalse();
    }

    // ---------------------------------------------------------------- negative acks and ack timeouts

    @Test
    void negativeAcksCarryTheConfiguredDelay() throws Exception {
        publish("x");
        try (Consumer<String> consumer = shared(b -> b.negativeAckRedeliveryDelay(3, TimeUnit.SECONDS));
             Consumer<String> byDefault = client.newConsumer(Schema.STRING).topic(TOPIC).subscriptionName("other")
                     .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe()) {
            consumer.negativeAcknowledge(receive(consumer));
            byDefault.negativeAcknowledge(receive(byDefault).getMessageId());
            await().atMost(Duration.ofSeconds(5)).until(() -> {
                synchronized (broker) {
                    return broker.negativeAcks.size() == 2;
                }
            });
        }
        synchronized (broker) {
            assertThat(broker.negativeAcks).extracting(NegativeAck::getDelayMs).containsExactlyInAnyOrder(3000L, 60_000L);
        }
        assertThatThrownBy(() -> client.newConsumer().negativeAckRedeliveryDelay(-1, TimeUnit.SECONDS))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> client.newConsumer().ackTimeout(-1, TimeUnit.SECONDS))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void ackTimeoutAsksAgainForUnackedMessagesOnly() throws Exception {
        publish("acked", "forgotten");
        try (Consumer<String> consumer = shared(b -> b.ackTimeout(200, TimeUnit.MILLISECONDS))) {
            Message<String> acked = receive(consumer);
            Message<String> forgotten = receive(consumer);
            assertThat(forgotten.getValue()).isEqualTo("forgotten");
            consumer.acknowledge(acked);
            // handed out after "acked", so once it timed out "acked" would have too
            await().atMost(Duration.ofSeconds(5)).until(() -> {
                synchronized (broker) {
                    return !broker.negativeAcks.isEmpty();
                }
            });
            synchronized (broker) {
                NegativeAck nack = broker.negativeAcks.get(0);
                assertThat(nack.getDelayMs()).isZero();
                assertThat(nack.getMessageIdsList()).extracting(id -> id.getEntryId()).containsExactly(1L);
                assertThat(broker.nacks).extracting(id -> id.getEntryId()).doesNotContain(0L);
            }
            Message<String> again = receive(consumer);
            assertThat(again.getValue()).isEqualTo("forgotten");
            assertThat(again.getRedeliveryCount()).isEqualTo(1);
            consumer.acknowledge(again);
        }
    }

    // ---------------------------------------------------------------- dead and retry letters

    @Test
    void afterMaxRedeliveriesANackedMessageIsPublishedToTheDeadLetterTopicThenAcked() throws Exception {
        try (Producer<String> p = client.newProducer(Schema.STRING).topic(TOPIC).create()) {
            p.newMessage().value("poison").key("k").property("a", "1").eventTime(42).send();
        }
        try (Consumer<String> consumer = shared(b -> b.negativeAckRedeliveryDelay(0, TimeUnit.SECONDS)
                .deadLetterPolicy(DeadLetterPolicy.builder().maxRedeliverCount(2).build()))) {
            List<Integer> seen = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                Message<String> m = receive(consumer);
                seen.add(m.getRedeliveryCount());
                consumer.negativeAcknowledge(m);
            }
            assertThat(seen).containsExactly(0, 1, 2);
            await().atMost(Duration.ofSeconds(5)).until(() -> broker.entryCount(DLQ) == 1);
            await().atMost(Duration.ofSeconds(5)).until(() -> {
                synchronized (broker) {
                    return broker.events.contains("ack " + TOPIC + " 0:0");
                }
            });
            assertThat(consumer.receive(200, TimeUnit.MILLISECONDS)).isNull();
        }
        SingleMessage dead = broker.decoded(DLQ).get(0).messages().get(0);
        assertThat(value(dead)).isEqualTo("poison");
        assertThat(dead.getKey()).isEqualTo("k");
        assertThat(dead.getEventTimeMs()).isEqualTo(42);
        assertThat(dead.getPropertiesMap()).containsEntry("a", "1")
                .containsEntry(DeadLetterPolicy.REAL_TOPIC, TOPIC)
                .containsEntry(DeadLetterPolicy.ORIGIN_MESSAGE_ID, new MessageId(FakeBroker.LEDGER, 0, 0, -1, 1).toString());
        synchronized (broker) {
            // published first, acknowledged after
            assertThat(broker.events.indexOf("publish " + DLQ + " 0"))
                    .isLessThan(broker.events.indexOf("ack " + TOPIC + " 0:0"));
            // the last delivery was dead-lettered, not negatively acknowledged
            assertThat(broker.negativeAcks).hasSize(2);
        }
    }

    @Test
    void aMessageArrivingPastTheMaximumGoesStraightToTheDeadLetterTopic() throws Exception {
        publish("poison");
        synchronized (broker) {
            broker.extraRedeliveries = 3;
        }
        try (Consumer<String> consumer = shared(b -> b.deadLetterPolicy(DeadLetterPolicy.builder()
                .maxRedeliverCount(2).deadLetterTopic("persistent://" + DLQ).build()))) {
            await().atMost(Duration.ofSeconds(5)).until(() -> {
                synchronized (broker) {
                    return broker.events.contains("ack " + TOPIC + " 0:0");
                }
            });
            assertThat(consumer.receive(100, TimeUnit.MILLISECONDS)).isNull();
        }
        assertThat(broker.entryCount(DLQ)).isEqualTo(1);
    }

    @Test
    void defaultLetterTopicsMustBeValidTopicNames() {
        assertThatThrownBy(() -> client.newConsumer().topic(TOPIC).subscriptionName("my sub")
                .deadLetterPolicy(DeadLetterPolicy.builder().maxRedeliverCount(1).build()).subscribe())
                .isInstanceOf(InvalidTopicNameException.class)
                .hasMessageContaining("acme/orders/created-my sub-DLQ")
                .hasMessageContaining("deadLetterTopic");
        assertThatThrownBy(() -> DeadLetterPolicy.builder().maxRedeliverCount(0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> DeadLetterPolicy.builder().build()).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void reconsumeLaterGoesThroughTheRetryTopicThenToTheDeadLetterTopic() throws Exception {
        try (Producer<String> p = client.newProducer(Schema.STRING).topic(TOPIC).create()) {
            p.newMessage().value("again").key("k").property("a", "1").send();
        }
        try (Consumer<String> consumer = shared(b -> b.enableRetry(true)
                .deadLetterPolicy(DeadLetterPolicy.builder().maxRedeliverCount(2).build()))) {
            synchronized (broker) {
                assertThat(broker.opens).extracting(SubscribeOpen::getTopic).containsExactlyInAnyOrder(TOPIC, RETRY);
                assertThat(broker.opens).allSatisfy(o -> {
                    assertThat(o.getSubscription()).isEqualTo("s");
                    assertThat(o.getType()).isEqualTo(io.tributary.api.v1.SubscriptionType.SHARED);
                });
            }
            Message<String> first = receive(consumer);
            long before = System.currentTimeMillis();
            consumer.reconsumeLater(first, 30, TimeUnit.SECONDS);
            Decoded retried = broker.decoded(RETRY).get(0);
            assertThat(retried.header().getDeliverAtMs()).isGreaterThanOrEqualTo(before + 30_000);
            assertThat(retried.messages().get(0).getPropertiesMap())
                    .containsEntry("a", "1")
                    .containsEntry(DeadLetterPolicy.RECONSUME_TIMES, "1")
                    .containsEntry(DeadLetterPolicy.REAL_TOPIC, TOPIC)
                    .containsEntry(DeadLetterPolicy.ORIGIN_MESSAGE_ID, first.getMessageId().toString());
            assertThat(retried.messages().get(0).getKey()).isEqualTo("k");

            // the fake does not hold delayed messages back: the copy comes at once, from the retry topic
            Message<String> second = receive(consumer);
            assertThat(second.getTopicName()).isEqualTo(RETRY);
            assertThat(second.getValue()).isEqualTo("again");
            consumer.reconsumeLater(second, Duration.ofSeconds(1));
            Message<String> third = receive(consumer);
            assertThat(third.getProperty(DeadLetterPolicy.RECONSUME_TIMES)).isEqualTo("2");
            assertThat(third.getProperty(DeadLetterPolicy.REAL_TOPIC)).isEqualTo(TOPIC);
            assertThat(third.getProperty(DeadLetterPolicy.ORIGIN_MESSAGE_ID)).isEqualTo(first.getMessageId().toString());
            // a third retry would exceed maxRedeliverCount
            consumer.reconsumeLater(third, 1, TimeUnit.SECONDS);
            assertThat(broker.entryCount(RETRY)).isEqualTo(2);
            assertThat(broker.entryCount(DLQ)).isEqualTo(1);
            assertThat(broker.decoded(DLQ).get(0).messages().get(0).getPropertiesMap())
                    .containsEntry(DeadLetterPolicy.RECONSUME_TIMES, "2")
                    .containsEntry(DeadLetterPolicy.REAL_TOPIC, TOPIC);
        }
        synchronized (broker) {
            // each original acknowledged on the topic it came from
            assertThat(broker.events).contains("ack " + TOPIC + " 0:0", "ack " + RETRY + " 0:0", "ack " + RETRY + " 1:0");
        }
    }

    @Test
    void retryNeedsASharedSubscriptionAndEnableRetry() throws Exception {
        assertThatThrownBy(() -> client.newConsumer().topic(TOPIC).subscriptionName("s").enableRetry(true).subscribe())
                .isInstanceOf(TributaryClientException.class)
                .hasMessageContaining("Shared or Key_Shared");
        publish("x");
        try (Consumer<String> consumer = shared(b -> b)) {
            Message<String> m = receive(consumer);
            assertThatThrownBy(() -> consumer.reconsumeLater(m, 1, TimeUnit.SECONDS))
                    .isInstanceOf(IllegalStateException.class);
        }
    }

    // ---------------------------------------------------------------- acknowledgement errors

    @Test
    void acknowledgingTwiceFailsWithAlreadyAcknowledged() throws Exception {
        publish("x");
        try (Consumer<String> consumer = shared(b -> b)) {
            Message<String> m = receive(consumer);
            consumer.acknowledge(m);
            assertThatThrownBy(() -> consumer.acknowledge(m))
                    .isInstanceOf(AlreadyAcknowledgedException.class)
                    .hasMessageContaining("was acknowledged before");
        }
    }

    @Test
    void anAckResentAfterAReconnectCountsAsDoneWhenTheFirstArrived() throws Exception {
        publish("x");
        try (Consumer<String> consumer = shared(b -> b)) {
            Message<String> m = receive(consumer);
            synchronized (broker) {
                broker.dropAckResponses = true;
            }
            CompletableFuture<Void> ack = consumer.acknowledgeAsync(m);
            await().atMost(Duration.ofSeconds(5)).until(() -> {
                synchronized (broker) {
                    return broker.events.contains("ack " + TOPIC + " 0:0");
                }
            });
            synchronized (broker) {
                broker.dropAckResponses = false;
            }
            broker.killConsumerStreams(ErrorReason.BROKER_UNAVAILABLE);
            await5(ack);
            synchronized (broker) {
                assertThat(broker.acks).hasSize(2);
            }
        }
    }

    // ---------------------------------------------------------------- seek

    @Test
    void seekDropsWhatCameBeforeAndGrantsThePermitsAgain() throws Exception {
        publish("m0", "m1", "m2", "m3");
        try (Consumer<String> consumer = client.newConsumer(Schema.STRING).topic(TOPIC).subscriptionName("s")
                .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).receiverQueueSize(10).subscribe()) {
            Message<String> m0 = receive(consumer);
            // m1..m3 are prefetched now
            await().atMost(Duration.ofSeconds(5)).until(() -> {
                synchronized (broker) {
                    return broker.subscription(TOPIC, "s").deliveries.size() == 4;
                }
            });
            synchronized (broker) {
                broker.holdSeeks = true;
            }
            CompletableFuture<Void> seek = consumer.seekAsync(m0.getMessageId());
            await().atMost(Duration.ofSeconds(5)).until(() -> {
                synchronized (broker) {
                    return broker.seeks.size() == 1;
                }
            });
            // arrives after the Seek was sent but before its answer: from before the seek too
            publish("m4");
            synchronized (broker) {
                assertThat(broker.subscription(TOPIC, "s").deliveries).containsKey(4);
            }
            broker.answerHeldSeeks();
            await5(seek);
            List<String> after = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                after.add(receive(consumer).getValue());
            }
            assertThat(after).containsExactly("m0", "m1", "m2", "m3", "m4");
            assertThat(consumer.receive(100, TimeUnit.MILLISECONDS)).isNull();
        }
        synchronized (broker) {
            Seek seek = broker.seeks.get(0);
            assertThat(seek.getRequestId()).isPositive();
            assertThat(seek.getMessageId().getEntryId()).isZero();
            // the three queued messages and the one held back were granted again at once
            assertThat(broker.flows).contains(4);
        }
    }

    @Test
    void seekTargetsAndErrors() throws Exception {
        publish("m0", "m1");
        try (Consumer<String> consumer = shared(b -> b)) {
            receive(consumer);
            consumer.seek(MessageId.earliest);
            assertThat(receive(consumer).getValue()).isEqualTo("m0");
            consumer.seek(MessageId.latest);
            consumer.seekAsync(0).get(5, TimeUnit.SECONDS);
            assertThat(receive(consumer).getValue()).isEqualTo("m0");
            synchronized (broker) {
                broker.refuseNextSeek = ErrorReason.POSITION_OUT_OF_RANGE;
            }
            assertThatThrownBy(() -> consumer.seek(MessageId.of(FakeBroker.LEDGER, 99, 0)))
                    .isInstanceOf(PositionOutOfRangeException.class)
                    .hasMessageContaining("refused seek");
            synchronized (broker) {
                broker.refuseNextSeek = ErrorReason.INVALID_MESSAGE_ID;
            }
            assertThatThrownBy(() -> consumer.seek(MessageId.of(1, 2, 3)))
                    .isInstanceOf(TributaryClientException.InvalidMessageIdException.class);
        }
        synchronized (broker) {
            assertThat(broker.seeks).extracting(Seek::getTargetCase).containsExactly(Seek.TargetCase.POSITION,
                    Seek.TargetCase.POSITION, Seek.TargetCase.PUBLISH_TIME_MS, Seek.TargetCase.MESSAGE_ID,
                    Seek.TargetCase.MESSAGE_ID);
            assertThat(broker.seeks.get(0).getPosition()).isEqualTo(InitialPosition.EARLIEST);
            assertThat(broker.seeks.get(1).getPosition()).isEqualTo(InitialPosition.LATEST);
        }
    }

    // ---------------------------------------------------------------- readers

    @Test
    void aReaderOpensNonDurableAndResumesAfterTheLastMessageItHandedOut() throws Exception {
        publish("m0", "m1", "m2", "m3", "m4");
        MessageId m1 = new MessageId(FakeBroker.LEDGER, 1, 0, -1, 1);
        try (Reader<String> reader = client.newReader(Schema.STRING).topic(TOPIC).startMessageId(m1)
                .readerName("r").create()) {
            assertThat(reader.getTopic()).isEqualTo(TOPIC);
            assertThat(reader.readNext(5, TimeUnit.SECONDS).getValue()).isEqualTo("m2");
            assertThat(reader.readNext(5, TimeUnit.SECONDS).getValue()).isEqualTo("m3");
            broker.killConsumerStreams(ErrorReason.BROKER_UNAVAILABLE);
            await().atMost(Duration.ofSeconds(5)).until(reader::isConnected);
            assertThat(reader.readNext(5, TimeUnit.SECONDS).getValue()).isEqualTo("m4");
            assertThat(reader.readNext(100, TimeUnit.MILLISECONDS)).isNull();
        }
        synchronized (broker) {
            assertThat(broker.opens).hasSize(2);
            SubscribeOpen first = broker.opens.get(0);
            assertThat(first.getNonDurable()).isTrue();
            assertThat(first.getType()).isEqualTo(io.tributary.api.v1.SubscriptionType.EXCLUSIVE);
            assertThat(first.getSubscription()).startsWith("reader-");
            assertThat(first.getConsumerName()).isEqualTo("r");
            assertThat(first.getStartMessageId().getEntryId()).isEqualTo(1);
            assertThat(first.getStartInclusive()).isFalse();
            SubscribeOpen again = broker.opens.get(1);
            assertThat(again.getNonDurable()).isTrue();
            assertThat(again.getStartMessageId().getEntryId()).isEqualTo(3);
            assertThat(again.getStartInclusive()).isFalse();
            // the cursor was not durable: nothing is left of it
            assertThat(broker.subscriptions.keySet()).noneMatch(k -> k.contains("reader-"));
        }
    }

    @Test
    void aReaderStartsAtEarliestLatestOrTheGivenIdInclusive() throws Exception {
        publish("m0", "m1");
        try (Reader<String> earliest = client.newReader(Schema.STRING).topic(TOPIC)
                .startMessageId(MessageId.earliest).create();
             Reader<String> latest = client.newReader(Schema.STRING).topic(TOPIC)
                     .startMessageId(MessageId.latest).create();
             Reader<String> inclusive = client.newReader(Schema.STRING).topic(TOPIC)
                     .startMessageId(new MessageId(FakeBroker.LEDGER, 1, 0, -1, 1)).startMessageIdInclusive().create()) {
            assertThat(earliest.readNext(5, TimeUnit.SECONDS).getValue()).isEqualTo("m0");
            assertThat(inclusive.readNext(5, TimeUnit.SECONDS).getValue()).isEqualTo("m1");
            assertThat(latest.readNext(50, TimeUnit.MILLISECONDS)).isNull();
            publish("m2");
            assertThat(await5(latest.readNextAsync()).getValue()).isEqualTo("m2");
            // and a reader can go back
            earliest.seek(MessageId.earliest);
            assertThat(earliest.readNext(5, TimeUnit.SECONDS).getValue()).isEqualTo("m0");
        }
        synchronized (broker) {
            assertThat(broker.opens).extracting(SubscribeOpen::hasStartMessageId).containsExactly(false, false, true);
            assertThat(broker.opens.get(0).getInitialPosition()).isEqualTo(InitialPosition.EARLIEST);
            assertThat(broker.opens.get(1).getInitialPosition()).isEqualTo(InitialPosition.LATEST);
            assertThat(broker.opens.get(2).getStartInclusive()).isTrue();
        }
        assertThatThrownBy(() -> client.newReader().topic(TOPIC).create()).isInstanceOf(TributaryClientException.class)
                .hasMessageContaining("start message id");
    }

    @Test
    void aReaderAcknowledgesCumulativelyAsItReturnsPermits() throws Exception {
        publish("m0", "m1", "m2", "m3");
        try (Reader<String> reader = client.newReader(Schema.STRING).topic(TOPIC).startMessageId(MessageId.earliest)
                .receiverQueueSize(2).create()) {
            for (int i = 0; i < 4; i++) {
                assertThat(reader.readNext(5, TimeUnit.SECONDS).getValue()).isEqualTo("m" + i);
            }
            await().atMost(Duration.ofSeconds(5)).until(() -> {
                synchronized (broker) {
                    return broker.acks.size() >= 2;
                }
            });
        }
        synchronized (broker) {
            assertThat(broker.acks).allSatisfy(a -> {
                assertThat(a.getCumulative()).isTrue();
                assertThat(a.getRequestId()).isZero();
            });
        }
    }

    // ---------------------------------------------------------------- failover notices

    @Test
    void theListenerHearsWhenTheConsumerBecomesActiveOrNot() throws Exception {
        List<String> heard = new CopyOnWriteArrayList<>();
        try (Consumer<String> consumer = client.newConsumer(Schema.STRING).topic(TOPIC).subscriptionName("f")
                .subscriptionType(SubscriptionType.Failover).consumerEventListener(new ConsumerEventListener() {
                    @Override
                    public void becameActive(Consumer<?> c) {
                        heard.add("active " + c.getSubscription());
                    }

                    @Override
                    public void becameInactive(Consumer<?> c) {
                        heard.add("inactive " + c.getSubscription());
                    }
                }).subscribe()) {
            broker.notifyActive(TOPIC, "f", true);
            broker.notifyActive(TOPIC, "f", false);
            await().atMost(Duration.ofSeconds(5)).until(() -> heard.size() == 2);
            assertThat(heard).containsExactly("active f", "inactive f");
        }
    }
}
