package io.tributary.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ManagedChannel;
import io.grpc.Status;
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
import io.tributary.api.v1.NegativeAck;
import io.tributary.api.v1.ReceiveRequest;
import io.tributary.api.v1.ReceivedMessage;
import io.tributary.api.v1.Seek;
import io.tributary.api.v1.SubscribeOpen;
import io.tributary.api.v1.SubscribeRequest;
import io.tributary.api.v1.SubscribeResponse;
import io.tributary.api.v1.SubscriptionType;
import io.tributary.cli.Standalone;
import io.tributary.client.Producer;
import io.tributary.client.Schema;
import io.tributary.client.TributaryClient;
import io.tributary.it.BadInputTest.Recorder;
import io.tributary.protocol.ErrorReasons;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad requests on a Subscribe stream, through the proxy's gRPC API: each gets a precise reason,
 * and the same stream keeps delivering afterwards.
 */
class SubscribeBadInputTest {
    static final String TOPIC = "public/default/bad-acks";
    @TempDir
    static Path dir;
    static Standalone standalone;
    static TributaryClient client;
    static ManagedChannel channel;
    static MessagingServiceGrpc.MessagingServiceBlockingStub unary;

    @BeforeAll
    static void start() throws Exception {
        standalone = TestClusters.start(dir.toFile());
        client = TributaryClient.builder().serviceUrl(standalone.serviceUrl()).build();
        channel = NettyChannelBuilder.forTarget(standalone.serviceUrl()).usePlaintext().build();
        unary = MessagingServiceGrpc.newBlockingStub(channel);
        try (Producer<String> p = client.newProducer(Schema.STRING).topic(TOPIC).enableBatching(false).create()) {
            for (int i = 0; i < 5; i++) {
                p.send("m" + i);
            }
        }
    }

    @AfterAll
    static void stop() throws Exception {
        channel.shutdownNow();
        client.close();
        standalone.close();
    }

    /** An open Subscribe stream from the earliest message, with its first delivery. */
    private record Stream(StreamObserver<SubscribeRequest> requests, Recorder<SubscribeResponse> replies) {
        MessageBatch nextBatch() throws InterruptedException {
            while (true) {
                Object o = replies.next();
                assertThat(o).as("a response, not a failure").isInstanceOf(SubscribeResponse.class);
                SubscribeResponse r = (SubscribeResponse) o;
                if (r.hasMessages()) {
                    return r.getMessages();
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
            }
        }

        void flow(int n) {
            requests.onNext(SubscribeRequest.newBuilder().setFlow(Flow.newBuilder().setPermits(n)).build());
        }

        void ack(long requestId, MessageId id) {
            requests.onNext(SubscribeRequest.newBuilder().setAck(Ack.newBuilder().setRequestId(requestId).addMessageIds(id)).build());
        }
    }

    private static Stream open(String subscription, SubscriptionType type) throws InterruptedException {
        Recorder<SubscribeResponse> replies = new Recorder<>();
        StreamObserver<SubscribeRequest> requests = MessagingServiceGrpc.newStub(channel).subscribe(replies);
        requests.onNext(SubscribeRequest.newBuilder().setOpen(SubscribeOpen.newBuilder().setTopic(TOPIC)
                .setSubscription(subscription).setType(type).setInitialPosition(InitialPosition.EARLIEST)).build());
        Stream s = new Stream(requests, replies);
        s.next(SubscribeResponse.ResponseCase.SUBSCRIBED);
        return s;
    }

    @Test
    void foreignAndRepeatedAcksAreRefusedPreciselyAndTheStreamKeepsDelivering() throws Exception {
        Stream s = open("acks", SubscriptionType.EXCLUSIVE);
        s.flow(1);
        MessageBatch first = s.nextBatch();

        MessageId foreign = MessageId.newBuilder().setLedgerId(first.getMessageId().getLedgerId() + 1000).setEntryId(0).build();
        s.ack(1, foreign);
        SubscribeResponse r1 = s.next(SubscribeResponse.ResponseCase.ACK_RESPONSE);
        assertThat(r1.getAckResponse().getRequestId()).isEqualTo(1);
        assertThat(r1.getAckResponse().getError().getReason()).isEqualTo(ErrorReason.INVALID_MESSAGE_ID);
        assertThat(r1.getAckResponse().getError().getMessage()).contains(TOPIC);

        s.ack(2, first.getMessageId());
        assertThat(s.next(SubscribeResponse.ResponseCase.ACK_RESPONSE).getAckResponse().hasError()).isFalse();
        s.ack(3, first.getMessageId());
        SubscribeResponse r3 = s.next(SubscribeResponse.ResponseCase.ACK_RESPONSE);
        assertThat(r3.getAckResponse().getError().getReason()).isEqualTo(ErrorReason.MESSAGE_ALREADY_ACKNOWLEDGED);

        MessageId outsideBatch = first.getMessageId().toBuilder().setBatchSize(3).setBatchIndex(7).build();
        s.ack(4, outsideBatch);
        assertThat(s.next(SubscribeResponse.ResponseCase.ACK_RESPONSE).getAckResponse().getError().getReason())
                .isEqualTo(ErrorReason.INVALID_MESSAGE_ID);

        s.flow(1);
        MessageBatch second = s.nextBatch();
        assertThat(second.getMessageId().getEntryId()).as("the stream still delivers, in order")
                .isEqualTo(first.getMessageId().getEntryId() + 1);
        s.requests().onCompleted();
    }

    @Test
    void seekingPastTheEndIsOutOfRangeAndANegativeDelayIsRefused() throws Exception {
        Stream s = open("seeks", SubscriptionType.SHARED);
        s.flow(1);
        MessageBatch first = s.nextBatch();

        MessageId past = MessageId.newBuilder().setLedgerId(first.getMessageId().getLedgerId())
                .setEntryId(first.getMessageId().getEntryId() + 100).build();
        s.requests().onNext(SubscribeRequest.newBuilder().setSeek(Seek.newBuilder().setRequestId(9).setMessageId(past)).build());
        SubscribeResponse seek = s.next(SubscribeResponse.ResponseCase.SEEK_RESPONSE);
        assertThat(seek.getSeekResponse().getRequestId()).isEqualTo(9);
        assertThat(seek.getSeekResponse().getError().getReason()).isEqualTo(ErrorReason.POSITION_OUT_OF_RANGE);
        assertThat(ErrorReasons.codeOf(ErrorReason.POSITION_OUT_OF_RANGE)).isEqualTo(Status.Code.OUT_OF_RANGE);

        s.requests().onNext(SubscribeRequest.newBuilder().setNegativeAck(NegativeAck.newBuilder()
                .addMessageIds(first.getMessageId()).setDelayMs(-5)).build());
        SubscribeResponse notice = s.next(SubscribeResponse.ResponseCase.NOTICE);
        assertThat(notice.getNotice().getError().getReason()).isEqualTo(ErrorReason.INVALID_REQUEST);
        assertThat(notice.getNotice().getError().getMessage()).contains("-5");

        s.flow(1);
        assertThat(s.nextBatch().getMessageId().getEntryId()).as("the stream still delivers")
                .isEqualTo(first.getMessageId().getEntryId() + 1);
        s.requests().onCompleted();
    }

    @Test
    void anUnknownSubscriptionTypeIsInvalidArgument() throws Exception {
        assertOpenRefused(SubscribeOpen.newBuilder().setTopic(TOPIC).setSubscription("typo").setTypeValue(9), "type", "9");
    }

    /**
     * An initial position this broker does not know (a newer client's, or garbage) is refused,
     * naming the field, on a Subscribe open and on Receive; it used to mean LATEST, the enum's zero,
     * and so silently skip the backlog. So is an unknown type on Receive, even on a subscription
     * whose Receive consumer exists already (which used to ignore the type).
     */
    @Test
    void anUnknownInitialPositionOrReceiveTypeIsRefusedNamingTheField() throws Exception {
        assertOpenRefused(SubscribeOpen.newBuilder().setTopic(TOPIC).setSubscription("position")
                .setInitialPositionValue(7), "initial_position", "7");
        assertOpenRefused(SubscribeOpen.newBuilder().setTopic(TOPIC).setSubscription("position").setNonDurable(true)
                .setInitialPositionValue(-1), "initial_position", "-1");

        ReceiveRequest good = ReceiveRequest.newBuilder().setTopic(TOPIC).setSubscription("positions")
                .setInitialPosition(InitialPosition.EARLIEST).setMaxMessages(1).setMaxWaitMs(10_000).build();
        assertReceiveRefused(good.toBuilder().setInitialPositionValue(7).build(), "initial_position", "7");
        assertReceiveRefused(good.toBuilder().setTypeValue(7).build(), "type", "7");
        // refused before the subscription existed: it starts at the earliest message now
        assertThat(unary.receive(good).getMessages(0).getValue().toStringUtf8()).isEqualTo("m0");
        assertReceiveRefused(good.toBuilder().setTypeValue(-3).build(), "type", "-3");
        assertReceiveRefused(good.toBuilder().setInitialPositionValue(Integer.MAX_VALUE).build(), "initial_position",
                String.valueOf(Integer.MAX_VALUE));
    }

    private static void assertOpenRefused(SubscribeOpen.Builder open, String field, String value) throws Exception {
        Recorder<SubscribeResponse> replies = new Recorder<>();
        StreamObserver<SubscribeRequest> requests = MessagingServiceGrpc.newStub(channel).subscribe(replies);
        requests.onNext(SubscribeRequest.newBuilder().setOpen(open).build());
        Object reply = replies.next();
        assertThat(reply).as("the open of %s", open).isInstanceOf(StatusRuntimeException.class);
        StatusRuntimeException e = (StatusRuntimeException) reply;
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(ErrorReasons.detailOf(e).getReason()).isEqualTo(ErrorReason.INVALID_REQUEST);
        assertThat(ErrorReasons.detailOf(e).getMessage()).startsWith(field + ": ").contains(value);
    }

    private static void assertReceiveRefused(ReceiveRequest req, String field, String value) {
        assertThatThrownBy(() -> unary.receive(req)).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
            assertThat(ErrorReasons.detailOf(e).getReason()).isEqualTo(ErrorReason.INVALID_REQUEST);
            assertThat(ErrorReasons.detailOf(e).getMessage()).startsWith(field + ": ").contains(value);
        });
    }

    @Test
    void unaryAcknowledgeOfAnAcknowledgedMessageIsFailedPrecondition() {
        ReceivedMessage m = unary.receive(ReceiveRequest.newBuilder().setTopic(TOPIC).setSubscription("unary")
                .setInitialPosition(InitialPosition.EARLIEST).setMaxMessages(1).setMaxWaitMs(10_000).build()).getMessages(0);
        AcknowledgeRequest ack = AcknowledgeRequest.newBuilder().setTopic(TOPIC).setSubscription("unary")
                .addMessageIds(m.getMessageId()).build();
        unary.acknowledge(ack);
        assertThatThrownBy(() -> unary.acknowledge(ack))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
                    assertThat(ErrorReasons.detailOf(e).getReason()).isEqualTo(ErrorReason.MESSAGE_ALREADY_ACKNOWLEDGED);
                });
    }
}
