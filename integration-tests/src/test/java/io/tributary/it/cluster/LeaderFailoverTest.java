package io.tributary.it.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tributary.api.v1.BrokerInfo;
import io.tributary.client.Producer;
import io.tributary.client.Schema;
import io.tributary.client.TributaryClient;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Leader failover: kill the leader; another broker leads and keeps assigning bundles. */
class LeaderFailoverTest {

    private static Optional<BrokerInfo> leader(ClusterFixture cluster) throws Exception {
        return Scenarios.brokers(cluster.serviceUrl()).stream().filter(BrokerInfo::getLeader).findFirst();
    }

    @Test
    void aNewLeaderTakesOverAndAssignsTheDeadLeadersBundles() throws Exception {
        try (ClusterFixture cluster = ClusterFixture.start()) {
            cluster.addBroker(Scenarios.FAST_BALANCING);
            cluster.addBroker(Scenarios.FAST_BALANCING);
            cluster.addBroker(Scenarios.FAST_BALANCING);
            cluster.proxy();
            String leaderId = leader(cluster).orElseThrow().getBrokerId();
            BrokerProcess leader = cluster.brokers().stream().filter(b -> b.brokerId().equals(leaderId)).findFirst().orElseThrow();

            try (TributaryClient client = TributaryClient.builder().serviceUrl(cluster.serviceUrl()).build()) {
                // give the leader a bundle, so that its death leaves one to reassign
                String topic = null;
                for (int i = 0; topic == null && i < 64; i++) {
                    String t = "public/default/lead-" + i;
                    if (cluster.ownerOf(t) == leader) {
                        topic = t;
                    }
                }
                assertThat(topic).as("some topic lands on the leader").isNotNull();
                try (Producer<String> p = client.newProducer(Schema.STRING).topic(topic).create()) {
                    p.send("before");
                    leader.kill9();
                    await().atMost(Duration.ofSeconds(20)).until(() -> leader(cluster)
                            .map(l -> !l.getBrokerId().equals(leaderId)).orElse(false));
                    // the new leader assigns the dead leader's bundle; the producer carries on
                    assertThat(p.send("after")).isNotNull();
                    String finalTopic = topic;
                    assertThat(cluster.ownerOf(finalTopic)).isNotSameAs(leader);
                }
                // and a bundle nobody used yet is assigned too
                List<String> fresh = List.of("public/default/fresh-0", "public/default/fresh-1", "public/default/fresh-2");
                for (String t : fresh) {
                    try (Producer<String> p = client.newProducer(Schema.STRING).topic(t).create()) {
                        assertThat(p.send("x")).isNotNull();
                    }
                    assertThat(cluster.ownerOf(t).isAlive()).isTrue();
                }
            }
        }
    }
}
