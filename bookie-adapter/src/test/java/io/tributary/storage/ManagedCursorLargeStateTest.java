package io.tributary.storage;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.internal.v1.CursorState;
import io.tributary.storage.cursor.CursorConfig;
import io.tributary.storage.cursor.ManagedCursor;
import io.tributary.storage.cursor.ManagedCursor.Start;
import io.tributary.storage.log.ManagedLog;
import io.tributary.storage.log.ManagedLogConfig;
import io.tributary.storage.log.ManagedLogFactory;
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
import org.apache.bookkeeper.conf.ClientConfiguration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Acknowledgement state too large for a znode: it moves to a cursor ledger and back. */
class ManagedCursorLargeStateTest {
    @TempDir
    static Path dir;
    static StorageTestCluster cluster;
    static BookKeeper bk;
    /** Without the client's default limit of 5,000 adds a second, which would make appending 200,000 entries take 40 s. */
    static BookKeeper unthrottled;
    /** Persists only on flush, so tests decide when state is stored. */
    static final CursorConfig ON_FLUSH = CursorConfig.DEFAULT.withPersistInterval(Duration.ofHours(1));

    @BeforeAll
    static void start() throws Exception {
        cluster = new StorageTestCluster(dir.toFile());
        bk = cluster.newBookKeeper();
        ClientConfiguration conf = new ClientConfiguration();
        conf.setMetadataServiceUri(StorageClients.metadataServiceUri(cluster.zk.connectString(), "/ledgers"));
        conf.setEnforceMinNumRacksPerWriteQuorum(false);
        conf.setThrottleValue(0);
        unthrottled = BookKeeper.newBuilder(conf).build();
    }

    @AfterAll
    static void stop() throws Exception {
        unthrottled.close();
        cluster.close();
    }

    static ManagedLogFactory factory(ManagedLogConfig config) {
        return new ManagedLogFactory(cluster.store, unthrottled, config, name -> cluster.executor.chooseThread(name));
    }

    static ManagedCursor open(ManagedLog log, String subscription, boolean create, CursorConfig config) {
        return ManagedCursor.newOpenOp(log).name(subscription).start(Start.EARLIEST).createIfMissing(create)
                .metadataStore(cluster.store).bookKeeper(bk).scheduler(cluster.scheduler).config(config).execute().join();
    }

    /** Appends {@code n} one-byte entries, a window of them in flight at a time. */
    static Position[] append(ManagedLog log, int n) {
        Position[] ps = new Position[n];
        List<CompletableFuture<Position>> window = new ArrayList<>();
        for (int i = 0; i < n; i += window.size()) {
            window.clear();
            for (int j = i; j < Math.min(n, i + 5_000); j++) {
                window.add(log.appendAsync(new byte[] {(byte) j}));
            }
            for (int j = 0; j < window.size(); j++) {
                ps[i + j] = window.get(j).join();
            }
        }
        return ps;
    }

    static byte[] znodeBytes(ManagedLog log, String subscription) {
        return cluster.store.get(MetadataPaths.cursor(log.name(), subscription)).join().orElseThrow().value();
    }

    static CompletableFuture<ReadHandle> openLedger(long id) {
        return bk.newOpenLedgerOp().withLedgerId(id).withRecovery(false).withDigestType(DigestType.CRC32C)
                .withPassword("tributary".getBytes(UTF_8)).execute();
    }

    static void assertNoSuchLedger(long id) {
        assertThatThrownBy(() -> openLedger(id).join()).hasCauseInstanceOf(BKException.class)
                .extracting(e -> ((BKException) e.getCause()).getCode())
                .isEqualTo(BKException.Code.NoSuchLedgerExistsOnMetadataServerException);
    }

    @Test
    void hundredThousandHolesSurviveReopeningWithoutRedeliveringAnAcknowledgedEntry() throws Exception {
        long startNanos = System.nanoTime();
        ManagedLogConfig fourLedgers = ManagedLogConfig.DEFAULT.withRollover(1 << 30, 60_000, Duration.ofHours(1));
        ManagedLog log = factory(fourLedgers).open("t/ns/holes", true).join();
        Position[] ps = append(log, 200_001);
        assertThat(log.ledgerCount()).isGreaterThanOrEqualTo(4);
        long appended = System.nanoTime();

        ManagedCursor c = open(log, "sub", true, ON_FLUSH);
        for (int i = 1; i < ps.length; i += 2) {
            assertThat(c.acknowledge(ps[i])).isTrue();
        }
        assertThat(c.ackedRangeCount()).isEqualTo(100_000);
        assertThat(c.backlog()).isEqualTo(100_001);
        c.flush().join();
        log.close();

        byte[] znode = znodeBytes(log, "sub");
        assertThat(znode.length).as("the znode holds the mark-delete and a ledger id only").isLessThan(100);
        CursorState state = CursorState.parseFrom(znode);
        assertThat(state.getAcksCase()).isEqualTo(CursorState.AcksCase.STATE_LEDGER_ID);
        try (ReadHandle ledger = openLedger(state.getStateLedgerId()).join()) {
            assertThat(ledger.getLength()).as("three bytes per hole").isBetween(64L << 10, 400L << 10);
            assertThat(ledger.getLedgerMetadata().getCustomMetadata())
                    .containsEntry("tributary-cursor", "sub".getBytes(UTF_8))
                    .containsEntry("tributary-log", "t/ns/holes".getBytes(UTF_8));
        }

        long reopening = System.nanoTime();
        ManagedLog reopened = factory(fourLedgers).open("t/ns/holes", false).join();
        ManagedCursor again = open(reopened, "sub", false, ON_FLUSH);
        long reopenedNanos = System.nanoTime() - reopening;
        for (int i = 0; i < ps.length; i++) {
            if (again.isAcknowledged(ps[i]) != (i % 2 == 1)) {
                throw new AssertionError("entry " + i + " at " + ps[i] + ": acknowledged " + again.isAcknowledged(ps[i]));
            }
        }
        assertThat(again.backlog()).isEqualTo(100_001);
        assertThat(again.ackedRangeCount()).isEqualTo(100_000);
        assertThat(again.markDeletePosition()).isEqualTo(new Position(ps[0].ledgerId(), -1));

        // filling the holes brings the state back inline and removes the cursor ledger
        for (int i = 0; i < ps.length; i += 2) {
            assertThat(again.acknowledge(ps[i])).isTrue();
        }
        assertThat(again.backlog()).isZero();
        assertThat(again.markDeletePosition()).isEqualTo(ps[ps.length - 1]);
        again.flush().join();
        assertThat(CursorState.parseFrom(znodeBytes(reopened, "sub")).getAcksCase()).isEqualTo(CursorState.AcksCase.ACK_STATE);
        assertNoSuchLedger(state.getStateLedgerId());
        reopened.close();
        System.out.printf("100k holes: append %d ms, whole test %d ms, reopening the cursor %d ms%n",
                (appended - startNanos) / 1_000_000, (System.nanoTime() - startNanos) / 1_000_000, reopenedNanos / 1_000_000);
    }

    @Test
    void stateThatShrinksGoesBackInlineAndTheOldCursorLedgerIsDeleted() throws Exception {
        ManagedLog log = factory(ManagedLogConfig.DEFAULT).open("t/ns/shrink", true).join();
        Position[] ps = append(log, 2_000);
        // a small inline limit and small ledger entries: 500 holes spill into several chunks
        CursorConfig small = ON_FLUSH.withInlineLimitBytes(512).withLedgerEntryBytes(256);
        ManagedCursor c = open(log, "sub", true, small);
        for (int i = 1; i < 1_000; i += 2) {
            c.acknowledge(ps[i]);
        }
        c.acknowledgeIndex(ps[1_500], 3, 10);
        c.flush().join();
        long first = CursorState.parseFrom(znodeBytes(log, "sub")).getStateLedgerId();
        try (ReadHandle ledger = openLedger(first).join()) {
            assertThat(ledger.getLastAddConfirmed()).as("entries beyond the first chunk").isGreaterThanOrEqualTo(5);
        }

        // still too large: a new ledger replaces the first, which is deleted
        c.acknowledge(ps[1_001]);
        c.flush().join();
        long second = CursorState.parseFrom(znodeBytes(log, "sub")).getStateLedgerId();
        assertThat(second).isNotEqualTo(first);
        assertNoSuchLedger(first);
        ManagedCursor reread = open(log, "sub", false, small);
        assertThat(reread.ackedRangeCount()).isEqualTo(501);
        assertThat(reread.acknowledgedIndexes(ps[1_500]).stream().boxed().toList()).containsExactly(3);

        // small again: inline, and the second ledger is gone too
        for (int i = 0; i < 1_000; i += 2) {
            reread.acknowledge(ps[i]);
        }
        reread.flush().join();
        CursorState inline = CursorState.parseFrom(znodeBytes(log, "sub"));
        assertThat(inline.getAcksCase()).isEqualTo(CursorState.AcksCase.ACK_STATE);
        assertNoSuchLedger(second);
        ManagedCursor last = open(log, "sub", false, small);
        assertThat(last.markDeletePosition()).isEqualTo(ps[999]);
        assertThat(last.isAcknowledged(ps[1_001])).isTrue();
        assertThat(last.isAcknowledged(ps[1_000])).isFalse();
        assertThat(last.acknowledgedIndexes(ps[1_500]).stream().boxed().toList()).containsExactly(3);
        assertThat(last.backlog()).isEqualTo(999);
        log.close();
    }
}
