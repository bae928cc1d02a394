package io.tributary.storage;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.storage.cursor.ManagedCursor;
import io.tributary.storage.log.ManagedLog;
import io.tributary.storage.log.ManagedLogConfig;
import io.tributary.storage.log.Position;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ManagedCursorTest {
    @TempDir
    static Path dir;
    static StorageTestCluster cluster;

    @BeforeAll
    static void start() throws Exception {
        cluster = new StorageTestCluster(dir.toFile());
    }

    @AfterAll
    static void stop() throws Exception {
        cluster.close();
    }

    @Test
    void acknowledgementsSurviveReopeningWithHolesIntact() throws Exception {
        ManagedLog log = cluster.newFactory(ManagedLogConfig.DEFAULT.withRollover(1 << 20, 4, Duration.ofHours(1)))
                .open("t/ns/cursor", true).join();
        List<Position> ps = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            ps.add(log.appendAsync(new byte[] {(byte) i}).join());
        }
        ManagedCursor c = ManagedCursor.open(cluster.store, log, "sub", ManagedCursor.Start.EARLIEST, true,
                cluster.scheduler, Duration.ofSeconds(60)).join();
        assertThat(c.firstUnacknowledged()).isEqualTo(ps.get(0));
        assertThat(c.backlog()).isEqualTo(10);

        // 0..4 contiguous (crossing a ledger boundary), then 6 and 8 out of order
        for (int i : new int[] {1, 0, 2, 3, 4, 6, 8}) {
            assertThat(c.acknowledge(ps.get(i))).isTrue();
        }
        assertThat(c.acknowledge(ps.get(6))).as("second ack of the same entry").isFalse();
        assertThat(c.markDeletePosition()).isEqualTo(ps.get(4));
        assertThat(c.backlog()).isEqualTo(3);
        c.flush().join();
        log.close();

        ManagedLog reopened = cluster.newFactory(ManagedLogConfig.DEFAULT).open("t/ns/cursor", false).join();
        ManagedCursor again = ManagedCursor.open(cluster.store, reopened, "sub", ManagedCursor.Start.LATEST, false,
                cluster.scheduler, Duration.ofSeconds(60)).join();
        assertThat(again.markDeletePosition()).isEqualTo(ps.get(4));
        assertThat(again.firstUnacknowledged()).isEqualTo(ps.get(5));
        for (int i = 0; i < 10; i++) {
            assertThat(again.isAcknowledged(ps.get(i))).as("entry %d", i).isEqualTo(i <= 4 || i == 6 || i == 8);
        }
        again.acknowledge(ps.get(5));
        assertThat(again.markDeletePosition()).isEqualTo(ps.get(6));
        again.acknowledgeCumulative(ps.get(9));
        assertThat(again.backlog()).isZero();
        reopened.close();
    }

    @Test
    void partlyAcknowledgedBatchesKeepTheirAcknowledgedIndexesAcrossReopening() throws Exception {
        ManagedLog log = cluster.newFactory(ManagedLogConfig.DEFAULT).open("t/ns/batch-acks", true).join();
        Position batch = log.appendAsync(new byte[] {1}).join();
        ManagedCursor c = ManagedCursor.open(cluster.store, log, "sub", ManagedCursor.Start.EARLIEST, true,
                cluster.scheduler, Duration.ofSeconds(60)).join();
        assertThat(c.acknowledgeIndex(batch, 0, 3)).isTrue();
        assertThat(c.acknowledgeIndex(batch, 2, 3)).isTrue();
        assertThat(c.acknowledgeIndex(batch, 2, 3)).as("second ack of the same message").isFalse();
        assertThat(c.isAcknowledged(batch)).isFalse();
        c.flush().join();
        log.close();

        ManagedLog reopened = cluster.newFactory(ManagedLogConfig.DEFAULT).open("t/ns/batch-acks", false).join();
        ManagedCursor again = ManagedCursor.open(cluster.store, reopened, "sub", ManagedCursor.Start.LATEST, false,
                cluster.scheduler, Duration.ofSeconds(60)).join();
        assertThat(again.acknowledgedIndexes(batch).stream().boxed().toList()).containsExactly(0, 2);
        assertThat(again.acknowledgeIndex(batch, 1, 3)).isTrue();
        assertThat(again.isAcknowledged(batch)).as("all three messages acknowledged").isTrue();
        assertThat(again.acknowledgedIndexes(batch).isEmpty()).isTrue();
        reopened.close();
    }

    @Test
    void newSubscriptionAtLatestSkipsExistingEntries() throws Exception {
        ManagedLog log = cluster.newFactory(ManagedLogConfig.DEFAULT).open("t/ns/latest", true).join();
        log.appendAsync(new byte[] {1}).join();
        ManagedCursor c = ManagedCursor.open(cluster.store, log, "late", ManagedCursor.Start.LATEST, true,
                cluster.scheduler, Duration.ofMillis(10)).join();
        assertThat(c.backlog()).isZero();
        Position p = log.appendAsync(new byte[] {2}).join();
        assertThat(c.firstUnacknowledged()).isEqualTo(p);
        log.close();
    }
}
