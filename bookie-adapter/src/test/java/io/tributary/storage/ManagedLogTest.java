package io.tributary.storage;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.tributary.storage.log.LedgerSummary;
import io.tributary.storage.log.LogEntry;
import io.tributary.storage.log.ManagedLog;
import io.tributary.storage.log.ManagedLogConfig;
import io.tributary.storage.log.ManagedLogException;
import io.tributary.storage.log.ManagedLogFactory;
import io.tributary.storage.log.Position;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.ToLongFunction;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ManagedLogTest {
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

    private static List<String> readAll(ManagedLog log, Position from) {
        List<String> out = new ArrayList<>();
        Position p = from;
        while (true) {
            List<LogEntry> batch = log.readAsync(p, 7).join();
            if (batch.isEmpty()) {
                return out;
            }
            for (LogEntry e : batch) {
                out.add(new String(e.data(), UTF_8));
                p = log.nextPosition(e.position());
            }
        }
    }

    @Test
    void appendsMadeOnTheLogsThreadKeepTheirOrderWithQueuedOnesAcrossRollovers() throws Exception {
        // the topic appends from the log's own thread; those run inline, the others queue
        ManagedLogFactory factory = cluster.newFactory(ManagedLogConfig.DEFAULT.withRollover(1 << 20, 10, Duration.ofHours(1)));
        ManagedLog log = factory.open("t/ns/inline-appends", true).join();
        List<CompletableFuture<Position>> acks = new ArrayList<>();
        for (int round = 0; round < 5; round++) {
            int base = round * 8;
            acks.add(log.appendAsync(("m" + base).getBytes(UTF_8)));
            acks.addAll(CompletableFuture.supplyAsync(() -> {
                List<CompletableFuture<Position>> onThread = new ArrayList<>();
                for (int i = 1; i < 8; i++) {
                    onThread.add(log.appendAsync(("m" + (base + i)).getBytes(UTF_8)));
                }
                return onThread;
            }, log.executor()).join());
        }
        List<Position> positions = acks.stream().map(CompletableFuture::join).toList();
        assertThat(positions).isSorted().doesNotHaveDuplicates();
        assertThat(log.ledgerCount()).isGreaterThanOrEqualTo(4);

        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            expected.add("m" + i);
        }
        assertThat(readAll(log, log.firstPosition())).containsExactlyElementsOf(expected);
        log.close();
    }

    @Test
    void anAppendOnTheLogsThreadDoesNotOvertakeOneQueuedBeforeIt() throws Exception {
        // a publish from a gRPC thread queues; one from the topic's thread must not pass it
        ManagedLogFactory factory = cluster.newFactory(ManagedLogConfig.DEFAULT);
        ManagedLog log = factory.open("t/ns/no-overtaking", true).join();
        log.appendAsync("warm-up".getBytes(UTF_8)).join(); // the log now knows its thread
        CountDownLatch queued = new CountDownLatch(1);
        CompletableFuture<CompletableFuture<Position>> later = CompletableFuture.supplyAsync(() -> {
            try {
                queued.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return log.appendAsync("second".getBytes(UTF_8));
        }, log.executor());
        CompletableFuture<Position> first = log.appendAsync("first".getBytes(UTF_8)); // queued behind the task above
        queued.countDown();
        Position second = later.join().join();
        assertThat(first.join()).isLessThan(second);
        assertThat(readAll(log, log.firstPosition())).containsExactly("warm-up", "first", "second");
        log.close();
    }

    @Test
    void anAppendMadeOnTheLogsThreadAfterACloseWasAskedForIsRefused() throws Exception {
        ManagedLogFactory factory = cluster.newFactory(ManagedLogConfig.DEFAULT);
        ManagedLog log = factory.open("t/ns/close-then-append", true).join();
        log.appendAsync("warm-up".getBytes(UTF_8)).join(); // the log now knows its thread
        CompletableFuture<Void> closed = new CompletableFuture<>();
        CompletableFuture<Position> late = CompletableFuture.supplyAsync(() -> {
            log.closeAsync().whenComplete((v, e) -> closed.complete(null));
            return log.appendAsync("late".getBytes(UTF_8));
        }, log.executor()).join();
        assertThatThrownBy(late::join).hasCauseInstanceOf(ManagedLogException.ClosedException.class);
        closed.join();
    }

    @Test
    void appendsAreReadBackInOrderAcrossLedgerRollovers() throws Exception {
        ManagedLogFactory factory = cluster.newFactory(ManagedLogConfig.DEFAULT.withRollover(1 << 20, 10, Duration.ofHours(1)));
        ManagedLog log = factory.open("t/ns/rollover", true).join();
        List<CompletableFuture<Position>> acks = new ArrayList<>();
        for (int i = 0; i < 35; i++) {
            acks.add(log.appendAsync(("m" + i).getBytes(UTF_8)));
        }
        List<Position> positions = acks.stream().map(CompletableFuture::join).toList();
        assertThat(positions).isSorted();
        assertThat(log.ledgerCount()).isGreaterThanOrEqualTo(4);
        assertThat(log.numberOfEntries()).isEqualTo(35);

        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 35; i++) {
            expected.add("m" + i);
        }
        assertThat(readAll(log, log.firstPosition())).containsExactlyElementsOf(expected);
        log.close();

        // a new owner sees the same entries, read from the bookies rather than a cache
        ManagedLog reopened = cluster.newFactory(ManagedLogConfig.DEFAULT).open("t/ns/rollover", false).join();
        assertThat(readAll(reopened, reopened.firstPosition())).containsExactlyElementsOf(expected);
        assertThat(reopened.entriesFrom(reopened.firstPosition())).isEqualTo(35);
        reopened.close();
    }

    @Test
    void staleWriterCannotAppendAfterFencing() throws Exception {
        ManagedLog first = cluster.newFactory(ManagedLogConfig.DEFAULT).open("t/ns/fenced", true).join();
        Position a = first.appendAsync("before".getBytes(UTF_8)).join();

        // a second broker takes the topic over without the first one knowing
        ManagedLog second = cluster.newFactory(ManagedLogConfig.DEFAULT).open("t/ns/fenced", false).join();

        assertThatThrownBy(() -> first.appendAsync("stale".getBytes(UTF_8)).join())
                .isInstanceOf(CompletionException.class)
                .hasCauseInstanceOf(ManagedLogException.FencedException.class);
        assertThat(first.isFenced()).isTrue();
        // and it stays fenced: not a single later entry gets in
        assertThatThrownBy(() -> first.appendAsync("stale-2".getBytes(UTF_8)).join())
                .hasCauseInstanceOf(ManagedLogException.FencedException.class);

        second.appendAsync("after".getBytes(UTF_8)).join();
        assertThat(readAll(second, second.firstPosition())).containsExactly("before", "after");
        assertThat(a.ledgerId()).isLessThan(second.lastConfirmed().ledgerId());
        first.close();
        second.close();
    }

    /** Entries in these tests are "producer:sequence". */
    private static io.tributary.storage.log.SequenceMark markOf(byte[] data) {
        String[] parts = new String(data, UTF_8).split(":");
        return parts.length == 2 ? new io.tributary.storage.log.SequenceMark(parts[0], Long.parseLong(parts[1])) : null;
    }

    private static ManagedLogFactory sequenceAwareFactory() throws Exception {
        return new ManagedLogFactory(cluster.store, cluster.newBookKeeper(), ManagedLogConfig.DEFAULT,
                name -> cluster.executor.chooseThread(name), ManagedLogTest::markOf);
    }

    private static void append(ManagedLog log, String producer, long seq) {
        log.appendAsync((producer + ":" + seq).getBytes(UTF_8), new io.tributary.storage.log.SequenceMark(producer, seq)).join();
    }

    @Test
    void producerSequencesSurviveACleanHandoverAndACrashTakeover() throws Exception {
        ManagedLog first = sequenceAwareFactory().open("t/ns/sequences", true).join();
        append(first, "p1", 0);
        append(first, "p1", 1);
        append(first, "p2", 7);
        assertThat(first.lastSequenceId("p1")).isEqualTo(1);
        first.close();

        // clean handover: the snapshot written at close is enough
        ManagedLog second = sequenceAwareFactory().open("t/ns/sequences", false).join();
        assertThat(second.lastSequenceId("p1")).isEqualTo(1);
        assertThat(second.lastSequenceId("p2")).isEqualTo(7);
        append(second, "p1", 2);
        append(second, "p3", 40);
        // second is never closed: a crash. The next owner replays the recovered ledger's entries.
        ManagedLog third = sequenceAwareFactory().open("t/ns/sequences", false).join();
        assertThat(third.lastSequenceId("p1")).isEqualTo(2);
        assertThat(third.lastSequenceId("p2")).isEqualTo(7);
        assertThat(third.lastSequenceId("p3")).isEqualTo(40);
        assertThat(third.lastSequenceId("nobody")).isEqualTo(-1);
        third.close();
    }

    @Test
    void aWriterThatTookOverAfterACrashKnowsWhereThePreviousWritersLastBatchesAre() throws Exception {
        ManagedLog first = sequenceAwareFactory().open("t/ns/recovered-batches", true).join();
        append(first, "p1", 0);
        append(first, "p2", 5);
        append(first, "p1", 3);
        Position last = first.lastConfirmed();
        // never closed: a crash; these may never have been acknowledged to the producers
        ManagedLog second = sequenceAwareFactory().open("t/ns/recovered-batches", false).join();
        assertThat(second.recoveredBatches()).containsExactlyInAnyOrder(
                new io.tributary.storage.log.RecoveredBatch("p1", 0, new Position(last.ledgerId(), 0)),
                new io.tributary.storage.log.RecoveredBatch("p2", 5, new Position(last.ledgerId(), 1)),
                new io.tributary.storage.log.RecoveredBatch("p1", 3, new Position(last.ledgerId(), 2)));
        second.close();
        // a clean handover leaves nothing to recover
        assertThat(sequenceAwareFactory().open("t/ns/recovered-batches", false).join().recoveredBatches()).isEmpty();
    }

    @Test
    void openingAMissingLogWithoutCreationFails() {
        ManagedLogFactory factory;
        try {
            factory = cluster.newFactory(ManagedLogConfig.DEFAULT);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        assertThatThrownBy(() -> factory.open("t/ns/missing", false).join())
                .hasCauseInstanceOf(ManagedLogException.NotFoundException.class);
    }

    @Test
    void tailingReaderIsWokenByAppend() throws Exception {
        ManagedLog log = cluster.newFactory(ManagedLogConfig.DEFAULT).open("t/ns/tail", true).join();
        Position end = log.lastConfirmed();
        CompletableFuture<Void> woken = log.waitForEntriesAfter(end);
        assertThat(woken).isNotDone();
        Position p = log.appendAsync("x".getBytes(UTF_8)).join();
        woken.get(10, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(log.readAsync(p, 10).join()).hasSize(1);
        log.close();
    }

    @Test
    void deletedLogLosesItsLedgersInBookKeeper() throws Exception {
        ManagedLog log = cluster.newFactory(ManagedLogConfig.DEFAULT.withRollover(1 << 20, 2, Duration.ofHours(1)))
                .open("t/ns/deleted", true).join();
        Position p = null;
        for (int i = 0; i < 5; i++) {
            p = log.appendAsync(new byte[] {1}).join();
        }
        long ledgerId = p.ledgerId();
        log.deleteAsync().join();
        assertThat(cluster.store.exists("/topics/t/ns/deleted").join()).isFalse();
        org.apache.bookkeeper.client.api.BookKeeper bk = cluster.newBookKeeper();
        assertThatThrownBy(() -> bk.newOpenLedgerOp().withLedgerId(ledgerId)
                .withPassword("tributary".getBytes(UTF_8)).execute().join())
                .isInstanceOf(CompletionException.class);
    }

    @Test
    void idleLedgerRollsOverOnceOlderThanTheAgeAndAppendsKeepTheirOrder() throws Exception {
        ManagedLogFactory aging = cluster.newFactory(ManagedLogConfig.DEFAULT.withRollover(1 << 20, 1000, Duration.ofMillis(200)));
        ManagedLog empty = aging.open("t/ns/aged-empty", true).join();
        ManagedLog idle = aging.open("t/ns/aged", true).join();
        List<Position> written = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            written.add(idle.appendAsync(("m" + i).getBytes(UTF_8)).join());
        }
        long firstLedger = written.get(0).ledgerId();

        await().atMost(Duration.ofSeconds(10)).until(() -> idle.rolloverIfAged().join());
        List<LedgerSummary> ls = idle.ledgers();
        assertThat(ls).hasSize(2);
        assertThat(ls.get(0)).satisfies(l -> {
            assertThat(l.ledgerId()).isEqualTo(firstLedger);
            assertThat(l.open()).isFalse();
            assertThat(l.entries()).isEqualTo(3);
            assertThat(l.closedMs()).isPositive();
        });
        assertThat(ls.get(1).open()).isTrue();
        assertThat(ls.get(1).entries()).isZero();

        // the other log is older than the age too, but holds nothing: it keeps its ledger, and so does
        // the idle log now that its new ledger is empty
        assertThat(empty.rolloverIfAged().join()).isFalse();
        assertThat(empty.ledgerCount()).isEqualTo(1);
        assertThat(idle.rolloverIfAged().join()).isFalse();
        assertThat(idle.ledgerCount()).isEqualTo(2);

        // once the new ledger is old as well, appends race with a rollover and all land in order
        long created = ls.get(1).createdMs();
        await().atMost(Duration.ofSeconds(10)).until(() -> System.currentTimeMillis() - created > 200);
        List<CompletableFuture<Position>> acks = new ArrayList<>();
        List<CompletableFuture<Boolean>> rolls = new ArrayList<>();
        for (int i = 3; i < 23; i++) {
            acks.add(idle.appendAsync(("m" + i).getBytes(UTF_8)));
            if (i % 5 == 0) {
                rolls.add(idle.rolloverIfAged());
            }
        }
        acks.forEach(a -> written.add(a.join()));
        rolls.forEach(CompletableFuture::join);
        assertThat(written).isSorted().doesNotHaveDuplicates();
        assertThat(written.get(3).ledgerId()).isGreaterThan(firstLedger);
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 23; i++) {
            expected.add("m" + i);
        }
        assertThat(readAll(idle, idle.firstPosition())).containsExactlyElementsOf(expected);
        idle.close();
        empty.close();
    }

    @Test
    void youngLedgerIsNotRolledOver() throws Exception {
        ManagedLog log = cluster.newFactory(ManagedLogConfig.DEFAULT).open("t/ns/young", true).join();
        log.appendAsync("x".getBytes(UTF_8)).join();
        assertThat(log.rolloverIfAged().join()).isFalse();
        assertThat(log.ledgerCount()).isEqualTo(1);
        log.close();
    }

    /** Keys that do not decrease and repeat across ledger boundaries: 0, 10, 10, 20, 20, 30, 30, ... */
    private static long keyOfEntry(int i) {
        return (i + 1) / 2 * 10L;
    }

    private static byte[] keyed(int i) {
        return ByteBuffer.allocate(Long.BYTES).putLong(keyOfEntry(i)).array();
    }

    @Test
    void findFirstFindsTheFirstEntryWithAKeyAtLeastTheTargetAcrossLedgers() throws Exception {
        String name = "t/ns/find";
        ManagedLog log = cluster.newFactory(ManagedLogConfig.DEFAULT.withRollover(1 << 20, 4, Duration.ofHours(1)))
                .open(name, true).join();
        List<Position> ps = new ArrayList<>();
        for (int i = 0; i < 14; i++) {
            ps.add(log.appendAsync(keyed(i)).join());
        }
        // ledgers of 4 entries: [0..3] [4..7] [8..11] and the open one [12, 13]; entries 7 and 8 both have key 40
        assertThat(ps.get(7).ledgerId()).isLessThan(ps.get(8).ledgerId());
        AtomicInteger reads = new AtomicInteger();
        ToLongFunction<byte[]> keyOf = data -> {
            reads.incrementAndGet();
            return ByteBuffer.wrap(data).getLong();
        };

        for (ManagedLog l : List.of(log, cluster.newFactory(ManagedLogConfig.DEFAULT).open(name, false).join())) {
            // the second round is a new owner: nothing cached, every read goes to the bookie
            assertThat(l.findFirst(keyOf, 40).join()).isEqualTo(ps.get(7));
            assertThat(l.findFirst(keyOf, 35).join()).isEqualTo(ps.get(7));
            assertThat(l.findFirst(keyOf, 41).join()).isEqualTo(ps.get(9));
            assertThat(l.findFirst(keyOf, 30).join()).isEqualTo(ps.get(5));
            assertThat(l.findFirst(keyOf, 70).join()).isEqualTo(ps.get(13));
            assertThat(l.findFirst(keyOf, -1).join()).isEqualTo(ps.get(0)).isEqualTo(l.firstPosition());
            assertThat(l.findFirst(keyOf, 71).join()).isEqualTo(l.endPosition());
            reads.set(0);
            l.findFirst(keyOf, 55).join();
            // log2 of 4 ledgers and of 4 entries, not a scan of 14 entries
            assertThat(reads.get()).isLessThanOrEqualTo(5);
            l.close();
        }
    }

    @Test
    void findFirstOnAnEmptyLogIsTheEnd() throws Exception {
        ManagedLog log = cluster.newFactory(ManagedLogConfig.DEFAULT).open("t/ns/find-empty", true).join();
        assertThat(log.findFirst(data -> 0, 0).join()).isEqualTo(log.endPosition());
        log.close();
    }

    @Test
    void ledgerSummariesAndSizesFollowTheEntries() throws Exception {
        String name = "t/ns/sizes";
        ManagedLog log = cluster.newFactory(ManagedLogConfig.DEFAULT.withRollover(1 << 20, 4, Duration.ofHours(1)))
                .open(name, true).join();
        List<Position> ps = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            ps.add(log.appendAsync(new byte[100]).join());
        }
        // [0..3] 400 bytes, [4..7] 400 bytes, open [8, 9] 200 bytes
        assertThat(log.ledgers()).extracting(LedgerSummary::entries, LedgerSummary::sizeBytes, LedgerSummary::open)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple(4L, 400L, false),
                        org.assertj.core.groups.Tuple.tuple(4L, 400L, false),
                        org.assertj.core.groups.Tuple.tuple(2L, 200L, true));
        assertThat(log.ledgers().get(2).closedMs()).isZero();

        assertThat(log.sizeBytesFrom(log.firstPosition())).isEqualTo(1000);
        assertThat(log.sizeBytesFrom(ps.get(5))).isEqualTo(500);
        assertThat(log.sizeBytesFrom(ps.get(9))).isEqualTo(100);
        assertThat(log.sizeBytesFrom(log.endPosition())).isZero();

        assertThat(log.positionWithBytesAfter(10_000)).isEqualTo(ps.get(0));
        assertThat(log.positionWithBytesAfter(1000)).isEqualTo(ps.get(0));
        assertThat(log.positionWithBytesAfter(999)).isEqualTo(ps.get(1));
        assertThat(log.positionWithBytesAfter(550)).isEqualTo(ps.get(5));
        assertThat(log.positionWithBytesAfter(600)).isEqualTo(ps.get(4));
        assertThat(log.positionWithBytesAfter(200)).isEqualTo(ps.get(8));
        assertThat(log.positionWithBytesAfter(100)).isEqualTo(ps.get(9));
        assertThat(log.positionWithBytesAfter(99)).isEqualTo(log.endPosition());
        assertThat(log.positionWithBytesAfter(0)).isEqualTo(log.endPosition());
        log.close();

        // a new owner sees the same figures for the ledgers it recovered
        ManagedLog next = cluster.newFactory(ManagedLogConfig.DEFAULT).open(name, false).join();
        assertThat(next.sizeBytesFrom(next.firstPosition())).isEqualTo(1000);
        assertThat(next.positionWithBytesAfter(550)).isEqualTo(ps.get(5));
        next.close();
    }

    @Test
    void sizeOfPartOfALedgerIsEstimatedByItsAverageEntry() throws Exception {
        ManagedLog log = cluster.newFactory(ManagedLogConfig.DEFAULT.withRollover(1 << 20, 4, Duration.ofHours(1)))
                .open("t/ns/sizes-mixed", true).join();
        List<Position> ps = new ArrayList<>();
        for (int size : new int[] {10, 190, 10, 190, 50}) {
            ps.add(log.appendAsync(new byte[size]).join());
        }
        // first ledger: 400 bytes in 4 entries, 100 on average; the open one holds the 50 byte entry
        assertThat(log.sizeBytesFrom(ps.get(0))).isEqualTo(450);
        assertThat(log.sizeBytesFrom(ps.get(1))).isEqualTo(350);
        assertThat(log.sizeBytesFrom(ps.get(3))).isEqualTo(150);
        assertThat(log.positionWithBytesAfter(349)).isEqualTo(ps.get(2));
        log.close();
    }
}
