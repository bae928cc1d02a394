package io.tributary.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.tributary.api.v1.BatchHeader;
import io.tributary.api.v1.CompressionType;
import io.tributary.api.v1.EntryBatch;
import io.tributary.api.v1.ErrorReason;
import io.tributary.api.v1.MessagingServiceGrpc;
import io.tributary.api.v1.ProducerOpen;
import io.tributary.api.v1.PublishBatch;
import io.tributary.api.v1.PublishRequest;
import io.tributary.api.v1.PublishResponse;
import io.tributary.api.v1.SingleMessage;
import io.tributary.broker.ServiceLimits;
import io.tributary.cli.Standalone;
import io.tributary.client.MessageId;
import io.tributary.client.Producer;
import io.tributary.client.Schema;
import io.tributary.client.TributaryClient;
import io.tributary.protocol.EntryCodec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What one producer can make a broker hold is bounded in bytes, and a batch over a limit is refused
 * with a reason on a stream that stays open. Through the proxy, with the default 5 MiB message
 * limit and a tiny broker-wide publish buffer.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PublishLimitsTest {
    static final long BUFFER = 64 * 1024;
    static final int MAX_PRODUCERS = 3;
    @TempDir
    static Path dir;
    static Standalone standalone;
    static ManagedChannel channel;

    @BeforeAll
    static void start() throws Exception {
        standalone = new Standalone(TestClusters.options(dir.toFile(),
                c -> c.toBuilder().limits(ServiceLimits.DEFAULT.withMaxPublishBufferBytes(BUFFER)
                        .withMaxProducersPerTopic(MAX_PRODUCERS)).build())).start();
        channel = NettyChannelBuilder.forTarget(standalone.serviceUrl()).usePlaintext()
                .maxInboundMessageSize(32 * 1024 * 1024).build();
    }

    @AfterAll
    static void stop() {
        channel.shutdownNow();
        standalone.close();
    }

    private static BadInputTest.Recorder<PublishResponse> replies;

    /** Opens a raw Publish stream through the proxy; returns its producer name. */
    private static StreamObserver<PublishRequest> open(String topic, String[] name) throws Exception {
        replies = new BadInputTest.Recorder<>();
        StreamObserver<PublishRequest> requests = MessagingServiceGrpc.newStub(channel).publish(replies);
        requests.onNext(PublishRequest.newBuilder().setOpen(ProducerOpen.newBuilder().setTopic(topic)).build());
        Object opened = replies.next();
        assertThat(opened).isInstanceOf(PublishResponse.class);
        name[0] = ((PublishResponse) opened).getOpened().getProducerName();
        return requests;
    }

    private static void sendSmallAndExpectAck(StreamObserver<PublishRequest> requests, String producer, long seq)
            throws Exception {
        ByteString small = EntryCodec.encode(producer, "bytes", seq,
                List.of(SingleMessage.newBuilder().setValue(ByteString.copyFromUtf8("fits")).build()), 1L);
        requests.onNext(PublishRequest.newBuilder().setBatch(PublishBatch.newBuilder()
                .setSequenceId(seq).setMessageCount(1).setEntry(small)).build());
        Object stored = replies.next();
        assertThat(stored).as("the stream is still open").isInstanceOf(PublishResponse.class);
        assertThat(((PublishResponse) stored).getAck().getSequenceId()).isEqualTo(seq);
        assertThat(((PublishResponse) stored).getAck().hasMessageId()).isTrue();
    }

    @Test
    void aSevenMebibyteBatchThroughTheProxyIsRefusedAsTooLargeAndTheProducersNextSendsSucceed() throws Exception {
        String[] producer = new String[1];
        StreamObserver<PublishRequest> requests = open("public/default/seven-mib", producer);
        ByteString big = EntryCodec.encode(producer[0], "bytes", 0,
                List.of(SingleMessage.newBuilder().setValue(ByteString.copyFrom(new byte[7 * 1024 * 1024])).build()), 1L);
        requests.onNext(PublishRequest.newBuilder().setBatch(PublishBatch.newBuilder()
                .setSequenceId(0).setMessageCount(1).setEntry(big)).build());
        Object refused = replies.next();
        assertThat(refused).as("a reply on the stream, not a killed stream").isInstanceOf(PublishResponse.class);
        PublishResponse r = (PublishResponse) refused;
        assertThat(r.getError().getSequenceId()).isZero();
        assertThat(r.getError().getError().getReason()).isEqualTo(ErrorReason.MESSAGE_TOO_LARGE);
        assertThat(r.getError().getError().getMessage()).contains(String.valueOf(big.size())).contains("maximum message size");

        sendSmallAndExpectAck(requests, producer[0], 1);
        requests.onCompleted();
    }

    @Test
    void aBatchAnnouncingAnUncompressedSizeAboveTheMaximumIsRefusedAndTheStreamGoesOn() throws Exception {
        String[] producer = new String[1];
        StreamObserver<PublishRequest> requests = open("public/default/size-claim", producer);
        // a few bytes claiming to be 2 GiB once decompressed: whoever decodes it must not believe it
        ByteString bomb = EntryBatch.newBuilder()
                .setHeader(BatchHeader.newBuilder().setProducerName(producer[0]).setMessageCount(1)
                        .setCompression(CompressionType.COMPRESSION_LZ4).setUncompressedSize(Integer.MAX_VALUE))
                .setPayload(ByteString.copyFromUtf8("zzzz")).build().toByteString();
        requests.onNext(PublishRequest.newBuilder().setBatch(PublishBatch.newBuilder()
                .setSequenceId(0).setMessageCount(1).setEntry(bomb)).build());
        Object refused = replies.next();
        assertThat(refused).isInstanceOf(PublishResponse.class);
        PublishResponse r = (PublishResponse) refused;
        assertThat(r.getError().getError().getReason()).isEqualTo(ErrorReason.MESSAGE_TOO_LARGE);
        assertThat(r.getError().getError().getMessage()).contains(String.valueOf(Integer.MAX_VALUE));

        sendSmallAndExpectAck(requests, producer[0], 1);
        requests.onCompleted();
    }

    @Test
    @Order(1) // first: the broker's peak must not include the large batches of the other tests
    void producersFasterThanStorageAreSlowedByTheBrokersPublishBufferNotFailed() throws Exception {
        int producers = 4;
        int perProducer = 150;
        int size = 8 * 1024;
        List<CompletableFuture<MessageId>> sends = new ArrayList<>();
        List<Producer<byte[]>> open = new ArrayList<>();
        try (TributaryClient client = TributaryClient.builder().serviceUrl(standalone.serviceUrl()).build()) {
            for (int p = 0; p < producers; p++) {
                open.add(client.newProducer(Schema.BYTES).topic("public/default/buffered-" + p)
                        .enableBatching(false).maxPendingMessages(perProducer).create());
            }
            for (int i = 0; i < perProducer; i++) {
                for (Producer<byte[]> p : open) {
                    sends.add(p.sendAsync(new byte[size]));
                }
            }
            CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
            for (Producer<byte[]> p : open) {
                p.close();
            }
        }
        assertThat(sends).allMatch(f -> f.isDone() && !f.isCompletedExceptionally());
        long peak = standalone.broker().publishBufferPeakBytes();
        // the limit was reached, and each stream read at most one batch past it
        assertThat(peak).isGreaterThanOrEqualTo(BUFFER).isLessThanOrEqualTo(BUFFER + producers * (size + 1024L));
        // the broker's /metrics says so: streams stopped for the full buffer, for some time, all read again now
        int port = standalone.broker().metricsPort();
        assertThat(MetricsScrape.sum(port, "tributary_broker_publish_throttled_total{reason=\"buffer\",")).isPositive();
        assertThat(MetricsScrape.sum(port, "tributary_broker_publish_throttled_seconds_total{reason=\"buffer\",")).isPositive();
        assertThat(MetricsScrape.sum(port, "tributary_broker_publish_buffer_limit_bytes{")).isEqualTo((double) BUFFER);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(MetricsScrape.sum(port, "tributary_broker_publish_buffer_used_bytes{")).isZero());
    }

    @Test
    void producersOverTheTopicsLimitAreRefusedAsBusyAndAPlaceFreesWhenOneCloses() throws Exception {
        String topic = "public/default/crowded";
        try (TributaryClient client = TributaryClient.builder().serviceUrl(standalone.serviceUrl()).build()) {
            List<Producer<String>> producers = new ArrayList<>();
            for (int i = 0; i < MAX_PRODUCERS; i++) {
                producers.add(client.newProducer(Schema.STRING).topic(topic).create());
            }
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> client.newProducer(Schema.STRING).topic(topic).create())
                    .isInstanceOf(io.tributary.client.TributaryClientException.class)
                    .satisfies(e -> assertThat(((io.tributary.client.TributaryClientException) e).reason())
                            .isEqualTo(ErrorReason.PRODUCER_BUSY))
                    .hasMessageContaining("broker.maxProducersPerTopic");
            assertThat(producers.get(0).send("still served")).isNotNull();

            producers.remove(0).close();
            try (Producer<String> late = client.newProducer(Schema.STRING).topic(topic).create()) {
                assertThat(late.send("a place was freed")).isNotNull();
            }
            for (Producer<String> p : producers) {
                p.close();
            }
        }
    }
}
