package io.tributary.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.tributary.api.v1.AcknowledgeRequest;
import io.tributary.api.v1.ErrorReason;
import io.tributary.api.v1.InitialPosition;
import io.tributary.api.v1.LookupRequest;
import io.tributary.api.v1.LookupResponse;
import io.tributary.api.v1.LookupServiceGrpc;
import io.tributary.api.v1.MessageId;
import io.tributary.api.v1.MessagingServiceGrpc;
import io.tributary.api.v1.ReceiveRequest;
import io.tributary.api.v1.ReceiveResponse;
import io.tributary.api.v1.ReceivedMessage;
import io.tributary.cli.Standalone;
import io.tributary.client.Producer;
import io.tributary.client.Schema;
import io.tributary.client.TributaryClient;
import io.tributary.protocol.ErrorReasons;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The unary long-polling API: what a few lines of any gRPC language use. */
class UnaryApiTest {
    @TempDir
    static Path dir;
    static Standalone standalone;
    static ManagedChannel channel;
    static MessagingServiceGrpc.MessagingServiceBlockingStub messaging;

    @BeforeAll
    static void start() throws Exception {
        standalone = TestClusters.start(dir.toFile());
        channel = NettyChannelBuilder.forTarget(standalone.serviceUrl()).usePlaintext().build();
        messaging = MessagingServiceGrpc.newBlockingStub(channel);
    }

    @AfterAll
    static void stop() {
        channel.shutdownNow();
        standalone.close();
    }

    private static ReceiveResponse receive(String topic, int max, long waitMs) {
        return messaging.receive(ReceiveRequest.newBuilder().setTopic(topic).setSubscription("pull")
                .setInitialPosition(InitialPosition.EARLIEST).setMaxMessages(max).setMaxWaitMs(waitMs).build());
    }

    @Test
    void receiveWaitsForMessagesAndAcknowledgedOnesAreNotSeenAgain() throws Exception {
        String topic = "public/default/unary";
        // an empty topic: the call waits its time and answers with nothing
        assertThat(receive(topic, 10, 200).getMessagesList()).isEmpty();

        try (TributaryClient client = TributaryClient.builder().serviceUrl(standalone.serviceUrl()).build();
             Producer<String> producer = client.newProducer(Schema.STRING).topic(topic).create()) {
            for (int i = 0; i < 5; i++) {
                producer.newMessage().key("k" + i).value("v" + i).property("n", String.valueOf(i)).sendAsync();
            }
            producer.flush();
        }
        List<ReceivedMessage> got = new ArrayList<>();
        while (got.size() < 5) {
            got.addAll(receive(topic, 5, 5_000).getMessagesList());
        }
        assertThat(got).extracting(m -> m.getValue().toStringUtf8()).containsExactly("v0", "v1", "v2", "v3", "v4");
        assertThat(got.get(3).getKey()).isEqualTo("k3");
        assertThat(got.get(3).getPropertiesMap()).containsEntry("n", "3");
        assertThat(got.get(0).getPublishTimeMs()).isPositive();

        List<MessageId> ids = got.stream().map(ReceivedMessage::getMessageId).toList();
        messaging.acknowledge(AcknowledgeRequest.newBuilder().setTopic(topic).setSubscription("pull").addAllMessageIds(ids).build());
        assertThat(receive(topic, 10, 300).getMessagesList()).as("acknowledged messages do not come back").isEmpty();
    }

    private static void produce(String topic, String... values) throws Exception {
        try (TributaryClient client = TributaryClient.builder().serviceUrl(standalone.serviceUrl()).build();
             Producer<String> producer = client.newProducer(Schema.STRING).topic(topic).create()) {
            for (String v : values) {
                producer.send(v);
            }
        }
    }

    /** Polls (as other callers keep doing) until a message comes or {@code timeoutMs} passes. */
    private static List<ReceivedMessage> pollUntilSomething(ReceiveRequest.Builder req, long timeoutMs) {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (System.currentTimeMillis() < deadline) {
            List<ReceivedMessage> got = messaging.receive(req.setMaxWaitMs(1_000).build()).getMessagesList();
            if (!got.isEmpty()) {
                return got;
            }
        }
        return List.of();
    }

    @Test
    void aMessageForACallWhoseDeadlinePassedGoesToTheNextPoll() throws Exception {
        String topic = "public/default/unary-deadline";
        ReceiveRequest.Builder req = ReceiveRequest.newBuilder().setTopic(topic).setSubscription("pull")
                .setInitialPosition(InitialPosition.EARLIEST).setMaxMessages(10);
        receive(topic, 1, 10); // the subscription exists from here on
        // the caller gives up long before the broker stops waiting for a message
        assertThatThrownBy(() -> messaging.withDeadlineAfter(300, java.util.concurrent.TimeUnit.MILLISECONDS)
                .receive(req.clone().setMaxWaitMs(30_000).build()))
                .isInstanceOf(StatusRuntimeException.class)
                .satisfies(e -> assertThat(((StatusRuntimeException) e).getStatus().getCode())
                        .isEqualTo(Status.Code.DEADLINE_EXCEEDED));
        produce(topic, "after-the-deadline");

        List<ReceivedMessage> got = pollUntilSomething(req, 30_000);
        assertThat(got).as("the message is not lost with the abandoned call")
                .extracting(m -> m.getValue().toStringUtf8()).containsExactly("after-the-deadline");
    }

    @Test
    void aMessageReceivedButNeverAcknowledgedIsDeliveredAgainAfterItsInvisibleDuration() throws Exception {
        String topic = "public/default/unary-invisible";
        ReceiveRequest.Builder req = ReceiveRequest.newBuilder().setTopic(topic).setSubscription("pull")
                .setInitialPosition(InitialPosition.EARLIEST).setMaxMessages(10).setInvisibleDurationMs(5_000);
        produce(topic, "once");
        List<ReceivedMessage> first = pollUntilSomething(req, 30_000);
        assertThat(first).extracting(m -> m.getValue().toStringUtf8()).containsExactly("once");
        assertThat(first.get(0).getRedeliveryCount()).isZero();
        assertThat(messaging.receive(req.clone().setMaxWaitMs(100).build()).getMessagesList())
                .as("invisible to other callers while its lease lasts").isEmpty();

        // never acknowledged: it comes back to whoever polls next
        List<ReceivedMessage> again = pollUntilSomething(req, 60_000);
        assertThat(again).extracting(m -> m.getValue().toStringUtf8()).containsExactly("once");
        assertThat(again.get(0).getMessageId()).isEqualTo(first.get(0).getMessageId());
        assertThat(again.get(0).getRedeliveryCount()).isPositive();

        // the first receiver's late acknowledgement is still accepted, and settles it for good
        messaging.acknowledge(AcknowledgeRequest.newBuilder().setTopic(topic).setSubscription("pull")
                .addMessageIds(first.get(0).getMessageId()).build());
        assertThat(messaging.receive(req.clone().setInvisibleDurationMs(100).setMaxWaitMs(100).build())
                .getMessagesList()).isEmpty();
        assertThat(messaging.receive(req.clone().setMaxWaitMs(6_000).build()).getMessagesList())
                .as("an acknowledged message does not come back when its lease ends").isEmpty();
    }

    @Test
    void acknowledgingOnAnUnknownSubscriptionIsNotFound() {
        String topic = "public/default/unary-unknown-sub";
        receive(topic, 1, 10); // creates the topic (auto-creation on) and the subscription "pull"
        assertThatThrownBy(() -> messaging.acknowledge(AcknowledgeRequest.newBuilder().setTopic(topic)
                .setSubscription("nobody").addMessageIds(MessageId.newBuilder().setLedgerId(1)).build()))
                .isInstanceOf(StatusRuntimeException.class)
                .satisfies(e -> {
                    StatusRuntimeException s = (StatusRuntimeException) e;
                    assertThat(s.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
                    assertThat(ErrorReasons.detailOf(s).getReason()).isEqualTo(ErrorReason.SUBSCRIPTION_NOT_FOUND);
                });
    }

    @Test
    void lookupNamesTheOwningBroker() {
        LookupResponse r = LookupServiceGrpc.newBlockingStub(channel)
                .lookup(LookupRequest.newBuilder().setTopic("persistent://public/default/looked-up").build());
        assertThat(r.getTopic()).isEqualTo("public/default/looked-up");
        assertThat(r.getBrokerAddress()).isEqualTo(standalone.broker().address());
        assertThat(r.getBundle()).startsWith("0x");
    }

    @Test
    void healthServiceReportsServing() {
        var health = io.grpc.health.v1.HealthGrpc.newBlockingStub(channel)
                .check(io.grpc.health.v1.HealthCheckRequest.getDefaultInstance());
        assertThat(health.getStatus()).isEqualTo(io.grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING);
    }
}
