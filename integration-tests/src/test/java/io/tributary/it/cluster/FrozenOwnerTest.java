package io.tributary.it.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tributary.client.MessageId;
import io.tributary.client.TributaryClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * Liveness: a topic's owner freezes (SIGSTOP: its sockets stay open, nothing answers) and stays
 * frozen. Producers going through the proxy must move to the broker that takes the bundle over once
 * the frozen owner's ZooKeeper session (6 s here) expires, without an error reaching the application:
 * keepalives and stall detection abandon the frozen connection in seconds, not minutes.
 */
class FrozenOwnerTest {
    /** The frozen owner's session timeout, and the margin for the takeover, lookups and the resends. */
    static final Duration SESSION_AND_MARGIN = Duration.ofSeconds(6 + 24);

    private static long acknowledgedAmong(List<CompletableFuture<MessageId>> sends) {
        synchronized (sends) {
            return sends.stream().filter(f -> f.isDone() && !f.isCompletedExceptionally()).count();
        }
    }

    @Test
    void sendsToAFrozenOwnerResumeOnAnotherBrokerWithinTheSessionTimeoutWithoutAnError() throws Exception {
        try (ClusterFixture cluster = ClusterFixture.start()) {
            BrokerProcess a = cluster.addBroker(Scenarios.FAST_BALANCING);
            BrokerProcess b = cluster.addBroker(Scenarios.FAST_BALANCING);
            String topic = "public/default/frozen";
            BrokerProcess owner = null;
            try (TributaryClient client = TributaryClient.builder().serviceUrl(cluster.serviceUrl()).build()) {
                Scenarios.Load load = new Scenarios.Load(client, List.of(topic), 50);
                List<CompletableFuture<MessageId>> sends = load.sent.get(topic);
                await().atMost(Duration.ofSeconds(30)).until(() -> acknowledgedAmong(sends) > 50);
                owner = cluster.ownerOf(topic);

                owner.pause();
                List<CompletableFuture<MessageId>> afterPause;
                int sentBefore = load.sentCount(topic);
                await().atMost(Duration.ofSeconds(5)).until(() -> load.sentCount(topic) > sentBefore + 10);
                synchronized (sends) {
                    afterPause = new ArrayList<>(sends.subList(sentBefore, sentBefore + 10));
                }
                // sent while the owner is frozen, acknowledged by the new owner while the old one is still frozen
                await().atMost(SESSION_AND_MARGIN).pollInterval(Duration.ofMillis(200))
                        .until(() -> afterPause.stream().allMatch(f -> f.isDone()));
                assertThat(owner.isPaused()).isTrue();
                assertThat(afterPause).allMatch(f -> !f.isCompletedExceptionally());

                load.stopAndAwait();
                assertThat(load.failures).as("no error reached the application").isEmpty();
                Scenarios.assertStoredExactlyOnce(client, topic, load.sentCount(topic));
                load.close();
            } finally {
                if (owner != null && owner.isPaused()) {
                    owner.resume();
                }
            }
        }
    }
}
