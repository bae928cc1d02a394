package io.tributary.client.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.tributary.api.v1.ErrorReason;
import io.tributary.api.v1.PublishBatch;
import io.tributary.client.Consumer;
import io.tributary.client.Message;
import io.tributary.client.MessageId;
import io.tributary.client.Producer;
import io.tributary.client.Schema;
import io.tributary.client.SubscriptionInitialPosition;
import io.tributary.client.SubscriptionType;
import io.tributary.client.TributaryClient;
import io.tributary.client.TributaryClientException;
import io.tributary.client.TributaryClientException.AlreadyClosedException;
import io.tributary.client.TributaryClientException.ConsumerBusyException;
import io.tributary.client.TributaryClientException.MessageTooLargeException;
import io.tributary.client.TributaryClientException.NotAllowedException;
import io.tributary.client.TributaryClientException.ProducerFencedException;
import io.tributary.client.TributaryClientException.ProducerQueueIsFullException;
import io.tributary.client.TributaryClientException.TimeoutException;
import io.tributary.client.TributaryClientException.TopicNotFoundException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The client against {@link FakeBroker}: the wire protocol, batching, flow control and recovery. */
class ClientWithFakeBrokerTest {
    private static final String TOPIC = "acme/orders/created";

    private FakeBroker broker;
    private TributaryClient client;

    @BeforeEach
    void start() throws Exception {
        broker = new FakeBroker(TOPIC);
        client = TributaryClient.builder().serviceUrl("tributary://" + broker.url())
                .operationTimeout(Duration.ofSeconds(5)).build();
    }

    @AfterEach
    void stop() throws Exception {
        client.close();
        broker.close();
    }

    private Consumer<String> consumer(String sub) throws TributaryClientException {
        return client.newConsumer(Schema.STRING).topic(TOPIC).subscriptionName(sub)
                .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe();
    }

    private static <T> T await5(CompletableFuture<T> f) throws Exception {
        return f.get(5, TimeUnit.SECONDS);
    }

    private static Throwable failure(CompletableFuture<?> f) {
        assertThatThrownBy(() -> f.get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class);
        return f.handle((v, t) -> t).join();
    }

    @Test
    void publishAndConsumeOneBatch() throws Exception {
        try (Producer<String> producer = client.newProducer(Schema.STRING).topic("persistent://" + TOPIC)
                .producerName("p1").batchingMaxMessages(3).batchingMaxPublishDelay(Duration.ofSeconds(10)).create()) {
            assertThat(producer.getTopic()).isEqualTo(TOPIC);
            assertThat(producer.getProducerName()).isEqualTo("p1");
            assertThat(producer.getLastSequenceId()).isEqualTo(-1);

            List<CompletableFuture<MessageId>> sent = List.of(
                    producer.newMessage().value("a").key("k").property("x", "1").eventTime(42).sendAsync(),
                    producer.sendAsync("b"),
                    producer.sendAsync("c"));
            for (int i = 0; i < 3; i++) {
                assertThat(await5(sent.get(i))).isEqualTo(new MessageId(FakeBroker.LEDGER, 0, i, -1, 3));
                assertThat(sent.get(i).join().getBatchSize()).isEqualTo(3);
            }
            assertThat(producer.getLastSequenceId()).isEqualTo(2);
        }

        synchronized (broker) {
            assertThat(broker.receivedBatches).hasSize(1);
            PublishBatch b = broker.receivedBatches.get(0);
            assertThat(b.getSequenceId()).isZero();
            assertThat(b.getMessageCount()).isEqualTo(3);
            assertThat(broker.publishHalfCloses).isEqualTo(1);
        }

        try (Consumer<String> consumer = consumer("s1")) {
            Message<String> a = consumer.receive(5, TimeUnit.SECONDS);
            assertThat(a.getValue()).isEqualTo("a");
            assertThat(a.getKey()).isEqualTo("k");
            assertThat(a.getProperty("x")).isEqualTo("1");
            assertThat(a.getEventTime()).isEqualTo(42);
            assertThat(a.getProducerName()).isEqualTo("p1");
            assertThat(a.getSequenceId()).isZero();
            assertThat(a.getMessageId()).isEqualTo(new MessageId(FakeBroker.LEDGER, 0, 0, -1, 3));
            assertThat(a.getTopicName()).isEqualTo(TOPIC);
            Message<String> b = consumer.receive(Duration.ofSeconds(5));
            Message<String> c = await5(consumer.receiveAsync());
            assertThat(List.of(b.getValue(), c.getValue())).containsExactly("b", "c");
            assertThat(c.getSequenceId()).isEqualTo(2);
            consumer.acknowledge(a);
            consumer.acknowledge(b.getMessageId());
            await5(consumer.acknowledgeAsync(c.getMessageId()));
            assertThat(consumer.receive(0, TimeUnit.MILLISECONDS)).isNull();
        }
        synchronized (broker) {
            assertThat(broker.acks).hasSize(3).allSatisfy(ack -> assertThat(ack.getRequestId()).isNotZero());
            assertThat(broker.subscribeHalfCloses).isEqualTo(1);
        }
    }

    @Test
    void withoutBatchingEveryMessageIsAnEntry() throws Exception {
        try (Producer<byte[]> producer = client.newProducer().topic(TOPIC).enableBatching(false).create()) {
            assertThat(producer.getProducerName()).startsWith("fake-");
            for (int i = 0; i < 5; i++) {
                MessageId id = producer.send(new byte[] {(byte) i});
                assertThat(id).isEqualTo(new MessageId(FakeBroker.LEDGER, i, 0, -1, 1));
            }
        }
        assertThat(broker.entryCount(TOPIC)).isEqualTo(5);
    }

    @Test
    void batchesBreakAtTheByteLimitAndFlushSendsAtOnce() throws Exception {
        try (Producer<byte[]> producer = client.newProducer().topic(TOPIC).batchingMaxBytes(250)
                .batchingMaxPublishDelay(Duration.ofMinutes(1)).create()) {
            List<CompletableFuture<MessageId>> sent = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                sent.add(producer.sendAsync(new byte[100]));
            }
            producer.flush();
            assertThat(sent).allSatisfy(f -> assertThat(f).isCompleted());
            assertThat(sent.stream().map(f -> f.join().getEntryId()).distinct().count()).isGreaterThan(1);
        }
        synchronized (broker) {
            for (PublishBatch b : broker.receivedBatches) {
                assertThat(b.getEntry().size()).isLessThan(250 + 100);
            }
        }
    }

    @Test
    void sequenceIdsContinueAfterTheStoredOne() throws Exception {
        synchronized (broker) {
            broker.lastSequenceIds.put("p1", 41L);
        }
        try (Producer<String> producer = client.newProducer(Schema.STRING).topic(TOPIC).producerName("p1").create()) {
            assertThat(producer.getLastSequenceId()).isEqualTo(41);
            producer.send("x");
            assertThat(producer.getLastSequenceId()).isEqualTo(42);
            // an explicit sequence id below the stored one is dropped by the broker as a duplicate; the
            // broker cannot say where the original is, so the send fails rather than pass for stored
            assertThatThrownBy(() -> producer.newMessage().value("old").sequenceId(10).send())
                    .isInstanceOf(TributaryClientException.class).hasMessageContaining("not stored by this send");
            producer.newMessage().value("y").sequenceId(100).send();
            assertThat(producer.getLastSequenceId()).isEqualTo(100);
            producer.send("z");
        }
        synchronized (broker) {
            assertThat(broker.receivedBatches).extracting(PublishBatch::getSequenceId).containsExactly(42L, 10L, 100L, 101L);
        }
    }

    @Test
    void aRefusedBatchFailsAloneAndTheProducerGoesOn() throws Exception {
        try (Producer<String> producer = client.newProducer(Schema.STRING).topic(TOPIC).create()) {
            synchronized (broker) {
                broker.refuseNextBatch = ErrorReason.NOT_ALLOWED;
            }
            assertThatThrownBy(() -> producer.send("refused")).isInstanceOf(NotAllowedException.class);
            assertThat(producer.send("accepted")).isEqualTo(new MessageId(FakeBroker.LEDGER, 0, 0, -1, 1));
        }
    }

    @Test
    void aLostStreamIsReopenedAndUnackedBatchesResent() throws Exception {
        try (Producer<String> producer = client.newProducer(Schema.STRING).topic(TOPIC).producerName("p1")
                .enableBatching(false).create()) {
            producer.send("first");
            synchronized (broker) {
                broker.failStreamAfterStoring = ErrorReason.BROKER_UNAVAILABLE;
            }
            // stored, then the stream fails before the answer: the resend is answered as a duplicate
            MessageId id = producer.send("second");
            assertThat(id).isEqualTo(new MessageId(FakeBroker.LEDGER, 1, 0, -1, 1));
            assertThat(producer.send("third")).isEqualTo(new MessageId(FakeBroker.LEDGER, 2, 0, -1, 1));
        }
        assertThat(broker.entryCount(TOPIC)).isEqualTo(3);
        synchronized (broker) {
            assertThat(broker.publishOpens).isEqualTo(2);
            assertThat(broker.receivedBatches).extracting(PublishBatch::getSequenceId).containsExactly(0L, 1L, 1L, 2L);
        }
    }

    @Test
    void pendingBatchesSurviveAKilledStream() throws Exception {
        try (Producer<String> producer = client.newProducer(Schema.STRING).topic(TOPIC).producerName("p1")
                .enableBatching(false).create()) {
            synchronized (broker) {
                broker.holdAcks = true;
            }
            List<CompletableFuture<MessageId>> sent = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                sent.add(producer.sendAsync("m" + i));
            }
            await().atMost(Duration.ofSeconds(5)).until(() -> broker.entryCount(TOPIC) == 4);
            synchronized (broker) {
                broker.holdAcks = false;
            }
            broker.killProducerStreams();
            for (int i = 0; i < 4; i++) {
                assertThat(await5(sent.get(i)).getEntryId()).isEqualTo(i);
            }
        }
        assertThat(broker.entryCount(TOPIC)).isEqualTo(4);
    }

    @Test
    void aReconnectRefusedWithProducerBusyIsRetriedUntilTheBrokerSawTheOldStreamEnd() throws Exception {
        try (Producer<String> producer = client.newProducer(Schema.STRING).topic(TOPIC).producerName("p1")
                .enableBatching(false).create()) {
            producer.send("before");
            synchronized (broker) {
                // the broker has not noticed yet that the killed stream is gone
                broker.refusePublishOpens = 2;
                broker.refusePublishOpensWith = ErrorReason.PRODUCER_BUSY;
            }
            broker.killProducerStreams();
            assertThat(await5(producer.sendAsync("after"))).isNotNull();
            assertThat(producer.isConnected()).isTrue();
        }
        assertThat(broker.entryCount(TOPIC)).isEqualTo(2);
        synchronized (broker) {
            assertThat(broker.publishOpens).isEqualTo(4);
        }
    }

    @Test
    void aFirstCreateRefusedWithProducerBusyFailsAtOnce() {
        synchronized (broker) {
            broker.refusePublishOpens = 1;
            broker.refusePublishOpensWith = ErrorReason.PRODUCER_BUSY;
        }
        assertThatThrownBy(() -> client.newProducer(Schema.STRING).topic(TOPIC).producerName("p1").create())
                .isInstanceOf(TributaryClientException.ProducerBusyException.class);
    }

    @Test
    void aFatalStreamErrorFailsThePendingSendsAndTheProducer() throws Exception {
        Producer<String> producer = client.newProducer(Schema.STRING).topic(TOPIC).create();
        synchronized (broker) {
            broker.failStreamAfterStoring = ErrorReason.PRODUCER_FENCED;
        }
        assertThatThrownBy(() -> producer.send("x")).isInstanceOf(ProducerFencedException.class);
        assertThatThrownBy(() -> producer.send("y")).isInstanceOf(ProducerFencedException.class);
        assertThat(producer.isConnected()).isFalse();
        producer.close();
    }

    @Test
    void anOversizedMessageFailsAloneAtOnce() throws Exception {
        synchronized (broker) {
            broker.maxMessageSize = 1024;
        }
        try (Producer<byte[]> producer = client.newProducer().topic(TOPIC).create()) {
            CompletableFuture<MessageId> big = producer.sendAsync(new byte[1024]);
            assertThat(big).isCompletedExceptionally();
            assertThat(failure(big)).isInstanceOf(MessageTooLargeException.class);
            assertThat(producer.send(new byte[512])).isNotNull();
        }
    }

    @Test
    void aFullQueueFailsWhenNotBlocking() throws Exception {
        try (Producer<String> producer = client.newProducer(Schema.STRING).topic(TOPIC).maxPendingMessages(2)
                .blockIfQueueFull(false).enableBatching(false).create()) {
            synchronized (broker) {
                broker.holdAcks = true;
            }
            CompletableFuture<MessageId> a = producer.sendAsync("a");
            CompletableFuture<MessageId> b = producer.sendAsync("b");
            assertThat(failure(producer.sendAsync("c"))).isInstanceOf(ProducerQueueIsFullException.class);
            broker.releaseHeldAcks();
            await5(a);
            await5(b);
            assertThat(await5(producer.sendAsync("d"))).isNotNull();
        }
    }

    @Test
    void unansweredSendsTimeOut() throws Exception {
        try (Producer<String> producer = client.newProducer(Schema.STRING).topic(TOPIC)
                .sendTimeout(Duration.ofMillis(200)).create()) {
            synchronized (broker) {
                broker.holdAcks = true;
            }
            assertThat(failure(producer.sendAsync("late"))).isInstanceOf(TimeoutException.class);
            synchronized (broker) {
                broker.holdAcks = false;
            }
            assertThat(producer.send("on time")).isNotNull();
        }
    }

    @Test
    void creatingOnAMissingTopicFails() {
        assertThatThrownBy(() -> client.newProducer().topic("acme/orders/missing").create())
                .isInstanceOf(TopicNotFoundException.class);
        assertThatThrownBy(() -> client.newConsumer().topic("acme/orders/missing").subscriptionName("s").subscribe())
                .isInstanceOf(TopicNotFoundException.class);
    }

    @Test
    void aSecondExclusiveConsumerIsBusy() throws Exception {
        try (Consumer<String> first = consumer("s")) {
            assertThatThrownBy(() -> consumer("s")).isInstanceOf(ConsumerBusyException.class);
            assertThat(first.isConnected()).isTrue();
        }
        // the subscription is free again once the first consumer closed
        consumer("s").close();
    }

    @Test
    void aReconnectRefusedWithConsumerBusyIsRetriedUntilTheBrokerSawTheOldStreamEnd() throws Exception {
        try (Producer<String> producer = client.newProducer(Schema.STRING).topic(TOPIC).enableBatching(false).create();
             Consumer<String> consumer = consumer("s")) {
            synchronized (broker) {
                // the broker has not noticed yet that the killed stream is gone
                broker.refuseSubscribe = ErrorReason.CONSUMER_BUSY;
            }
            broker.killConsumerStreams(ErrorReason.BROKER_UNAVAILABLE);
            await().atMost(Duration.ofSeconds(10)).until(() -> {
                synchronized (broker) {
                    return broker.subscribeOpens >= 3;
                }
            });
            synchronized (broker) {
                broker.refuseSubscribe = null;
            }
            producer.send("after");
            Message<String> m = consumer.receive(10, TimeUnit.SECONDS);
            assertThat(m).isNotNull();
            assertThat(m.getValue()).isEqualTo("after");
            assertThat(consumer.isConnected()).isTrue();
        }
    }

    @Test
    void subscribeRetriesRetriableFailuresUntilTheOperationTimeout() throws Exception {
        synchronized (broker) {
            broker.refuseSubscribe = ErrorReason.SERVICE_NOT_READY;
        }
        CompletableFuture<Consumer<String>> f = client.newConsumer(Schema.STRING).topic(TOPIC).subscriptionName("s")
                .subscribeAsync();
        await().atMost(Duration.ofSeconds(5)).until(() -> {
            synchronized (broker) {
                return broker.subscribeOpens >= 2;
            }
        });
        synchronized (broker) {
            broker.refuseSubscribe = null;
        }
        await5(f).close();
    }

    @Test
    void permitsAreReturnedInChunksAsMessagesAreTaken() throws Exception {
        try (Producer<String> producer = client.newProducer(Schema.STRING).topic(TOPIC).enableBatching(false).create()) {
            for (int i = 0; i < 20; i++) {
                producer.sendAsync("m" + i);
            }
            producer.flush();
        }
        try (Consumer<String> consumer = client.newConsumer(Schema.STRING).topic(TOPIC).subscriptionName("s")
                .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).receiverQueueSize(4).subscribe()) {
            for (int i = 0; i < 20; i++) {
                Message<String> m = consumer.receive(5, TimeUnit.SECONDS);
                assertThat(m).isNotNull();
                assertThat(m.getValue()).isEqualTo("m" + i);
                consumer.acknowledgeAsync(m);
            }
        }
        synchronized (broker) {
            assertThat(broker.flows).isNotEmpty().allSatisfy(p -> assertThat(p).isGreaterThanOrEqualTo(2));
            assertThat(broker.flows.stream().mapToInt(Integer::intValue).sum()).isBetween(16, 20);
        }
    }

    @Test
    void afterALostStreamUnackedMessagesComeAgainWithoutTheAckedIndexes() throws Exception {
        try (Producer<String> producer = client.newProducer(Schema.STRING).topic(TOPIC)
                .batchingMaxMessages(3).batchingMaxPublishDelay(Duration.ofMinutes(1)).create()) {
            producer.sendAsync("a");
            producer.sendAsync("b");
            producer.send("c");
        }
        try (Consumer<String> consumer = consumer("s")) {
            Message<String> a = consumer.receive(5, TimeUnit.SECONDS);
            Message<String> b = consumer.receive(5, TimeUnit.SECONDS);
            assertThat(b.getValue()).isEqualTo("b");
            consumer.acknowledge(b);
            broker.killConsumerStreams(ErrorReason.BROKER_UNAVAILABLE);
            // the client drops its queue before it subscribes again, so "c" cannot come from the old stream
            await().atMost(Duration.ofSeconds(5)).until(() -> {
                synchronized (broker) {
                    return broker.subscribeOpens == 2;
                }
            });

            Message<String> a2 = consumer.receive(5, TimeUnit.SECONDS);
            assertThat(a2.getValue()).isEqualTo("a");
            assertThat(a2.getMessageId()).isEqualTo(a.getMessageId());
            assertThat(a2.getRedeliveryCount()).isEqualTo(1);
            Message<String> c2 = consumer.receive(5, TimeUnit.SECONDS);
            assertThat(c2.getValue()).isEqualTo("c");
            assertThat(c2.getMessageId().getBatchIndex()).isEqualTo(2);
            consumer.acknowledge(a2);
            consumer.acknowledge(c2);
        }
    }

    @Test
    void aFatalConsumerErrorFailsWaitingReceives() throws Exception {
        Consumer<String> consumer = consumer("s");
        CompletableFuture<Message<String>> waiting = consumer.receiveAsync();
        broker.killConsumerStreams(ErrorReason.NOT_AUTHORIZED);
        assertThat(failure(waiting)).isInstanceOf(TributaryClientException.NotAuthorizedException.class);
        assertThatThrownBy(consumer::receive).isInstanceOf(TributaryClientException.NotAuthorizedException.class);
        consumer.close();
    }

    @Test
    void cumulativeAckOnASharedSubscriptionIsNotAllowed() throws Exception {
        try (Producer<String> producer = client.newProducer(Schema.STRING).topic(TOPIC).create()) {
            producer.send("x");
        }
        try (Consumer<String> consumer = client.newConsumer(Schema.STRING).topic(TOPIC).subscriptionName("shared")
                .subscriptionType(SubscriptionType.Shared)
                .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe()) {
            Message<String> m = consumer.receive(5, TimeUnit.SECONDS);
            assertThatThrownBy(() -> consumer.acknowledgeCumulative(m.getMessageId()))
                    .isInstanceOf(NotAllowedException.class);
            consumer.negativeAcknowledge(m);
            consumer.acknowledge(m);
        }
        synchronized (broker) {
            assertThat(broker.nacks).hasSize(1);
        }
    }

    @Test
    void receiveAsyncCompletesWhenAMessageArrives() throws Exception {
        try (Consumer<String> consumer = consumer("s");
             Producer<String> producer = client.newProducer(Schema.STRING).topic(TOPIC).create()) {
            CompletableFuture<Message<String>> cancelled = consumer.receiveAsync();
            CompletableFuture<Message<String>> waiting = consumer.receiveAsync();
            cancelled.cancel(false);
            assertThat(consumer.receive(10, TimeUnit.MILLISECONDS)).isNull();
            producer.send("hello");
            assertThat(await5(waiting).getValue()).isEqualTo("hello");
        }
    }

    @Test
    void closedProducersAndConsumersRefuseWork() throws Exception {
        Producer<String> producer = client.newProducer(Schema.STRING).topic(TOPIC).create();
        Consumer<String> consumer = consumer("s");
        CompletableFuture<Message<String>> waiting = consumer.receiveAsync();
        producer.close();
        consumer.close();
        producer.close();
        consumer.close();
        assertThat(failure(producer.sendAsync("x"))).isInstanceOf(AlreadyClosedException.class);
        assertThat(failure(waiting)).isInstanceOf(AlreadyClosedException.class);
        assertThatThrownBy(consumer::receive).isInstanceOf(AlreadyClosedException.class);
        assertThatThrownBy(() -> consumer.acknowledge(MessageId.of(1, 2, 3))).isInstanceOf(AlreadyClosedException.class);
    }

    @Test
    void closingTheClientClosesItsProducersAndConsumers() throws Exception {
        Producer<String> producer = client.newProducer(Schema.STRING).topic(TOPIC)
                .batchingMaxPublishDelay(Duration.ofMinutes(1)).create();
        Consumer<String> consumer = consumer("s");
        CompletableFuture<MessageId> pending = producer.sendAsync("flushed by close");
        client.close();
        assertThat(pending).isCompleted();
        assertThat(pending.join()).isNotNull();
        assertThatThrownBy(consumer::receive).isInstanceOf(AlreadyClosedException.class);
        assertThat(broker.entryCount(TOPIC)).isEqualTo(1);
    }
}
