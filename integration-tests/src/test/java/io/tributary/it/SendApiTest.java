package io.tributary.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.tributary.api.v1.AcknowledgeRequest;
import io.tributary.api.v1.ErrorReason;
import io.tributary.api.v1.InitialPosition;
import io.tributary.api.v1.MessagingServiceGrpc;
import io.tributary.api.v1.PlainMessage;
import io.tributary.api.v1.ProducerOpen;
import io.tributary.api.v1.PublishMessages;
import io.tributary.api.v1.PublishRequest;
import io.tributary.api.v1.PublishResponse;
import io.tributary.api.v1.ReceiveRequest;
import io.tributary.api.v1.ReceivedMessage;
import io.tributary.api.v1.SendRequest;
import io.tributary.api.v1.SendResponse;
import io.tributary.api.v1.SendResult;
import io.tributary.api.v1.SubscriptionType;
import io.tributary.cli.Standalone;
import io.tributary.client.Consumer;
import io.tributary.client.Message;
import io.tributary.client.Schema;
import io.tributary.client.SubscriptionInitialPosition;
import io.tributary.client.TributaryClient;
import io.tributary.protocol.ErrorReasons;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Publishing plain messages without the entry format, as a client in any language does: unary Send
 * and the Publish stream's plain mode, through the proxy with raw gRPC stubs (the SDK only to show
 * that what the broker encodes is the SDK's own format).
 */
class SendApiTest {
    static final int MAX_MESSAGE_SIZE = 64 * 1024;

    @TempDir
    static Path dir;
    static Standalone standalone;
    static ManagedChannel channel;
    static MessagingServiceGrpc.MessagingServiceBlockingStub messaging;

    @BeforeAll
    static void start() throws Exception {
        standalone = new Standalone(TestClusters.options(dir.toFile(), c -> c.withMaxMessageSize(MAX_MESSAGE_SIZE))).start();
        channel = NettyChannelBuilder.forTarget(standalone.serviceUrl()).usePlaintext()
                .maxInboundMessageSize(16 * 1024 * 1024).build();
        messaging = MessagingServiceGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
    }

    @AfterAll
    static void stop() {
        channel.shutdownNow();
        standalone.close();
    }

    private static PlainMessage.Builder message(String value) {
        return PlainMessage.newBuilder().setValue(ByteString.copyFromUtf8(value));
    }

    private static SendResponse send(String topic, String producer, PlainMessage.Builder... messages) {
        SendRequest.Builder req = SendRequest.newBuilder().setTopic(topic).setProducerName(producer);
        for (PlainMessage.Builder m : messages) {
            req.addMessages(m);
        }
        return messaging.send(req.build());
    }

    /** Everything a Shared subscription of the topic delivers until {@code n} messages came (acknowledged). */
    private static List<ReceivedMessage> receive(String topic, String subscription, int n) {
        List<ReceivedMessage> got = new ArrayList<>();
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            List<ReceivedMessage> batch = messaging.receive(ReceiveRequest.newBuilder().setTopic(topic)
                    .setSubscription(subscription).setType(SubscriptionType.SHARED)
                    .setInitialPosition(InitialPosition.EARLIEST).setMaxMessages(100).setMaxWaitMs(500).build())
                    .getMessagesList();
            got.addAll(batch);
            if (!batch.isEmpty()) {
                messaging.acknowledge(AcknowledgeRequest.newBuilder().setTopic(topic)
                        .setSubscription(subscription)
                        .addAllMessageIds(batch.stream().map(ReceivedMessage::getMessageId).toList()).build());
            }
            return got.size() >= n;
        });
        return got;
    }

    /** Nothing more arrives on the subscription within half a second. */
    private static void nothingMore(String topic, String subscription) {
        assertThat(messaging.receive(ReceiveRequest.newBuilder().setTopic(topic).setSubscription(subscription)
                .setType(SubscriptionType.SHARED).setInitialPosition(InitialPosition.EARLIEST).setMaxMessages(100)
                .setMaxWaitMs(500).build()).getMessagesList()).isEmpty();
    }

    private static ErrorReason reasonOf(Throwable e) {
        return ErrorReasons.detailOf((StatusRuntimeException) e).getReason();
    }

    @Test
    void sentMessagesComeBackWithEveryFieldAndTheirIdsFromSend() {
        String topic = "public/default/send-fields";
        SendResponse r = send(topic, "",
                message("a").setKey("k1").putProperties("color", "red").setEventTimeMs(1_700_000_000_000L),
                message("b").setKey("k2").putProperties("n", "2"),
                message("c"));
        assertThat(r.getResultsList()).hasSize(3).allSatisfy(s -> {
            assertThat(s.hasError()).isFalse();
            assertThat(s.getDuplicate()).isFalse();
            assertThat(s.getMessageId().getBatchSize()).isEqualTo(3);
            assertThat(s.getMessageId().getPartition()).isEqualTo(-1);
        });
        assertThat(r.getResultsList()).extracting(s -> s.getMessageId().getBatchIndex()).containsExactly(0, 1, 2);
        assertThat(r.getResultsList()).extracting(s -> s.getMessageId().getEntryId()).containsOnly(r.getResults(0)
                .getMessageId().getEntryId());
        long first = r.getResults(0).getSequenceId();
        assertThat(r.getResultsList()).extracting(SendResult::getSequenceId).containsExactly(first, first + 1, first + 2);
        // without a producer name, every call's messages get ids of their own
        SendResponse again = send(topic, "", message("d"));
        assertThat(again.getResults(0).getSequenceId()).isEqualTo(first + 3);

        List<ReceivedMessage> got = receive(topic, "fields", 4);
        assertThat(got).extracting(m -> m.getValue().toStringUtf8()).containsExactly("a", "b", "c", "d");
        ReceivedMessage a = got.get(0);
        assertThat(a.getKey()).isEqualTo("k1");
        assertThat(a.getPropertiesMap()).isEqualTo(Map.of("color", "red"));
        assertThat(a.getEventTimeMs()).isEqualTo(1_700_000_000_000L);
        assertThat(a.getMessageId()).isEqualTo(r.getResults(0).getMessageId());
        assertThat(a.getSequenceId()).isEqualTo(first);
        assertThat(a.getProducerName()).endsWith("-send");
        assertThat(a.getPublishTimeMs()).isPositive();
        assertThat(a.getDeliverAtMs()).isZero();
        assertThat(got.get(1).getKey()).isEqualTo("k2");
        assertThat(got.get(1).getPropertiesMap()).isEqualTo(Map.of("n", "2"));
        assertThat(got.get(1).getEventTimeMs()).isZero();
        assertThat(got.get(2).getKey()).isEmpty();
        assertThat(got.get(2).getPropertiesMap()).isEmpty();
        assertThat(got.get(3).getSequenceId()).isEqualTo(first + 3);
    }

    @Test
    void aRetriedSendIsAnsweredAsDuplicateAndStoredOnce() throws Exception {
        String topic = "public/default/send-dedup";
        PlainMessage.Builder[] three = {message("m0").setSequenceId(0), message("m1").setSequenceId(1),
                message("m2").setSequenceId(2)};
        SendResponse r = send(topic, "orders", three);
        assertThat(r.getResultsList()).extracting(SendResult::getDuplicate).containsOnly(false);
        // the response was lost: the client sends the same call again
        SendResponse retry = send(topic, "orders", three);
        assertThat(retry.getResultsList()).extracting(SendResult::getDuplicate).containsExactly(true, true, true);
        assertThat(retry.getResultsList()).extracting(SendResult::getSequenceId).containsExactly(0L, 1L, 2L);
        assertThat(retry.getResultsList()).allSatisfy(s -> assertThat(s.hasError()).isFalse());
        // overlapping the stored ones: only the new ones are stored
        SendResponse overlap = send(topic, "orders", message("m2").setSequenceId(2), message("m3").setSequenceId(3),
                message("m4").setSequenceId(4));
        assertThat(overlap.getResultsList()).extracting(SendResult::getDuplicate).containsExactly(true, false, false);
        assertThat(overlap.getResults(1).getMessageId().getBatchIndex()).isZero();
        assertThat(overlap.getResults(2).getMessageId().getBatchIndex()).isEqualTo(1);
        assertThat(overlap.getResults(2).getMessageId().getBatchSize()).isEqualTo(2);

        List<ReceivedMessage> got = receive(topic, "once", 5);
        nothingMore(topic, "once");
        assertThat(got).extracting(m -> m.getValue().toStringUtf8()).containsExactly("m0", "m1", "m2", "m3", "m4");
        assertThat(got).extracting(ReceivedMessage::getSequenceId).containsExactly(0L, 1L, 2L, 3L, 4L);
        assertThat(got).extracting(ReceivedMessage::getProducerName).containsOnly("orders");

        // the sequence id rules, each named
        assertThatThrownBy(() -> send(topic, "orders", message("x").setSequenceId(7), message("y")))
                .satisfies(e -> assertThat(reasonOf(e)).isEqualTo(ErrorReason.INVALID_REQUEST))
                .hasMessageContaining("every message of a Send has a sequence_id or none has");
        assertThatThrownBy(() -> send(topic, "orders", message("x").setSequenceId(7), message("y").setSequenceId(9)))
                .satisfies(e -> assertThat(reasonOf(e)).isEqualTo(ErrorReason.INVALID_REQUEST))
                .hasMessageContaining("increase by one").hasMessageContaining("expected 8");
        assertThatThrownBy(() -> send(topic, "", message("x").setSequenceId(7)))
                .satisfies(e -> assertThat(reasonOf(e)).isEqualTo(ErrorReason.INVALID_REQUEST))
                .hasMessageContaining("producer_name");

        // a name held by an open Publish stream is refused
        BlockingQueue<PublishResponse> replies = new LinkedBlockingQueue<>();
        StreamObserver<PublishRequest> stream = openStream(topic, "held", replies);
        assertThat(replies.poll(10, TimeUnit.SECONDS).hasOpened()).isTrue();
        assertThatThrownBy(() -> send(topic, "held", message("x")))
                .satisfies(e -> assertThat(reasonOf(e)).isEqualTo(ErrorReason.PRODUCER_BUSY));
        stream.onCompleted();
    }

    @Test
    void anOversizeMessageGetsItsOwnErrorAndTheOthersAreStored() {
        String topic = "public/default/send-oversize";
        String big = "x".repeat(MAX_MESSAGE_SIZE + 1);
        SendResponse r = send(topic, "", message("small-1"), message(big), message("small-2"));
        assertThat(r.getResults(1).getError().getReason()).isEqualTo(ErrorReason.MESSAGE_TOO_LARGE);
        assertThat(r.getResults(1).getError().getMessage()).contains("message 1").contains(String.valueOf(MAX_MESSAGE_SIZE));
        assertThat(r.getResults(1).hasMessageId()).isFalse();
        assertThat(r.getResults(0).getMessageId().getBatchSize()).isEqualTo(2);
        assertThat(r.getResults(2).getMessageId().getBatchIndex()).isEqualTo(1);

        // with sequence ids, the refused one splits the call's entry in two; a retry stores nothing again
        PlainMessage.Builder[] withIds = {message("s-10").setSequenceId(10), message(big).setSequenceId(11),
                message("s-12").setSequenceId(12)};
        SendResponse ids = send(topic, "sized", withIds);
        assertThat(ids.getResults(1).getError().getReason()).isEqualTo(ErrorReason.MESSAGE_TOO_LARGE);
        assertThat(ids.getResults(0).getMessageId().getEntryId()).isNotEqualTo(ids.getResults(2).getMessageId().getEntryId());
        assertThat(ids.getResults(2).getSequenceId()).isEqualTo(12);
        SendResponse retried = send(topic, "sized", withIds);
        assertThat(retried.getResults(0).getDuplicate()).isTrue();
        assertThat(retried.getResults(1).getError().getReason()).isEqualTo(ErrorReason.MESSAGE_TOO_LARGE);
        assertThat(retried.getResults(2).getDuplicate()).isTrue();

        // each fits alone, not all together: the call is refused as a whole and nothing is stored
        String third = "y".repeat(MAX_MESSAGE_SIZE / 3);
        assertThatThrownBy(() -> send(topic, "", message(third), message(third), message(third), message(third)))
                .satisfies(e -> assertThat(reasonOf(e)).isEqualTo(ErrorReason.MESSAGE_TOO_LARGE))
                .hasMessageContaining("messages 0 to 3").hasMessageContaining("nothing was stored");

        List<ReceivedMessage> got = receive(topic, "sizes", 4);
        nothingMore(topic, "sizes");
        assertThat(got).extracting(m -> m.getValue().toStringUtf8()).containsExactly("small-1", "small-2", "s-10", "s-12");
    }

    @Test
    void badSendsAreRefusedPreciselyAndTheBrokerKeepsServing() {
        String topic = "public/default/send-bad";
        SendRequest.Builder huge = SendRequest.newBuilder().setTopic(topic);
        PlainMessage tiny = message("m").build();
        for (int i = 0; i < 100_000; i++) {
            huge.addMessages(tiny);
        }
        assertThatThrownBy(() -> messaging.send(huge.build()))
                .satisfies(e -> assertThat(reasonOf(e)).isEqualTo(ErrorReason.INVALID_REQUEST))
                .hasMessageContaining("100000 messages").hasMessageContaining("limit of 1000")
                .hasMessageContaining("broker.maxSendMessages");
        assertThatThrownBy(() -> messaging.send(SendRequest.newBuilder().setTopic(topic).build()))
                .satisfies(e -> assertThat(reasonOf(e)).isEqualTo(ErrorReason.INVALID_REQUEST))
                .hasMessageContaining("no message");
        assertThatThrownBy(() -> send(topic, "", message("late").setDeliverAfterMs(-5)))
                .satisfies(e -> assertThat(reasonOf(e)).isEqualTo(ErrorReason.INVALID_REQUEST))
                .hasMessageContaining("deliver_after_ms must not be negative");
        assertThatThrownBy(() -> send("not a/valid//name", "", message("x")))
                .satisfies(e -> assertThat(reasonOf(e)).isEqualTo(ErrorReason.INVALID_TOPIC_NAME));
        nothingMore(topic, "bad");

        // 1000 messages, the limit, are taken; the broker serves on
        SendRequest.Builder limit = SendRequest.newBuilder().setTopic(topic);
        for (int i = 0; i < 1000; i++) {
            limit.addMessages(message("ok-" + i));
        }
        SendResponse r = messaging.send(limit.build());
        assertThat(r.getResultsList()).hasSize(1000).allSatisfy(s -> assertThat(s.hasError()).isFalse());
        assertThat(receive(topic, "bad", 1000)).hasSize(1000);
    }

    @Test
    void deliverAfterIsHonouredOnASharedSubscription() {
        String topic = "public/default/send-delayed";
        // the subscription exists before the message is stored
        nothingMore(topic, "later");
        long sent = System.currentTimeMillis();
        SendResponse r = send(topic, "", message("later").setDeliverAfterMs(2_000));
        assertThat(r.getResults(0).hasError()).isFalse();
        nothingMore(topic, "later");
        List<ReceivedMessage> got = receive(topic, "later", 1);
        long received = System.currentTimeMillis();
        assertThat(got.get(0).getValue().toStringUtf8()).isEqualTo("later");
        assertThat(received).isGreaterThanOrEqualTo(sent + 2_000);
    }

    private static StreamObserver<PublishRequest> openStream(String topic, String producer, BlockingQueue<PublishResponse> replies) {
        StreamObserver<PublishRequest> stream = MessagingServiceGrpc.newStub(channel).publish(new StreamObserver<>() {
            @Override
            public void onNext(PublishResponse value) {
                replies.add(value);
            }

            @Override
            public void onError(Throwable t) {
            }

            @Override
            public void onCompleted() {
            }
        });
        stream.onNext(PublishRequest.newBuilder().setOpen(ProducerOpen.newBuilder().setTopic(topic).setProducerName(producer))
                .build());
        return stream;
    }

    private static PublishRequest plain(long sequenceId, PlainMessage.Builder... messages) {
        PublishMessages.Builder m = PublishMessages.newBuilder().setSequenceId(sequenceId);
        for (PlainMessage.Builder b : messages) {
            m.addMessages(b);
        }
        return PublishRequest.newBuilder().setMessages(m).build();
    }

    @Test
    void plainMessagesOnThePublishStreamAreAckedAndReadByTheJavaSdk() throws Exception {
        String topic = "public/default/send-stream";
        BlockingQueue<PublishResponse> replies = new LinkedBlockingQueue<>();
        StreamObserver<PublishRequest> stream = openStream(topic, "streamer", replies);
        PublishResponse opened = replies.poll(10, TimeUnit.SECONDS);
        assertThat(opened.getOpened().getLastSequenceId()).isEqualTo(-1);
        stream.onNext(plain(0, message("p0").setKey("k").putProperties("i", "0"), message("p1").setKey("k"),
                message("p2").setKey("k").setSequenceId(99)));
        stream.onNext(plain(3, message("p3").setEventTimeMs(42), message("p4")));
        stream.onNext(plain(0, message("p0").setKey("k"), message("p1").setKey("k"), message("p2").setKey("k")));
        stream.onNext(plain(5));
        stream.onNext(plain(5, message("x".repeat(MAX_MESSAGE_SIZE))));
        stream.onNext(plain(5, message("p5")));
        List<PublishResponse> answers = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            answers.add(replies.poll(10, TimeUnit.SECONDS));
        }
        assertThat(answers.get(0).getAck().getSequenceId()).isZero();
        assertThat(answers.get(0).getAck().getDuplicate()).isFalse();
        assertThat(answers.get(1).getAck().getSequenceId()).isEqualTo(3);
        assertThat(answers.get(2).getAck().getDuplicate()).as("a resend is a duplicate").isTrue();
        assertThat(answers.get(2).getAck().getMessageId()).isEqualTo(answers.get(0).getAck().getMessageId());
        assertThat(answers.get(3).getError().getError().getReason()).isEqualTo(ErrorReason.INVALID_REQUEST);
        assertThat(answers.get(4).getError().getSequenceId()).isEqualTo(5);
        assertThat(answers.get(4).getError().getError().getReason()).isEqualTo(ErrorReason.MESSAGE_TOO_LARGE);
        assertThat(answers.get(5).getAck().getSequenceId()).isEqualTo(5);
        stream.onCompleted();

        try (TributaryClient client = TributaryClient.builder().serviceUrl(standalone.serviceUrl()).build();
             Consumer<String> consumer = client.newConsumer(Schema.STRING).topic(topic).subscriptionName("sdk")
                     .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe()) {
            List<Message<String>> got = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                Message<String> m = consumer.receive(10, TimeUnit.SECONDS);
                assertThat(m).as("message %d", i).isNotNull();
                got.add(m);
                consumer.acknowledge(m);
            }
            assertThat(consumer.receive(300, TimeUnit.MILLISECONDS)).isNull();
            assertThat(got).extracting(Message::getValue).containsExactly("p0", "p1", "p2", "p3", "p4", "p5");
            assertThat(got).extracting(Message::getSequenceId).containsExactly(0L, 1L, 2L, 3L, 4L, 5L);
            assertThat(got).extracting(Message::getProducerName).containsOnly("streamer");
            assertThat(got.get(0).getKey()).isEqualTo("k");
            assertThat(got.get(0).getProperties()).isEqualTo(Map.of("i", "0"));
            assertThat(got.get(3).getEventTime()).isEqualTo(42);
        }
    }
}
