package io.tributary.storage;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.storage.log.LogEntry;
import io.tributary.storage.log.ManagedLog;
import io.tributary.storage.log.ManagedLogConfig;
import io.tributary.storage.log.ManagedLogException;
import io.tributary.storage.log.ManagedLogFactory;
import io.tributary.storage.log.Position;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
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
}
