package io.tributary.it.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.tributary.api.v1.LookupRequest;
import io.tributary.api.v1.LookupServiceGrpc;
import io.tributary.client.TributaryClient;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Stale owner: a broker paused (SIGSTOP) past its ZooKeeper session loses its bundles to another
 * broker; when it runs again (SIGCONT) it cannot append a single entry (its ledgers were fenced by
 * the new owner's recovery) and it steps down.
 */
class StaleOwnerTest {

    private static String ownerVia(String brokerAddress, String topic) {
        ManagedChannel ch = NettyChannelBuilder.forTarget(brokerAddress).usePlaintext().build();
        try {
            return LookupServiceGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .lookup(LookupRequest.newBuilder().setTopic(topic).build()).getBrokerAddress();
        } finally {
            ch.shutdownNow();
        }
    }

    @Test
    void aPausedOwnerIsFencedAndStepsDownWhenItWakes() throws Exception {
        try (ClusterFixture cluster = ClusterFixture.start()) {
            BrokerProcess a = cluster.addBroker(Scenarios.FAST_BALANCING);
            BrokerProcess b = cluster.addBroker(Scenarios.FAST_BALANCING);
            String topic = "public/default/stale";
            try (TributaryClient client = TributaryClient.builder().serviceUrl(cluster.serviceUrl()).build()) {
                Scenarios.Load load = new Scenarios.Load(client, List.of(topic), 100);
                await().atMost(Duration.ofSeconds(20)).until(() -> load.sentCount(topic) > 50);
                BrokerProcess owner = cluster.ownerOf(topic);
                BrokerProcess other = owner == a ? b : a;

                owner.pause();
                // the session (6 s) expires; the other broker is asked and takes the bundle over
                await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500))
                        .until(() -> ownerVia(other.address(), topic).equals(other.address()));
                owner.resume();

                // it wakes up, finds its session gone and steps down; it keeps running
                await().atMost(Duration.ofSeconds(30)).until(() ->
                        Files.readString(owner.logFile()).contains("lost its ZooKeeper session"));
                assertThat(owner.isAlive()).isTrue();
                assertThat(ownerVia(owner.address(), topic)).as("the woken broker points to the new owner")
                        .isEqualTo(other.address());

                load.stopAndAwait();
                assertThat(load.failures).isEmpty();
                // every acknowledged message once, in order: nothing from the stale owner slipped in
                Scenarios.assertStoredExactlyOnce(client, topic, load.sentCount(topic));
                load.close();
            }
        }
    }
}
