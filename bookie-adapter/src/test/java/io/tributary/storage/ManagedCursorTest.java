package io.tributary.storage;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.internal.v1.BatchIndexAcks;
import io.tributary.internal.v1.CursorState;
import io.tributary.internal.v1.PositionRange;
import io.tributary.storage.cursor.CursorConfig;
import io.tributary.storage.cursor.ManagedCursor;
import io.tributary.storage.cursor.ManagedCursor.Start;
import io.tributary.storage.log.ManagedLog;
import io.tributary.storage.log.ManagedLogConfig;
import io.tributary.storage.log.Position;
import io.tributary.storage.meta.MetadataPaths;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.bookkeeper.client.api.BKException;
import org.apache.bookkeeper.client.api.BookKeeper;
import org.apache.bookkeeper.client.api.DigestType;
import org.apache.bookkeeper.client.api.ReadHandle;
import org.apache.zookeeper.CreateMode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ManagedCursorTest {
    @TempDir
    static Path dir;
    static StorageTestCluster cluster;
    static BookKeeper bk;
    /** Persists only on flush, so tests decide when state is stored. */
    static final CursorConfig ON_FLUSH = CursorConfig.DEFAULT.withPersistInterval(Duration.ofHours(1));

    @BeforeAll
    static void start() throws Exception {
        cluster = new StorageTestCluster(dir.toFile());
        bk = cluster.newBookKeeper();
    }

    static ManagedCursor open(ManagedLog log, String subscription, Start start, boolean create, CursorConfig config) {
        return ManagedCursor.newOpenOp(log).name(subscription).start(start).createIfMissing(create)
                .metadataStore(cluster.store).bookKeeper(bk).scheduler(cluster.scheduler).config(config).execute().join();
    }

    static List<Position> append(ManagedLog log, int n) {
        List<Position> ps = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ps.add(log.appendAsync(new byte[] {(byte) i}).join());
        }
        return ps;
    }

    static CursorState znode(ManagedLog log, String subscription) throws Exception {
        byte[] data = cluster.store.get(MetadataPaths.cursor(log.name(), subscription)).join().orElseThrow().value();
        return CursorState.parseFrom(data);
    }

    /** Opens a cursor ledger the way the cursor does; fails if it does not exist. */
    static CompletableFuture<ReadHandle> openLedger(long id) {
        return bk.newOpenLedgerOp().withLedgerId(id).withRecovery(false).withDigestType(DigestType.CRC32C)
                .withPassword("tributary".getBytes(UTF_8)).execute();
    }

    static void assertNoSuchLedger(long id) {
        assertThatThrownBy(() -> openLedger(id).join()).hasCauseInstanceOf(BKException.class)
                .extracting(e -> ((BKException) e.getCause()).getCode())
                .isEqualTo(BKException.Code.NoSuchLedgerExistsOnMetadataServerException);
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
        ManagedCursor c = open(log, "sub", Start.EARLIEST, true, ON_FLUSH);
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
        ManagedCursor again = open(reopened, "sub", Start.LATEST, false, ON_FLUSH);
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
        ManagedCursor c = open(log, "sub", Start.EARLIEST, true, ON_FLUSH);
        assertThat(c.acknowledgeIndex(batch, 0, 3)).isTrue();
        assertThat(c.acknowledgeIndex(batch, 2, 3)).isTrue();
        assertThat(c.acknowledgeIndex(batch, 2, 3)).as("second ack of the same message").isFalse();
        assertThat(c.isAcknowledged(batch)).isFalse();
        c.flush().join();
        log.close();

        ManagedLog reopened = cluster.newFactory(ManagedLogConfig.DEFAULT).open("t/ns/batch-acks", false).join();
        ManagedCursor again = open(reopened, "sub", Start.LATEST, false, ON_FLUSH);
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
        ManagedCursor c = open(log, "late", Start.LATEST, true,
                CursorConfig.DEFAULT.withPersistInterval(Duration.ofMillis(10)));
        assertThat(c.backlog()).isZero();
        Position p = log.appendAsync(new byte[] {2}).join();
        assertThat(c.firstUnacknowledged()).isEqualTo(p);
        log.close();
    }

    @Test
    void resetToMovesTheFirstUnacknowledgedPositionBothWaysAndPersistsAtOnce() throws Exception {
        ManagedLog log = cluster.newFactory(ManagedLogConfig.DEFAULT.withRollover(1 << 20, 4, Duration.ofHours(1)))
                .open("t/ns/reset", true).join();
        List<Position> ps = append(log, 10);
        ManagedCursor c = open(log, "sub", Start.EARLIEST, true, ON_FLUSH);
        c.acknowledge(ps.get(1));
        c.acknowledge(ps.get(8));
        c.acknowledgeIndex(ps.get(9), 0, 2);

        c.resetTo(ps.get(7)).join();
        assertThat(c.firstUnacknowledged()).isEqualTo(ps.get(7));
        assertThat(c.backlog()).isEqualTo(3);
        assertThat(c.ackedRangeCount()).as("the ack of entry 8 is dropped").isZero();
        assertThat(c.acknowledgedIndexes(ps.get(9)).isEmpty()).as("batch acks beyond are dropped").isTrue();
        ManagedCursor forward = open(log, "sub", Start.LATEST, false, ON_FLUSH);
        for (int i = 0; i < 10; i++) {
            assertThat(forward.isAcknowledged(ps.get(i))).as("entry %d after reset forwards", i).isEqualTo(i < 7);
        }

        // backwards, to the first entry of a ledger
        assertThat(ps.get(4).entryId()).isZero();
        forward.acknowledge(ps.get(8));
        forward.resetTo(ps.get(4)).join();
        ManagedCursor backward = open(log, "sub", Start.LATEST, false, ON_FLUSH);
        assertThat(backward.firstUnacknowledged()).isEqualTo(ps.get(4));
        assertThat(backward.backlog()).isEqualTo(6);
        for (int i = 0; i < 10; i++) {
            assertThat(backward.isAcknowledged(ps.get(i))).as("entry %d after reset backwards", i).isEqualTo(i < 4);
        }

        // to the end: nothing left, and the next entry is the first unacknowledged
        backward.resetTo(log.endPosition()).join();
        assertThat(open(log, "sub", Start.LATEST, false, ON_FLUSH).backlog()).isZero();
        Position next = log.appendAsync(new byte[] {1}).join();
        assertThat(backward.firstUnacknowledged()).isEqualTo(next);
        log.close();
    }

    @Test
    void deleteRemovesTheZnodeAndTheCursorLedgerAndStopsPersisting() throws Exception {
        ManagedLog log = cluster.newFactory(ManagedLogConfig.DEFAULT).open("t/ns/delete", true).join();
        List<Position> ps = append(log, 4);
        ManagedCursor c = open(log, "doomed", Start.EARLIEST, true, ON_FLUSH.withInlineLimitBytes(0));
        c.acknowledge(ps.get(2));
        c.flush().join();
        long ledger = znode(log, "doomed").getStateLedgerId();
        assertThat(openLedger(ledger).join().getLastAddConfirmed()).isZero();

        c.deleteAsync().join();
        String path = MetadataPaths.cursor(log.name(), "doomed");
        assertThat(cluster.store.exists(path).join()).isFalse();
        assertNoSuchLedger(ledger);

        c.acknowledge(ps.get(0));
        c.flush().join();
        assertThat(cluster.store.exists(path).join()).as("a deleted cursor writes nothing").isFalse();
        assertThatThrownBy(() -> c.resetTo(ps.get(0)).join()).hasCauseInstanceOf(IllegalStateException.class);
        assertThat(open(log, "doomed", Start.EARLIEST, false, ON_FLUSH)).isNull();
        log.close();
    }

    @Test
    void nonDurableCursorKeepsStateInMemoryOnly() throws Exception {
        ManagedLog log = cluster.newFactory(ManagedLogConfig.DEFAULT).open("t/ns/reader", true).join();
        List<Position> ps = append(log, 5);
        ManagedCursor reader = ManagedCursor.nonDurable(log, "reader-1",
                new Position(ps.get(0).ledgerId(), ps.get(0).entryId() - 1));
        assertThat(reader.isDurable()).isFalse();
        assertThat(reader.backlog()).isEqualTo(5);
        assertThat(reader.acknowledge(ps.get(2))).isTrue();
        assertThat(reader.acknowledge(ps.get(2))).isFalse();
        assertThat(reader.ackedRangeCount()).isEqualTo(1);
        assertThat(reader.backlog()).isEqualTo(4);
        reader.resetTo(ps.get(3)).join();
        assertThat(reader.backlog()).isEqualTo(2);
        reader.flush().join();
        reader.close().join();
        reader.deleteAsync().join();

        assertThat(cluster.store.exists(MetadataPaths.cursors(log.name())).join()).isFalse();
        assertThat(open(log, "reader-1", Start.EARLIEST, false, ON_FLUSH)).isNull();
        log.close();
    }

    @Test
    void stateWrittenInTheOldRepeatedFormIsReadAndRewrittenCompactly() throws Exception {
        ManagedLog log = cluster.newFactory(ManagedLogConfig.DEFAULT).open("t/ns/legacy", true).join();
        List<Position> ps = append(log, 8);
        CursorState old = CursorState.newBuilder().setMarkDelete(proto(ps.get(0)))
                .addAckedRanges(PositionRange.newBuilder().setFrom(proto(ps.get(2))).setTo(proto(ps.get(3))))
                .addAckedRanges(PositionRange.newBuilder().setFrom(proto(ps.get(6))).setTo(proto(ps.get(6))))
                .addBatchAcks(BatchIndexAcks.newBuilder().setPosition(proto(ps.get(5))).addAckedWords(0b101))
                .build();
        cluster.store.create(MetadataPaths.cursor(log.name(), "old"), old.toByteArray(), CreateMode.PERSISTENT).join();

        ManagedCursor c = open(log, "old", Start.LATEST, false, ON_FLUSH);
        for (int i = 0; i < 8; i++) {
            assertThat(c.isAcknowledged(ps.get(i))).as("entry %d", i).isEqualTo(i == 0 || i == 2 || i == 3 || i == 6);
        }
        assertThat(c.acknowledgedIndexes(ps.get(5)).stream().boxed().toList()).containsExactly(0, 2);
        assertThat(c.backlog()).isEqualTo(4);

        c.acknowledge(ps.get(1));
        c.flush().join();
        CursorState now = znode(log, "old");
        assertThat(now.getAckedRangesCount()).isZero();
        assertThat(now.getBatchAcksCount()).isZero();
        assertThat(now.getAcksCase()).isEqualTo(CursorState.AcksCase.ACK_STATE);
        ManagedCursor again = open(log, "old", Start.LATEST, false, ON_FLUSH);
        assertThat(again.markDeletePosition()).isEqualTo(ps.get(3));
        assertThat(again.isAcknowledged(ps.get(6))).isTrue();
        assertThat(again.acknowledgedIndexes(ps.get(5)).stream().boxed().toList()).containsExactly(0, 2);
        log.close();
    }

    @Test
    void aStaleOwnersLastFlushDoesNotStopTheNewOwnerPersistingItsAcknowledgements() throws Exception {
        ManagedLog log = cluster.newFactory(ManagedLogConfig.DEFAULT).open("t/ns/stale-flush", true).join();
        List<Position> ps = append(log, 6);
        ManagedCursor stale = open(log, "sub", Start.EARLIEST, true, ON_FLUSH);
        ManagedCursor owner = open(log, "sub", Start.EARLIEST, false, ON_FLUSH);
        // the old owner's last flush comes after the new owner took the cursor over: refused
        stale.acknowledge(ps.get(1));
        stale.flush().join();

        owner.acknowledge(ps.get(3));
        owner.flush().join();
        owner.acknowledge(ps.get(4));
        owner.flush().join();

        ManagedCursor reloaded = open(log, "sub", Start.EARLIEST, false, ON_FLUSH);
        assertThat(reloaded.isAcknowledged(ps.get(3))).as("the new owner's ack after the stale flush").isTrue();
        assertThat(reloaded.isAcknowledged(ps.get(4))).as("the new owner's later ack").isTrue();
        assertThat(reloaded.isAcknowledged(ps.get(1)))
                .as("the stale owner's ack after the take-over is not stored (delivered again: at least once)").isFalse();
        for (int i : new int[] {0, 2, 5}) {
            assertThat(reloaded.isAcknowledged(ps.get(i))).as("entry %d, acknowledged by nobody", i).isFalse();
        }
        log.close();
    }

    @Test
    void aStaleOwnersWriteNeverLandsOverTheNewOwnersNorDeletesTheLedgerTheZnodeNames() throws Exception {
        ManagedLog log = cluster.newFactory(ManagedLogConfig.DEFAULT).open("t/ns/fenced", true).join();
        List<Position> ps = append(log, 6);
        CursorConfig spill = ON_FLUSH.withInlineLimitBytes(0);
        ManagedCursor stale = open(log, "sub", Start.EARLIEST, true, spill);
        ManagedCursor owner = open(log, "sub", Start.EARLIEST, false, spill);
        owner.acknowledge(ps.get(3));
        owner.flush().join();
        long ownersLedger = znode(log, "sub").getStateLedgerId();

        stale.acknowledge(ps.get(1));
        stale.flush().join();
        assertThat(znode(log, "sub").getStateLedgerId()).as("the stale write is refused").isEqualTo(ownersLedger);
        assertThat(openLedger(ownersLedger).join().getLastAddConfirmed()).isZero();

        owner.acknowledge(ps.get(4));
        owner.flush().join();
        assertThat(znode(log, "sub").getStateLedgerId()).isNotEqualTo(ownersLedger);
        assertNoSuchLedger(ownersLedger);
        ManagedCursor reopened = open(log, "sub", Start.EARLIEST, false, spill);
        for (int i = 0; i < 6; i++) {
            assertThat(reopened.isAcknowledged(ps.get(i))).as("entry %d", i).isEqualTo(i == 3 || i == 4);
        }

        // nor does a stale reset: the stale cursor stopped persisting for good
        assertThat(stale.resetTo(ps.get(0))).failsWithin(Duration.ofSeconds(10));
        ManagedCursor afterReset = open(log, "sub", Start.EARLIEST, false, spill);
        assertThat(afterReset.backlog()).isEqualTo(4);
        log.close();
    }

    @Test
    void aStaleOwnerAfterACrashTakeoverNeverBringsBackAcknowledgementsTheNewOwnerRewound() throws Exception {
        ManagedLog log = cluster.newFactory(ManagedLogConfig.DEFAULT).open("t/ns/rewound", true).join();
        List<Position> ps = append(log, 8);
        String path = MetadataPaths.cursor(log.name(), "sub");
        ManagedCursor old = open(log, "sub", Start.EARLIEST, true, ON_FLUSH);
        for (int i = 0; i < 4; i++) {
            old.acknowledge(ps.get(i));
        }
        old.flush().join();

        // the old owner is frozen (or lost its session unnoticed); a new owner loads the topic and the
        // user rewinds the subscription there
        ManagedCursor owner = open(log, "sub", Start.EARLIEST, false, ON_FLUSH);
        assertThat(owner.markDeletePosition()).isEqualTo(ps.get(3));
        owner.resetTo(ps.get(0)).join();
        int version = cluster.store.get(path).join().orElseThrow().version();

        // the old owner wakes up, takes acknowledgements and persists them
        for (int i = 4; i < 7; i++) {
            old.acknowledge(ps.get(i));
        }
        old.flush().join();
        old.acknowledge(ps.get(7));
        old.flush().join();
        assertThat(old.close()).as("the old owner no longer persists").failsWithin(Duration.ofSeconds(10));
        assertThat(cluster.store.get(path).join().orElseThrow().version()).as("no write of the old owner landed")
                .isEqualTo(version);

        ManagedCursor fresh = open(log, "sub", Start.EARLIEST, false, ON_FLUSH);
        for (int i = 0; i < 8; i++) {
            assertThat(owner.isAcknowledged(ps.get(i))).as("entry %d on the new owner", i).isFalse();
            assertThat(fresh.isAcknowledged(ps.get(i))).as("entry %d loaded afresh", i).isFalse();
        }
        assertThat(fresh.backlog()).isEqualTo(8);

        // a second crash take-over: the newest opening wins, also over an owner that never wrote
        ManagedCursor newest = open(log, "sub", Start.EARLIEST, false, ON_FLUSH);
        owner.acknowledge(ps.get(0));
        owner.flush().join();
        newest.acknowledge(ps.get(5));
        newest.flush().join();
        ManagedCursor last = open(log, "sub", Start.EARLIEST, false, ON_FLUSH);
        for (int i = 0; i < 8; i++) {
            assertThat(last.isAcknowledged(ps.get(i))).as("entry %d after the second take-over", i).isEqualTo(i == 5);
        }
        log.close();
    }

    @Test
    void anAbandonedCursorWritesNothingMore() throws Exception {
        ManagedLog log = cluster.newFactory(ManagedLogConfig.DEFAULT).open("t/ns/abandoned", true).join();
        List<Position> ps = append(log, 3);
        ManagedCursor lost = open(log, "sub", Start.EARLIEST, true, ON_FLUSH);
        lost.acknowledge(ps.get(0));
        lost.abandon();
        lost.close().join();
        assertThat(open(log, "sub", Start.EARLIEST, false, ON_FLUSH).isAcknowledged(ps.get(0))).isFalse();
        log.close();
    }

    @Test
    void closingWritesEverythingAcknowledgedAndThenNothingMore() throws Exception {
        ManagedLog log = cluster.newFactory(ManagedLogConfig.DEFAULT).open("t/ns/closed", true).join();
        List<Position> ps = append(log, 8);
        ManagedCursor old = open(log, "sub", Start.EARLIEST, true, ON_FLUSH);
        old.acknowledge(ps.get(0));
        old.flush(); // a write in flight when the topic closes
        for (int i : new int[] {5, 2, 3}) {
            old.acknowledge(ps.get(i));
        }
        old.acknowledgeIndex(ps.get(7), 1, 3);
        old.close().join();

        // the next owner loads everything answered before the close (and takes the cursor over)
        ManagedCursor next = open(log, "sub", Start.EARLIEST, false, ON_FLUSH);
        int version = cluster.store.get(MetadataPaths.cursor(log.name(), "sub")).join().orElseThrow().version();
        for (int i = 0; i < 7; i++) {
            assertThat(next.isAcknowledged(ps.get(i))).as("entry %d", i).isEqualTo(i == 0 || i == 2 || i == 3 || i == 5);
        }
        assertThat(next.acknowledgedIndexes(ps.get(7)).stream().boxed().toList()).containsExactly(1);

        // the closed cursor writes nothing more, whatever it is told: the next owner's state stays the truth
        old.acknowledge(ps.get(1));
        old.flush().join();
        assertThat(old.close()).as("a change it can no longer store").failsWithin(Duration.ofSeconds(10));
        assertThat(old.resetTo(ps.get(0))).failsWithin(Duration.ofSeconds(10));
        assertThat(cluster.store.get(MetadataPaths.cursor(log.name(), "sub")).join().orElseThrow().version())
                .as("no write after the close").isEqualTo(version);
        next.acknowledge(ps.get(4));
        next.flush().join();
        ManagedCursor reloaded = open(log, "sub", Start.EARLIEST, false, ON_FLUSH);
        assertThat(reloaded.isAcknowledged(ps.get(1))).as("acknowledged on the closed cursor only").isFalse();
        assertThat(reloaded.isAcknowledged(ps.get(4))).isTrue();
        assertThat(reloaded.markDeletePosition()).isEqualTo(ps.get(0));
        log.close();
    }

    private static io.tributary.internal.v1.Position proto(Position p) {
        return io.tributary.internal.v1.Position.newBuilder().setLedgerId(p.ledgerId()).setEntryId(p.entryId()).build();
    }
}
