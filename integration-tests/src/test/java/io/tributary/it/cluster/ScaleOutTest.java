package io.tributary.it.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.tributary.api.v1.AdminServiceGrpc;
import io.tributary.api.v1.BrokerInfo;
import io.tributary.api.v1.CreateNamespaceRequest;
import io.tributary.client.TributaryClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Scale out: brokers that join take a fair share of the load, with no error and no loss. */
class ScaleOutTest {

    @Test
    void twoBrokersJoiningALoadedOneEachTakeAFairShare() throws Exception {
        try (ClusterFixture cluster = ClusterFixture.start()) {
            BrokerProcess first = cluster.addBroker(Scenarios.FAST_BALANCING);
            ManagedChannel ch = NettyChannelBuilder.forTarget(cluster.serviceUrl()).usePlaintext().build();
            AdminServiceGrpc.newBlockingStub(ch).createNamespace(CreateNamespaceRequest.newBuilder()
                    .setNamespace("public/scale").setBundles(16).build());
            ch.shutdownNow();

            List<String> topics = new ArrayList<>();
            for (int i = 0; i < 48; i++) {
                topics.add("public/scale/t" + i);
            }
            try (TributaryClient client = TributaryClient.builder().serviceUrl(cluster.serviceUrl()).build()) {
                Scenarios.Load load = new Scenarios.Load(client, topics, 600);
                await().atMost(Duration.ofSeconds(30)).until(() -> Scenarios.brokers(cluster.serviceUrl()).get(0).getBundles() >= 12);

                cluster.addBroker(Scenarios.FAST_BALANCING);
                cluster.addBroker(Scenarios.FAST_BALANCING);
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
                    List<BrokerInfo> brokers = Scenarios.brokers(cluster.serviceUrl());
                    assertThat(brokers).hasSize(3);
                    double total = brokers.stream().mapToDouble(BrokerInfo::getMsgRateIn).sum();
                    assertThat(total).isPositive();
                    for (BrokerInfo b : brokers) {
                        assertThat(b.getMsgRateIn() / total).as("share of %s (%s)", b.getBrokerId(), brokers).isGreaterThanOrEqualTo(0.2);
                    }
                });
                load.stopAndAwait();
                assertThat(load.failures).as("client-visible errors").isEmpty();
                for (String t : topics) {
                    Scenarios.assertStoredExactlyOnce(client, t, load.sentCount(t));
                }
                load.close();
            }
            assertThat(first.isAlive()).isTrue();
        }
    }
}
