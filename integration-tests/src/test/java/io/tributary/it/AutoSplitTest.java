package io.tributary.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.tributary.api.v1.AdminServiceGrpc;
import io.tributary.api.v1.BundleInfo;
import io.tributary.api.v1.CreateNamespaceRequest;
import io.tributary.api.v1.ListBundlesRequest;
import io.tributary.broker.loadmanager.LoadBalancerConfig;
import io.tributary.client.Producer;
import io.tributary.client.Schema;
import io.tributary.client.TributaryClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The leader splits a crowded bundle by itself, and the topics in it keep working. */
class AutoSplitTest {
    @TempDir
    Path dir;

    @Test
    void aBundleWithTooManyTopicsIsSplitUntilEachHalfIsWithinTheLimit() throws Exception {
        LoadBalancerConfig splitAtFour = new LoadBalancerConfig(true, Duration.ofMillis(300), Duration.ofMillis(500),
                0.25, Duration.ofSeconds(3), 0.3, 8, 50, 4, 1_000_000, 128);
        try (InProcessCluster cluster = new InProcessCluster(dir.toFile())) {
            cluster.addBroker(c -> c.toBuilder().loadBalancer(splitAtFour).build());
            ManagedChannel ch = NettyChannelBuilder.forTarget(cluster.serviceUrl()).usePlaintext().build();
            AdminServiceGrpc.AdminServiceBlockingStub admin = AdminServiceGrpc.newBlockingStub(ch);
            admin.createNamespace(CreateNamespaceRequest.newBuilder().setNamespace("public/crowded").setBundles(1).build());
            try (TributaryClient client = TributaryClient.builder().serviceUrl(cluster.serviceUrl()).build()) {
                List<Producer<String>> producers = new ArrayList<>();
                for (int i = 0; i < 10; i++) {
                    Producer<String> p = client.newProducer(Schema.STRING).topic("public/crowded/t" + i).create();
                    p.send("before");
                    producers.add(p);
                }
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                    List<BundleInfo> bundles = admin.listBundles(ListBundlesRequest.newBuilder()
                            .setNamespace("public/crowded").build()).getBundlesList();
                    assertThat(bundles.size()).isGreaterThanOrEqualTo(3);
                    assertThat(bundles).allSatisfy(b -> assertThat(b.getTopics()).isLessThanOrEqualTo(4));
                });
                assertThat(cluster.brokers.get(0).metrics().splits.labels("topics").get()).isGreaterThanOrEqualTo(2);
                for (Producer<String> p : producers) {
                    assertThat(p.send("after the splits")).isNotNull();
                    p.close();
                }
            }
            ch.shutdownNow();
        }
    }
}
