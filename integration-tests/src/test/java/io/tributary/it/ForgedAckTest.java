package io.tributary.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.tributary.api.v1.Ack;
import io.tributary.api.v1.AcknowledgeRequest;
import io.tributary.api.v1.ErrorReason;
import io.tributary.api.v1.Flow;
import io.tributary.api.v1.InitialPosition;
import io.tributary.api.v1.MessageBatch;
import io.tributary.api.v1.MessageId;
import io.tributary.api.v1.MessagingServiceGrpc;
import io.tributary.api.v1.ReceiveRequest;
import io.tributary.api.v1.ReceivedMessage;
import io.tributary.api.v1.Seek;
import io.tributary.api.v1.SubscribeOpen;
import io.tributary.api.v1.SubscribeRequest;
import io.tributary.api.v1.SubscribeResponse;
import io.tributary.api.v1.SubscriptionType;
import io.tributary.cli.Standalone;
import io.tributary.client.Consumer;
import io.tributary.client.Message;
import io.tributary.client.Producer;
import io.tributary.client.Schema;
import io.tributary.client.TributaryClient;
import io.tributary.it.BadInputTest.Recorder;
import io.tributary.protocol.ErrorReasons;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Acknowledgements, seeks and reader starts with forged message ids (a batch index and size the
 * entry does not have, a position far beyond the log), sent with raw gRPC stubs through the
 * proxy as a hostile client would: each is refused with INVALID_MESSAGE_ID, nothing is sized by
 * the forged numbers, and the broker keeps serving the topic and everyone else.
 */
class ForgedAckTest {
    static final String TOPIC = "public/default/forged-acks";
    static final String BATCHED = "public/default/forged-acks-batched";
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
        try (Producer<String> p = client.newProducer(Schema.STRING).topic(TOPIC).enableBatching(false).create()) {
            for (int i = 0; i < 12; i++) {
                p.send("m" + i);
            }
        }
        try (Producer<String> p = client.newProducer(Schema.STRING).topic(BATCHED).enableBatching(true)
                .batchingMaxMessages(3).batchingMaxPublishDelay(Duration.ofHours(1)).create()) {
            for (int i = 0; i < 3; i++) {
                p.sendAsync("b" + i);
            }
            p.flush();
        }
    }

    @AfterAll
    static void stop() throws Exception {
        channel.shutdownNow();
        client.close();
        standalone.close();
    }

    private record Stream(StreamObserver<SubscribeRequest> requests, Recorder<SubscribeResponse> replies) {
        SubscribeResponse next(SubscribeResponse.ResponseCase kind) throws InterruptedException {
            while (true) {
                Object o = replies.next();
                assertThat(o).as("a response, not a failure: " + o).isInstanceOf(SubscribeResponse.class);
                SubscribeResponse r = (SubscribeResponse) o;
                if (r.getResponseCase() == kind) {
                    return r;
                }
            }
        }

        List<MessageBatch> batches(int n) throws InterruptedException {
            requests.onNext(SubscribeRequest.newBuilder().setFlow(Flow.newBuilder().setPermits(n)).build());
            List<MessageBatch> out = new ArrayList<>();
            while (out.size() < n) {
                out.add(next(SubscribeResponse.ResponseCase.MESSAGES).getMessages());
            }
            return out;
        }

        SubscribeResponse ack(long requestId, MessageId id, boolean cumulative) throws InterruptedException {
            requests.onNext(SubscribeRequest.newBuilder().setAck(Ack.newBuilder().setRequestId(requestId)
                    .addMessageIds(id).setCumulative(cumulative)).build());
            SubscribeResponse r = next(SubscribeResponse.ResponseCase.ACK_RESPONSE);
            assertThat(r.getAckResponse().getRequestId()).isEqualTo(requestId);
            return r;
        }
    }

    private static Stream open(String topic, String subscription) throws InterruptedException {
        Recorder<SubscribeResponse> replies = new Recorder<>();
        StreamObserver<SubscribeRequest> requests = MessagingServiceGrpc.newStub(channel).subscribe(replies);
        requests.onNext(SubscribeRequest.newBuilder().setOpen(SubscribeOpen.newBuilder().setTopic(topic)
                .setSubscription(subscription).setType(SubscriptionType.EXCLUSIVE)
                .setInitialPosition(InitialPosition.EARLIEST)).build());
        Stream s = new Stream(requests, replies);
        s.next(SubscribeResponse.ResponseCase.SUBSCRIBED);
        return s;
    }

    /** Opens an Exclusive stream once the subscription's previous consumer has left (it leaves asynchronously). */
    private static Stream openWhenFree(String topic, String subscription) {
        AtomicReference<Stream> opened = new AtomicReference<>();
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            Recorder<SubscribeResponse> replies = new Recorder<>();
            StreamObserver<SubscribeRequest> requests = MessagingServiceGrpc.newStub(channel).subscribe(replies);
            requests.onNext(SubscribeRequest.newBuilder().setOpen(SubscribeOpen.newBuilder().setTopic(topic)
                    .setSubscription(subscription).setType(SubscriptionType.EXCLUSIVE)
                    .setInitialPosition(InitialPosition.EARLIEST)).build());
            Object first = replies.next();
            if (first instanceof StatusRuntimeException e
                    && ErrorReasons.detailOf(e).getReason() == ErrorReason.CONSUMER_BUSY) {
                return false;
            }
            assertThat(first).isInstanceOfSatisfying(SubscribeResponse.class, r -> assertThat(r.hasSubscribed()).isTrue());
            opened.set(new Stream(requests, replies));
            return true;
        });
        return opened.get();
    }

    private static MessageId forged(MessageId real) {
        return real.toBuilder().setBatchIndex(2147483646).setBatchSize(2147483647).build();
    }

    @Test
    void aForgedBatchIndexAckIsRefusedAndTheBrokerKeepsServing() throws Exception {
        Stream s = open(TOPIC, "forged");
        List<MessageBatch> twelve = s.batches(12);
        long request = 1;
        for (MessageBatch b : twelve) {
            SubscribeResponse r = s.ack(request++, forged(b.getMessageId()), false);
            assertThat(r.getAckResponse().getError().getReason()).isEqualTo(ErrorReason.INVALID_MESSAGE_ID);
            assertThat(r.getAckResponse().getError().getMessage()).contains("2147483647").contains("holds 1");
        }
        // the same forged numbers, cumulatively, and once more on a fresh stream that holds nothing delivered
        SubscribeResponse cumulative = s.ack(request++, forged(twelve.get(11).getMessageId()), true);
        assertThat(cumulative.getAckResponse().getError().getReason()).isEqualTo(ErrorReason.INVALID_MESSAGE_ID);
        s.requests().onCompleted();

        Stream again = openWhenFree(TOPIC, "forged");
        SubscribeResponse read = again.ack(1, forged(twelve.get(5).getMessageId()), false);
        assertThat(read.getAckResponse().getError().getReason()).as("checked against the entry read back")
                .isEqualTo(ErrorReason.INVALID_MESSAGE_ID);
        List<MessageBatch> redelivered = again.batches(12);
        assertThat(redelivered).extracting(b -> b.getMessageId().getEntryId()).as("nothing was acknowledged")
                .containsExactlyElementsOf(twelve.stream().map(b -> b.getMessageId().getEntryId()).toList());
        for (MessageBatch b : redelivered) {
            assertThat(again.ack(request++, b.getMessageId(), false).getAckResponse().hasError()).isFalse();
        }
        again.requests().onCompleted();

        // the broker still serves others: a new topic takes and delivers messages
        String other = "public/default/forged-acks-after";
        try (Consumer<String> c = client.newConsumer(Schema.STRING).topic(other).subscriptionName("s").subscribe();
             Producer<String> p = client.newProducer(Schema.STRING).topic(other).create()) {
            p.send("still served");
            Message<String> m = c.receive(30, TimeUnit.SECONDS);
            assertThat(m).isNotNull();
            assertThat(m.getValue()).isEqualTo("still served");
        }
    }

    @Test
    void aHugeCumulativePositionIsRefusedAndAcknowledgesNothing() throws Exception {
        Stream s = open(TOPIC, "huge-cumulative");
        MessageId first = s.batches(1).get(0).getMessageId();
        MessageId huge = first.toBuilder().setEntryId(Long.MAX_VALUE - 1).build();
        SubscribeResponse r = s.ack(1, huge, true);
        assertThat(r.getAckResponse().getError().getReason()).isEqualTo(ErrorReason.INVALID_MESSAGE_ID);
        MessageId farLedger = first.toBuilder().setLedgerId(Long.MAX_VALUE).setEntryId(Long.MAX_VALUE).build();
        assertThat(s.ack(2, farLedger, true).getAckResponse().getError().getReason()).isEqualTo(ErrorReason.INVALID_MESSAGE_ID);
        assertThat(s.batches(1).get(0).getMessageId().getEntryId()).as("the stream still delivers, in order")
                .isEqualTo(first.getEntryId() + 1);
        s.requests().onCompleted();
    }

    @Test
    void aBatchSizeThatIsNotTheEntrysIsRefusedAndTheRealOneIsTaken() throws Exception {
        Stream s = open(BATCHED, "sizes");
        MessageId batch = s.batches(1).get(0).getMessageId();
        assertThat(batch.getBatchSize()).isEqualTo(3);
        SubscribeResponse wrong = s.ack(1, batch.toBuilder().setBatchIndex(1).setBatchSize(4).build(), false);
        assertThat(wrong.getAckResponse().getError().getReason()).isEqualTo(ErrorReason.INVALID_MESSAGE_ID);
        assertThat(wrong.getAckResponse().getError().getMessage()).contains("holds 3");
        SubscribeResponse right = s.ack(2, batch.toBuilder().setBatchIndex(1).setBatchSize(3).build(), false);
        assertThat(right.getAckResponse().hasError()).isFalse();
        SubscribeResponse cumulativeInside = s.ack(3, batch.toBuilder().setBatchIndex(0).setBatchSize(3).build(), true);
        assertThat(cumulativeInside.getAckResponse().hasError()).isFalse();
        s.requests().onCompleted();
    }

    @Test
    void unaryAcknowledgeSeekAndReaderStartWithAForgedBatchAreInvalidMessageIds() throws Exception {
        MessagingServiceGrpc.MessagingServiceBlockingStub unary = MessagingServiceGrpc.newBlockingStub(channel);
        ReceivedMessage m = unary.receive(ReceiveRequest.newBuilder().setTopic(TOPIC).setSubscription("unary-forged")
                .setInitialPosition(InitialPosition.EARLIEST).setMaxMessages(1).setMaxWaitMs(10_000).build()).getMessages(0);
        assertThatThrownBy(() -> unary.acknowledge(AcknowledgeRequest.newBuilder().setTopic(TOPIC)
                .setSubscription("unary-forged").addMessageIds(forged(m.getMessageId())).build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e ->
                        assertThat(ErrorReasons.detailOf(e).getReason()).isEqualTo(ErrorReason.INVALID_MESSAGE_ID));

        Stream s = open(TOPIC, "seek-forged");
        MessageId first = s.batches(1).get(0).getMessageId();
        s.requests().onNext(SubscribeRequest.newBuilder().setSeek(Seek.newBuilder().setRequestId(7)
                .setMessageId(forged(first))).build());
        SubscribeResponse seek = s.next(SubscribeResponse.ResponseCase.SEEK_RESPONSE);
        assertThat(seek.getSeekResponse().getError().getReason()).isEqualTo(ErrorReason.INVALID_MESSAGE_ID);
        s.requests().onCompleted();

        Recorder<SubscribeResponse> replies = new Recorder<>();
        StreamObserver<SubscribeRequest> reader = MessagingServiceGrpc.newStub(channel).subscribe(replies);
        reader.onNext(SubscribeRequest.newBuilder().setOpen(SubscribeOpen.newBuilder().setTopic(TOPIC)
                .setSubscription("reader-forged").setNonDurable(true).setType(SubscriptionType.EXCLUSIVE)
                .setStartMessageId(forged(first).toBuilder().setBatchIndex(2147483645))).build());
        Object reply = replies.next();
        assertThat(reply).isInstanceOf(StatusRuntimeException.class);
        assertThat(ErrorReasons.detailOf((StatusRuntimeException) reply).getReason()).isEqualTo(ErrorReason.INVALID_MESSAGE_ID);
    }
}
