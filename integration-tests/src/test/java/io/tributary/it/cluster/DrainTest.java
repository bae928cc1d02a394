package io.tributary.it.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.tributary.api.v1.AdminServiceGrpc;
import io.tributary.api.v1.BrokerInfo;
import io.tributary.api.v1.DrainBrokerRequest;
import io.tributary.client.TributaryClient;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Drain: every bundle leaves a broker before it goes, by admin command or by SIGTERM; no error, no loss. */
class DrainTest {

    @Test
    void drainingMovesEveryBundleAwayAndSigtermStopsCleanly() throws Exception {
        try (ClusterFixture cluster = ClusterFixture.start()) {
            BrokerProcess a = cluster.addBroker(Scenarios.FAST_BALANCING);
            BrokerProcess b = cluster.addBroker(Scenarios.FAST_BALANCING);
            BrokerProcess c = cluster.addBroker(Scenarios.FAST_BALANCING);
            List<String> topics = List.of("public/default/d0", "public/default/d1", "public/default/d2", "public/default/d3",
                    "public/default/d4", "public/default/d5", "public/default/d6", "public/default/d7");
            try (TributaryClient client = TributaryClient.builder().serviceUrl(cluster.serviceUrl()).build()) {
                Scenarios.Load load = new Scenarios.Load(client, topics, 200);
                await().atMost(Duration.ofSeconds(30)).until(() -> Scenarios.brokers(cluster.serviceUrl()).stream()
                        .filter(x -> x.getBrokerId().equals(a.brokerId())).mapToInt(BrokerInfo::getBundles).sum() > 0
                        || cluster.ownerOf(topics.get(0)) == a);

                // an operator drains a: it keeps running, owns nothing, takes nothing new
                ManagedChannel ch = NettyChannelBuilder.forTarget(cluster.serviceUrl()).usePlaintext().build();
                AdminServiceGrpc.newBlockingStub(ch).drainBroker(DrainBrokerRequest.newBuilder().setBrokerId(a.brokerId()).build());
                ch.shutdownNow();
                assertThat(a.isAlive()).isTrue();
                for (String t : topics) {
                    assertThat(cluster.ownerOf(t)).as("owner of %s after draining a", t).isNotSameAs(a);
                }

                // SIGTERM on b: it hands its bundles to c before it exits
                BrokerProcess owner = cluster.ownerOf(topics.get(0));
                assertThat(owner.terminate()).as("exit code after SIGTERM").isZero();
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                    for (String t : topics) {
                        BrokerProcess o = cluster.ownerOf(t);
                        assertThat(o).isNotSameAs(owner).isNotSameAs(a);
                    }
                });
                load.stopAndAwait();
                assertThat(load.failures).as("client-visible errors").isEmpty();
                for (String t : topics) {
                    Scenarios.assertStoredExactlyOnce(client, t, load.sentCount(t));
                }
                load.close();
            }
            assertThat(b.isAlive() || c.isAlive()).isTrue();
        }
    }
}
