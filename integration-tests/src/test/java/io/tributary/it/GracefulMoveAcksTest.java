package io.tributary.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.tributary.api.v1.Ack;
import io.tributary.api.v1.AckResponse;
import io.tributary.api.v1.AdminServiceGrpc;
import io.tributary.api.v1.Flow;
import io.tributary.api.v1.GetLastMessageIdRequest;
import io.tributary.api.v1.GetLastMessageIdResponse;
import io.tributary.api.v1.GetTopicStatsRequest;
import io.tributary.api.v1.InitialPosition;
import io.tributary.api.v1.LookupRequest;
import io.tributary.api.v1.LookupServiceGrpc;
import io.tributary.api.v1.MessageBatch;
import io.tributary.api.v1.MessageId;
import io.tributary.api.v1.MessagingServiceGrpc;
import io.tributary.api.v1.PlainMessage;
import io.tributary.api.v1.SendRequest;
import io.tributary.api.v1.SingleMessage;
import io.tributary.api.v1.SubscribeOpen;
import io.tributary.api.v1.SubscribeRequest;
import io.tributary.api.v1.SubscribeResponse;
import io.tributary.api.v1.SubscriptionStats;
import io.tributary.api.v1.SubscriptionType;
import io.tributary.api.v1.UnloadBundleRequest;
import io.tributary.api.v1.UnloadBundleResponse;
import io.tributary.broker.Broker;
import io.tributary.broker.loadmanager.LoadBalancerConfig;
import io.tributary.protocol.EntryCodec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A graceful move loses no acknowledgement: a message whose ack was answered without an error is never
 * delivered again, neither on the stream the proxy carries over to each new owner nor to a consumer that
 * subscribes after the moves, and the broker's mark-delete position and backlog agree. Messages are published
 * and acknowledged as they come (one in four never, one in five after the next one: holes and acks out of
 * order, so the cursor's state is more than a mark-delete position) while the admin moves the topic's bundle
 * between two brokers six times. Before the fix, acks the proxy resent to the new owner were applied after it
 * had delivered their messages again.
 */
class GracefulMoveAcksTest {
    private static final String NS = "public/default";
    private static final String SUB = "moved-acks";
    private static final int MOVES = 6;
    /** messages published, one entry each */
    private static final int N = 1800;
    /** sends unanswered at most */
    private static final int WINDOW = 64;

    @TempDir
    Path dir;
    InProcessCluster cluster;
    ManagedChannel channel;

    @BeforeEach
    void start() throws Exception {
        cluster = new InProcessCluster(dir.toFile());
        // automatic balancing off: the test moves the bundle itself
        LoadBalancerConfig manual = InProcessCluster.MANUAL;
        cluster.addBroker(c -> c.toBuilder().loadBalancer(manual).build());
        cluster.addBroker(c -> c.toBuilder().loadBalancer(manual).build());
        channel = NettyChannelBuilder.forTarget(cluster.serviceUrl()).usePlaintext().build();
    }

    @AfterEach
    void stop() {
        if (channel != null) {
            channel.shutdownNow();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void noAcknowledgementAnsweredBeforeOrDuringAMoveIsDeliveredAgain() throws Exception {
        String topic = NS + "/graceful-acks";
        AdminServiceGrpc.AdminServiceBlockingStub admin = AdminServiceGrpc.newBlockingStub(channel);
        Subscriber sub = new Subscriber(topic, 200, true);
        await().atMost(Duration.ofSeconds(20)).until(() -> sub.subscribed || sub.error.get() != null);
        String bundle = LookupServiceGrpc.newBlockingStub(channel).lookup(LookupRequest.newBuilder().setTopic(topic).build())
                .getBundle();
        // published one message at a time while the subscriber acknowledges what it receives as it comes
        CompletableFuture<Void> published = CompletableFuture.runAsync(() -> {
            // up to WINDOW sends unanswered, so that messages, deliveries and acks are in flight at every move
            MessagingServiceGrpc.MessagingServiceFutureStub messaging = MessagingServiceGrpc.newFutureStub(channel);
            Semaphore window = new Semaphore(WINDOW);
            for (int i = 0; i < N; i++) {
                window.acquireUninterruptibly();
                messaging.send(SendRequest.newBuilder().setTopic(topic).setProducerName("graceful")
                        .addMessages(PlainMessage.newBuilder().setValue(ByteString.copyFromUtf8("m-" + i))).build())
                        .addListener(window::release, Runnable::run);
            }
            window.acquireUninterruptibly(WINDOW);
        });
        for (int move = 1; move <= MOVES; move++) {
            int received = move * N / (MOVES + 1);
            await().atMost(Duration.ofSeconds(30)).until(() -> sub.values.size() >= received || sub.error.get() != null);
            String owner = lookupOwner(topic);
            String other = cluster.brokers.stream().map(Broker::brokerId).filter(id -> !id.equals(owner)).findFirst()
                    .orElseThrow();
            UnloadBundleResponse r = admin.unloadBundle(UnloadBundleRequest.newBuilder().setNamespace(NS)
                    .setBundle(bundle).setDestinationBrokerId(other).build());
            assertThat(r.getNewOwnerBrokerId()).isEqualTo(other);
        }
        published.get(60, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(30)).until(() -> sub.values.size() >= N || sub.error.get() != null);
        sub.ackHeldBack();
        await().atMost(Duration.ofSeconds(10)).until(sub::allAcksAnswered);
        assertThat(sub.error.get()).as("subscribe stream error").isNull();
        assertThat(sub.problems).as("acks refused").isEmpty();
        Set<String> acked = sub.ackedOk();
        Set<String> unacked = new HashSet<>();
        for (int i = 0; i < N; i++) {
            if (!acked.contains("m-" + i)) {
                unacked.add("m-" + i);
            }
        }
        assertThat(unacked).hasSize(N / 4);
        System.out.printf("GracefulMoveAcksTest: %d acknowledged, %d delivered again after their ack%n",
                acked.size(), sub.deliveredAfterAck.size());
        assertThat(sub.deliveredAfterAck).as("messages delivered again although their ack was answered").isEmpty();
        sub.close();

        // a consumer that comes after the moves receives exactly what was not acknowledged
        Subscriber after = new Subscriber(topic, N, false);
        await().atMost(Duration.ofSeconds(20)).until(() -> after.values.size() >= unacked.size() || after.error.get() != null);
        assertThat(after.error.get()).as("subscribe stream error").isNull();
        assertThat(after.values.keySet()).as("acknowledged messages delivered again after %d moves", MOVES)
                .doesNotContainAnyElementsOf(acked).containsExactlyInAnyOrderElementsOf(unacked);

        // and the broker says so: the backlog is what is left, the mark-delete position is before the first hole
        SubscriptionStats stats = admin.getTopicStats(GetTopicStatsRequest.newBuilder().setTopic(topic).build())
                .getSubscriptionsList().stream().filter(s -> s.getSubscription().equals(SUB)).findFirst().orElseThrow();
        assertThat(stats.getMsgBacklog()).isEqualTo(unacked.size());
        // the stored order: concurrent sends may store messages out of their numbering
        List<Map.Entry<String, MessageId>> stored = new ArrayList<>(sub.values.entrySet());
        stored.sort(Comparator.comparing((Map.Entry<String, MessageId> e) -> e.getValue().getLedgerId())
                .thenComparing(e -> e.getValue().getEntryId()));
        int firstHole = 0;
        while (!unacked.contains(stored.get(firstHole).getKey())) {
            firstHole++;
        }
        // everything before the first hole is acknowledged (or nothing, if the first message stored is a hole)
        MessageId markDelete = firstHole > 0 ? stored.get(firstHole - 1).getValue()
                : stored.get(0).getValue().toBuilder().setEntryId(stored.get(0).getValue().getEntryId() - 1).build();
        GetLastMessageIdResponse last = MessagingServiceGrpc.newBlockingStub(channel).getLastMessageId(
                GetLastMessageIdRequest.newBuilder().setTopic(topic).setSubscription(SUB).build());
        assertThat(List.of(last.getMarkDeletePosition().getLedgerId(), last.getMarkDeletePosition().getEntryId()))
                .as("GetLastMessageId's mark-delete position").containsExactly(markDelete.getLedgerId(), markDelete.getEntryId());
        assertThat(List.of(stats.getMarkDeletePosition().getLedgerId(), stats.getMarkDeletePosition().getEntryId()))
                .as("the stats' mark-delete position").containsExactly(markDelete.getLedgerId(), markDelete.getEntryId());
        MessageId lastStored = stored.get(N - 1).getValue();
        assertThat(List.of(last.getLastMessageId().getLedgerId(), last.getLastMessageId().getEntryId()))
                .as("the last message").containsExactly(lastStored.getLedgerId(), lastStored.getEntryId());
        after.close();
    }

    private String lookupOwner(String topic) {
        return LookupServiceGrpc.newBlockingStub(channel).lookup(LookupRequest.newBuilder().setTopic(topic).build())
                .getBrokerId();
    }

    /**
     * A raw Shared Subscribe stream through the proxy. Acking: every message acknowledged with a request id as
     * it comes, but one in four never (holes) and one in five only after the next one (out of order), and a
     * permit given back per message.
     */
    private final class Subscriber implements StreamObserver<SubscribeResponse> {
        final StreamObserver<SubscribeRequest> requests;
        final boolean acking;
        /** value -> its message id */
        final Map<String, MessageId> values = new ConcurrentHashMap<>();
        final AtomicReference<Throwable> error = new AtomicReference<>();
        final List<String> problems = new ArrayList<>();
        /** messages delivered again after their ack was sent, and whose ack was answered without an error */
        final List<String> deliveredAfterAck = new ArrayList<>();
        volatile boolean subscribed;
        /** ack request id -> value, until answered */
        private final Map<Long, String> pending = new HashMap<>();
        /** values whose ack was sent */
        private final Set<String> ackSent = new HashSet<>();
        /** values whose ack was answered without an error */
        private final Set<String> ackedOk = new HashSet<>();
        /** values delivered again after their ack was sent */
        private final Set<String> deliveredAgain = new HashSet<>();
        /** a message whose ack waits for the next delivery */
        private String heldBack;
        private long requestId;

        Subscriber(String topic, int permits, boolean acking) {
            this.acking = acking;
            requests = MessagingServiceGrpc.newStub(channel).subscribe(this);
            synchronized (this) {
                requests.onNext(SubscribeRequest.newBuilder().setOpen(SubscribeOpen.newBuilder().setTopic(topic)
                        .setSubscription(SUB).setType(SubscriptionType.FAILOVER)
                        .setInitialPosition(InitialPosition.EARLIEST).setInitialPermits(permits)).build());
            }
        }

        private void ack(String value) {
            long id = ++requestId;
            pending.put(id, value);
            ackSent.add(value);
            requests.onNext(SubscribeRequest.newBuilder().setAck(Ack.newBuilder().addMessageIds(values.get(value))
                    .setRequestId(id)).build());
        }

        synchronized void ackHeldBack() {
            if (heldBack != null) {
                ack(heldBack);
                heldBack = null;
            }
        }

        synchronized boolean allAcksAnswered() {
            return pending.isEmpty();
        }

        synchronized Set<String> ackedOk() {
            return new HashSet<>(ackedOk);
        }

        void close() {
            requests.onCompleted();
        }

        @Override
        public synchronized void onNext(SubscribeResponse r) {
            switch (r.getResponseCase()) {
                case SUBSCRIBED -> subscribed = true;
                case MESSAGES -> {
                    MessageBatch b = r.getMessages();
                    for (SingleMessage m : EntryCodec.decode(b.getEntry()).messages()) {
                        String value = m.getValue().toStringUtf8();
                        if (values.putIfAbsent(value, b.getMessageId()) != null) {
                            if (ackSent.contains(value)) {
                                deliveredAgain.add(value);
                                if (ackedOk.contains(value)) {
                                    deliveredAfterAck.add(value + " (its ack answered before)");
                                }
                            }
                            continue;
                        }
                        if (!acking) {
                            continue;
                        }
                        int i = Integer.parseInt(value.substring(2));
                        if (i % 4 == 1) {
                            continue;
                        }
                        if (i % 5 == 0 && heldBack == null) {
                            heldBack = value;
                            continue;
                        }
                        ack(value);
                        ackHeldBack();
                    }
                    if (acking) {
                        requests.onNext(SubscribeRequest.newBuilder().setFlow(Flow.newBuilder().setPermits(1)).build());
                    }
                }
                case ACK_RESPONSE -> {
                    AckResponse a = r.getAckResponse();
                    String value = pending.remove(a.getRequestId());
                    if (value == null) {
                        problems.add("an answer to an ack not sent or answered before: " + a.getRequestId());
                    } else if (a.hasError()) {
                        problems.add("ack of " + value + " refused: " + a.getError());
                    } else {
                        ackedOk.add(value);
                        if (deliveredAgain.contains(value)) {
                            deliveredAfterAck.add(value + " (delivered again before its ack was answered)");
                        }
                    }
                }
                default -> { }
            }
        }

        @Override
        public void onError(Throwable t) {
            error.set(t);
        }

        @Override
        public void onCompleted() {
            error.compareAndSet(null, new IllegalStateException("the server completed the subscribe stream"));
        }
    }
}
