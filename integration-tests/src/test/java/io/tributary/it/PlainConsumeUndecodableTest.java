package io.tributary.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.tributary.api.v1.Ack;
import io.tributary.api.v1.ErrorReason;
import io.tributary.api.v1.InitialPosition;
import io.tributary.api.v1.MessageId;
import io.tributary.api.v1.MessagingServiceGrpc;
import io.tributary.api.v1.ReceivedMessage;
import io.tributary.api.v1.SubscribeOpen;
import io.tributary.api.v1.SubscribeRequest;
import io.tributary.api.v1.SubscribeResponse;
import io.tributary.api.v1.SubscriptionType;
import io.tributary.cli.Standalone;
import io.tributary.client.CompressionType;
import io.tributary.client.Producer;
import io.tributary.client.Schema;
import io.tributary.client.TributaryClient;
import io.tributary.client.TypedMessageBuilder;
import io.tributary.it.BadInputTest.Recorder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A stored entry that a decoded Subscribe cannot decode (here: stored under a larger maximum message
 * size than the broker has after a restart) does not wedge the stream: the consumer is told which
 * entry in a notice, and the entries after it are delivered.
 */
class PlainConsumeUndecodableTest {
    @TempDir
    static Path dir;
    /** The broker's maximum message size at its next start; 0: the default. */
    static volatile int maxMessageSize;

    @Test
    void anUndecodableEntryIsNamedInANoticeAndTheStreamGoesOn() throws Exception {
        String topic = "public/default/plain-undecodable";
        Standalone.Options options = TestClusters.options(dir.toFile(),
                c -> maxMessageSize == 0 ? c : c.withMaxMessageSize(maxMessageSize));
        try (Standalone standalone = new Standalone(options).start();
             TributaryClient client = TributaryClient.builder().serviceUrl(standalone.serviceUrl()).build();
             Producer<String> p = client.newProducer(Schema.STRING).topic(topic).batchingMaxMessages(3)
                     .batchingMaxBytes(1024 * 1024).batchingMaxPublishDelay(Duration.ofSeconds(5))
                     .compressionType(CompressionType.LZ4).create()) {
            // one entry of 3 x 100 KB that compresses to almost nothing, then a small one
            CompletableFuture<?>[] big = new CompletableFuture<?>[3];
            for (int i = 0; i < 3; i++) {
                TypedMessageBuilder<String> m = p.newMessage().value(String.valueOf(i).repeat(100_000));
                big[i] = m.sendAsync();
            }
            CompletableFuture.allOf(big).get(30, TimeUnit.SECONDS);
            p.newMessage().value("small").send();
        }
        maxMessageSize = 64 * 1024;
        try (Standalone standalone = new Standalone(options).start()) {
            ManagedChannel channel = NettyChannelBuilder.forTarget(standalone.serviceUrl()).usePlaintext().build();
            try {
                Recorder<SubscribeResponse> replies = new Recorder<>();
                StreamObserver<SubscribeRequest> requests = MessagingServiceGrpc.newStub(channel).subscribe(replies);
                requests.onNext(SubscribeRequest.newBuilder().setOpen(SubscribeOpen.newBuilder().setTopic(topic)
                        .setSubscription("decoded").setType(SubscriptionType.SHARED).setDecoded(true)
                        .setInitialPosition(InitialPosition.EARLIEST).setInitialPermits(10)).build());
                SubscribeResponse notice = next(replies, SubscribeResponse.ResponseCase.NOTICE);
                assertThat(notice.getNotice().getError().getReason()).isEqualTo(ErrorReason.MESSAGE_TOO_LARGE);
                assertThat(notice.getNotice().getError().getMessage()).contains("cannot be decoded", "stays unacknowledged");
                ReceivedMessage small = next(replies, SubscribeResponse.ResponseCase.RECEIVED).getReceived().getMessages(0);
                assertThat(small.getValue().toStringUtf8()).isEqualTo("small");
                MessageId entry = MessageId.newBuilder().setLedgerId(small.getMessageId().getLedgerId())
                        .setEntryId(small.getMessageId().getEntryId() - 1).build();
                assertThat(notice.getNotice().getError().getMessage())
                        .as("names the entry").contains("entry " + entry.getLedgerId() + ":" + entry.getEntryId() + " ");
                // the stream takes requests as before: the named entry can be skipped by acknowledging it whole
                requests.onNext(SubscribeRequest.newBuilder().setAck(Ack.newBuilder().setRequestId(7)
                        .addMessageIds(entry).addMessageIds(small.getMessageId())).build());
                SubscribeResponse acked = next(replies, SubscribeResponse.ResponseCase.ACK_RESPONSE);
                assertThat(acked.getAckResponse().hasError()).as("%s", acked).isFalse();
                requests.onCompleted();
            } finally {
                channel.shutdownNow();
            }
        }
    }

    private static SubscribeResponse next(Recorder<SubscribeResponse> replies, SubscribeResponse.ResponseCase kind)
            throws InterruptedException {
        while (true) {
            Object o = replies.next();
            assertThat(o).as("a response, not a failure").isInstanceOf(SubscribeResponse.class);
            SubscribeResponse r = (SubscribeResponse) o;
            if (r.getResponseCase() == kind) {
                return r;
            }
        }
    }
}
