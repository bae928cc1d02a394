package io.tributary.it.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tributary.client.TributaryClient;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Crash: kill -9 of an owning broker; its bundles are served by others and every acknowledged message is kept. */
class CrashTest {

    @Test
    void bundlesOfAKilledBrokerAreServedByTheOthersWithinTheSessionTimeout() throws Exception {
        try (ClusterFixture cluster = ClusterFixture.start()) {
            cluster.addBroker(Scenarios.FAST_BALANCING);
            cluster.addBroker(Scenarios.FAST_BALANCING);
            List<String> topics = List.of("public/default/c0", "public/default/c1", "public/default/c2", "public/default/c3");
            try (TributaryClient client = TributaryClient.builder().serviceUrl(cluster.serviceUrl()).build()) {
                Scenarios.Load load = new Scenarios.Load(client, topics, 200);
                await().atMost(Duration.ofSeconds(20)).until(() -> load.sentCount(topics.get(0)) > 100);
                BrokerProcess victim = cluster.ownerOf(topics.get(0));
                long killedAt = System.nanoTime();
                victim.kill9();

                // served again within the session timeout (6 s) plus a few seconds
                await().atMost(Duration.ofSeconds(20)).until(() -> {
                    BrokerProcess o = cluster.ownerOf(topics.get(0));
                    return o != victim && o.isAlive();
                });
                int mark = load.sentCount(topics.get(0));
                List<java.util.concurrent.CompletableFuture<io.tributary.client.MessageId>> sent = load.sent.get(topics.get(0));
                await().atMost(Duration.ofSeconds(30)).until(() -> {
                    // the load thread appends while we look: a synchronized list is iterated under its lock
                    synchronized (sent) {
                        return sent.subList(0, mark).stream().allMatch(f -> f.isDone());
                    }
                });
                double seconds = (System.nanoTime() - killedAt) / 1e9;
                load.stopAndAwait();
                assertThat(load.failures).as("sends fail only after their 60 s timeout; none should").isEmpty();
                for (String t : topics) {
                    Scenarios.assertStoredExactlyOnce(client, t, load.sentCount(t));
                }
                load.close();
                System.out.printf("crash recovery: sends caught up %.1f s after kill -9%n", seconds);
            }
        }
    }
}
