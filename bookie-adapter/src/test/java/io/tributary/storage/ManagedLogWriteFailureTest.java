package io.tributary.storage;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tributary.storage.embedded.EmbeddedBookie;
import io.tributary.storage.log.LogEntry;
import io.tributary.storage.log.ManagedLog;
import io.tributary.storage.log.ManagedLogConfig;
import io.tributary.storage.log.ManagedLogException;
import io.tributary.storage.log.ManagedLogFactory;
import io.tributary.storage.log.Position;
import io.tributary.storage.log.SequenceMark;
import java.io.File;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.bookkeeper.client.api.BookKeeper;
import org.apache.bookkeeper.client.api.CreateBuilder;
import org.apache.bookkeeper.client.api.ReadHandle;
import org.apache.bookkeeper.client.api.WriteHandle;
import org.apache.bookkeeper.conf.ClientConfiguration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Write failures on a real bookie: a stalled bookie (suspended: still registered, not answering), a
 * stopped one, and a ledger whose close fails. Nothing appended behind a failed entry may be stored
 * while the failed one is not, and no ledger may be listed with a length BookKeeper does not hold.
 */
class ManagedLogWriteFailureTest {
    private static final Duration WAIT = Duration.ofSeconds(90);

    @TempDir
    Path dir;
    StorageTestCluster cluster;
    EmbeddedBookie bookie;

    @BeforeEach
    void start() throws Exception {
        cluster = new StorageTestCluster(dir.toFile());
        bookie = cluster.bookie;
    }

    @AfterEach
    void stop() throws Exception {
        if (bookie != cluster.bookie) {
            bookie.close();
        }
        cluster.close();
    }

    /** A client that gives up on a silent bookie after two seconds (the broker's waits 30). */
    private BookKeeper impatientClient() throws Exception {
        ClientConfiguration conf = new ClientConfiguration();
        conf.setMetadataServiceUri(StorageClients.metadataServiceUri(cluster.zk.connectString(), "/ledgers"));
        conf.setAddEntryTimeout(2);
        conf.setReadEntryTimeout(10);
        conf.setEnforceMinNumRacksPerWriteQuorum(false);
        conf.setThrottleValue(0);
        return BookKeeper.newBuilder(conf).build();
    }

    private ManagedLogFactory factory(BookKeeper bk, ManagedLogConfig config) {
        return new ManagedLogFactory(cluster.store, bk, config, name -> cluster.executor.chooseThread(name));
    }

    private static CompletableFuture<Position> append(ManagedLog log, String text, long seq) {
        return log.appendAsync(text.getBytes(UTF_8), new SequenceMark("p", seq));
    }

    private static List<String> readAll(ManagedLog log) {
        List<String> out = new ArrayList<>();
        Position p = log.firstPosition();
        while (true) {
            List<LogEntry> batch = log.readAsync(p, 10).join();
            if (batch.isEmpty()) {
                return out;
            }
            for (LogEntry e : batch) {
                out.add(new String(e.data(), UTF_8));
                p = log.nextPosition(e.position());
            }
        }
    }

    private static Throwable failureOf(CompletableFuture<?> f) {
        try {
            f.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        } catch (Exception e) {
            return e.getCause() != null ? e.getCause() : e;
        }
        throw new AssertionError("expected the append to fail, but it was stored at " + f.join());
    }

    /** Appends until one is stored (each refused one may start the next attempt at a ledger). */
    private static String appendUntilStored(ManagedLog log, List<String> refused, long seq) {
        List<String> stored = new ArrayList<>();
        long[] n = {0};
        await().atMost(WAIT).pollInterval(Duration.ofMillis(200)).until(() -> {
            String text = "after-" + n[0]++;
            try {
                append(log, text, seq).get(WAIT.toSeconds(), TimeUnit.SECONDS);
                stored.add(text);
                return true;
            } catch (Exception e) {
                refused.add(text);
                return false;
            }
        });
        return stored.get(0);
    }

    @Test
    void appendsBehindAFailedWriteFailWithItAndNoneIsStoredOnceTheBookieAnswersAgain() throws Exception {
        BookKeeper bk = impatientClient();
        try {
            ManagedLog log = factory(bk, ManagedLogConfig.DEFAULT).open("t/ns/stalled-bookie", true).join();
            append(log, "before", 0).join();

            bookie.suspendProcessing();
            CompletableFuture<Position> failed = append(log, "a1", 1);
            CompletableFuture<Position> inFlightBehind = append(log, "a2", 2);
            // a dependent of the failure appends at once on the log's thread, as a broker pipelining
            // the producer's next batches does: it must be refused, not queued for the next ledger
            CompletableFuture<CompletableFuture<Position>> madeOnFailure = failed.handle((p, e) -> append(log, "a3", 3));

            assertThat(failureOf(failed)).isInstanceOf(ManagedLogException.class);
            bookie.resumeProcessing();
            assertThat(failureOf(inFlightBehind)).isInstanceOf(ManagedLogException.class);
            assertThat(failureOf(madeOnFailure.join())).isInstanceOf(ManagedLogException.UnavailableException.class);

            List<String> refused = new ArrayList<>();
            String after = appendUntilStored(log, refused, 4);
            assertThat(readAll(log)).containsExactly("before", after);
            assertThat(log.lastSequenceId("p")).isEqualTo(4);
            log.closeAsync().join();
        } finally {
            bookie.resumeProcessing();
            bk.close();
        }
    }

    @Test
    void aLogWithoutAWritableLedgerRefusesAppendsUntilABookieIsBackThenTakesThemAgain() throws Exception {
        BookKeeper bk = impatientClient();
        try {
            ManagedLog log = factory(bk, ManagedLogConfig.DEFAULT).open("t/ns/stopped-bookie", true).join();
            append(log, "before", 0).join();
            int port = bookie.port();

            bookie.close();
            assertThat(failureOf(append(log, "a1", 1))).isInstanceOf(ManagedLogException.UnavailableException.class);
            // no bookie to make a new ledger on: refused at once, with the retriable error, not queued
            for (int i = 2; i < 5; i++) {
                CompletableFuture<Position> refused = append(log, "a" + i, i);
                assertThat(failureOf(refused)).isInstanceOf(ManagedLogException.UnavailableException.class);
            }

            bookie = EmbeddedBookie.start(StorageClients.metadataServiceUri(cluster.zk.connectString(), "/ledgers"),
                    new File(dir.toFile(), "bookie"), port, false);
            List<String> refused = new ArrayList<>();
            String after = appendUntilStored(log, refused, 5);
            assertThat(append(log, "later", 6).join()).isNotNull();
            assertThat(readAll(log)).containsExactly("before", after, "later");
            assertThat(log.lastSequenceId("p")).isEqualTo(6);
            log.closeAsync().join();
        } finally {
            bk.close();
        }
    }

    @Test
    void aLedgerWhoseCloseFailedIsRecoveredSoEveryEntryStaysReadable() throws Exception {
        BookKeeper real = cluster.newBookKeeper();
        AtomicBoolean failNextClose = new AtomicBoolean();
        BookKeeper bk = closeFailing(real, failNextClose);
        // no tail cache: reads go to the bookie, as they do for a new owner or an old backlog
        ManagedLogConfig config = ManagedLogConfig.DEFAULT.withRollover(1 << 20, 3, Duration.ofHours(1)).withCacheSizeBytes(0);
        ManagedLog log = factory(bk, config).open("t/ns/close-fails", true).join();
        long firstLedger = log.ledgers().get(log.ledgers().size() - 1).ledgerId();

        failNextClose.set(true);
        for (int i = 0; i < 3; i++) {
            append(log, "e" + i, i).join();
        }
        await().atMost(WAIT).until(() -> log.ledgerCount() == 2);
        append(log, "e3", 3).join();
        assertThat(failNextClose).isFalse();

        assertThat(readAll(log)).containsExactly("e0", "e1", "e2", "e3");
        try (ReadHandle h = real.newOpenLedgerOp().withLedgerId(firstLedger).withRecovery(false)
                .withDigestType(io.tributary.storage.log.Ledgers.DIGEST).withPassword(io.tributary.storage.log.Ledgers.PASSWORD)
                .execute().join()) {
            assertThat(h.isClosed()).isTrue();
            assertThat(h.getLastAddConfirmed()).isEqualTo(2);
        }
        log.closeAsync().join();
    }

    @Test
    void aLogWhoseLedgerFailedToCloseOnShutdownIsReadToTheEndByTheNextOwner() throws Exception {
        AtomicBoolean failNextClose = new AtomicBoolean();
        ManagedLogConfig config = ManagedLogConfig.DEFAULT.withCacheSizeBytes(0);
        ManagedLog log = factory(closeFailing(cluster.newBookKeeper(), failNextClose), config)
                .open("t/ns/close-fails-on-shutdown", true).join();
        for (int i = 0; i < 3; i++) {
            append(log, "e" + i, i).join();
        }
        failNextClose.set(true);
        log.closeAsync().join();
        assertThat(failNextClose).isFalse();

        ManagedLog next = factory(cluster.newBookKeeper(), config).open("t/ns/close-fails-on-shutdown", false).join();
        append(next, "e3", 3).join();
        assertThat(readAll(next)).containsExactly("e0", "e1", "e2", "e3");
        assertThat(next.lastSequenceId("p")).isEqualTo(3);
        next.closeAsync().join();
    }

    // ------------------------------------------------------------------ a close that fails

    /**
     * The real client, except that the next close of a ledger it created fails without closing it,
     * as a close whose ledger metadata could not be written does: BookKeeper still has it open.
     */
    private static BookKeeper closeFailing(BookKeeper real, AtomicBoolean failNextClose) {
        return wrap(BookKeeper.class, real, (m, r) -> m.getName().equals("newCreateLedgerOp")
                ? wrapCreate((CreateBuilder) r, failNextClose) : r);
    }

    private static CreateBuilder wrapCreate(CreateBuilder real, AtomicBoolean failNextClose) {
        CreateBuilder[] self = new CreateBuilder[1];
        self[0] = wrap(CreateBuilder.class, real, (m, r) -> {
            if (r == real) {
                return self[0];
            }
            if (m.getName().equals("execute")) {
                @SuppressWarnings("unchecked")
                CompletableFuture<WriteHandle> f = (CompletableFuture<WriteHandle>) r;
                return f.thenApply(h -> wrap(WriteHandle.class, h, (hm, hr) -> hr, (hm, args) ->
                        hm.getName().equals("closeAsync") && failNextClose.getAndSet(false)
                                ? CompletableFuture.failedFuture(new java.io.IOException("injected: ledger metadata not written"))
                                : null));
            }
            return r;
        });
        return self[0];
    }

    private interface After {
        Object apply(Method m, Object result);
    }

    private interface Instead {
        /** A result to return instead of calling the real method; null to call it. */
        Object apply(Method m, Object[] args);
    }

    private static <T> T wrap(Class<T> type, T real, After after) {
        return wrap(type, real, after, (m, args) -> null);
    }

    private static <T> T wrap(Class<T> type, T real, After after, Instead instead) {
        InvocationHandler h = (proxy, m, args) -> {
            Object replaced = instead.apply(m, args);
            if (replaced != null) {
                return replaced;
            }
            try {
                return after.apply(m, m.invoke(real, args));
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        };
        return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, h));
    }
}
