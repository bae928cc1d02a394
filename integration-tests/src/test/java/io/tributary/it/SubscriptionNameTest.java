package io.tributary.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.tributary.api.v1.AdminServiceGrpc;
import io.tributary.api.v1.ErrorDetail;
import io.tributary.api.v1.ErrorReason;
import io.tributary.api.v1.GetTopicStatsRequest;
import io.tributary.api.v1.InitialPosition;
import io.tributary.api.v1.MessagingServiceGrpc;
import io.tributary.api.v1.ReceiveRequest;
import io.tributary.api.v1.ResetSubscriptionRequest;
import io.tributary.api.v1.SkipMessagesRequest;
import io.tributary.api.v1.SubscribeOpen;
import io.tributary.api.v1.SubscribeRequest;
import io.tributary.api.v1.SubscribeResponse;
import io.tributary.api.v1.SubscriptionStats;
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
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * Subscription names that are not one znode name (a slash, a dot name, too long) are refused
 * with INVALID_REQUEST stating the rule, wherever they enter, and leave nothing behind.
 */
class SubscriptionNameTest {
    static final String TOPIC = "public/default/names";
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
        try (Producer<String> p = client.newProducer(Schema.STRING).topic(TOPIC).create()) {
            p.send("m");
        }
    }

    @AfterAll
    static void stop() throws Exception {
        channel.shutdownNow();
        client.close();
        standalone.close();
    }

    private static ErrorDetail subscribeRefusal(String subscription, boolean reader) throws InterruptedException {
        Recorder<SubscribeResponse> replies = new Recorder<>();
        StreamObserver<SubscribeRequest> requests = MessagingServiceGrpc.newStub(channel).subscribe(replies);
        requests.onNext(SubscribeRequest.newBuilder().setOpen(SubscribeOpen.newBuilder().setTopic(TOPIC)
                .setSubscription(subscription).setType(SubscriptionType.SHARED).setNonDurable(reader)
                .setInitialPosition(InitialPosition.EARLIEST)).build());
        Object reply = replies.next();
        assertThat(reply).as("subscribing as '" + subscription + "' is refused").isInstanceOf(StatusRuntimeException.class);
        StatusRuntimeException e = (StatusRuntimeException) reply;
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        return ErrorReasons.detailOf(e);
    }

    private static void assertInvalidRequest(Executable call) {
        assertThatThrownBy(call::execute).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(ErrorReasons.detailOf(e).getReason()).isEqualTo(ErrorReason.INVALID_REQUEST);
            assertThat(ErrorReasons.detailOf(e).getMessage()).contains("other than '/'");
        });
    }

    @Test
    void aSubscriptionNameWithASlashIsRefusedAndCreatesNoPhantomSubscription() throws Exception {
        ErrorDetail slash = subscribeRefusal("a/b", false);
        assertThat(slash.getReason()).isEqualTo(ErrorReason.INVALID_REQUEST);
        assertThat(slash.getMessage()).contains("a/b").contains("other than '/'");

        AdminServiceGrpc.AdminServiceBlockingStub admin = AdminServiceGrpc.newBlockingStub(channel);
        assertThat(admin.getTopicStats(GetTopicStatsRequest.newBuilder().setTopic(TOPIC).build()).getSubscriptionsList())
                .extracting(SubscriptionStats::getSubscription).doesNotContain("a/b", "a");
    }

    @Test
    void dotNamesAndOverlongNamesAreInvalidRequestsNotInternalErrors() throws Exception {
        for (String name : new String[] {".", "..", "x".repeat(257), "with space", ""}) {
            ErrorDetail refused = subscribeRefusal(name, false);
            assertThat(refused.getReason()).as(name).isEqualTo(ErrorReason.INVALID_REQUEST);
            assertThat(refused.getMessage()).as(name).contains("1 to 256 visible ASCII characters");
        }
        assertThat(subscribeRefusal("..", true).getReason()).as("a reader's name too").isEqualTo(ErrorReason.INVALID_REQUEST);

        Recorder<SubscribeResponse> replies = new Recorder<>();
        StreamObserver<SubscribeRequest> requests = MessagingServiceGrpc.newStub(channel).subscribe(replies);
        requests.onNext(SubscribeRequest.newBuilder().setOpen(SubscribeOpen.newBuilder().setTopic(TOPIC)
                .setSubscription("x".repeat(256)).setType(SubscriptionType.SHARED)).build());
        assertThat(replies.next()).as("256 characters are fine").isInstanceOfSatisfying(SubscribeResponse.class,
                r -> assertThat(r.hasSubscribed()).isTrue());
        requests.onCompleted();
    }

    @Test
    void unaryAndAdminCallsRefuseTheSameNames() {
        MessagingServiceGrpc.MessagingServiceBlockingStub unary = MessagingServiceGrpc.newBlockingStub(channel);
        AdminServiceGrpc.AdminServiceBlockingStub admin = AdminServiceGrpc.newBlockingStub(channel);
        assertInvalidRequest(() -> unary.receive(ReceiveRequest.newBuilder().setTopic(TOPIC).setSubscription("a/b")
                .setMaxMessages(1).setMaxWaitMs(10).build()));
        assertInvalidRequest(() -> admin.resetSubscription(ResetSubscriptionRequest.newBuilder().setTopic(TOPIC)
                .setSubscription("..").setPosition(InitialPosition.EARLIEST).build()));
        assertInvalidRequest(() -> admin.skipMessages(SkipMessagesRequest.newBuilder().setTopic(TOPIC)
                .setSubscription(".").setMessages(1).build()));
    }
}
