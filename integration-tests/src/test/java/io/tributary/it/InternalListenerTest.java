package io.tributary.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.tributary.api.v1.AdminServiceGrpc;
import io.tributary.api.v1.LookupRequest;
import io.tributary.api.v1.LookupServiceGrpc;
import io.tributary.api.v1.UnloadBundleRequest;
import io.tributary.broker.Broker;
import io.tributary.broker.loadmanager.LoadBalancerConfig;
import io.tributary.client.Consumer;
import io.tributary.client.Message;
import io.tributary.client.Producer;
import io.tributary.client.Schema;
import io.tributary.client.SubscriptionInitialPosition;
import io.tributary.client.TributaryClient;
import io.tributary.internal.v1.BrokerControlServiceGrpc;
import io.tributary.internal.v1.BrokerRegistration;
import io.tributary.internal.v1.PrepareBundleRequest;
import io.tributary.storage.StorageClients;
import io.tributary.storage.meta.MetadataPaths;
import io.tributary.storage.meta.MetadataStore;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Brokers control each other over their internal listener; clients reach only the client port and the proxy. */
class InternalListenerTest {
    @TempDir
    Path dir;
    InProcessCluster cluster;

    @BeforeEach
    void start() throws Exception {
        cluster = new InProcessCluster(dir.toFile());
        // automatic balancing off: the tests move bundles themselves
        LoadBalancerConfig manual = InProcessCluster.MANUAL;
        cluster.addBroker(c -> c.toBuilder().loadBalancer(manual).build());
        cluster.addBroker(c -> c.toBuilder().loadBalancer(manual).build());
    }

    @AfterEach
    void stop() {
        cluster.close();
    }

    private static ManagedChannel plaintext(String address) {
        return NettyChannelBuilder.forTarget(address).usePlaintext().build();
    }

    private static PrepareBundleRequest prepare() {
        return PrepareBundleRequest.newBuilder().setNamespace("public/default").setBundle("0x00000000_0x40000000")
                .setTimeoutMs(100).build();
    }

    @Test
    void theControlServiceIsNotServedOnTheClientPort() throws Exception {
        Broker broker = cluster.brokers.get(0);
        assertThat(broker.internalAddress()).isNotEqualTo(broker.address());
        for (String clientFacing : new String[] {broker.address(), cluster.serviceUrl()}) {
            ManagedChannel channel = plaintext(clientFacing);
            try {
                assertThatThrownBy(() -> BrokerControlServiceGrpc.newBlockingStub(channel)
                        .withDeadlineAfter(10, TimeUnit.SECONDS).prepareBundle(prepare()))
                        .as("the control service at %s", clientFacing)
                        .isInstanceOfSatisfying(StatusRuntimeException.class,
                                e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNIMPLEMENTED));
                // what clients need is still there
                assertThat(LookupServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
                        .lookup(LookupRequest.newBuilder().setTopic("public/default/still-served").build())
                        .getBrokerAddress()).isNotEmpty();
            } finally {
                channel.shutdownNow();
            }
        }
        // the internal listener serves it (no authentication configured in this cluster)
        ManagedChannel internal = plaintext(broker.internalAddress());
        try {
            BrokerControlServiceGrpc.newBlockingStub(internal).withDeadlineAfter(10, TimeUnit.SECONDS).prepareBundle(prepare());
        } finally {
            internal.shutdownNow();
        }
    }

    @Test
    void bundlesMoveBetweenBrokersOverTheInternalListener() throws Exception {
        // each broker registers where other brokers reach its control service
        CuratorFramework curator = StorageClients.curator(cluster.zk.connectString(), "/tributary", Duration.ofSeconds(10));
        try {
            MetadataStore store = new MetadataStore(curator);
            for (Broker b : cluster.brokers) {
                BrokerRegistration reg = BrokerRegistration.parseFrom(store.get(MetadataPaths.broker(b.brokerId()))
                        .get(10, TimeUnit.SECONDS).orElseThrow().value());
                assertThat(reg.getAddress()).isEqualTo(b.address());
                assertThat(reg.getInternalAddress()).isEqualTo(b.internalAddress()).isNotEqualTo(b.address());
            }
        } finally {
            curator.close();
        }

        String topic = "public/default/moved-internally";
        ManagedChannel channel = plaintext(cluster.serviceUrl());
        try (TributaryClient client = TributaryClient.builder().serviceUrl(cluster.serviceUrl()).build();
             Consumer<String> consumer = client.newConsumer(Schema.STRING).topic(topic).subscriptionName("s")
                     .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe();
             Producer<String> producer = client.newProducer(Schema.STRING).topic(topic).create()) {
            producer.send("before");
            var lookup = LookupServiceGrpc.newBlockingStub(channel);
            var first = lookup.lookup(LookupRequest.newBuilder().setTopic(topic).build());
            String other = cluster.brokers.stream().map(Broker::brokerId).filter(id -> !id.equals(first.getBrokerId()))
                    .findFirst().orElseThrow();
            // asked through the proxy of any broker: the move is carried out by control calls between brokers,
            // which only their internal listeners serve
            var moved = AdminServiceGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS)
                    .unloadBundle(UnloadBundleRequest.newBuilder().setNamespace("public/default")
                            .setBundle(first.getBundle()).setDestinationBrokerId(other).build());
            assertThat(moved.getNewOwnerBrokerId()).isEqualTo(other);
            assertThat(lookup.lookup(LookupRequest.newBuilder().setTopic(topic).build()).getBrokerId()).isEqualTo(other);
            producer.send("after");
            for (String expected : new String[] {"before", "after"}) {
                Message<String> m = consumer.receive(30, TimeUnit.SECONDS);
                assertThat(m).isNotNull();
                assertThat(m.getValue()).isEqualTo(expected);
                consumer.acknowledge(m);
            }
        } finally {
            channel.shutdownNow();
        }
    }

    @Test
    void aBrokerWhoseInternalPortIsTakenDoesNotStartAndSaysWhichSetting() throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0)) {
            assertThatThrownBy(() -> cluster.addBroker(c -> c.toBuilder().internalPort(taken.getLocalPort()).build()))
                    .hasMessageContaining("broker.internal.port=" + taken.getLocalPort());
        }
        // the brokers already running are not disturbed
        ManagedChannel channel = plaintext(cluster.serviceUrl());
        try {
            assertThat(LookupServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
                    .lookup(LookupRequest.newBuilder().setTopic("public/default/after-a-failed-start").build())
                    .getBrokerAddress()).isIn(cluster.brokers.stream().map(Broker::address).toList());
        } finally {
            channel.shutdownNow();
        }
    }
}
