package io.tributary.it.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import io.tributary.api.v1.Ack;
import io.tributary.api.v1.Flow;
import io.tributary.api.v1.InitialPosition;
import io.tributary.api.v1.MessageId;
import io.tributary.api.v1.SubscribeOpen;
import io.tributary.api.v1.SubscribeRequest;
import io.tributary.api.v1.SubscriptionType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * What the API fuzzer ({@link ApiFuzzTest}) found, one test per defect, named after the behaviour;
 * each failed before its fix. The inputs that found them are saved with the fuzz test's inputs and
 * replayed by it too.
 */
class FuzzFindingsTest {
    /**
     * Found by the fuzzer: open, four flows, half-close. A stream that ended (half-close, cancel or
     * a refused request) while its open was still completing on the topic's executor left its
     * consumer registered on the subscription for good: the end looked for the topic before the
     * open had set it.
     */
    @Test
    void aSubscribeStreamThatEndsWhileItsOpenIsStillPendingLeavesNoConsumerBehind() throws Exception {
        FuzzCluster cluster = FuzzCluster.get();
        String topic = "public/default/fuzz-1";
        List<SubscribeRequest> frames = new ArrayList<>();
        frames.add(SubscribeRequest.newBuilder().setOpen(SubscribeOpen.newBuilder().setTopic(topic).setSubscription("leak")).build());
        for (int i = 0; i < 4; i++) {
            frames.add(SubscribeRequest.newBuilder().setFlow(Flow.getDefaultInstance()).build());
        }
        for (var channel : List.of(cluster.proxy, cluster.broker)) {
            CallRunner runner = new CallRunner(channel, FuzzCluster.CALL_DEADLINE);
            for (int i = 0; i < 30; i++) {
                CallRunner.Outcome out = runner.run(new RequestPlan.SubscribeStream(frames));
                assertThat(out.hung()).as("the stream ended").isFalse();
                // CONSUMER_BUSY here: a consumer of an ended stream still holds the exclusive subscription
                assertThat(out.status().getCode()).as("stream %d: %s", i, out.status())
                        .isIn(Status.Code.OK, Status.Code.INVALID_ARGUMENT);
            }
        }
        assertThat(cluster.awaitNoOpenStreams(Set.of(topic), Duration.ofSeconds(20)))
                .as("consumers left on the broker after every stream ended").isEmpty();
        cluster.probe();
    }

    /**
     * Found by the fuzzer: a reader's open (non_durable) and at once a half-close. The reader's
     * subscription was created, the open then saw the stream had ended and returned without a
     * consumer, and the unstored subscription stayed on the topic for good: every later reader of
     * that name got CONSUMER_BUSY.
     */
    @Test
    void aReaderWhoseStreamEndsBeforeItsOpenCompletesLeavesNoSubscriptionBehind() throws Exception {
        FuzzCluster cluster = FuzzCluster.get();
        String topic = "public/default/fuzz-1";
        List<SubscribeRequest> frames = List.of(SubscribeRequest.newBuilder().setOpen(SubscribeOpen.newBuilder()
                .setTopic(topic).setSubscription("leak-reader").setNonDurable(true)).build());
        for (var channel : List.of(cluster.proxy, cluster.broker)) {
            CallRunner runner = new CallRunner(channel, FuzzCluster.CALL_DEADLINE);
            for (int i = 0; i < 30; i++) {
                CallRunner.Outcome out = runner.run(new RequestPlan.SubscribeStream(frames));
                assertThat(out.hung()).as("the stream ended").isFalse();
                // CONSUMER_BUSY here: the reader subscription of an ended stream is still there
                assertThat(out.status().getCode()).as("stream %d: %s", i, out.status()).isEqualTo(Status.Code.OK);
            }
        }
        assertThat(cluster.awaitNoOpenStreams(Set.of(topic), Duration.ofSeconds(20)))
                .as("readers left on the broker after every stream ended").isEmpty();
    }

    /**
     * Found by the fuzzer: open one topic, then at once a second open of another topic on the same
     * stream. The first open was still loading its topic, so the second was not refused; whichever
     * completed last became the stream's topic, and the other's consumer stayed registered for good.
     */
    @Test
    void aSecondOpenOnAStreamIsRefusedEvenWhileTheFirstIsLoadingAndLeavesNoConsumerBehind() throws Exception {
        FuzzCluster cluster = FuzzCluster.get();
        String first = "public/default/fuzz-0";
        String second = "public/default/fuzz-1";
        List<SubscribeRequest> frames = List.of(
                SubscribeRequest.newBuilder().setOpen(SubscribeOpen.newBuilder().setTopic(first).setSubscription("twice")).build(),
                SubscribeRequest.newBuilder().setOpen(SubscribeOpen.newBuilder().setTopic(second).setSubscription("twice")).build(),
                SubscribeRequest.newBuilder().setFlow(Flow.getDefaultInstance()).build());
        for (var channel : List.of(cluster.proxy, cluster.broker)) {
            CallRunner runner = new CallRunner(channel, FuzzCluster.CALL_DEADLINE);
            for (int i = 0; i < 10; i++) {
                CallRunner.Outcome out = runner.run(new RequestPlan.SubscribeStream(frames));
                assertThat(out.hung()).as("the stream ended").isFalse();
                assertThat(out.status().getCode()).as("stream %d: %s", i, out.status()).isEqualTo(Status.Code.INVALID_ARGUMENT);
            }
        }
        assertThat(cluster.awaitNoOpenStreams(Set.of(first, second), Duration.ofSeconds(20)))
                .as("consumers left on the broker after every stream ended").isEmpty();
        cluster.probe();
    }

    /**
     * Found by the fuzzer (Send, ChangeInvisibleDuration and NegativeAcknowledge added to it): a
     * cumulative Ack on a Subscribe stream whose message id has a negative batch index ended the
     * stream through the proxy with INTERNAL ({@code IllegalArgumentException: fromKey > toKey} in
     * the proxy's record of held messages, kept to resume streams when topics move); the broker
     * itself answers it with a precise ack response.
     */
    @Test
    void aCumulativeAckWithANegativeBatchIndexIsAnsweredNotAnInternalError() throws Exception {
        FuzzCluster cluster = FuzzCluster.get();
        String topic = "public/default/fuzz-0";
        MessageId stored = cluster.storedIds.get(0);
        List<SubscribeRequest> frames = List.of(
                SubscribeRequest.newBuilder().setOpen(SubscribeOpen.newBuilder().setTopic(topic).setSubscription("negative-index")
                        .setType(SubscriptionType.SHARED).setInitialPosition(InitialPosition.EARLIEST).setInitialPermits(3)).build(),
                SubscribeRequest.newBuilder().setAck(Ack.newBuilder().setCumulative(true).setRequestId(1)
                        .addMessageIds(stored.toBuilder().setBatchIndex(-2))).build());
        for (var channel : List.of(cluster.proxy, cluster.broker)) {
            CallRunner.Outcome out = new CallRunner(channel, FuzzCluster.CALL_DEADLINE).run(new RequestPlan.SubscribeStream(frames));
            assertThat(out.hung()).as("the stream ended").isFalse();
            assertThat(out.status().getCode()).as("%s", out.status()).isEqualTo(Status.Code.OK);
        }
        assertThat(cluster.serverErrors.drain()).as("unexpected exceptions on the server side").isEmpty();
    }

    /**
     * Seen by the fuzzer: a client that pipelines its first Flow right behind the open (as a gRPC
     * client in any language may) had its stream ended with INVALID_REQUEST ("open must come
     * before flow") whenever the topic took longer to load than the Flow took to arrive.
     */
    @Test
    void aFlowPipelinedRightBehindTheOpenIsTakenWhateverTheTimeTheTopicTakesToLoad() throws Exception {
        FuzzCluster cluster = FuzzCluster.get();
        for (var channel : List.of(cluster.proxy, cluster.broker)) {
            CallRunner runner = new CallRunner(channel, FuzzCluster.CALL_DEADLINE);
            for (int i = 0; i < 10; i++) {
                // a topic never loaded before: the open waits for it to be created and taken over
                String topic = "public/default/pipelined-" + System.nanoTime();
                List<SubscribeRequest> frames = List.of(
                        SubscribeRequest.newBuilder().setOpen(SubscribeOpen.newBuilder().setTopic(topic).setSubscription("p")).build(),
                        SubscribeRequest.newBuilder().setFlow(Flow.newBuilder().setPermits(10)).build());
                CallRunner.Outcome out = runner.run(new RequestPlan.SubscribeStream(frames));
                assertThat(out.hung()).as("the stream ended").isFalse();
                assertThat(out.status().getCode()).as("stream %d: %s", i, out.status()).isEqualTo(Status.Code.OK);
            }
        }
    }
}
