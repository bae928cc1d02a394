package io.tributary.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ClientResponseObserver;
import io.tributary.api.v1.AdminServiceGrpc;
import io.tributary.api.v1.ConsumerStats;
import io.tributary.api.v1.Flow;
import io.tributary.api.v1.GetTopicStatsRequest;
import io.tributary.api.v1.InitialPosition;
import io.tributary.api.v1.MessagingServiceGrpc;
import io.tributary.api.v1.SubscribeOpen;
import io.tributary.api.v1.SubscribeRequest;
import io.tributary.api.v1.SubscribeResponse;
import io.tributary.api.v1.SubscriptionStats;
import io.tributary.api.v1.SubscriptionType;
import io.tributary.cli.Standalone;
import io.tributary.client.Producer;
import io.tributary.client.Schema;
import io.tributary.client.TributaryClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Back-pressure on Subscribe streams, through the proxy: a client that grants huge permits but
 * reads nothing holds up only its own entries (the broker dispatches what the streams' windows
 * hold, then waits for the client to read), and permits never overflow.
 */
class SubscribeBackPressureTest {
    static final String TOPIC = "public/default/slow-reader";
    static final int MESSAGES = 2000;
    static final int SIZE = 8 * 1024;
    /**
     * What may be in flight while the client reads nothing: the flow-control windows of the
     * client-proxy and proxy-broker connections (1 MiB each) and the streams' send buffers, about
     * 270 entries of 8 KiB; well under the {@value #MESSAGES} the permits allow.
     */
    static final int IN_FLIGHT_BOUND = 600;
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
        try (Producer<byte[]> p = client.newProducer(Schema.BYTES).topic(TOPIC).enableBatching(false).create()) {
            byte[] value = new byte[SIZE];
            for (int i = 0; i < MESSAGES; i++) {
                p.sendAsync(value);
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

    /** A Subscribe call whose responses are read only when the test asks (request(n)). */
    private static final class ManualReader implements ClientResponseObserver<SubscribeRequest, SubscribeResponse> {
        final AtomicInteger messages = new AtomicInteger();
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        ClientCallStreamObserver<SubscribeRequest> requests;

        @Override
        public void beforeStart(ClientCallStreamObserver<SubscribeRequest> stream) {
            requests = stream;
            stream.disableAutoRequestWithInitial(1); // the Subscribed reply, then nothing until asked
        }

        @Override
        public void onNext(SubscribeResponse r) {
            if (r.hasMessages()) {
                messages.addAndGet(Math.max(1, r.getMessages().getMessageId().getBatchSize()));
            }
        }

        @Override
        public void onError(Throwable t) {
            failure.set(t);
        }

        @Override
        public void onCompleted() {}
    }

    private static ManualReader subscribe(String topic, String subscription) {
        ManualReader reader = new ManualReader();
        ClientCall<SubscribeRequest, SubscribeResponse> call =
                channel.newCall(MessagingServiceGrpc.getSubscribeMethod(), CallOptions.DEFAULT);
        ClientCalls.asyncBidiStreamingCall(call, reader).onNext(SubscribeRequest.newBuilder().setOpen(SubscribeOpen.newBuilder()
                .setTopic(topic).setSubscription(subscription).setConsumerName(subscription + "-consumer")
                .setType(SubscriptionType.EXCLUSIVE).setInitialPosition(InitialPosition.EARLIEST)).build());
        return reader;
    }

    private static void flow(ManualReader reader, int permits) {
        reader.requests.onNext(SubscribeRequest.newBuilder().setFlow(Flow.newBuilder().setPermits(permits)).build());
    }

    private static ConsumerStats consumerStats(String topic, String subscription) {
        for (SubscriptionStats s : AdminServiceGrpc.newBlockingStub(channel)
                .getTopicStats(GetTopicStatsRequest.newBuilder().setTopic(topic).build()).getSubscriptionsList()) {
            if (s.getSubscription().equals(subscription) && s.getConsumersCount() == 1) {
                return s.getConsumers(0);
            }
        }
        return null;
    }

    private static long dispatched(String subscription) {
        ConsumerStats c = consumerStats(TOPIC, subscription);
        return c == null ? 0 : c.getMsgOutTotal();
    }

    @Test
    void aClientThatGrantsHugePermitsButReadsNothingHoldsUpOnlyABoundedNumberOfEntries() {
        ManualReader reader = subscribe(TOPIC, "never-reads");
        await().atMost(Duration.ofSeconds(30)).until(() -> consumerStats(TOPIC, "never-reads") != null);
        flow(reader, Integer.MAX_VALUE);

        await().atMost(Duration.ofSeconds(30)).until(() -> dispatched("never-reads") > 0);
        // while the client reads nothing, what the broker sends stays within the streams' windows
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(60))
                .until(() -> dispatched("never-reads") <= IN_FLIGHT_BOUND);
        assertThat(reader.failure.get()).isNull();

        // once it reads, everything arrives
        reader.requests.request(Integer.MAX_VALUE);
        await().atMost(Duration.ofSeconds(120)).until(() -> reader.messages.get() >= MESSAGES);
        assertThat(dispatched("never-reads")).isEqualTo(MESSAGES);
        reader.requests.onCompleted();
    }

    @Test
    void grantingIntegerMaxValuePermitsTwiceDoesNotOverflowAndStopDelivery() throws Exception {
        String topic = "public/default/permits-overflow";
        ManualReader reader = subscribe(topic, "greedy");
        reader.requests.request(Integer.MAX_VALUE);
        await().atMost(Duration.ofSeconds(30)).until(() -> consumerStats(topic, "greedy") != null);
        flow(reader, Integer.MAX_VALUE);
        flow(reader, Integer.MAX_VALUE);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(consumerStats(topic, "greedy").getPermits()).as("capped, not overflowed")
                        .isEqualTo(io.tributary.broker.dispatch.Consumer.MAX_PERMITS));

        try (Producer<String> p = client.newProducer(Schema.STRING).topic(topic).create()) {
            for (int i = 0; i < 50; i++) {
                p.sendAsync("m" + i);
            }
            p.flush();
        }
        await().atMost(Duration.ofSeconds(60)).until(() -> reader.messages.get() == 50);
        assertThat(reader.failure.get()).isNull();
        reader.requests.onCompleted();
    }
}
