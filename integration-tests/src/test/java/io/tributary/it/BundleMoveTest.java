package io.tributary.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.tributary.api.v1.AdminServiceGrpc;
import io.tributary.api.v1.BundleInfo;
import io.tributary.api.v1.DrainBrokerRequest;
import io.tributary.api.v1.ListBundlesRequest;
import io.tributary.api.v1.LookupRequest;
import io.tributary.api.v1.LookupResponse;
import io.tributary.api.v1.LookupServiceGrpc;
import io.tributary.api.v1.SplitBundleRequest;
import io.tributary.api.v1.UnloadBundleRequest;
import io.tributary.api.v1.UnloadBundleResponse;
import io.tributary.broker.Broker;
import io.tributary.broker.loadmanager.LoadBalancerConfig;
import io.tributary.client.Consumer;
import io.tributary.client.Message;
import io.tributary.client.MessageId;
import io.tributary.client.Producer;
import io.tributary.client.Schema;
import io.tributary.client.SubscriptionInitialPosition;
import io.tributary.client.TributaryClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bundles move between brokers under load: no error reaches the application, nothing is lost or stored twice. */
class BundleMoveTest {
    @TempDir
    Path dir;
    InProcessCluster cluster;
    ManagedChannel channel;

    @BeforeEach
    void start() throws Exception {
        cluster = new InProcessCluster(dir.toFile());
        // automatic balancing off: this test moves bundles itself
        LoadBalancerConfig manual = InProcessCluster.MANUAL;
        // each with its metrics endpoint, read by the failure test
        cluster.addBroker(c -> c.toBuilder().loadBalancer(manual).metricsPort(0).build());
        cluster.addBroker(c -> c.toBuilder().loadBalancer(manual).metricsPort(0).build());
        channel = NettyChannelBuilder.forTarget(cluster.serviceUrl()).usePlaintext().build();
    }

    @AfterEach
    void stop() {
        if (channel != null) {
            channel.shutdownNow();
        }
        cluster.close();
    }

    private LookupResponse lookup(String topic) {
        return LookupServiceGrpc.newBlockingStub(channel).lookup(LookupRequest.newBuilder().setTopic(topic).build());
    }

    private String otherBroker(String brokerId) {
        return cluster.brokers.stream().map(Broker::brokerId).filter(id -> !id.equals(brokerId)).findFirst().orElseThrow();
    }

    @Test
    void producersAndConsumersFollowABundleMovedBackAndForthWithoutErrorsLossOrDuplicates() throws Exception {
        String topic = "public/default/moving";
        int n = 3000;
        try (TributaryClient client = TributaryClient.builder().serviceUrl(cluster.serviceUrl()).build();
             Consumer<String> consumer = client.newConsumer(Schema.STRING).topic(topic).subscriptionName("follow")
                     .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe();
             Producer<String> producer = client.newProducer(Schema.STRING).topic(topic).create()) {
            List<CompletableFuture<MessageId>> sent = new ArrayList<>();
            Set<String> received = new HashSet<>();
            String ns = "public/default";
            String bundle = lookup(topic).getBundle();
            AdminServiceGrpc.AdminServiceBlockingStub admin = AdminServiceGrpc.newBlockingStub(channel);

            int moves = 0;
            for (int i = 0; i < n; i++) {
                sent.add(producer.sendAsync("m-" + i));
                if (i % 750 == 749) {
                    // move the bundle to the other broker while messages are in flight
                    String owner = lookup(topic).getBrokerId();
                    UnloadBundleResponse r = admin.unloadBundle(UnloadBundleRequest.newBuilder().setNamespace(ns)
                            .setBundle(bundle).setDestinationBrokerId(otherBroker(owner)).build());
                    assertThat(r.getNewOwnerBrokerId()).isEqualTo(otherBroker(owner));
                    moves++;
                }
                Message<String> m = consumer.receive(0, TimeUnit.MILLISECONDS);
                if (m != null) {
                    received.add(m.getValue());
                    consumer.acknowledge(m);
                }
            }
            producer.flush();
            for (CompletableFuture<MessageId> f : sent) {
                assertThat(f.get(30, TimeUnit.SECONDS)).as("every send succeeds despite %d moves", moves).isNotNull();
            }
            while (received.size() < n) {
                Message<String> m = consumer.receive(30, TimeUnit.SECONDS);
                assertThat(m).as("message after %d received", received.size()).isNotNull();
                received.add(m.getValue());
                consumer.acknowledge(m);
            }
            assertThat(moves).isEqualTo(4);
            // the proxy and the brokers agree on the final owner
            assertThat(admin.listBundles(ListBundlesRequest.newBuilder().setNamespace(ns).build()).getBundlesList())
                    .filteredOn(b -> b.getBundle().equals(bundle))
                    .singleElement()
                    .satisfies(b -> assertThat(b.getOwnerBrokerId()).isEqualTo(lookup(topic).getBrokerId()));
        }
        // stored exactly once: a new subscription reads each message once, in order
        try (TributaryClient client = TributaryClient.builder().serviceUrl(cluster.serviceUrl()).build();
             Consumer<String> audit = client.newConsumer(Schema.STRING).topic(topic).subscriptionName("audit")
                     .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe()) {
            for (int i = 0; i < n; i++) {
                Message<String> m = audit.receive(30, TimeUnit.SECONDS);
                assertThat(m).isNotNull();
                assertThat(m.getValue()).isEqualTo("m-" + i);
            }
            assertThat(audit.receive(500, TimeUnit.MILLISECONDS)).as("no duplicate stored").isNull();
        }
    }

    @Test
    void closingABrokerHandsItsBundlesToTheOtherFirst() throws Exception {
        String topic = "public/default/drained";
        try (TributaryClient client = TributaryClient.builder().serviceUrl(cluster.serviceUrl()).build();
             Producer<String> producer = client.newProducer(Schema.STRING).topic(topic).create()) {
            producer.send("before");
            String ownerId = lookup(topic).getBrokerId();
            Broker owner = cluster.brokers.stream().filter(b -> b.brokerId().equals(ownerId)).findFirst().orElseThrow();
            List<CompletableFuture<MessageId>> sent = new ArrayList<>();
            CompletableFuture<Void> closing = CompletableFuture.runAsync(owner::close);
            for (int i = 0; i < 500; i++) {
                sent.add(producer.sendAsync("during-" + i));
            }
            closing.get(60, TimeUnit.SECONDS);
            cluster.brokers.remove(owner);
            for (CompletableFuture<MessageId> f : sent) {
                assertThat(f.get(30, TimeUnit.SECONDS)).isNotNull();
            }
            await().atMost(Duration.ofSeconds(20)).until(() -> !lookup(topic).getBrokerId().equals(ownerId));
            assertThat(producer.send("after")).isNotNull();
        }
    }

    /**
     * Moves and splits that fail are counted by reason and error on the brokers' /metrics: a move to a
     * draining broker (it refuses to acquire the bundle, after the owner has released it), a move to a broker
     * that does not exist, and a split of a bundle nobody owns.
     */
    @Test
    void failedMovesAndSplitsAreCountedByReasonAndError() throws Exception {
        String topic = "public/default/refused";
        String ns = "public/default";
        try (TributaryClient client = TributaryClient.builder().serviceUrl(cluster.serviceUrl()).build();
             Producer<String> producer = client.newProducer(Schema.STRING).topic(topic).create()) {
            producer.send("owned");
        }
        String bundle = lookup(topic).getBundle();
        String ownerId = lookup(topic).getBrokerId();
        String otherId = otherBroker(ownerId);
        assertThat(sumOfBrokers("tributary_loadmanager_unload_failures_total{")).isZero();
        // the admin API of the broker that does not own the bundle, not the proxy's (which retries a call that
        // failed as UNAVAILABLE): it forwards the move to the owner
        Broker other = cluster.brokers.stream().filter(b -> b.brokerId().equals(otherId)).findFirst().orElseThrow();
        ManagedChannel direct = NettyChannelBuilder.forTarget(other.address()).usePlaintext().build();
        try {
            failedMovesAndSplits(AdminServiceGrpc.newBlockingStub(direct), ns, bundle, ownerId, otherId);
        } finally {
            direct.shutdownNow();
        }
    }

    private void failedMovesAndSplits(AdminServiceGrpc.AdminServiceBlockingStub admin, String ns, String bundle, String ownerId,
                                      String otherId) throws Exception {

        // the other broker drains (it has nothing of this topic's to hand over) and takes no bundle from then on
        admin.drainBroker(DrainBrokerRequest.newBuilder().setBrokerId(otherId).build());
        assertThatThrownBy(() -> admin.unloadBundle(UnloadBundleRequest.newBuilder().setNamespace(ns).setBundle(bundle)
                .setDestinationBrokerId(otherId).build())).isInstanceOf(StatusRuntimeException.class)
                .hasMessageContaining("draining");
        // counted once, by the owner that tried; the broker that forwarded the admin call got the owner's answer
        assertThat(brokerMetric(ownerId,
                "tributary_loadmanager_unload_failures_total{reason=\"admin\",error=\"SERVICE_NOT_READY\",")).isEqualTo(1.0);
        assertThat(brokerMetric(otherId, "tributary_loadmanager_unload_failures_total{")).isZero();
        assertThat(sumOfBrokers("tributary_loadmanager_unloads_total{reason=\"admin\",")).as("no move succeeded").isZero();

        assertThatThrownBy(() -> admin.unloadBundle(UnloadBundleRequest.newBuilder().setNamespace(ns).setBundle(bundle)
                .setDestinationBrokerId("no-such-broker").build())).isInstanceOf(StatusRuntimeException.class);
        // the bundle may be unowned after the failed move: then it is refused as having no owner, else as an unknown broker
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(sumOfBrokers("tributary_loadmanager_unload_failures_total{reason=\"admin\",error=\"INVALID_REQUEST\",")
                        + sumOfBrokers("tributary_loadmanager_unload_failures_total{reason=\"admin\",error=\"NOT_ALLOWED\","))
                        .isEqualTo(1.0));

        String unowned = admin.listBundles(ListBundlesRequest.newBuilder().setNamespace(ns).build()).getBundlesList().stream()
                .filter(b -> b.getOwnerBrokerId().isEmpty()).map(BundleInfo::getBundle).findFirst().orElseThrow();
        assertThatThrownBy(() -> admin.splitBundle(SplitBundleRequest.newBuilder().setNamespace(ns).setBundle(unowned).build()))
                .isInstanceOf(StatusRuntimeException.class);
        assertThat(sumOfBrokers("tributary_loadmanager_split_failures_total{reason=\"admin\",error=\"NOT_ALLOWED\","))
                .isEqualTo(1.0);
    }

    private double brokerMetric(String brokerId, String seriesPrefix) throws Exception {
        Broker b = cluster.brokers.stream().filter(x -> x.brokerId().equals(brokerId)).findFirst().orElseThrow();
        return MetricsScrape.sum(b.metricsPort(), seriesPrefix);
    }

    private double sumOfBrokers(String seriesPrefix) throws Exception {
        double sum = 0;
        for (Broker b : cluster.brokers) {
            sum += MetricsScrape.sum(b.metricsPort(), seriesPrefix);
        }
        return sum;
    }
}
