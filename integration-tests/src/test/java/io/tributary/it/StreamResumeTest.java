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
import io.tributary.api.v1.ErrorReason;
import io.tributary.api.v1.Flow;
import io.tributary.api.v1.InitialPosition;
import io.tributary.api.v1.LookupRequest;
import io.tributary.api.v1.LookupResponse;
import io.tributary.api.v1.LookupServiceGrpc;
import io.tributary.api.v1.MessageBatch;
import io.tributary.api.v1.MessageId;
import io.tributary.api.v1.MessagingServiceGrpc;
import io.tributary.api.v1.ProducerOpen;
import io.tributary.api.v1.PublishAck;
import io.tributary.api.v1.PublishBatch;
import io.tributary.api.v1.PublishRequest;
import io.tributary.api.v1.PublishResponse;
import io.tributary.api.v1.SingleMessage;
import io.tributary.api.v1.SubscribeOpen;
import io.tributary.api.v1.SubscribeRequest;
import io.tributary.api.v1.SubscribeResponse;
import io.tributary.api.v1.SubscriptionType;
import io.tributary.api.v1.UnloadBundleRequest;
import io.tributary.api.v1.UnloadBundleResponse;
import io.tributary.broker.Broker;
import io.tributary.broker.loadmanager.LoadBalancerConfig;
import io.tributary.protocol.EntryCodec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Moves are invisible to streams through the proxy: a raw gRPC Publish stream and a raw Subscribe stream (no
 * SDK: what a client in any language would write, with no reconnect logic) keep working while the topic's
 * bundle moves between brokers, and when its owner stops without handing anything over.
 */
class StreamResumeTest {
    private static final String NS = "public/default";
    /** messages published per test, one per batch */
    private static final int N = 1500;
    /** batches a producer has unanswered at most */
    private static final int WINDOW = 32;

    @TempDir
    Path dir;
    InProcessCluster cluster;
    ManagedChannel channel;

    @BeforeEach
    void start() throws Exception {
        cluster = new InProcessCluster(dir.toFile());
        // automatic balancing off: the tests move bundles themselves; a stopped broker hands nothing over
        LoadBalancerConfig manual = InProcessCluster.MANUAL;
        cluster.addBroker(c -> c.toBuilder().loadBalancer(manual).drainOnShutdown(false).build());
        cluster.addBroker(c -> c.toBuilder().loadBalancer(manual).drainOnShutdown(false).build());
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
    void publishAndSubscribeStreamsSeeNoErrorWhileTheBundleMovesFourTimes() throws Exception {
        String topic = NS + "/resumed";
        Subscriber sub = new Subscriber(topic, SubscriptionType.FAILOVER);
        Publisher pub = new Publisher(topic);
        AdminServiceGrpc.AdminServiceBlockingStub admin = AdminServiceGrpc.newBlockingStub(channel);
        String bundle = lookup(topic).getBundle();
        for (int move = 1; move <= 4; move++) {
            int acked = move * N / 5;
            await().atMost(Duration.ofSeconds(20)).until(() -> pub.acked.get() >= acked || pub.error.get() != null);
            assertThat(pub.error.get()).as("publish stream error").isNull();
            String owner = lookup(topic).getBrokerId();
            String other = otherBroker(owner);
            UnloadBundleResponse r = admin.unloadBundle(UnloadBundleRequest.newBuilder().setNamespace(NS)
                    .setBundle(bundle).setDestinationBrokerId(other).build());
            assertThat(r.getNewOwnerBrokerId()).isEqualTo(other);
        }
        finish(pub, sub);
        int proxyMetrics = cluster.proxy().metricsPort();
        assertThat(MetricsScrape.sum(proxyMetrics,
                "tributary_proxy_stream_resumes_total{kind=\"publish\",outcome=\"resumed\"")).isGreaterThanOrEqualTo(4);
        assertThat(MetricsScrape.sum(proxyMetrics,
                "tributary_proxy_stream_resumes_total{kind=\"subscribe\",outcome=\"resumed\"")).isGreaterThanOrEqualTo(4);
        assertThat(MetricsScrape.sum(proxyMetrics, "tributary_proxy_stream_resumes_total{kind=\"publish\",outcome=\"failed\""))
                .isZero();
    }

    @Test
    void streamsSeeNoErrorWhenTheOwnerStopsWithoutHandingTheBundleOver() throws Exception {
        String topic = NS + "/orphaned";
        Subscriber sub = new Subscriber(topic, SubscriptionType.SHARED);
        Publisher pub = new Publisher(topic);
        await().atMost(Duration.ofSeconds(20)).until(() -> pub.acked.get() >= N / 3 || pub.error.get() != null);
        String ownerId = lookup(topic).getBrokerId();
        Broker owner = cluster.brokers.stream().filter(b -> b.brokerId().equals(ownerId)).findFirst().orElseThrow();
        // drainOnShutdown off: the owner closes its streams and leaves ZooKeeper with its bundles unassigned
        CompletableFuture<Void> stopping = CompletableFuture.runAsync(owner::close);
        stopping.get(60, TimeUnit.SECONDS);
        cluster.brokers.remove(owner);
        finish(pub, sub);
        assertThat(lookup(topic).getBrokerId()).isNotEqualTo(ownerId);
    }

    /** Waits for every publish answer and every message, and checks both streams saw no error. */
    private void finish(Publisher pub, Subscriber sub) {
        await().atMost(Duration.ofSeconds(30)).until(() -> pub.acked.get() >= N || pub.error.get() != null);
        assertThat(pub.error.get()).as("publish stream error").isNull();
        await().atMost(Duration.ofSeconds(30)).until(() -> sub.values.size() >= N || sub.error.get() != null);
        assertThat(sub.error.get()).as("subscribe stream error").isNull();
        assertThat(pub.problems).as("publish answers out of order or refused").isEmpty();
        assertThat(sub.problems).as("subscribe problems").isEmpty();
        // every sequence id answered once, in order (checked as they came); a resent batch the broker had
        // stored is answered as a duplicate
        assertThat(pub.acked.get()).isEqualTo(N);
        // every message received; one received twice is a redelivery of the same stored message
        assertThat(sub.values).hasSize(N);
        // every ack answered (a lost answer is resent by the proxy)
        await().atMost(Duration.ofSeconds(10)).until(sub::allAcksAnswered);
        System.out.printf("StreamResumeTest: %d duplicate publish answers, %d redeliveries, %d second acks%n",
                pub.duplicates.get(), sub.redeliveries.get(), sub.secondAcks.get());
        pub.requests.onCompleted();
        await().atMost(Duration.ofSeconds(10)).until(() -> pub.completed);
        sub.requests.onCompleted();
    }

    private LookupResponse lookup(String topic) {
        return LookupServiceGrpc.newBlockingStub(channel).lookup(LookupRequest.newBuilder().setTopic(topic).build());
    }

    private String otherBroker(String brokerId) {
        return cluster.brokers.stream().map(Broker::brokerId).filter(id -> !id.equals(brokerId)).findFirst().orElseThrow();
    }

    /** A raw Publish stream: batches of one message, sequence ids 0..N-1, at most WINDOW unanswered. */
    private final class Publisher implements StreamObserver<PublishResponse> {
        final String producer = "resumer";
        final StreamObserver<PublishRequest> requests;
        final AtomicInteger acked = new AtomicInteger();
        final AtomicInteger duplicates = new AtomicInteger();
        final AtomicReference<Throwable> error = new AtomicReference<>();
        final List<String> problems = new ArrayList<>();
        volatile boolean completed;
        private boolean opened;
        private long next;

        Publisher(String topic) {
            requests = MessagingServiceGrpc.newStub(channel).publish(this);
            synchronized (this) {
                requests.onNext(PublishRequest.newBuilder().setOpen(ProducerOpen.newBuilder().setTopic(topic)
                        .setProducerName(producer)).build());
            }
        }

        private void pump() {
            while (next < N && next - acked.get() < WINDOW) {
                SingleMessage m = SingleMessage.newBuilder().setValue(ByteString.copyFromUtf8("m-" + next)).build();
                ByteString entry = EntryCodec.encode(producer, "string", next, List.of(m), System.currentTimeMillis());
                requests.onNext(PublishRequest.newBuilder().setBatch(PublishBatch.newBuilder().setSequenceId(next)
                        .setMessageCount(1).setEntry(entry)).build());
                next++;
            }
        }

        @Override
        public synchronized void onNext(PublishResponse r) {
            switch (r.getResponseCase()) {
                case OPENED -> {
                    if (opened) {
                        problems.add("a second ProducerOpened reached the client");
                    }
                    opened = true;
                }
                case ACK -> {
                    PublishAck ack = r.getAck();
                    if (ack.getSequenceId() != acked.get()) {
                        problems.add("ack of " + ack.getSequenceId() + " where " + acked.get() + " was next");
                    }
                    if (ack.getDuplicate()) {
                        duplicates.incrementAndGet();
                    }
                    acked.incrementAndGet();
                }
                case ERROR -> problems.add("refused: " + r.getError());
                default -> problems.add("unexpected " + r);
            }
            pump();
        }

        @Override
        public void onError(Throwable t) {
            error.set(t);
        }

        @Override
        public void onCompleted() {
            completed = true;
        }
    }

    /** A raw Subscribe stream: a permit back per message, every message acked with a request id. */
    private final class Subscriber implements StreamObserver<SubscribeResponse> {
        final StreamObserver<SubscribeRequest> requests;
        /** value -> where it is stored: a value seen at two positions would be stored twice */
        final Map<String, MessageId> values = new ConcurrentHashMap<>();
        final AtomicInteger redeliveries = new AtomicInteger();
        /** acks of a message delivered again that the broker answered MESSAGE_ALREADY_ACKNOWLEDGED */
        final AtomicInteger secondAcks = new AtomicInteger();
        final AtomicReference<Throwable> error = new AtomicReference<>();
        final List<String> problems = new ArrayList<>();
        /** entry -> times delivered */
        private final Map<MessageId, Integer> deliveries = new HashMap<>();
        /** ack request id -> the entry it acknowledges */
        private final Map<Long, MessageId> acks = new HashMap<>();
        private boolean subscribed;
        private long requestId;

        Subscriber(String topic, SubscriptionType type) {
            requests = MessagingServiceGrpc.newStub(channel).subscribe(this);
            synchronized (this) {
                requests.onNext(SubscribeRequest.newBuilder().setOpen(SubscribeOpen.newBuilder().setTopic(topic)
                        .setSubscription("follow").setType(type)
                        .setInitialPosition(InitialPosition.EARLIEST).setInitialPermits(100)).build());
            }
        }

        synchronized boolean allAcksAnswered() {
            return acks.isEmpty();
        }

        @Override
        public synchronized void onNext(SubscribeResponse r) {
            switch (r.getResponseCase()) {
                case SUBSCRIBED -> {
                    if (subscribed) {
                        problems.add("a second Subscribed reached the client");
                    }
                    subscribed = true;
                }
                case MESSAGES -> {
                    MessageBatch b = r.getMessages();
                    for (SingleMessage m : EntryCodec.decode(b.getEntry()).messages()) {
                        String value = m.getValue().toStringUtf8();
                        MessageId id = b.getMessageId().toBuilder().setBatchIndex(0).build();
                        MessageId before = values.putIfAbsent(value, id);
                        if (before != null) {
                            redeliveries.incrementAndGet();
                            if (!before.equals(id)) {
                                problems.add(value + " stored twice: at " + before + " and at " + id);
                            }
                        }
                    }
                    MessageId entry = b.getMessageId().toBuilder().setBatchIndex(0).build();
                    deliveries.merge(entry, 1, Integer::sum);
                    acks.put(++requestId, entry);
                    requests.onNext(SubscribeRequest.newBuilder().setAck(Ack.newBuilder()
                            .addMessageIds(b.getMessageId()).setRequestId(requestId)).build());
                    requests.onNext(SubscribeRequest.newBuilder().setFlow(Flow.newBuilder()
                            .setPermits(Math.max(1, b.getMessageId().getBatchSize()))).build());
                }
                case ACK_RESPONSE -> {
                    AckResponse a = r.getAckResponse();
                    MessageId entry = acks.remove(a.getRequestId());
                    if (entry == null) {
                        problems.add("an answer to an ack not sent or answered before: " + a.getRequestId());
                    } else if (a.hasError() && a.getError().getReason() == ErrorReason.MESSAGE_ALREADY_ACKNOWLEDGED
                            && deliveries.get(entry) > 1) {
                        // a message delivered again, acknowledged the second time: at-least-once, as any reconnect
                        secondAcks.incrementAndGet();
                    } else if (a.hasError()) {
                        problems.add("ack refused: " + a);
                    }
                }
                case NOTICE -> {
                    // a Failover consumer hears that it is the active one, on each owner
                    if (r.getNotice().hasError()) {
                        problems.add("notice: " + r.getNotice());
                    }
                }
                default -> problems.add("unexpected " + r.getResponseCase());
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
