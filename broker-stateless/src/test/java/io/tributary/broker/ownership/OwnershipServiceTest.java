package io.tributary.broker.ownership;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.api.v1.ErrorReason;
import io.tributary.broker.metrics.BrokerMetrics;
import io.tributary.broker.namespace.Bundle;
import io.tributary.protocol.ErrorReasons;
import io.tributary.protocol.TributaryException;
import io.tributary.storage.StorageClients;
import io.tributary.storage.embedded.EmbeddedZooKeeper;
import io.tributary.storage.meta.MetadataStore;
import java.nio.file.Path;
import java.time.Duration;
import org.apache.curator.framework.CuratorFramework;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ownership during a hand-over, over a real ZooKeeper: two brokers' {@link OwnershipService}s, each
 * with its own session.
 */
class OwnershipServiceTest {
    @TempDir
    static Path dir;
    static EmbeddedZooKeeper zk;
    static CuratorFramework sessionA;
    static CuratorFramework sessionB;
    static BrokerMetrics metricsA;
    static BrokerMetrics metricsB;
    static OwnershipService a;
    static OwnershipService b;

    @BeforeAll
    static void start() throws Exception {
        zk = EmbeddedZooKeeper.start(dir.resolve("zk").toFile(), "127.0.0.1", 0);
        sessionA = StorageClients.curator(zk.connectString(), "/tributary", Duration.ofSeconds(10));
        sessionB = StorageClients.curator(zk.connectString(), "/tributary", Duration.ofSeconds(10));
        metricsA = new BrokerMetrics();
        metricsB = new BrokerMetrics();
        a = new OwnershipService(new MetadataStore(sessionA), "a", "host-a:6650", metricsA);
        b = new OwnershipService(new MetadataStore(sessionB), "b", "host-b:6650", metricsB);
    }

    @AfterAll
    static void stop() {
        sessionB.close();
        sessionA.close();
        metricsA.close();
        metricsB.close();
        zk.close();
    }

    private static Bundle bundle(long lower, long upper) {
        return new Bundle("acme/orders", lower, upper);
    }

    private static ErrorReason reasonOf(Throwable e) {
        return ((TributaryException) ErrorReasons.unwrap(e)).reason();
    }

    @Test
    void aBundleBeingHandedAwayIsRefusedWhileStillOwnedAndLookupsNameTheDestination() {
        Bundle bundle = bundle(0, 0x4000_0000L);
        a.acquire(bundle, "").join();
        a.checkOwnership(bundle).join();

        a.markMoving(bundle, b.self());

        assertThat(a.ownsLocally(bundle)).as("owned until released").isTrue();
        assertThatThrownBy(() -> a.checkOwnership(bundle).join())
                .satisfies(e -> assertThat(reasonOf(e)).isEqualTo(ErrorReason.NOT_OWNER))
                .hasMessageContaining("served by broker b");
        assertThat(a.lookup(bundle).join()).isEqualTo(b.self());

        // the rest of the hand-over: released here, taken there, the mark cleared
        b.prepare(bundle, 10_000);
        a.release(bundle).join();
        b.acquire(bundle, "a").join();
        a.clearMoving(bundle);
        assertThatThrownBy(() -> a.checkOwnership(bundle).join())
                .satisfies(e -> assertThat(reasonOf(e)).isEqualTo(ErrorReason.NOT_OWNER))
                .hasMessageContaining("served by broker b");
        b.checkOwnership(bundle).join();
        assertThat(b.ownedInfo(bundle).previousBrokerId()).isEqualTo("a");
    }

    @Test
    void aMoveThatIsCalledOffServesTheBundleAgain() {
        Bundle bundle = bundle(0x4000_0000L, 0x8000_0000L);
        a.acquire(bundle, "").join();
        a.markMoving(bundle, b.self());
        assertThatThrownBy(() -> a.checkOwnership(bundle).join())
                .satisfies(e -> assertThat(reasonOf(e)).isEqualTo(ErrorReason.NOT_OWNER));

        a.clearMoving(bundle);

        a.checkOwnership(bundle).join();
        assertThat(a.lookup(bundle).join()).isEqualTo(a.self());
    }
}
