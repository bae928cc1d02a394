package io.tributary.it.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.tributary.api.v1.AdminServiceGrpc;
import io.tributary.api.v1.BrokerInfo;
import io.tributary.api.v1.ListBrokersRequest;
import io.tributary.client.Consumer;
import io.tributary.client.Message;
import io.tributary.client.MessageId;
import io.tributary.client.Producer;
import io.tributary.client.Schema;
import io.tributary.client.SubscriptionInitialPosition;
import io.tributary.client.TributaryClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/** What the elastic-scaling scenarios share: steady load, and checks of what was stored. */
final class Scenarios {
    private Scenarios() {}

    /** Fast load-manager cycles for tests (the defaults are seconds to minutes). */
    static final Map<String, String> FAST_BALANCING = Map.of(
            "broker.loadReportInterval", "1s",
            "broker.loadBalancerInterval", "2s",
            "broker.loadBalancerGracePeriod", "5s",
            "broker.loadBalancerMinRate", "20");

    /** Producers that send a steady rate to some topics until stopped, recording every send. */
    static final class Load implements AutoCloseable {
        final List<String> topics;
        final List<Producer<String>> producers = new ArrayList<>();
        final Map<String, List<CompletableFuture<MessageId>>> sent = new java.util.concurrent.ConcurrentHashMap<>();
        final ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final Thread thread;

        Load(TributaryClient client, List<String> topics, int messagesPerSecond) throws Exception {
            this.topics = topics;
            for (String t : topics) {
                producers.add(client.newProducer(Schema.STRING).topic(t).sendTimeout(java.time.Duration.ofSeconds(60)).create());
                sent.put(t, java.util.Collections.synchronizedList(new ArrayList<>()));
            }
            thread = new Thread(() -> {
                long intervalNanos = 1_000_000_000L * topics.size() / Math.max(1, messagesPerSecond);
                long next = System.nanoTime();
                int i = 0;
                while (running.get()) {
                    for (int p = 0; p < producers.size(); p++) {
                        CompletableFuture<MessageId> f = producers.get(p).sendAsync(topics.get(p) + "#" + i);
                        f.whenComplete((id, e) -> {
                            if (e != null) {
                                failures.add(e);
                            }
                        });
                        sent.get(topics.get(p)).add(f);
                    }
                    i++;
                    next += intervalNanos;
                    long wait = next - System.nanoTime();
                    if (wait > 0) {
                        java.util.concurrent.locks.LockSupport.parkNanos(wait);
                    }
                }
            }, "load");
            thread.start();
        }

        /** Stops sending and waits for every send to be answered. */
        void stopAndAwait() throws Exception {
            running.set(false);
            thread.join(30_000);
            for (List<CompletableFuture<MessageId>> fs : sent.values()) {
                synchronized (fs) {
                    for (CompletableFuture<MessageId> f : fs) {
                        try {
                            f.get(90, TimeUnit.SECONDS);
                        } catch (Exception e) {
                            // recorded in failures
                        }
                    }
                }
            }
        }

        int sentCount(String topic) {
            return sent.get(topic).size();
        }

        @Override
        public void close() throws Exception {
            running.set(false);
            thread.join(30_000);
            for (Producer<String> p : producers) {
                p.close();
            }
        }
    }

    /** Every message sent to {@code topic} by {@link Load} is stored exactly once and in order. */
    static void assertStoredExactlyOnce(TributaryClient client, String topic, int count) throws Exception {
        try (Consumer<String> audit = client.newConsumer(Schema.STRING).topic(topic).subscriptionName("audit-" + System.nanoTime())
                .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe()) {
            for (int i = 0; i < count; i++) {
                Message<String> m = audit.receive(60, TimeUnit.SECONDS);
                assertThat(m).as("%s: message %d of %d", topic, i, count).isNotNull();
                assertThat(m.getValue()).isEqualTo(topic + "#" + i);
            }
            assertThat(audit.receive(500, TimeUnit.MILLISECONDS)).as("%s: nothing stored twice", topic).isNull();
        }
    }

    static List<BrokerInfo> brokers(String serviceUrl) {
        ManagedChannel ch = NettyChannelBuilder.forTarget(serviceUrl).usePlaintext().build();
        try {
            return AdminServiceGrpc.newBlockingStub(ch).withDeadlineAfter(20, TimeUnit.SECONDS)
                    .listBrokers(ListBrokersRequest.getDefaultInstance()).getBrokersList();
        } finally {
            ch.shutdownNow();
        }
    }
}
