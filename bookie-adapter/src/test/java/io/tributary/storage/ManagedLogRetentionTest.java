package io.tributary.storage;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.tributary.internal.v1.LedgerInfo;
import io.tributary.internal.v1.LogMetadata;
import io.tributary.storage.log.LedgerSummary;
import io.tributary.storage.log.LogEntry;
import io.tributary.storage.log.ManagedLog;
import io.tributary.storage.log.ManagedLogConfig;
import io.tributary.storage.log.ManagedLogException;
import io.tributary.storage.log.Position;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.apache.bookkeeper.client.api.BKException;
import org.apache.bookkeeper.client.api.BookKeeper;
import org.apache.bookkeeper.client.api.DigestType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Retention: which ledgers trimming deletes, and how the log reads afterwards. */
class ManagedLogRetentionTest {
    private static final int ENTRY_BYTES = 100;
    private static final int ENTRIES_PER_LEDGER = 3;

    @TempDir
    static Path dir;
    static StorageTestCluster cluster;
    static BookKeeper bk;

    @BeforeAll
    static void start() throws Exception {
        cluster = new StorageTestCluster(dir.toFile());
        bk = cluster.newBookKeeper();
    }

    @AfterAll
    static void stop() throws Exception {
        cluster.close();
    }

    private static ManagedLog open(String name, boolean create) throws Exception {
        return cluster.newFactory(ManagedLogConfig.DEFAULT.withRollover(1 << 20, ENTRIES_PER_LEDGER, Duration.ofHours(1)))
                .open(name, create).join();
    }

    /** An entry of {@link #ENTRY_BYTES} bytes that starts with "m{i}". */
    private static byte[] entry(int i) {
        byte[] data = new byte[ENTRY_BYTES];
        Arrays.fill(data, (byte) ' ');
        byte[] label = ("m" + i).getBytes(UTF_8);
        System.arraycopy(label, 0, data, 0, label.length);
        return data;
    }

    private static String label(byte[] data) {
        return new String(data, UTF_8).trim();
    }

    /**
     * Appends entries {@code from..to-1}, one at a time. With three entries per ledger and ten
     * entries, the log ends as three closed ledgers and an open one holding entry 9.
     */
    private static List<Position> append(ManagedLog log, int from, int to) {
        List<Position> ps = new ArrayList<>();
        for (int i = from; i < to; i++) {
            ps.add(log.appendAsync(entry(i)).join());
            // distinct close times, so that a retention time can fall between two ledgers
            long at = System.currentTimeMillis();
            await().pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(1)).atMost(Duration.ofSeconds(5))
                    .until(() -> System.currentTimeMillis() > at);
        }
        return ps;
    }

    private static List<String> readAll(ManagedLog log, Position from) {
        List<String> out = new ArrayList<>();
        Position p = from;
        while (true) {
            List<LogEntry> batch = log.readAsync(p, 5).join();
            if (batch.isEmpty()) {
                return out;
            }
            for (LogEntry e : batch) {
                out.add(label(e.data()));
                p = log.nextPosition(e.position());
            }
        }
    }

    private static List<String> labels(int from, int to) {
        List<String> out = new ArrayList<>();
        for (int i = from; i < to; i++) {
            out.add("m" + i);
        }
        return out;
    }

    private static List<Long> ids(ManagedLog log) {
        return log.ledgers().stream().map(LedgerSummary::ledgerId).toList();
    }

    private static List<Long> idsInMetadata(String name) throws Exception {
        byte[] raw = cluster.store.get("/topics/" + name).join().orElseThrow().value();
        return LogMetadata.parseFrom(raw).getLedgersList().stream().map(LedgerInfo::getLedgerId).toList();
    }

    private static void assertGoneFromBookKeeper(long ledgerId) {
        assertThatThrownBy(() -> bk.newOpenLedgerOp().withLedgerId(ledgerId).withRecovery(false)
                .withDigestType(DigestType.CRC32C).withPassword("tributary".getBytes(UTF_8)).execute().join())
                .isInstanceOf(CompletionException.class)
                .cause()
                .isInstanceOfSatisfying(BKException.class, e -> assertThat(e.getCode()).isIn(
                        BKException.Code.NoSuchLedgerExistsException,
                        BKException.Code.NoSuchLedgerExistsOnMetadataServerException));
    }

    private static void assertStillInBookKeeper(long ledgerId) throws Exception {
        bk.newOpenLedgerOp().withLedgerId(ledgerId).withRecovery(false)
                .withDigestType(DigestType.CRC32C).withPassword("tributary".getBytes(UTF_8)).execute().join().close();
    }

    @Test
    void trimmingDeletesOnlyFullyConsumedClosedLedgersAndReadsSkipThem() throws Exception {
        String name = "t/ns/trim";
        ManagedLog log = open(name, true);
        List<Position> ps = append(log, 0, 10);
        List<Long> ledgers = ids(log);
        assertThat(ledgers).hasSize(4);
        long l1 = ledgers.get(0);
        long l2 = ledgers.get(1);
        long l3 = ledgers.get(2);
        long open = ledgers.get(3);
        assertThat(ps.get(4).ledgerId()).isEqualTo(l2);

        // acknowledged up to entry 4: the ledger holding entry 5, its successor, is still needed
        assertThat(log.trimLedgers(ps.get(4), 0, 0, System.currentTimeMillis()).join()).containsExactly(l1);
        assertGoneFromBookKeeper(l1);
        assertStillInBookKeeper(l2);
        assertThat(idsInMetadata(name)).containsExactly(l2, l3, open);
        assertThat(ids(log)).containsExactly(l2, l3, open);

        // readers see a log that starts at entry 3, wherever they were
        assertThat(log.firstPosition()).isEqualTo(ps.get(3));
        assertThat(log.readAsync(ps.get(1), 2).join()).extracting(LogEntry::position).containsExactly(ps.get(3), ps.get(4));
        assertThat(log.nextPosition(ps.get(0))).isEqualTo(ps.get(3));
        assertThat(log.entriesFrom(ps.get(0))).isEqualTo(7);
        assertThat(log.numberOfEntries()).isEqualTo(7);
        assertThat(log.sizeBytes()).isEqualTo(7L * ENTRY_BYTES);
        assertThat(readAll(log, log.firstPosition())).containsExactlyElementsOf(labels(3, 10));

        // everything acknowledged: every closed ledger goes, the open one (holding the last entry) stays
        assertThat(log.trimLedgers(log.lastConfirmed(), 0, 0, System.currentTimeMillis()).join()).containsExactly(l2, l3);
        assertGoneFromBookKeeper(l2);
        assertGoneFromBookKeeper(l3);
        assertThat(ids(log)).containsExactly(open);
        assertThat(readAll(log, ps.get(0))).containsExactly("m9");
        log.appendAsync(entry(10)).join();

        // the next owner starts from the trimmed list
        ManagedLog next = open(name, false);
        assertThat(ids(next).get(0)).isEqualTo(open);
        assertThat(ids(next)).doesNotContain(l1, l2, l3);
        assertThat(next.firstPosition()).isEqualTo(ps.get(9));
        assertThat(readAll(next, next.firstPosition())).containsExactly("m9", "m10");
        next.close();
        log.close();
    }

    @Test
    void retentionTimeKeepsRecentlyClosedLedgersAndDeletesOlderOnes() throws Exception {
        ManagedLog log = open("t/ns/retention-time", true);
        append(log, 0, 10);
        List<LedgerSummary> ls = log.ledgers();
        LedgerSummary l1 = ls.get(0);
        LedgerSummary l2 = ls.get(1);
        LedgerSummary l3 = ls.get(2);
        assertThat(l1.closedMs()).isLessThan(l2.closedMs());
        assertThat(l2.closedMs()).isLessThan(l3.closedMs());
        long hour = TimeUnit.HOURS.toMillis(1);

        // all consumed, all closed within the retention time: all kept
        assertThat(log.trimLedgers(log.lastConfirmed(), hour, -1, l3.closedMs() + 1000).join()).isEmpty();
        // an hour after the second ledger closed, it and the first are past retention; the third is not
        assertThat(log.trimLedgers(log.lastConfirmed(), hour, -1, l2.closedMs() + hour).join())
                .containsExactly(l1.ledgerId(), l2.ledgerId());
        assertThat(ids(log)).containsExactly(l3.ledgerId(), ls.get(3).ledgerId());
        assertGoneFromBookKeeper(l2.ledgerId());
        assertStillInBookKeeper(l3.ledgerId());
        assertThat(readAll(log, log.firstPosition())).containsExactlyElementsOf(labels(6, 10));
        log.close();
    }

    @Test
    void retentionTimeNeverDeletesWhatIsNotConsumed() throws Exception {
        ManagedLog log = open("t/ns/retention-unconsumed", true);
        List<Position> ps = append(log, 0, 10);
        long farFuture = System.currentTimeMillis() + TimeUnit.DAYS.toMillis(365);
        // entry 5 is the last entry of the second ledger: acknowledged up to it, two ledgers may go
        assertThat(log.trimLedgers(ps.get(5), 0, 0, farFuture).join())
                .containsExactly(ps.get(0).ledgerId(), ps.get(5).ledgerId());
        assertThat(log.firstPosition()).isEqualTo(ps.get(6));
        // nothing acknowledged beyond: nothing more goes however old
        assertThat(log.trimLedgers(ps.get(7), 0, 0, farFuture).join()).isEmpty();
        assertThat(log.ledgerCount()).isEqualTo(2);
        log.close();
    }

    @Test
    void retentionSizeKeepsTheNewestConsumedLedgersUpToTheSize() throws Exception {
        ManagedLog log = open("t/ns/retention-size", true);
        append(log, 0, 10);
        List<Long> ledgers = ids(log);
        long now = System.currentTimeMillis();
        long perLedger = (long) ENTRIES_PER_LEDGER * ENTRY_BYTES;

        // 900 consumed bytes, 600 kept: the oldest ledger goes
        assertThat(log.trimLedgers(log.lastConfirmed(), -1, 2 * perLedger, now).join()).containsExactly(ledgers.get(0));
        // exactly at the limit: nothing more
        assertThat(log.trimLedgers(log.lastConfirmed(), -1, 2 * perLedger, now).join()).isEmpty();
        // one byte less than a ledger: both remaining closed ledgers go, the open one stays
        assertThat(log.trimLedgers(log.lastConfirmed(), -1, perLedger - 1, now).join())
                .containsExactly(ledgers.get(1), ledgers.get(2));
        assertThat(ids(log)).containsExactly(ledgers.get(3));
        assertThat(readAll(log, log.firstPosition())).containsExactly("m9");
        log.close();
    }

    @Test
    void infiniteRetentionKeepsEverything() throws Exception {
        ManagedLog log = open("t/ns/retention-infinite", true);
        append(log, 0, 10);
        List<Long> before = ids(log);
        long farFuture = System.currentTimeMillis() + TimeUnit.DAYS.toMillis(3650);
        assertThat(log.trimLedgers(log.lastConfirmed(), -1, -1, farFuture).join()).isEmpty();
        assertThat(ids(log)).isEqualTo(before);
        assertThat(readAll(log, log.firstPosition())).containsExactlyElementsOf(labels(0, 10));
        log.close();
    }

    @Test
    void trimmingTheLedgerOfTheLastEntryLeavesAnEmptyLogThatTailingReadersFollow() throws Exception {
        ManagedLog log = open("t/ns/trim-all", true);
        List<Position> ps = append(log, 0, ENTRIES_PER_LEDGER);
        // the third append rolled the log over to an empty ledger
        await().atMost(Duration.ofSeconds(10)).until(() -> log.ledgers().size() == 2 && !log.ledgers().get(0).open());
        Position last = log.lastConfirmed();
        assertThat(log.trimLedgers(last, 0, 0, System.currentTimeMillis()).join()).containsExactly(ps.get(0).ledgerId());

        assertThat(log.firstPosition()).isEqualTo(log.endPosition());
        assertThat(log.entriesFrom(ps.get(0))).isZero();
        assertThat(log.readAsync(ps.get(1), 10).join()).isEmpty();
        assertThat(log.sizeBytesFrom(ps.get(0))).isZero();

        CompletableFuture<Void> woken = log.waitForEntriesAfter(last);
        assertThat(woken).isNotDone();
        Position p = log.appendAsync(entry(3)).join();
        woken.get(10, TimeUnit.SECONDS);
        // a reader left inside the deleted ledger moves on to the new entry
        assertThat(log.readAsync(ps.get(1), 10).join()).extracting(LogEntry::position).containsExactly(p);
        assertThat(log.firstPosition()).isEqualTo(p);
        log.close();
    }

    @Test
    void staleWriterCannotTrimAfterTakeover() throws Exception {
        ManagedLog first = open("t/ns/trim-fenced", true);
        append(first, 0, 10);
        List<Long> ledgers = ids(first);
        ManagedLog second = open("t/ns/trim-fenced", false);

        assertThatThrownBy(() -> first.trimLedgers(first.lastConfirmed(), 0, 0, System.currentTimeMillis()).join())
                .hasCauseInstanceOf(ManagedLogException.FencedException.class);
        assertThat(first.isFenced()).isTrue();
        assertStillInBookKeeper(ledgers.get(0));
        assertThat(readAll(second, second.firstPosition())).containsExactlyElementsOf(labels(0, 10));
        first.close();
        second.close();
    }
}
