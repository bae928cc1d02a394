package io.tributary.it.fuzz;

import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.tributary.api.v1.AdminServiceGrpc;
import io.tributary.api.v1.CreateNamespaceRequest;
import io.tributary.api.v1.CreateTenantRequest;
import io.tributary.api.v1.CreateTopicRequest;
import io.tributary.api.v1.GetLastMessageIdRequest;
import io.tributary.api.v1.GetTopicStatsRequest;
import io.tributary.api.v1.MessageId;
import io.tributary.api.v1.MessagingServiceGrpc;
import io.tributary.api.v1.ProducerOpen;
import io.tributary.api.v1.PublishBatch;
import io.tributary.api.v1.PublishRequest;
import io.tributary.api.v1.PublishResponse;
import io.tributary.api.v1.SingleMessage;
import io.tributary.api.v1.SubscriptionStats;
import io.tributary.api.v1.TopicStats;
import io.tributary.cli.Standalone;
import io.tributary.it.TestClusters;
import io.tributary.protocol.EntryCodec;
import java.io.File;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;
import org.awaitility.core.ConditionTimeoutException;

/**
 * One real standalone (ZooKeeper, a bookie, a broker and the proxy) per JVM for the fuzz target,
 * with channels to the proxy and straight to the broker, a few topics that hold real entries (so
 * that mutated acks and seeks can point near real positions), and the checks run between inputs:
 * the liveness probe and the leak check.
 */
final class FuzzCluster {
    /** Topics the fuzzer mostly aims at; each holds {@link #SEEDED_ENTRIES} batches of three messages. */
    static final List<String> TOPICS = List.of("public/default/fuzz-0", "public/default/fuzz-1",
            "public/default/fuzz-part", "public/default/fuzz-part-partition-1", "fuzz/ns/t");
    static final int SEEDED_ENTRIES = 3;
    /** The probe's topic: nothing the fuzzer builds names it (see {@link RequestPlan}). */
    static final String PROBE_TOPIC = "probe/ns/alive";
    static final Duration CALL_DEADLINE = Duration.ofSeconds(20);
    /** The broker's maximum message size here: small, so that oversize values cost little to build. */
    static final int MAX_MESSAGE_SIZE = 64 * 1024;
    /** broker.maxSendMessages (its default): the most messages a Send or PublishMessages may carry. */
    static final int MAX_SEND_MESSAGES = 1000;

    private static FuzzCluster instance;

    final Standalone standalone;
    private final File dir;
    final ManagedChannel proxy;
    final ManagedChannel broker;
    /** Ids of stored entries (batch_index 0, batch_size 3), for acks and seeks near real positions. */
    final List<MessageId> storedIds = new ArrayList<>();
    final ServerErrors serverErrors = ServerErrors.install();
    private long probeSequence;

    private FuzzCluster(File dir) throws Exception {
        this.dir = dir;
        standalone = new Standalone(TestClusters.options(dir, c -> c.toBuilder()
                .pullConsumerIdleTimeout(Duration.ofSeconds(5)).maxMessageSize(MAX_MESSAGE_SIZE).build())).start();
        proxy = NettyChannelBuilder.forTarget(standalone.serviceUrl()).usePlaintext().build();
        broker = NettyChannelBuilder.forTarget(standalone.broker().address()).usePlaintext().build();
        AdminServiceGrpc.AdminServiceBlockingStub admin = AdminServiceGrpc.newBlockingStub(proxy)
                .withDeadlineAfter(60, TimeUnit.SECONDS);
        admin.createTenant(CreateTenantRequest.newBuilder().setTenant("fuzz").build());
        admin.createNamespace(CreateNamespaceRequest.newBuilder().setNamespace("fuzz/ns").build());
        admin.createTenant(CreateTenantRequest.newBuilder().setTenant("probe").build());
        admin.createNamespace(CreateNamespaceRequest.newBuilder().setNamespace("probe/ns").build());
        admin.createTopic(CreateTopicRequest.newBuilder().setTopic("public/default/fuzz-part").setPartitions(2).build());
        for (String topic : List.of("public/default/fuzz-0", "public/default/fuzz-1", "fuzz/ns/t",
                "public/default/fuzz-part-partition-1")) {
            for (int i = 0; i < SEEDED_ENTRIES; i++) {
                storedIds.add(publishOne(topic, "seed-" + i, i * 3L, 3));
            }
        }
    }

    /** The cluster of this JVM, started on first use and stopped when the JVM exits. */
    static synchronized FuzzCluster get() throws Exception {
        if (instance == null) {
            File dir = Files.createTempDirectory("tributary-fuzz").toFile();
            instance = new FuzzCluster(dir);
            Runtime.getRuntime().addShutdownHook(new Thread(instance::close, "fuzz-cluster-stop"));
        }
        return instance;
    }

    private void close() {
        proxy.shutdownNow();
        broker.shutdownNow();
        standalone.close();
        // a standalone's data takes about a gigabyte (preallocated journal and entry logs): not left in /tmp
        try (java.util.stream.Stream<java.nio.file.Path> files = Files.walk(dir.toPath())) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (java.io.IOException e) {
            System.err.println("could not delete " + dir + ": " + e);
        }
    }

    /**
     * Publishes one batch of {@code count} messages through the proxy on a fresh producer and
     * returns its id; fails if it is not acknowledged within the deadline.
     */
    MessageId publishOne(String topic, String producer, long sequenceId, int count) throws Exception {
        LinkedBlockingQueue<Object> replies = new LinkedBlockingQueue<>();
        var requests = MessagingServiceGrpc.newStub(proxy).withDeadlineAfter(60, TimeUnit.SECONDS)
                .publish(new io.grpc.stub.StreamObserver<PublishResponse>() {
                    @Override
                    public void onNext(PublishResponse r) {
                        replies.add(r);
                    }

                    @Override
                    public void onError(Throwable t) {
                        replies.add(t);
                    }

                    @Override
                    public void onCompleted() {
                        replies.add("completed");
                    }
                });
        requests.onNext(PublishRequest.newBuilder().setOpen(ProducerOpen.newBuilder().setTopic(topic).setProducerName(producer)).build());
        List<SingleMessage> messages = IntStream.range(0, count)
                .mapToObj(i -> SingleMessage.newBuilder().setValue(ByteString.copyFromUtf8("m" + i)).build()).toList();
        requests.onNext(PublishRequest.newBuilder().setBatch(PublishBatch.newBuilder().setSequenceId(sequenceId)
                .setMessageCount(count).setEntry(EntryCodec.encode(producer, "bytes", sequenceId, messages,
                        System.currentTimeMillis()))).build());
        requests.onCompleted();
        MessageId id = null;
        while (true) {
            Object r = replies.poll(60, TimeUnit.SECONDS);
            if (r == null) {
                throw new AssertionError("no reply to a known-good publish on " + topic + " within 60 s");
            }
            if (r instanceof Throwable t) {
                throw new AssertionError("a known-good publish on " + topic + " failed", t);
            }
            if (r instanceof PublishResponse p && p.hasError()) {
                throw new AssertionError("a known-good publish on " + topic + " was refused: " + p.getError());
            }
            if (r instanceof PublishResponse p && p.hasAck()) {
                id = p.getAck().getMessageId().toBuilder().setBatchSize(count).build();
            }
            if ("completed".equals(r)) {
                if (id == null) {
                    throw new AssertionError("a known-good publish on " + topic + " ended without an ack");
                }
                return id;
            }
        }
    }

    /**
     * The liveness probe: a known-good publish through the proxy is acknowledged, and the broker
     * reports it as the topic's last message.
     */
    void probe() throws Exception {
        long seq = probeSequence++;
        MessageId stored = publishOne(PROBE_TOPIC, "probe", seq, 1);
        MessageId last = MessagingServiceGrpc.newBlockingStub(broker).withDeadlineAfter(30, TimeUnit.SECONDS)
                .getLastMessageId(GetLastMessageIdRequest.newBuilder().setTopic(PROBE_TOPIC).build()).getLastMessageId();
        if (last.getLedgerId() != stored.getLedgerId() || last.getEntryId() != stored.getEntryId()) {
            throw new AssertionError("the probe's message " + stored + " is not the topic's last message: " + last);
        }
    }

    /**
     * What streams of {@code topic} the broker still holds: producers, stream consumers (not the
     * unary Receive consumers, which expire on their own) and non-durable subscriptions.
     */
    String openStreams(String topic) {
        TopicStats stats = AdminServiceGrpc.newBlockingStub(broker).withDeadlineAfter(30, TimeUnit.SECONDS)
                .getTopicStats(GetTopicStatsRequest.newBuilder().setTopic(topic).build());
        StringBuilder open = new StringBuilder();
        if (stats.getProducers() > 0) {
            open.append(stats.getProducers()).append(" producers; ");
        }
        for (SubscriptionStats s : stats.getSubscriptionsList()) {
            long streams = s.getConsumersList().stream().filter(c -> !c.getConsumerName().startsWith("pull-")).count();
            if (streams > 0) {
                open.append(s.getSubscription()).append(": ").append(streams).append(" consumers; ");
            }
            if (!s.getDurable()) {
                open.append("non-durable subscription ").append(s.getSubscription()).append("; ");
            }
        }
        return open.toString();
    }

    /** Waits until no stream of {@code topics} is open on the broker; the leaks found otherwise. */
    String awaitNoOpenStreams(Set<String> topics, Duration timeout) {
        AtomicReference<String> leaks = new AtomicReference<>("");
        try {
            await().atMost(timeout).pollInterval(Duration.ofMillis(50)).until(() -> {
                StringBuilder all = new StringBuilder();
                for (String t : topics) {
                    String open = openStreams(t);
                    if (!open.isEmpty()) {
                        all.append(t).append(": ").append(open);
                    }
                }
                leaks.set(all.toString());
                return all.isEmpty();
            });
        } catch (ConditionTimeoutException stillOpen) {
            // reported by the caller: the streams still open at the deadline
        }
        return leaks.get();
    }
}
