package io.tributary.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.tributary.api.v1.BatchHeader;
import io.tributary.api.v1.CompressionType;
import io.tributary.api.v1.EntryBatch;
import io.tributary.api.v1.ErrorReason;
import io.tributary.api.v1.MessageList;
import io.tributary.api.v1.MessagingServiceGrpc;
import io.tributary.api.v1.ProducerOpen;
import io.tributary.api.v1.PublishBatch;
import io.tributary.api.v1.PublishRequest;
import io.tributary.api.v1.PublishResponse;
import io.tributary.api.v1.SingleMessage;
import io.tributary.cli.Standalone;
import io.tributary.client.Consumer;
import io.tributary.client.Message;
import io.tributary.client.Producer;
import io.tributary.client.Schema;
import io.tributary.client.SubscriptionInitialPosition;
import io.tributary.client.TributaryClient;
import io.tributary.client.TributaryClientException.ProducerBusyException;
import io.tributary.protocol.EntryCodec;
import io.tributary.protocol.ErrorReasons;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A producer's name is its identity: one live stream per name, and every batch's header must say
 * the truth about who wrote it, where its sequence ids start and how many messages it holds.
 */
class ProducerIdentityTest {
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
    }

    @AfterAll
    static void stop() throws Exception {
        channel.shutdownNow();
        client.close();
        standalone.close();
    }

    @Test
    void aSecondLiveProducerUnderOneNameIsRefusedWithProducerBusy() throws Exception {
        String topic = "public/default/identity-busy";
        try (Producer<String> first = client.newProducer(Schema.STRING).topic(topic).producerName("only-one").create()) {
            first.send("a");
            assertThatThrownBy(() -> client.newProducer(Schema.STRING).topic(topic).producerName("only-one").create())
                    .isInstanceOf(ProducerBusyException.class).hasMessageContaining("only-one");
            // the first one is untouched
            first.send("b");
        }
        // once its stream ended, the name is free again, and the new producer continues its sequence
        try (Producer<String> again = client.newProducer(Schema.STRING).topic(topic).producerName("only-one").create()) {
            assertThat(again.getLastSequenceId()).isEqualTo(1);
            again.send("c");
        }
    }

    @Test
    void aProducerWhoseStreamEndedCanReconnectUnderItsName() throws Exception {
        String topic = "public/default/identity-reconnect";
        BadInputTest.Recorder<PublishResponse> replies = new BadInputTest.Recorder<>();
        StreamObserver<PublishRequest> first = open(topic, "comes-back", replies);
        assertThat(((PublishResponse) replies.next()).hasOpened()).isTrue();
        // a second stream while the first lives: refused
        BadInputTest.Recorder<PublishResponse> busy = new BadInputTest.Recorder<>();
        open(topic, "comes-back", busy);
        assertThat(ErrorReasons.detailOf((StatusRuntimeException) busy.next()).getReason()).isEqualTo(ErrorReason.PRODUCER_BUSY);
        // the first stream is lost (cancelled): once the broker sees that, the name opens again
        first.onError(new RuntimeException("connection lost"));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            BadInputTest.Recorder<PublishResponse> retry = new BadInputTest.Recorder<>();
            StreamObserver<PublishRequest> r = open(topic, "comes-back", retry);
            Object reply = retry.next();
            if (reply instanceof PublishResponse p && p.hasOpened()) {
                r.onCompleted();
                break;
            }
            assertThat(ErrorReasons.detailOf((StatusRuntimeException) reply).getReason()).isEqualTo(ErrorReason.PRODUCER_BUSY);
            assertThat(System.nanoTime() - deadline).as("the name is free within 30 s").isNegative();
            retry.events.poll(100, TimeUnit.MILLISECONDS); // pace the retries
        }
    }

    @Test
    void aBatchWhoseHeaderNamesAnotherProducerOrOtherSequenceIdsIsRefusedAndNothingIsStored() throws Exception {
        String topic = "public/default/identity-forged-header";
        try (Consumer<String> consumer = subscribe(topic)) {
            BadInputTest.Recorder<PublishResponse> replies = new BadInputTest.Recorder<>();
            StreamObserver<PublishRequest> requests = open(topic, "honest", replies);
            assertThat(((PublishResponse) replies.next()).hasOpened()).isTrue();

            // a header claiming another producer's name (whose sequence ids it would poison after a takeover)
            requests.onNext(batch(0, 1, EntryCodec.encode("victim", "string", 1_000_000, messages(1), 1L)));
            assertRefused(replies.next(), 0, "victim");
            // a header whose sequence ids are not the batch's
            requests.onNext(batch(1, 1, EntryCodec.encode("honest", "string", 999, messages(1), 1L)));
            assertRefused(replies.next(), 1, "999");
            // the stream goes on
            requests.onNext(batch(2, 1, EntryCodec.encode("honest", "string", 2, messages(1), 1L)));
            PublishResponse stored = (PublishResponse) replies.next();
            assertThat(stored.getAck().getSequenceId()).isEqualTo(2);
            assertThat(stored.getAck().getDuplicate()).isFalse();
            requests.onCompleted();

            Message<String> m = consumer.receive(30, TimeUnit.SECONDS);
            assertThat(m.getValue()).isEqualTo("m0");
            assertThat(consumer.receive(1, TimeUnit.SECONDS)).as("nothing refused was stored").isNull();
        }
        // "victim" never published here
        try (Producer<String> victim = client.newProducer(Schema.STRING).topic(topic).producerName("victim").create()) {
            assertThat(victim.getLastSequenceId()).isEqualTo(-1);
        }
    }

    @Test
    void aBatchAnnouncingOtherThanTheMessagesItHoldsIsRefused() throws Exception {
        String topic = "public/default/identity-message-count";
        try (Consumer<String> consumer = subscribe(topic)) {
            BadInputTest.Recorder<PublishResponse> replies = new BadInputTest.Recorder<>();
            StreamObserver<PublishRequest> requests = open(topic, "counter", replies);
            assertThat(((PublishResponse) replies.next()).hasOpened()).isTrue();

            // header and batch agree on a count the payload does not hold
            requests.onNext(batch(0, Integer.MAX_VALUE, entry("counter", 0, Integer.MAX_VALUE, messages(1))));
            assertRefused(replies.next(), 0, "holds 1");
            requests.onNext(batch(0, 3, entry("counter", 0, 3, messages(2))));
            assertRefused(replies.next(), 0, "holds 2");
            // a count below one
            requests.onNext(batch(0, 0, entry("counter", 0, 0, messages(1))));
            assertRefused(replies.next(), 0, "at least 1");
            requests.onNext(batch(0, -7, entry("counter", 0, -7, messages(1))));
            assertRefused(replies.next(), 0, "at least 1");
            // header and batch disagree
            requests.onNext(batch(0, 2, entry("counter", 0, 1, messages(2))));
            assertRefused(replies.next(), 0, "counts 1");

            requests.onNext(batch(0, 2, entry("counter", 0, 2, messages(2))));
            PublishResponse stored = (PublishResponse) replies.next();
            assertThat(stored.getAck().getDuplicate()).isFalse();
            requests.onCompleted();
            assertThat(consumer.receive(30, TimeUnit.SECONDS).getValue()).isEqualTo("m0");
            assertThat(consumer.receive(30, TimeUnit.SECONDS).getValue()).isEqualTo("m1");
            assertThat(consumer.receive(1, TimeUnit.SECONDS)).isNull();
        }
    }

    @Test
    void aNegativeSequenceIdIsRefusedNotAcknowledgedAsADuplicate() throws Exception {
        String topic = "public/default/identity-negative-sequence";
        BadInputTest.Recorder<PublishResponse> replies = new BadInputTest.Recorder<>();
        StreamObserver<PublishRequest> requests = open(topic, "negative", replies);
        assertThat(((PublishResponse) replies.next()).hasOpened()).isTrue();
        requests.onNext(batch(-5, 1, EntryCodec.encode("negative", "string", -5, messages(1), 1L)));
        assertRefused(replies.next(), -5, "negative");
        requests.onNext(batch(Long.MAX_VALUE, 2, entry("negative", Long.MAX_VALUE, 2, messages(2))));
        assertRefused(replies.next(), Long.MAX_VALUE, "overflows");
        requests.onNext(batch(0, 1, EntryCodec.encode("negative", "string", 0, messages(1), 1L)));
        PublishResponse stored = (PublishResponse) replies.next();
        assertThat(stored.getAck().getDuplicate()).isFalse();
        assertThat(stored.getAck().hasMessageId()).isTrue();
        requests.onCompleted();
    }

    private static void assertRefused(Object reply, long sequenceId, String why) {
        assertThat(reply).isInstanceOf(PublishResponse.class);
        PublishResponse r = (PublishResponse) reply;
        assertThat(r.hasError()).as("refused, not acknowledged: %s", r).isTrue();
        assertThat(r.getError().getSequenceId()).isEqualTo(sequenceId);
        assertThat(r.getError().getError().getReason()).isEqualTo(ErrorReason.INVALID_REQUEST);
        assertThat(r.getError().getError().getMessage()).contains(why);
    }

    private static Consumer<String> subscribe(String topic) throws Exception {
        return client.newConsumer(Schema.STRING).topic(topic).subscriptionName("audit")
                .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe();
    }

    private static StreamObserver<PublishRequest> open(String topic, String producer,
                                                       BadInputTest.Recorder<PublishResponse> replies) {
        StreamObserver<PublishRequest> requests = MessagingServiceGrpc.newStub(channel).publish(replies);
        requests.onNext(PublishRequest.newBuilder().setOpen(ProducerOpen.newBuilder().setTopic(topic)
                .setProducerName(producer)).build());
        return requests;
    }

    private static PublishRequest batch(long sequenceId, int messageCount, ByteString entry) {
        return PublishRequest.newBuilder().setBatch(PublishBatch.newBuilder()
                .setSequenceId(sequenceId).setMessageCount(messageCount).setEntry(entry)).build();
    }

    private static List<SingleMessage> messages(int n) {
        return java.util.stream.IntStream.range(0, n)
                .mapToObj(i -> SingleMessage.newBuilder().setValue(ByteString.copyFromUtf8("m" + i)).build()).toList();
    }

    /** An entry whose header says what the caller wants, whatever the payload holds. */
    private static ByteString entry(String producer, long firstSequenceId, int headerCount, List<SingleMessage> messages) {
        ByteString payload = MessageList.newBuilder().addAllMessages(messages).build().toByteString();
        return EntryBatch.newBuilder().setHeader(BatchHeader.newBuilder().setProducerName(producer)
                        .setFirstSequenceId(firstSequenceId).setMessageCount(headerCount)
                        .setCompression(CompressionType.COMPRESSION_NONE).setUncompressedSize(payload.size())
                        .setPublishTimeMs(1).setSchema("string"))
                .setPayload(payload).build().toByteString();
    }
}
