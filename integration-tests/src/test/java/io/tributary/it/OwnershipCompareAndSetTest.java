package io.tributary.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tributary.broker.metrics.BrokerMetrics;
import io.tributary.broker.namespace.Bundle;
import io.tributary.broker.ownership.OwnershipService;
import io.tributary.storage.StorageClients;
import io.tributary.storage.embedded.EmbeddedZooKeeper;
import io.tributary.storage.meta.MetadataStore;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ownership znodes are written with compare-and-set on real ZooKeeper: a broker whose session
 * expired, and whose bundle another broker claimed meanwhile, must not delete that claim.
 */
class OwnershipCompareAndSetTest {
    @TempDir
    Path dir;

    @Test
    void aLateReleaseAfterASessionLossLeavesTheNewOwnersClaim() throws Exception {
        try (EmbeddedZooKeeper zk = EmbeddedZooKeeper.start(dir.toFile(), "127.0.0.1", 0);
             CuratorFramework curatorA = StorageClients.curator(zk.connectString(), "/tributary", Duration.ofSeconds(6));
             CuratorFramework curatorB = StorageClients.curator(zk.connectString(), "/tributary", Duration.ofSeconds(6))) {
            assertThat(curatorA.blockUntilConnected(30, TimeUnit.SECONDS)).isTrue();
            assertThat(curatorB.blockUntilConnected(30, TimeUnit.SECONDS)).isTrue();
            OwnershipService a = new OwnershipService(new MetadataStore(curatorA), "broker-a", "127.0.0.1:1", new BrokerMetrics());
            OwnershipService b = new OwnershipService(new MetadataStore(curatorB), "broker-b", "127.0.0.1:2", new BrokerMetrics());
            Bundle bundle = new Bundle("t/ns", 0, 0x4000_0000L);

            a.acquire(bundle, "").get(30, TimeUnit.SECONDS);
            assertThat(a.ownerOf(bundle).get(30, TimeUnit.SECONDS)).contains(a.self());

            // A's session expires (a long pause): its claim goes, and B claims the bundle
            ZooKeeperSessions.expire(curatorA, zk.connectString());
            await().atMost(Duration.ofSeconds(60)).until(() -> b.ownerOf(bundle).get().isEmpty()
                    || b.ownerOf(bundle).get().equals(Optional.of(b.self())));
            b.acquire(bundle, "broker-a").get(30, TimeUnit.SECONDS);
            assertThat(b.ownerOf(bundle).get(30, TimeUnit.SECONDS)).contains(b.self());

            // A, back with a new session and still believing it owns the bundle, gives it up late
            await().atMost(Duration.ofSeconds(60)).until(() -> curatorA.getZookeeperClient().isConnected());
            a.release(bundle).get(30, TimeUnit.SECONDS);

            assertThat(b.ownerOf(bundle).get(30, TimeUnit.SECONDS))
                    .as("B's claim survives A's late release").contains(b.self());
        }
    }
}
