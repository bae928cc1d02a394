package io.tributary.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.tributary.api.v1.Ack;
import io.tributary.api.v1.AcknowledgeRequest;
import io.tributary.api.v1.ChangeInvisibleDurationRequest;
import io.tributary.api.v1.CompressionType;
import io.tributary.api.v1.ErrorReason;
import io.tributary.api.v1.Flow;
import io.tributary.api.v1.InitialPosition;
import io.tributary.api.v1.MessageBatch;
import io.tributary.api.v1.MessageId;
import io.tributary.api.v1.MessagingServiceGrpc;
import io.tributary.api.v1.NegativeAck;
import io.tributary.api.v1.NegativeAcknowledgeRequest;
import io.tributary.api.v1.ReceiveRequest;
import io.tributary.api.v1.ReceivedMessage;
import io.tributary.api.v1.SubscribeOpen;
import io.tributary.api.v1.SubscribeRequest;
import io.tributary.api.v1.SubscribeResponse;
import io.tributary.api.v1.SubscriptionType;
import io.tributary.cli.Standalone;
import io.tributary.client.Producer;
import io.tributary.client.Schema;
import io.tributary.client.TributaryClient;
import io.tributary.it.BadInputTest.Recorder;
import io.tributary.protocol.EntryCodec;
import io.tributary.protocol.ErrorReasons;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Consuming without the entry format, through the proxy of a standalone with raw gRPC stubs: parallel
 * Receive pollers on one subscription, visibility timeouts with receipts (ChangeInvisibleDuration),
 * unary NegativeAcknowledge, and decoded Subscribe streams of batched, compressed entries (and of one
 * the broker cannot decode).
 */
class PlainConsumeTest {
    @TempDir
    static Path dir;
    static Standalone standalone;
    static ManagedChannel channel;
    static MessagingServiceGrpc.MessagingServiceBlockingStub messaging;
    static TributaryClient client;

    static final String UNDECODABLE_TOPIC = "public/default/plain-undecodable";
    /** The broker's maximum message size at its next start; 0: the default. */
    static volatile int maxMessageSize;

    /**
     * A standalone whose maximum message size is 64 KiB, restarted on data that holds an LZ4 entry
     * stored under the default maximum (3 x 100 KB that compress to almost nothing), followed by a
     * small one: a decoded Subscribe cannot decode that entry any more.
     */
    @BeforeAll
    static void start() throws Exception {
        Standalone.Options options = TestClusters.options(dir.toFile(),
                c -> maxMessageSize == 0 ? c : c.withMaxMessageSize(maxMessageSize));
        try (Standalone first = new Standalone(options).start();
             TributaryClient c = TributaryClient.builder().serviceUrl(first.serviceUrl()).build();
             Producer<String> p = c.newProducer(Schema.STRING).topic(UNDECODABLE_TOPIC).batchingMaxMessages(3)
                     .batchingMaxBytes(1024 * 1024).batchingMaxPublishDelay(Duration.ofSeconds(5))
                     .compressionType(io.tributary.client.CompressionType.LZ4).create()) {
            List<CompletableFuture<?>> big = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                big.add(p.newMessage().value(String.valueOf(i).repeat(100_000)).sendAsync());
            }
            CompletableFuture.allOf(big.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
            p.newMessage().value("small").send();
        }
        maxMessageSize = 64 * 1024;
        standalone = new Standalone(options).start();
        channel = NettyChannelBuilder.forTarget(standalone.serviceUrl()).usePlaintext().build();
        messaging = MessagingServiceGrpc.newBlockingStub(channel);
        client = TributaryClient.builder().serviceUrl(standalone.serviceUrl()).build();
    }

    @AfterAll
    static void stop() throws Exception {
        client.close();
        channel.shutdownNow();
        standalone.close();
    }

    private static void produceOneByOne(String topic, String... values) throws Exception {
        try (Producer<String> p = client.newProducer(Schema.STRING).topic(topic).enableBatching(false).create()) {
            for (String v : values) {
                p.send(v);
            }
        }
    }

    private static ReceiveRequest.Builder pull(String topic, long invisibleMs) {
        return ReceiveRequest.newBuilder().setTopic(topic).setSubscription("pull").setInitialPosition(InitialPosition.EARLIEST)
                .setMaxMessages(10).setMaxWaitMs(5_000).setInvisibleDurationMs(invisibleMs);
    }

    private static List<ReceivedMessage> receive(ReceiveRequest.Builder req) {
        return messaging.receive(req.build()).getMessagesList();
    }

    private static long changeInvisible(String topic, ReceivedMessage m, long ms) {
        return messaging.changeInvisibleDuration(ChangeInvisibleDurationRequest.newBuilder().setTopic(topic)
                .setSubscription("pull").setMessageId(m.getMessageId()).setReceipt(m.getReceipt())
                .setInvisibleDurationMs(ms).build()).getVisibleAtMs();
    }

    private static void ack(String topic, ReceivedMessage m) {
        messaging.acknowledge(AcknowledgeRequest.newBuilder().setTopic(topic).setSubscription("pull")
                .addMessageIds(m.getMessageId()).build());
    }

    private static String idText(MessageId id) {
        return id.getLedgerId() + ":" + id.getEntryId() + ":" + id.getBatchIndex();
    }

    /** The call fails with this status code and reason, its message naming {@code mentions}. */
    private static void assertRefused(Runnable call, Status.Code code, ErrorReason reason, String mentions) {
        assertThatThrownBy(call::run).isInstanceOf(StatusRuntimeException.class).satisfies(e -> {
            StatusRuntimeException s = (StatusRuntimeException) e;
            assertThat(s.getStatus().getCode()).isEqualTo(code);
            assertThat(ErrorReasons.detailOf(s).getReason()).isEqualTo(reason);
            assertThat(s.getStatus().getDescription()).contains(mentions);
        });
    }

    @Test
    void parallelPollersShareOneSubscriptionEachMessageOnce() throws Exception {
        String topic = "public/default/plain-pollers";
        int total = 2_000;
        int pollers = 8;
        Set<String> ids = ConcurrentHashMap.newKeySet();
        List<String> duplicates = new CopyOnWriteArrayList<>();
        List<String> values = new CopyOnWriteArrayList<>();
        AtomicInteger acknowledged = new AtomicInteger();
        List<String> starved = new CopyOnWriteArrayList<>();
        Map<Integer, Integer> perPoller = new ConcurrentHashMap<>();
        Context.CancellableContext stop = Context.current().withCancellation();
        ExecutorService pool = Executors.newFixedThreadPool(pollers);
        long started = System.currentTimeMillis();
        List<Future<?>> running = new ArrayList<>();
        for (int n = 0; n < pollers; n++) {
            int poller = n;
            running.add(pool.submit(() -> stop.run(() -> {
                ReceiveRequest req = ReceiveRequest.newBuilder().setTopic(topic).setSubscription("pollers")
                        .setInitialPosition(InitialPosition.EARLIEST).setMaxMessages(25).setMaxWaitMs(10_000)
                        .setInvisibleDurationMs(30_000).build();
                while (acknowledged.get() < total && !stop.isCancelled()) {
                    long callStart = System.currentTimeMillis();
                    List<ReceivedMessage> got;
                    try {
                        got = messaging.receive(req).getMessagesList();
                    } catch (StatusRuntimeException e) {
                        return; // cancelled once every message is in
                    }
                    if (got.isEmpty()) {
                        // while messages are published, and before all are in: the call was starved (the
                        // publishing takes far less than its 10 s)
                        starved.add("poller " + poller + " got nothing after " + (System.currentTimeMillis() - callStart)
                                + " ms with " + acknowledged.get() + " acknowledged");
                    }
                    for (ReceivedMessage m : got) {
                        if (!ids.add(idText(m.getMessageId()))) {
                            duplicates.add(idText(m.getMessageId()));
                        }
                        values.add(m.getValue().toStringUtf8());
                    }
                    if (!got.isEmpty()) {
                        perPoller.merge(poller, got.size(), Integer::sum);
                        messaging.acknowledge(AcknowledgeRequest.newBuilder().setTopic(topic).setSubscription("pollers")
                                .addAllMessageIds(got.stream().map(ReceivedMessage::getMessageId).toList()).build());
                        if (acknowledged.addAndGet(got.size()) >= total) {
                            stop.cancel(null);
                        }
                    }
                }
            })));
        }
        // published while the pollers wait: most of the time several calls wait together
        try (Producer<String> p = client.newProducer(Schema.STRING).topic(topic).batchingMaxMessages(10).create()) {
            for (int i = 0; i < total; i++) {
                p.sendAsync("m" + i);
            }
            p.flush();
        }
        try {
            for (Future<?> f : running) {
                f.get(30, TimeUnit.SECONDS);
            }
        } finally {
            stop.cancel(null);
            pool.shutdownNow();
        }
        long tookMs = System.currentTimeMillis() - started;
        assertThat(duplicates).as("no message handed to two pollers").isEmpty();
        assertThat(starved).as("no call returned empty while messages waited").isEmpty();
        assertThat(values).hasSize(total).doesNotHaveDuplicates();
        assertThat(new HashSet<>(values)).containsAll(java.util.stream.IntStream.range(0, total).mapToObj(i -> "m" + i).toList());
        assertThat(perPoller).as("every poller received messages").hasSize(pollers).allSatisfy((k, v) -> assertThat(v).isPositive());
        // a call returns empty only when its 10 s pass with nothing for it: none did, so none waited while
        // messages were buffered; the whole run takes a few seconds
        assertThat(tookMs).isLessThan(25_000);
        // every one acknowledged: nothing comes back
        assertThat(messaging.receive(ReceiveRequest.newBuilder().setTopic(topic).setSubscription("pollers")
                .setMaxMessages(10).setMaxWaitMs(200).build()).getMessagesList()).isEmpty();
    }

    @Test
    void anExpiredHoldIsDeliveredAgainWithItsCountAndANewReceipt() throws Exception {
        String topic = "public/default/plain-expiry";
        long sent = System.currentTimeMillis();
        try (Producer<String> p = client.newProducer(Schema.STRING).topic(topic).enableBatching(false).create()) {
            p.newMessage().value("later").deliverAt(sent + 300).send();
        }
        List<ReceivedMessage> first = receive(pull(topic, 1_000));
        assertThat(first).extracting(m -> m.getValue().toStringUtf8()).containsExactly("later");
        ReceivedMessage m = first.get(0);
        assertThat(m.getReceipt()).isNotEmpty();
        assertThat(m.getRedeliveryCount()).isZero();
        assertThat(m.getDeliverAtMs()).isEqualTo(sent + 300);
        assertThat(System.currentTimeMillis()).isGreaterThanOrEqualTo(sent + 300);

        List<ReceivedMessage> again = receive(pull(topic, 30_000));
        long back = System.currentTimeMillis();
        assertThat(again).extracting(ReceivedMessage::getMessageId).containsExactly(m.getMessageId());
        assertThat(again.get(0).getRedeliveryCount()).isEqualTo(1);
        assertThat(again.get(0).getReceipt()).isNotEqualTo(m.getReceipt());
        assertThat(back).as("not before its invisible duration").isGreaterThanOrEqualTo(sent + 1_000);

        // the first receipt names a delivery that is over
        assertRefused(() -> changeInvisible(topic, m, 5_000), Status.Code.FAILED_PRECONDITION, ErrorReason.MESSAGE_NOT_HELD,
                idText(m.getMessageId()));
        ack(topic, again.get(0));
        assertRefused(() -> changeInvisible(topic, again.get(0), 5_000), Status.Code.FAILED_PRECONDITION,
                ErrorReason.MESSAGE_ALREADY_ACKNOWLEDGED, idText(m.getMessageId()));
    }

    @Test
    void changeInvisibleDurationExtendsAndShortens() throws Exception {
        String topic = "public/default/plain-change";
        produceOneByOne(topic, "extended", "shortened");
        List<ReceivedMessage> got = new ArrayList<>();
        while (got.size() < 2) {
            got.addAll(receive(pull(topic, 1_500)));
        }
        long received = System.currentTimeMillis();
        ReceivedMessage extended = got.get(0);
        ReceivedMessage shortened = got.get(1);
        assertThat(extended.getValue().toStringUtf8()).isEqualTo("extended");
        // holds are per entry: these two were published one by one, so each has its own
        long visibleAt = changeInvisible(topic, extended, 4_000);
        assertThat(visibleAt).isBetween(received + 3_900, System.currentTimeMillis() + 4_000);
        changeInvisible(topic, shortened, 30_000);
        changeInvisible(topic, shortened, 0); // shortened to the minimum, 100 ms

        List<ReceivedMessage> first = receive(pull(topic, 30_000).setMaxWaitMs(5_000));
        assertThat(first).extracting(m -> m.getValue().toStringUtf8()).containsExactly("shortened");
        assertThat(first.get(0).getRedeliveryCount()).isEqualTo(1);
        assertThat(System.currentTimeMillis()).as("long before its 30 s").isLessThan(received + 3_000);
        ack(topic, first.get(0));

        // past the original 1.5 s, the extended one stays invisible
        long waitUntil = received + 2_500;
        assertThat(receive(pull(topic, 30_000).setMaxWaitMs(Math.max(0, waitUntil - System.currentTimeMillis())))).isEmpty();
        List<ReceivedMessage> later = receive(pull(topic, 30_000).setMaxWaitMs(5_000));
        assertThat(later).extracting(m -> m.getValue().toStringUtf8()).containsExactly("extended");
        assertThat(System.currentTimeMillis()).isGreaterThanOrEqualTo(visibleAt);
        assertThat(later.get(0).getRedeliveryCount()).isEqualTo(1);
        ack(topic, later.get(0));
    }

    @Test
    void changeInvisibleDurationRefusesPrecisely() throws Exception {
        String topic = "public/default/plain-change-errors";
        produceOneByOne(topic, "a", "b");
        List<ReceivedMessage> got = new ArrayList<>();
        while (got.isEmpty()) {
            got.addAll(receive(pull(topic, 30_000).setMaxMessages(1)));
        }
        ReceivedMessage a = got.get(0);
        String aId = idText(a.getMessageId());
        assertRefused(() -> changeInvisible(topic, a, -1), Status.Code.INVALID_ARGUMENT, ErrorReason.INVALID_REQUEST, aId);
        // b is stored but was never delivered (a's receipt does not name it)
        MessageId bId = a.getMessageId().toBuilder().setEntryId(a.getMessageId().getEntryId() + 1).build();
        assertRefused(() -> changeInvisible(topic, a.toBuilder().setMessageId(bId).build(), 1_000),
                Status.Code.FAILED_PRECONDITION, ErrorReason.MESSAGE_NOT_HELD, idText(bId));
        // a receipt that was never issued
        assertRefused(() -> changeInvisible(topic, a.toBuilder().setReceipt("forged").build(), 1_000),
                Status.Code.FAILED_PRECONDITION, ErrorReason.MESSAGE_NOT_HELD, aId);
        // given back: not held any more
        messaging.negativeAcknowledge(NegativeAcknowledgeRequest.newBuilder().setTopic(topic).setSubscription("pull")
                .addMessageIds(a.getMessageId()).setDelayMs(60_000).build());
        assertRefused(() -> changeInvisible(topic, a, 1_000), Status.Code.FAILED_PRECONDITION, ErrorReason.MESSAGE_NOT_HELD, aId);
        ack(topic, a);
        assertRefused(() -> changeInvisible(topic, a, 1_000), Status.Code.FAILED_PRECONDITION,
                ErrorReason.MESSAGE_ALREADY_ACKNOWLEDGED, aId);
        assertRefused(() -> messaging.negativeAcknowledge(NegativeAcknowledgeRequest.newBuilder().setTopic(topic)
                        .setSubscription("pull").addMessageIds(a.getMessageId()).setDelayMs(-5).build()),
                Status.Code.INVALID_ARGUMENT, ErrorReason.INVALID_REQUEST, aId);
    }

    @Test
    void negativeAcknowledgeGivesBackAtOnceOrAfterItsDelay() throws Exception {
        String topic = "public/default/plain-nack";
        produceOneByOne(topic, "n");
        ReceivedMessage m = receive(pull(topic, 30_000)).get(0);
        NegativeAcknowledgeRequest.Builder nack = NegativeAcknowledgeRequest.newBuilder().setTopic(topic)
                .setSubscription("pull").addMessageIds(m.getMessageId());

        long t0 = System.currentTimeMillis();
        messaging.negativeAcknowledge(nack.build());
        List<ReceivedMessage> again = receive(pull(topic, 30_000));
        assertThat(again).extracting(ReceivedMessage::getMessageId).containsExactly(m.getMessageId());
        assertThat(again.get(0).getRedeliveryCount()).isEqualTo(1);
        assertThat(System.currentTimeMillis() - t0).as("at once, not after the 30 s").isLessThan(3_000);

        long t1 = System.currentTimeMillis();
        messaging.negativeAcknowledge(nack.setDelayMs(3_000).build());
        assertThat(receive(pull(topic, 30_000).setMaxWaitMs(1_000))).as("not before its delay").isEmpty();
        List<ReceivedMessage> third = receive(pull(topic, 30_000));
        assertThat(third).extracting(ReceivedMessage::getMessageId).containsExactly(m.getMessageId());
        assertThat(third.get(0).getRedeliveryCount()).isEqualTo(2);
        assertThat(System.currentTimeMillis()).isGreaterThanOrEqualTo(t1 + 3_000);

        // the first delivery's id still acknowledges it
        ack(topic, m);
        assertThat(receive(pull(topic, 100).setMaxWaitMs(600))).isEmpty();
    }

    /** A Subscribe stream, decoded or not. */
    private record Stream(StreamObserver<SubscribeRequest> requests, Recorder<SubscribeResponse> replies) {
        /** The next response of this kind, skipping any other. */
        SubscribeResponse nextAny(SubscribeResponse.ResponseCase kind) throws InterruptedException {
            while (true) {
                Object o = replies.next();
                assertThat(o).as("a response, not a failure").isInstanceOf(SubscribeResponse.class);
                if (((SubscribeResponse) o).getResponseCase() == kind) {
                    return (SubscribeResponse) o;
                }
            }
        }

        SubscribeResponse next(SubscribeResponse.ResponseCase kind) throws InterruptedException {
            while (true) {
                Object o = replies.next();
                assertThat(o).as("a response, not a failure").isInstanceOf(SubscribeResponse.class);
                SubscribeResponse r = (SubscribeResponse) o;
                if (r.getResponseCase() == kind) {
                    return r;
                }
                assertThat(r.getResponseCase()).as("no notice on this stream: %s", r).isNotEqualTo(SubscribeResponse.ResponseCase.NOTICE);
            }
        }

        List<ReceivedMessage> receive(int n) throws InterruptedException {
            List<ReceivedMessage> got = new ArrayList<>();
            while (got.size() < n) {
                got.addAll(next(SubscribeResponse.ResponseCase.RECEIVED).getReceived().getMessagesList());
            }
            return got;
        }

        /** Ends the stream and waits until the broker has removed the consumer (it then completes the call). */
        void close() throws InterruptedException {
            requests.onCompleted();
            while (!"completed".equals(replies.next())) {
                // responses still on their way
            }
        }

        void ack(long requestId, boolean cumulative, List<MessageId> ids) throws InterruptedException {
            requests.onNext(SubscribeRequest.newBuilder().setAck(Ack.newBuilder().setRequestId(requestId)
                    .setCumulative(cumulative).addAllMessageIds(ids)).build());
            SubscribeResponse r = next(SubscribeResponse.ResponseCase.ACK_RESPONSE);
            assertThat(r.getAckResponse().getRequestId()).isEqualTo(requestId);
            assertThat(r.getAckResponse().hasError()).as("ack %s: %s", requestId, r.getAckResponse().getError()).isFalse();
        }
    }

    private static Stream subscribe(String topic, String subscription, boolean decoded, int permits) throws InterruptedException {
        Recorder<SubscribeResponse> replies = new Recorder<>();
        StreamObserver<SubscribeRequest> requests = MessagingServiceGrpc.newStub(channel).subscribe(replies);
        requests.onNext(SubscribeRequest.newBuilder().setOpen(SubscribeOpen.newBuilder().setTopic(topic)
                .setSubscription(subscription).setType(SubscriptionType.EXCLUSIVE).setInitialPosition(InitialPosition.EARLIEST)
                .setDecoded(decoded).setInitialPermits(permits)).build());
        Stream s = new Stream(requests, replies);
        s.next(SubscribeResponse.ResponseCase.SUBSCRIBED);
        return s;
    }

    @Test
    void decodedSubscribeOfBatchedCompressedMessagesWithBatchIndexAcks() throws Exception {
        String topic = "public/default/plain-decoded";
        int total = 60;
        try (Producer<String> p = client.newProducer(Schema.STRING).topic(topic).enableBatching(true)
                .batchingMaxMessages(20).batchingMaxPublishDelay(Duration.ofSeconds(1))
                .compressionType(io.tributary.client.CompressionType.LZ4).create()) {
            for (int i = 0; i < total; i++) {
                // repetitive values: LZ4 makes the batch smaller, so it is stored compressed
                p.newMessage().key("k" + i % 3).value("value-" + i + "-" + "x".repeat(200)).property("n", String.valueOf(i))
                        .sendAsync();
            }
            p.flush();
        }
        // as stored: batches of several messages, compressed with LZ4
        Stream encoded = subscribe(topic, "encoded", false, 1);
        MessageBatch stored = encoded.next(SubscribeResponse.ResponseCase.MESSAGES).getMessages();
        assertThat(EntryCodec.header(stored.getEntry()).getCompression()).isEqualTo(CompressionType.COMPRESSION_LZ4);
        assertThat(stored.getMessageId().getBatchSize()).isGreaterThan(1);
        encoded.close();

        Stream s = subscribe(topic, "decoded", true, 1_000);
        List<ReceivedMessage> got = s.receive(total);
        assertThat(got).hasSize(total);
        for (int i = 0; i < total; i++) {
            ReceivedMessage m = got.get(i);
            assertThat(m.getValue().toStringUtf8()).startsWith("value-" + i + "-");
            assertThat(m.getKey()).isEqualTo("k" + i % 3);
            assertThat(m.getPropertiesMap()).containsEntry("n", String.valueOf(i));
            assertThat(m.getRedeliveryCount()).isZero();
            assertThat(m.getReceipt()).as("no receipt on the stream").isEmpty();
            assertThat(m.getPublishTimeMs()).isPositive();
        }
        assertThat(got).extracting(m -> m.getMessageId().getBatchSize()).anySatisfy(n -> assertThat(n).isGreaterThan(1));

        // cumulative up to a message inside a batch, then every even one after it individually
        int upTo = 5;
        while (got.get(upTo).getMessageId().getBatchIndex() == got.get(upTo).getMessageId().getBatchSize() - 1) {
            upTo++; // a message that is not the last of its batch
        }
        int cumulative = upTo;
        s.ack(1, true, List.of(got.get(upTo).getMessageId()));
        List<MessageId> evens = new ArrayList<>();
        for (int i = upTo + 1; i < total; i++) {
            if (i % 2 == 0) {
                evens.add(got.get(i).getMessageId());
            }
        }
        s.ack(2, false, evens);
        // a negative ack on the stream: that message's entry comes again, without its acknowledged messages
        int nacked = upTo + 1 + ((upTo + 1) % 2 == 0 ? 1 : 0); // an odd one, not acknowledged
        s.requests().onNext(SubscribeRequest.newBuilder().setNegativeAck(NegativeAck.newBuilder()
                .addMessageIds(got.get(nacked).getMessageId())).build());
        List<ReceivedMessage> redelivered = s.receive(1);
        assertThat(redelivered).extracting(ReceivedMessage::getMessageId).contains(got.get(nacked).getMessageId());
        assertThat(redelivered).allSatisfy(m -> {
            assertThat(m.getRedeliveryCount()).isEqualTo(1);
            assertThat(idIndex(got, m)).as("not acknowledged").isGreaterThan(cumulative).matches(i -> i % 2 == 1);
        });
        s.close();

        // a new stream on the subscription receives exactly the odd ones after the cumulative ack
        Stream again = subscribe(topic, "decoded", true, 1_000);
        List<Integer> expected = new ArrayList<>();
        for (int i = upTo + 1; i < total; i++) {
            if (i % 2 == 1) {
                expected.add(i);
            }
        }
        List<ReceivedMessage> rest = again.receive(expected.size());
        assertThat(rest).extracting(m -> idIndex(got, m)).containsExactlyElementsOf(expected);
        assertThat(rest).allSatisfy(m -> assertThat(m.getRedeliveryCount()).isPositive());
        assertThat(again.replies().events.poll(300, TimeUnit.MILLISECONDS)).as("nothing acknowledged comes back").isNull();
        again.close();
    }

    /**
     * An entry a decoded Subscribe cannot decode does not wedge the stream: the consumer is told which
     * entry in a notice, and the entries after it are delivered.
     */
    @Test
    void anUndecodableEntryIsNamedInANoticeAndTheStreamGoesOn() throws Exception {
        Recorder<SubscribeResponse> replies = new Recorder<>();
        StreamObserver<SubscribeRequest> requests = MessagingServiceGrpc.newStub(channel).subscribe(replies);
        requests.onNext(SubscribeRequest.newBuilder().setOpen(SubscribeOpen.newBuilder().setTopic(UNDECODABLE_TOPIC)
                .setSubscription("decoded").setType(SubscriptionType.SHARED).setDecoded(true)
                .setInitialPosition(InitialPosition.EARLIEST).setInitialPermits(10)).build());
        Stream s = new Stream(requests, replies);
        SubscribeResponse notice = s.nextAny(SubscribeResponse.ResponseCase.NOTICE);
        assertThat(notice.getNotice().getError().getReason()).isEqualTo(ErrorReason.MESSAGE_TOO_LARGE);
        assertThat(notice.getNotice().getError().getMessage()).contains("cannot be decoded", "stays unacknowledged");
        ReceivedMessage small = s.receive(1).get(0);
        assertThat(small.getValue().toStringUtf8()).isEqualTo("small");
        MessageId entry = MessageId.newBuilder().setLedgerId(small.getMessageId().getLedgerId())
                .setEntryId(small.getMessageId().getEntryId() - 1).build();
        assertThat(notice.getNotice().getError().getMessage())
                .as("names the entry").contains("entry " + entry.getLedgerId() + ":" + entry.getEntryId() + " ");
        assertThat(notice.getNotice().getMessageId().getEntryId()).as("and gives its id").isEqualTo(entry.getEntryId());
        assertThat(notice.getNotice().getMessageId().getLedgerId()).isEqualTo(entry.getLedgerId());
        // the stream takes requests as before: the named entry is skipped by acknowledging it whole
        s.ack(7, false, List.of(entry, small.getMessageId()));
        s.close();
    }

    /** The position of {@code m} among the messages first received. */
    private static int idIndex(List<ReceivedMessage> first, ReceivedMessage m) {
        MessageId id = m.getMessageId();
        for (int i = 0; i < first.size(); i++) {
            if (first.get(i).getMessageId().equals(id)) {
                return i;
            }
        }
        throw new AssertionError("not a message of the topic: " + id);
    }

    @Test
    void decodedPermitsCountMessages() throws Exception {
        String topic = "public/default/plain-decoded-permits";
        produceOneByOne(topic, "p0", "p1", "p2", "p3", "p4");
        Stream s = subscribe(topic, "permits", true, 2);
        assertThat(s.receive(2)).extracting(m -> m.getValue().toStringUtf8()).containsExactly("p0", "p1");
        assertThat(s.replies().events.poll(300, TimeUnit.MILLISECONDS)).as("two permits, two messages").isNull();
        s.requests().onNext(SubscribeRequest.newBuilder().setFlow(Flow.newBuilder().setPermits(3)).build());
        assertThat(s.receive(3)).extracting(m -> m.getValue().toStringUtf8()).containsExactly("p2", "p3", "p4");
        s.close();
    }
}
