package io.tributary.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.tributary.api.v1.ErrorReason;
import io.tributary.api.v1.MessagingServiceGrpc;
import io.tributary.api.v1.ProducerOpen;
import io.tributary.api.v1.PublishBatch;
import io.tributary.api.v1.PublishRequest;
import io.tributary.api.v1.PublishResponse;
import io.tributary.api.v1.SingleMessage;
import io.tributary.api.v1.SubscribeOpen;
import io.tributary.api.v1.SubscribeRequest;
import io.tributary.api.v1.SubscribeResponse;
import io.tributary.cli.Standalone;
import io.tributary.client.TributaryClientException.MessageTooLargeException;
import io.tributary.client.Producer;
import io.tributary.client.Schema;
import io.tributary.client.TributaryClientException.TopicNotFoundException;
import io.tributary.client.TributaryClient;
import io.tributary.client.TributaryClientException;
import io.tributary.protocol.EntryCodec;
import io.tributary.protocol.ErrorReasons;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad requests get a precise status and reason, and nothing else breaks. This cluster has topic
 * auto-creation off and a 1 MiB message limit (both configurable, defaults 'on' and 5 MiB).
 */
class BadInputTest {
    static final int LIMIT = 1024 * 1024;
    @TempDir
    static Path dir;
    static Standalone standalone;
    static TributaryClient client;
    static ManagedChannel channel;

    @BeforeAll
    static void start() throws Exception {
        standalone = new Standalone(TestClusters.options(dir.toFile(),
                c -> c.withAutoTopicCreation(false).withMaxMessageSize(LIMIT))).start();
        client = TributaryClient.builder().serviceUrl(standalone.serviceUrl()).build();
        channel = NettyChannelBuilder.forTarget(standalone.serviceUrl()).usePlaintext().build();
        io.tributary.api.v1.AdminServiceGrpc.newBlockingStub(channel)
                .createTopic(io.tributary.api.v1.CreateTopicRequest.newBuilder().setTopic("public/default/exists").build());
    }

    @AfterAll
    static void stop() throws Exception {
        channel.shutdownNow();
        client.close();
        standalone.close();
    }

    /** Records what a stream receives. */
    static final class Recorder<T> implements StreamObserver<T> {
        final LinkedBlockingQueue<Object> events = new LinkedBlockingQueue<>();

        @Override
        public void onNext(T value) {
            events.add(value);
        }

        @Override
        public void onError(Throwable t) {
            events.add(t);
        }

        @Override
        public void onCompleted() {
            events.add("completed");
        }

        Object next() throws InterruptedException {
            Object e = events.poll(30, TimeUnit.SECONDS);
            assertThat(e).as("a reply within 30 s").isNotNull();
            return e;
        }
    }

    @Test
    void invalidTopicNameIsInvalidArgumentWithReason() throws Exception {
        Recorder<PublishResponse> replies = new Recorder<>();
        StreamObserver<PublishRequest> requests = MessagingServiceGrpc.newStub(channel).publish(replies);
        requests.onNext(PublishRequest.newBuilder().setOpen(ProducerOpen.newBuilder().setTopic("not a/valid//name")).build());
        Object reply = replies.next();
        assertThat(reply).isInstanceOf(StatusRuntimeException.class);
        StatusRuntimeException e = (StatusRuntimeException) reply;
        assertThat(e.getStatus().getCode()).isEqualTo(io.grpc.Status.Code.INVALID_ARGUMENT);
        assertThat(ErrorReasons.detailOf(e).getReason()).isEqualTo(ErrorReason.INVALID_TOPIC_NAME);
        assertThat(e.getStatus().getDescription()).contains("not a/valid//name");

        assertThatThrownBy(() -> client.newProducer(Schema.STRING).topic("missing-namespace-part").create())
                .isInstanceOf(TributaryClientException.class)
                .satisfies(t -> assertThat(((TributaryClientException) t).reason()).isEqualTo(ErrorReason.INVALID_TOPIC_NAME));
    }

    @Test
    void oversizedBatchIsRefusedAndTheSameStreamKeepsWorking() throws Exception {
        Recorder<PublishResponse> replies = new Recorder<>();
        StreamObserver<PublishRequest> requests = MessagingServiceGrpc.newStub(channel).publish(replies);
        requests.onNext(PublishRequest.newBuilder().setOpen(ProducerOpen.newBuilder().setTopic("public/default/exists")).build());
        PublishResponse opened = (PublishResponse) replies.next();
        assertThat(opened.getOpened().getMaxMessageSize()).isEqualTo(LIMIT);
        String producer = opened.getOpened().getProducerName();

        ByteString big = EntryCodec.encode(producer, "bytes", 0,
                List.of(SingleMessage.newBuilder().setValue(ByteString.copyFrom(new byte[LIMIT + 10])).build()), 1L);
        requests.onNext(PublishRequest.newBuilder().setBatch(PublishBatch.newBuilder()
                .setSequenceId(0).setMessageCount(1).setEntry(big)).build());
        PublishResponse refused = (PublishResponse) replies.next();
        assertThat(refused.getError().getSequenceId()).isZero();
        assertThat(refused.getError().getError().getReason()).isEqualTo(ErrorReason.MESSAGE_TOO_LARGE);
        assertThat(refused.getError().getError().getMessage()).contains(String.valueOf(LIMIT));

        ByteString small = EntryCodec.encode(producer, "bytes", 1,
                List.of(SingleMessage.newBuilder().setValue(ByteString.copyFromUtf8("fits")).build()), 1L);
        requests.onNext(PublishRequest.newBuilder().setBatch(PublishBatch.newBuilder()
                .setSequenceId(1).setMessageCount(1).setEntry(small)).build());
        PublishResponse stored = (PublishResponse) replies.next();
        assertThat(stored.getAck().getSequenceId()).isEqualTo(1);
        assertThat(stored.getAck().hasMessageId()).isTrue();
        assertThat(stored.getAck().getDuplicate()).isFalse();
        requests.onCompleted();

        // the SDK refuses it before sending, and the producer stays usable
        try (Producer<byte[]> p = client.newProducer(Schema.BYTES).topic("public/default/exists").create()) {
            assertThatThrownBy(() -> p.send(new byte[LIMIT + 10])).isInstanceOf(MessageTooLargeException.class);
            assertThat(p.send("ok".getBytes())).isNotNull();
        }
    }

    @Test
    void subscribingToAMissingTopicWithAutoCreationOffIsNotFound() throws Exception {
        Recorder<SubscribeResponse> replies = new Recorder<>();
        StreamObserver<SubscribeRequest> requests = MessagingServiceGrpc.newStub(channel).subscribe(replies);
        requests.onNext(SubscribeRequest.newBuilder().setOpen(SubscribeOpen.newBuilder()
                .setTopic("public/default/never-created").setSubscription("s")).build());
        Object reply = replies.next();
        assertThat(reply).isInstanceOf(StatusRuntimeException.class);
        StatusRuntimeException e = (StatusRuntimeException) reply;
        assertThat(e.getStatus().getCode()).isEqualTo(io.grpc.Status.Code.NOT_FOUND);
        assertThat(ErrorReasons.detailOf(e).getReason()).isEqualTo(ErrorReason.TOPIC_NOT_FOUND);

        assertThatThrownBy(() -> client.newConsumer(Schema.STRING).topic("public/default/never-created")
                .subscriptionName("s").subscribe()).isInstanceOf(TopicNotFoundException.class);
        // producing is refused the same way, and the topic was not created by the attempt
        assertThatThrownBy(() -> client.newProducer(Schema.STRING).topic("public/default/never-created").create())
                .isInstanceOf(TopicNotFoundException.class);
    }

    @Test
    void unknownNamespaceIsNotFound() {
        assertThatThrownBy(() -> client.newProducer(Schema.STRING).topic("public/nowhere/t").create())
                .isInstanceOf(TributaryClientException.class)
                .satisfies(t -> assertThat(((TributaryClientException) t).reason()).isEqualTo(ErrorReason.NAMESPACE_NOT_FOUND));
    }
}
