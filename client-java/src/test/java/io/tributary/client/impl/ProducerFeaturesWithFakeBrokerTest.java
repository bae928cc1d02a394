package io.tributary.client.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.tributary.api.v1.ErrorReason;
import io.tributary.api.v1.PublishBatch;
import io.tributary.client.CompressionType;
import io.tributary.client.Consumer;
import io.tributary.client.Message;
import io.tributary.client.MessageId;
import io.tributary.client.Producer;
import io.tributary.client.ProducerStats;
import io.tributary.client.Schema;
import io.tributary.client.SubscriptionInitialPosition;
import io.tributary.client.TributaryClient;
import io.tributary.client.TributaryClientException;
import io.tributary.client.TributaryClientException.MemoryBufferIsFullException;
import io.tributary.client.TributaryClientException.MessageTooLargeException;
import io.tributary.client.TributaryClientException.NotAllowedException;
import io.tributary.client.TributaryClientException.ProducerFencedException;
import io.tributary.client.TributaryClientException.ProducerQueueIsFullException;
import io.tributary.client.TributaryClientException.TimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The producer's compression, the client-wide memory limit, stats and sending semantics, against
 * {@link FakeBroker}.
 */
class ProducerFeaturesWithFakeBrokerTest {
    private static final String TOPIC = "acme/orders/created";
    private static final String OTHER = "acme/orders/paid";
    /** The memory each message of {@link #kib()} holds: its value with the framing of a message in a batch. */
    private static final int KIB_MESSAGE = BatchCodec.sizeInList(
            io.tributary.api.v1.SingleMessage.newBuilder().setValue(ByteString.copyFrom(new byte[1024])).build());

    private FakeBroker broker;
    private TributaryClient client;

    @BeforeEach
    void start() throws Exception {
        broker = new FakeBroker(TOPIC, OTHER);
    }

    @AfterEach
    void stop() throws Exception {
        if (client != null) {
            client.close();
        }
        broker.close();
    }

    private TributaryClient client(long memoryLimit) throws TributaryClientException {
        client = TributaryClient.builder().serviceUrl(broker.url()).operationTimeout(Duration.ofSeconds(5))
                .memoryLimit(memoryLimit).build();
        return client;
    }

    private long memoryInUse() {
        return ((TributaryClientImpl) client).memory().used();
    }

    private static byte[] kib() {
        return new byte[1024];
    }

    private static String order(int i) {
        return "{\"orderId\":" + i + ",\"customer\":\"customer-" + (i % 13) + "\",\"status\":\"CREATED\",\"currency\":\"EUR\"}";
    }

    private static <T> T await5(CompletableFuture<T> f) throws Exception {
        return f.get(5, TimeUnit.SECONDS);
    }

    private static Throwable failure(CompletableFuture<?> f) {
        assertThatThrownBy(() -> f.get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class);
        return f.handle((v, t) -> t).join();
    }

    private int storedBytes(String topic) {
        synchronized (broker) {
            return broker.entries.get(topic).stream().mapToInt(ByteString::size).sum();
        }
    }

    // ---------------------------------------------------------------- compression

    @ParameterizedTest
    @EnumSource(CompressionType.class)
    void everyCompressionTypeIsReadByAnyConsumer(CompressionType type) throws Exception {
        client(0);
        try (Producer<String> producer = client.newProducer(Schema.STRING).topic(TOPIC).compressionType(type)
                .batchingMaxPublishDelay(Duration.ofSeconds(1)).create();
             Consumer<String> consumer = client.newConsumer(Schema.STRING).topic(TOPIC).subscriptionName("s")
                     .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe()) {
            for (int i = 0; i < 200; i++) {
                producer.sendAsync(order(i));
            }
            producer.flush();
            io.tributary.api.v1.CompressionType expected = BatchCodec.toProto(type);
            assertThat(broker.decoded(TOPIC)).isNotEmpty()
                    .allSatisfy(d -> assertThat(d.header().getCompression()).isEqualTo(expected));
            for (int i = 0; i < 200; i++) {
                Message<String> m = consumer.receive(5, TimeUnit.SECONDS);
                assertThat(m.getValue()).isEqualTo(order(i));
                consumer.acknowledge(m);
            }
        }
    }

    @Test
    void producersWithDifferentCodecsShareATopic() throws Exception {
        client(0);
        for (CompressionType type : CompressionType.values()) {
            try (Producer<String> producer = client.newProducer(Schema.STRING).topic(TOPIC).compressionType(type)
                    .create()) {
                for (int i = 0; i < 20; i++) {
                    producer.sendAsync(type + "-" + order(i));
                }
            }
        }
        try (Consumer<String> consumer = client.newConsumer(Schema.STRING).topic(TOPIC).subscriptionName("all")
                .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe()) {
            for (CompressionType type : CompressionType.values()) {
                for (int i = 0; i < 20; i++) {
                    assertThat(consumer.receive(5, TimeUnit.SECONDS).getValue()).isEqualTo(type + "-" + order(i));
                }
            }
        }
    }

    @Test
    void aCompressedBatchIsSmallerAndTheStatsCountWhatTravelled() throws Exception {
        client(0);
        try (Producer<String> plain = client.newProducer(Schema.STRING).topic(TOPIC)
                .batchingMaxPublishDelay(Duration.ofSeconds(1)).create();
             Producer<String> zstd = client.newProducer(Schema.STRING).topic(OTHER).compressionType(CompressionType.ZSTD)
                     .batchingMaxPublishDelay(Duration.ofSeconds(1)).create()) {
            for (int i = 0; i < 1000; i++) {
                plain.sendAsync(order(i));
                zstd.sendAsync(order(i));
            }
            plain.flush();
            zstd.flush();
            assertThat(storedBytes(OTHER)).isLessThan(storedBytes(TOPIC) / 4);
            assertThat(zstd.getStats().getBytesSent()).isEqualTo(storedBytes(OTHER));
            assertThat(plain.getStats().getBytesSent()).isEqualTo(storedBytes(TOPIC));
        }
    }

    @Test
    void aNullCompressionTypeIsABuilderError() throws Exception {
        client(0);
        assertThatThrownBy(() -> client.newProducer().compressionType(null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("CompressionType.NONE");
    }

    // ---------------------------------------------------------------- memory limit

    @Test
    void aNegativeMemoryLimitIsABuilderError() {
        assertThatThrownBy(() -> TributaryClient.builder().memoryLimit(-1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("memoryLimit");
    }

    @Test
    void twoProducersShareTheLimitAndFailAtOnceWhenNotBlocking() throws Exception {
        client(10 * KIB_MESSAGE);
        synchronized (broker) {
            broker.holdAcks = true;
        }
        try (Producer<byte[]> a = client.newProducer().topic(TOPIC).enableBatching(false).blockIfQueueFull(false).create();
             Producer<byte[]> b = client.newProducer().topic(OTHER).enableBatching(false).blockIfQueueFull(false).create()) {
            List<CompletableFuture<MessageId>> accepted = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                accepted.add(a.sendAsync(kib()));
                accepted.add(b.sendAsync(kib()));
            }
            assertThat(accepted).noneMatch(CompletableFuture::isCompletedExceptionally);
            assertThat(memoryInUse()).isEqualTo(10L * KIB_MESSAGE);

            CompletableFuture<MessageId> refusedA = a.sendAsync(kib());
            CompletableFuture<MessageId> refusedB = b.sendAsync(kib());
            assertThat(failure(refusedA)).isInstanceOf(MemoryBufferIsFullException.class)
                    .isInstanceOf(ProducerQueueIsFullException.class)
                    .hasMessageContaining("memory limit of " + 10 * KIB_MESSAGE);
            assertThat(failure(refusedB)).isInstanceOf(MemoryBufferIsFullException.class);
            assertThat(a.getStats().getPendingBytes()).isEqualTo(5L * KIB_MESSAGE);
            assertThat(a.getStats().getSendFailures()).isEqualTo(1);

            // the acks give the memory back
            broker.releaseHeldAcks();
            for (CompletableFuture<MessageId> f : accepted) {
                await5(f);
            }
            assertThat(memoryInUse()).isZero();
            assertThat(await5(a.sendAsync(kib()))).isNotNull();
            assertThat(await5(b.sendAsync(kib()))).isNotNull();
        }
        assertThat(memoryInUse()).isZero();
    }

    @Test
    void aBlockedSendGoesOnWhenAnAckReleasesMemory() throws Exception {
        client(4 * KIB_MESSAGE);
        synchronized (broker) {
            broker.holdAcks = true;
        }
        try (Producer<byte[]> a = client.newProducer().topic(TOPIC).enableBatching(false).create();
             Producer<byte[]> b = client.newProducer().topic(OTHER).enableBatching(false).create()) {
            List<CompletableFuture<MessageId>> accepted = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                accepted.add(a.sendAsync(kib()));
                accepted.add(b.sendAsync(kib()));
            }
            AtomicReference<CompletableFuture<MessageId>> late = new AtomicReference<>();
            Thread sender = new Thread(() -> late.set(b.sendAsync(kib())), "blocked-sender");
            sender.start();
            // the sender waits inside sendAsync for memory, not for the pending-message permits
            await().atMost(Duration.ofSeconds(5)).until(() -> sender.getState() == Thread.State.WAITING);
            assertThat(late.get()).isNull();
            assertThat(memoryInUse()).isEqualTo(4L * KIB_MESSAGE);

            broker.releaseHeldAcks();
            sender.join(5000);
            assertThat(sender.isAlive()).isFalse();
            assertThat(await5(late.get())).isNotNull();
            for (CompletableFuture<MessageId> f : accepted) {
                await5(f);
            }
        }
        assertThat(memoryInUse()).isZero();
    }

    @Test
    void aSendWaitingForMemorySendsTheBatchBeingFilledInsteadOfWaitingForItsDelay() throws Exception {
        client(3 * KIB_MESSAGE);
        try (Producer<byte[]> producer = client.newProducer().topic(TOPIC)
                .batchingMaxPublishDelay(Duration.ofMinutes(10)).create()) {
            List<CompletableFuture<MessageId>> sent = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                sent.add(producer.sendAsync(kib()));
            }
            assertThat(broker.entryCount(TOPIC)).isZero();
            // the limit is reached by the open batch alone: this send flushes it and waits for its ack
            sent.add(producer.sendAsync(kib()));
            assertThat(broker.entryCount(TOPIC)).isEqualTo(1);
            for (int i = 0; i < 3; i++) {
                assertThat(await5(sent.get(i)).getEntryId()).isZero();
            }
            producer.flush();
            assertThat(await5(sent.get(3)).getEntryId()).isEqualTo(1);
        }
    }

    @Test
    void memoryIsReleasedWhenSendsTimeOutAgainstAnUnreachableBroker() throws Exception {
        client(3 * KIB_MESSAGE);
        Producer<byte[]> a = client.newProducer().topic(TOPIC).enableBatching(false).blockIfQueueFull(false)
                .sendTimeout(Duration.ofMillis(300)).create();
        Producer<byte[]> b = client.newProducer().topic(OTHER).enableBatching(false).blockIfQueueFull(false)
                .sendTimeout(Duration.ofMillis(300)).create();
        broker.server.shutdownNow().awaitTermination();
        CompletableFuture<MessageId> a1 = a.sendAsync(kib());
        CompletableFuture<MessageId> a2 = a.sendAsync(kib());
        CompletableFuture<MessageId> b1 = b.sendAsync(kib());
        assertThat(failure(b.sendAsync(kib()))).isInstanceOf(MemoryBufferIsFullException.class);

        assertThat(failure(a1)).isInstanceOf(TimeoutException.class);
        assertThat(failure(a2)).isInstanceOf(TimeoutException.class);
        assertThat(failure(b1)).isInstanceOf(TimeoutException.class);
        assertThat(memoryInUse()).isZero();
        assertThat(a.getStats().getSendFailures()).isEqualTo(2);
        assertThat(b.getStats().getSendFailures()).isEqualTo(2);
        assertThat(b.getStats().getPendingMessages()).isZero();
        // nothing is pending any more, so closing does not wait for the broker
        a.close();
        b.close();
    }

    @Test
    void memoryIsReleasedWhenAClosingProducerGetsItsAcks() throws Exception {
        client(0);
        synchronized (broker) {
            broker.holdAcks = true;
        }
        Producer<String> producer = client.newProducer(Schema.STRING).topic(TOPIC)
                .batchingMaxPublishDelay(Duration.ofMinutes(1)).create();
        List<CompletableFuture<MessageId>> sent = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            sent.add(producer.sendAsync(order(i)));
        }
        assertThat(memoryInUse()).isPositive();
        CompletableFuture<Void> closed = producer.closeAsync();
        // close sent the open batch and waits for its answer
        await().atMost(Duration.ofSeconds(5)).until(() -> broker.entryCount(TOPIC) == 1);
        assertThat(closed).isNotDone();
        assertThat(memoryInUse()).isPositive();

        broker.releaseHeldAcks();
        await5(closed);
        assertThat(sent).allMatch(f -> f.isDone() && !f.isCompletedExceptionally());
        assertThat(memoryInUse()).isZero();
    }

    @Test
    void memoryIsReleasedWhenTheProducerFails() throws Exception {
        client(0);
        Producer<String> producer = client.newProducer(Schema.STRING).topic(TOPIC).enableBatching(false).create();
        synchronized (broker) {
            broker.holdAcks = true;
        }
        CompletableFuture<MessageId> first = producer.sendAsync("held");
        await().atMost(Duration.ofSeconds(5)).until(() -> broker.entryCount(TOPIC) == 1);
        synchronized (broker) {
            broker.failStreamAfterStoring = ErrorReason.PRODUCER_FENCED;
        }
        CompletableFuture<MessageId> second = producer.sendAsync("fenced");
        assertThat(failure(first)).isInstanceOf(ProducerFencedException.class);
        assertThat(failure(second)).isInstanceOf(ProducerFencedException.class);
        assertThat(memoryInUse()).isZero();
        assertThat(producer.getStats().getSendFailures()).isEqualTo(2);
        producer.close();
    }

    // ---------------------------------------------------------------- stats

    @Test
    void statsCountSendsAcksFailuresPendingAndLatency() throws Exception {
        client(0);
        synchronized (broker) {
            broker.maxMessageSize = 4096;
        }
        try (Producer<String> producer = client.newProducer(Schema.STRING).topic(TOPIC).enableBatching(false).create()) {
            ProducerStats empty = producer.getStats();
            assertThat(empty.getMessagesSent()).isZero();
            assertThat(empty.getSendLatencyMeanMs()).isZero();

            for (int i = 0; i < 50; i++) {
                producer.send("m" + i);
            }
            synchronized (broker) {
                broker.refuseNextBatch = ErrorReason.NOT_ALLOWED;
            }
            assertThatThrownBy(() -> producer.send("refused")).isInstanceOf(NotAllowedException.class);
            assertThat(failure(producer.sendAsync("x".repeat(5000)))).isInstanceOf(MessageTooLargeException.class);

            synchronized (broker) {
                broker.holdAcks = true;
            }
            CompletableFuture<MessageId> held = producer.sendAsync("held");
            await().atMost(Duration.ofSeconds(5)).until(() -> broker.entryCount(TOPIC) == 51);

            ProducerStats s = producer.getStats();
            assertThat(s.getMessagesSent()).isEqualTo(52); // 50, the refused one, the held one
            assertThat(s.getAcksReceived()).isEqualTo(50);
            assertThat(s.getSendFailures()).isEqualTo(2); // refused by the broker, refused at once
            assertThat(s.getPendingMessages()).isEqualTo(1);
            assertThat(s.getPendingBytes()).isPositive();
            synchronized (broker) {
                int received = broker.receivedBatches.stream().mapToInt(b -> b.getEntry().size()).sum();
                assertThat(s.getBytesSent()).isEqualTo(received);
            }
            assertThat(s.getSendLatencyMeanMs()).isPositive();
            assertThat(s.getSendLatencyP50Ms()).isPositive()
                    .isLessThanOrEqualTo(s.getSendLatencyP95Ms());
            assertThat(s.getSendLatencyP95Ms()).isLessThanOrEqualTo(s.getSendLatencyP99Ms());
            assertThat(s.getSendLatencyP99Ms()).isLessThanOrEqualTo(s.getSendLatencyMaxMs() * 1.01);

            broker.releaseHeldAcks();
            await5(held);
            ProducerStats after = producer.getStats();
            assertThat(after.getAcksReceived()).isEqualTo(51);
            assertThat(after.getPendingMessages()).isZero();
            assertThat(after.getPendingBytes()).isZero();
            // a snapshot does not change afterwards
            assertThat(s.getAcksReceived()).isEqualTo(50);
        }
    }

    @Test
    void resendsAfterALostStreamAreNotCountedAsSentAgain() throws Exception {
        client(0);
        try (Producer<String> producer = client.newProducer(Schema.STRING).topic(TOPIC).producerName("p1")
                .enableBatching(false).create()) {
            synchronized (broker) {
                broker.failStreamAfterStoring = ErrorReason.BROKER_UNAVAILABLE;
            }
            producer.send("stored, answered after the resend");
            ProducerStats s = producer.getStats();
            assertThat(s.getMessagesSent()).isEqualTo(1);
            assertThat(s.getAcksReceived()).isEqualTo(1);
            assertThat(s.getSendFailures()).isZero();
        }
    }

    // ---------------------------------------------------------------- sending semantics

    @Test
    void aRetriableBatchErrorIsRetriedOnANewStreamAndStoredOnce() throws Exception {
        client(0);
        try (Producer<String> producer = client.newProducer(Schema.STRING).topic(TOPIC).producerName("p1")
                .enableBatching(false).create()) {
            producer.send("before");
            synchronized (broker) {
                broker.refuseNextBatch = ErrorReason.TOPIC_FENCED;
            }
            MessageId id = producer.send("retried");
            assertThat(id.getEntryId()).isEqualTo(1);
            assertThat(producer.getStats().getSendFailures()).isZero();
        }
        synchronized (broker) {
            assertThat(broker.publishOpens).isEqualTo(2);
            assertThat(broker.receivedBatches).extracting(PublishBatch::getSequenceId).containsExactly(0L, 1L, 1L);
        }
        assertThat(broker.entryCount(TOPIC)).isEqualTo(2);
    }

    @Test
    void aNonRetriableBatchErrorFailsAtOnceWithTheServersReason() throws Exception {
        client(0);
        try (Producer<String> producer = client.newProducer(Schema.STRING).topic(TOPIC).enableBatching(false).create()) {
            synchronized (broker) {
                broker.refuseNextBatch = ErrorReason.NOT_ALLOWED;
            }
            assertThatThrownBy(() -> producer.send("x"))
                    .isInstanceOf(NotAllowedException.class)
                    .hasMessage("NOT_ALLOWED: refused");
            synchronized (broker) {
                assertThat(broker.publishOpens).isEqualTo(1);
            }
        }
    }

    @Test
    void flushWaitsForEverySendBeforeIt() throws Exception {
        client(0);
        try (Producer<String> producer = client.newProducer(Schema.STRING).topic(TOPIC)
                .batchingMaxPublishDelay(Duration.ofMinutes(1)).create()) {
            synchronized (broker) {
                broker.holdAcks = true;
            }
            List<CompletableFuture<MessageId>> sent = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                sent.add(producer.sendAsync("m" + i));
            }
            CompletableFuture<Void> flushed = producer.flushAsync();
            await().atMost(Duration.ofSeconds(5)).until(() -> broker.entryCount(TOPIC) == 1);
            assertThat(flushed).isNotDone();
            broker.releaseHeldAcks();
            await5(flushed);
            assertThat(sent).allMatch(f -> f.isDone() && !f.isCompletedExceptionally());
        }
    }

    @Test
    void fireAndForgetFailuresShowInTheStats() throws Exception {
        client(0);
        try (Producer<String> producer = client.newProducer(Schema.STRING).topic(TOPIC).enableBatching(false).create()) {
            synchronized (broker) {
                broker.refuseNextBatch = ErrorReason.NOT_ALLOWED;
            }
            producer.sendAsync("lost");
            producer.sendAsync("kept");
            producer.flush();
            ProducerStats s = producer.getStats();
            assertThat(s.getSendFailures()).isEqualTo(1);
            assertThat(s.getAcksReceived()).isEqualTo(1);
        }
    }

    @Test
    void concurrentSendersGetEveryMessageStoredOnceWithBatchesInSequenceOrder() throws Exception {
        // batches are encoded outside the producer's lock by whichever thread closed them: they
        // must still go out in sequence order, or the broker would drop the later ones as duplicates
        client(0);
        int threads = 4;
        int perThread = 500;
        try (Producer<String> producer = client.newProducer(Schema.STRING).topic(TOPIC)
                .compressionType(CompressionType.LZ4).batchingMaxMessages(7).create()) {
            List<CompletableFuture<MessageId>> sends = java.util.Collections.synchronizedList(new ArrayList<>());
            List<Thread> senders = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int base = t * perThread;
                Thread th = new Thread(() -> {
                    for (int i = 0; i < perThread; i++) {
                        sends.add(producer.sendAsync(order(base + i)));
                    }
                });
                senders.add(th);
                th.start();
            }
            for (Thread th : senders) {
                th.join(TimeUnit.SECONDS.toMillis(10));
            }
            producer.flush();
            for (CompletableFuture<MessageId> f : sends) {
                await5(f);
            }
        }
        List<Long> firstIds;
        synchronized (broker) {
            firstIds = broker.receivedBatches.stream().map(PublishBatch::getSequenceId).toList();
        }
        assertThat(firstIds).isSorted().doesNotHaveDuplicates();
        assertThat(broker.decoded(TOPIC).stream().mapToInt(d -> d.messages().size()).sum()).isEqualTo(threads * perThread);
        assertThat(broker.decoded(TOPIC).stream().flatMap(d -> d.messages().stream())
                .map(m -> m.getSequenceId()).toList()).isSorted().doesNotHaveDuplicates().hasSize(threads * perThread);
    }
}
