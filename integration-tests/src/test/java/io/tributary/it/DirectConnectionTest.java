package io.tributary.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.tributary.api.v1.AdminServiceGrpc;
import io.tributary.api.v1.LookupRequest;
import io.tributary.api.v1.LookupResponse;
import io.tributary.api.v1.LookupServiceGrpc;
import io.tributary.api.v1.UnloadBundleRequest;
import io.tributary.broker.Broker;
import io.tributary.client.ConnectionMode;
import io.tributary.client.Consumer;
import io.tributary.client.Message;
import io.tributary.client.MessageId;
import io.tributary.client.Producer;
import io.tributary.client.Schema;
import io.tributary.client.SubscriptionInitialPosition;
import io.tributary.client.SubscriptionType;
import io.tributary.client.TributaryClient;
import io.tributary.proxy.ProxyServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client in {@link ConnectionMode#DIRECT} on real ZooKeeper, BookKeeper, two brokers and the proxy: its
 * Publish and Subscribe streams open on the owning broker, never through the proxy (the proxy's stream byte
 * counters do not move; a PROXY client moves them, which shows the check can fail), and they follow a bundle
 * move and a broker that stops without losing or failing a send.
 */
class DirectConnectionTest {
    @TempDir
    static Path dir;
    static InProcessCluster cluster;
    static ProxyServer proxy;
    static ManagedChannel channel;

    @BeforeAll
    static void start() throws Exception {
        cluster = new InProcessCluster(dir.toFile());
        // automatic balancing off: bundles move only when a test moves them
        cluster.addBroker(c -> c.toBuilder().loadBalancer(InProcessCluster.MANUAL).build());
        cluster.addBroker(c -> c.toBuilder().loadBalancer(InProcessCluster.MANUAL).build());
        proxy = cluster.proxy();
        channel = NettyChannelBuilder.forTarget(cluster.serviceUrl()).usePlaintext().build();
    }

    @AfterAll
    static void stop() {
        if (channel != null) {
            channel.shutdownNow();
        }
        cluster.close();
    }

    private static TributaryClient client(ConnectionMode mode) throws Exception {
        return TributaryClient.builder().serviceUrl(cluster.serviceUrl()).connectionMode(mode).build();
    }

    /** The bytes the proxy carried on Publish and Subscribe streams, both ways, since it started. */
    private static double proxyStreamBytes() throws Exception {
        int port = proxy.metricsPort();
        return MetricsScrape.sum(port, "tributary_proxy_bytes_in_total{kind=\"publish\"")
                + MetricsScrape.sum(port, "tributary_proxy_bytes_out_total{kind=\"publish\"")
                + MetricsScrape.sum(port, "tributary_proxy_bytes_in_total{kind=\"subscribe\"")
                + MetricsScrape.sum(port, "tributary_proxy_bytes_out_total{kind=\"subscribe\"");
    }

    private static LookupResponse lookup(String topic) {
        return LookupServiceGrpc.newBlockingStub(channel).lookup(LookupRequest.newBuilder().setTopic(topic).build());
    }

    private static Broker broker(String brokerId) {
        return cluster.brokers.stream().filter(b -> b.brokerId().equals(brokerId)).findFirst().orElseThrow();
    }

    /** Whether a live Publish stream of {@code producer} is on {@code broker}. */
    private static boolean holds(Broker broker, String topic, String producer) {
        return broker.topics().loadedTopicsNow().stream()
                .anyMatch(t -> t.name().toString().equals(topic) && t.hasProducer(producer));
    }

    private static Set<String> receiveAll(Consumer<String> consumer, int n) throws Exception {
        Set<String> received = new HashSet<>();
        while (received.size() < n) {
            Message<String> m = consumer.receive(30, TimeUnit.SECONDS);
            assertThat(m).as("message after %s received", received.size()).isNotNull();
            received.add(m.getValue());
            consumer.acknowledge(m);
        }
        return received;
    }

    @Test
    void exclusiveAndSharedSubscriptionsAndAProducerGoStraightToTheOwner() throws Exception {
        String topic = "public/default/direct-plain";
        int n = 200;
        double before = proxyStreamBytes();
        try (TributaryClient client = client(ConnectionMode.DIRECT);
             Consumer<String> exclusive = client.newConsumer(Schema.STRING).topic(topic).subscriptionName("ex")
                     .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe();
             Consumer<String> shared1 = client.newConsumer(Schema.STRING).topic(topic).subscriptionName("sh")
                     .subscriptionType(SubscriptionType.Shared)
                     .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe();
             Consumer<String> shared2 = client.newConsumer(Schema.STRING).topic(topic).subscriptionName("sh")
                     .subscriptionType(SubscriptionType.Shared)
                     .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe();
             Producer<String> producer = client.newProducer(Schema.STRING).topic(topic).create()) {
            List<CompletableFuture<MessageId>> sent = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                sent.add(producer.sendAsync("m-" + i));
            }
            for (CompletableFuture<MessageId> f : sent) {
                assertThat(f.get(30, TimeUnit.SECONDS)).isNotNull();
            }
            assertThat(receiveAll(exclusive, n)).hasSize(n);
            Set<String> shared = new HashSet<>();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (shared.size() < n && System.nanoTime() < deadline) {
                for (Consumer<String> c : List.of(shared1, shared2)) {
                    Message<String> m = c.receive(50, TimeUnit.MILLISECONDS);
                    if (m != null) {
                        shared.add(m.getValue());
                        c.acknowledge(m);
                    }
                }
            }
            assertThat(shared).as("the shared subscription's consumers together").hasSize(n);
            assertThat(holds(broker(lookup(topic).getBrokerId()), topic, producer.getProducerName())).isTrue();
            assertThat(proxyStreamBytes()).as("nothing went through the proxy").isEqualTo(before);
        }

        // the same check fails for a client through the proxy
        try (TributaryClient client = client(ConnectionMode.PROXY);
             Consumer<String> consumer = client.newConsumer(Schema.STRING).topic(topic).subscriptionName("ex")
                     .subscribe();
             Producer<String> producer = client.newProducer(Schema.STRING).topic(topic).create()) {
            producer.send("through the proxy");
            assertThat(receiveAll(consumer, 1)).containsExactly("through the proxy");
            assertThat(proxyStreamBytes()).isGreaterThan(before);
        }
        // the proxy's streams are over, so its counters stay still for the other tests
        await().atMost(Duration.ofSeconds(20))
                .until(() -> MetricsScrape.sum(proxy.metricsPort(), "tributary_proxy_active_streams{") == 0);
    }

    @Test
    void aBundleMovedTwiceUnderASteadyProducerLosesAndFailsNothingAndTheStreamsFollow() throws Exception {
        String topic = "public/default/direct-moving";
        int n = 2000; // at 500 msg/s: 4 s
        ScheduledExecutorService pace = Executors.newSingleThreadScheduledExecutor();
        try (TributaryClient client = client(ConnectionMode.DIRECT);
             Consumer<String> consumer = client.newConsumer(Schema.STRING).topic(topic).subscriptionName("follow")
                     .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe();
             Producer<String> producer = client.newProducer(Schema.STRING).topic(topic).create()) {
            double before = proxyStreamBytes();
            String bundle = lookup(topic).getBundle();
            List<CompletableFuture<MessageId>> sent = new ArrayList<>();
            pace.scheduleAtFixedRate(() -> {
                synchronized (sent) {
                    if (sent.size() < n) {
                        sent.add(producer.sendAsync("m-" + sent.size()));
                    }
                }
            }, 0, 2, TimeUnit.MILLISECONDS);
            AdminServiceGrpc.AdminServiceBlockingStub admin = AdminServiceGrpc.newBlockingStub(channel);
            for (int at : new int[] {n / 3, 2 * n / 3}) {
                await().atMost(Duration.ofSeconds(20)).until(() -> {
                    synchronized (sent) {
                        return sent.size() >= at;
                    }
                });
                String owner = lookup(topic).getBrokerId();
                String other = cluster.brokers.stream().map(Broker::brokerId).filter(id -> !id.equals(owner))
                        .findFirst().orElseThrow();
                assertThat(admin.unloadBundle(UnloadBundleRequest.newBuilder().setNamespace("public/default")
                        .setBundle(bundle).setDestinationBrokerId(other).build()).getNewOwnerBrokerId())
                        .isEqualTo(other);
            }
            await().atMost(Duration.ofSeconds(20)).until(() -> {
                synchronized (sent) {
                    return sent.size() == n;
                }
            });
            pace.shutdown();
            for (CompletableFuture<MessageId> f : sent) {
                assertThat(f.get(30, TimeUnit.SECONDS)).as("no send fails").isNotNull();
            }
            assertThat(receiveAll(consumer, n)).hasSize(n);
            String newOwner = lookup(topic).getBrokerId();
            await().atMost(Duration.ofSeconds(10)).until(() -> holds(broker(newOwner), topic, producer.getProducerName()));
            assertThat(proxyStreamBytes()).as("nothing went through the proxy").isEqualTo(before);
        } finally {
            pace.shutdownNow();
        }
    }

    @Test
    void theStreamsCarryOnOnTheNewOwnerWhenTheirBrokerStops() throws Exception {
        // a third broker, so that the other tests still have two whichever runs first
        cluster.addBroker(c -> c.toBuilder().loadBalancer(InProcessCluster.MANUAL).build());
        String topic = "public/default/direct-stopped";
        try (TributaryClient client = client(ConnectionMode.DIRECT);
             Consumer<String> consumer = client.newConsumer(Schema.STRING).topic(topic).subscriptionName("stay")
                     .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe();
             Producer<String> producer = client.newProducer(Schema.STRING).topic(topic).create()) {
            double before = proxyStreamBytes();
            producer.send("before");
            String ownerId = lookup(topic).getBrokerId();
            Broker owner = broker(ownerId);
            List<CompletableFuture<MessageId>> sent = new ArrayList<>();
            CompletableFuture<Void> stopping = CompletableFuture.runAsync(owner::close);
            for (int i = 0; i < 300; i++) {
                sent.add(producer.sendAsync("during-" + i));
            }
            stopping.get(40, TimeUnit.SECONDS);
            cluster.brokers.remove(owner);
            for (CompletableFuture<MessageId> f : sent) {
                assertThat(f.get(30, TimeUnit.SECONDS)).isNotNull();
            }
            assertThat(producer.send("after")).isNotNull();
            assertThat(receiveAll(consumer, 302)).contains("before", "during-0", "during-299", "after");
            String newOwner = lookup(topic).getBrokerId();
            assertThat(newOwner).isNotEqualTo(ownerId);
            assertThat(holds(broker(newOwner), topic, producer.getProducerName())).isTrue();
            assertThat(proxyStreamBytes()).as("nothing went through the proxy").isEqualTo(before);
        }
    }
}
