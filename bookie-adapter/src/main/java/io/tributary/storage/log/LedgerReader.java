package io.tributary.storage.log;

import io.tributary.internal.v1.LedgerInfo;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.function.LongFunction;
import java.util.function.ToLongFunction;
import org.apache.bookkeeper.client.api.BookKeeper;
import org.apache.bookkeeper.client.api.LedgerEntries;
import org.apache.bookkeeper.client.api.LedgerEntry;
import org.apache.bookkeeper.client.api.ReadHandle;
import org.apache.bookkeeper.client.api.WriteHandle;

/**
 * Reads the log: from the tail cache when it has the entries, else from the bookies through one
 * read handle per ledger (the open ledger is read through the writer's handle). Also the tailing
 * readers waiting for the next entry, and the binary search by key. Reads run on any thread; the
 * waiters are kept on the log's executor.
 */
final class LedgerReader {
    private record Waiter(Position after, CompletableFuture<Void> future) {}

    private final String name;
    private final BookKeeper bk;
    private final LedgerChain chain;
    private final TailCache cache;
    private final Executor executor;
    private final Map<Long, CompletableFuture<ReadHandle>> readHandles = new ConcurrentHashMap<>();
    /** The open ledger's handle, which reads what it wrote without opening the ledger again. */
    private volatile WriteHandle writeHandle;

    // --- owned by the executor thread ---
    private final List<Waiter> waiters = new ArrayList<>();
    /** Why the log no longer grows (fenced or closed); waiting then fails at once. */
    private ManagedLogException stopped;

    LedgerReader(String name, BookKeeper bk, LedgerChain chain, TailCache cache, Executor executor, WriteHandle open) {
        this.name = name;
        this.bk = bk;
        this.chain = chain;
        this.cache = cache;
        this.executor = executor;
        this.writeHandle = open;
    }

    /** The writer moved on to a new ledger. */
    void readOpenLedgerThrough(WriteHandle handle) {
        this.writeHandle = handle;
    }

    CompletableFuture<List<LogEntry>> readAsync(Position from, int maxEntries) {
        Position start = chain.normalize(from);
        Position lc = chain.lastConfirmed();
        if (maxEntries <= 0 || start.isAfter(lc)) {
            return CompletableFuture.completedFuture(List.of());
        }
        long ledgerId = start.ledgerId();
        long lastInLedger;
        if (ledgerId == lc.ledgerId()) {
            lastInLedger = lc.entryId();
        } else {
            LedgerInfo li = chain.ledger(ledgerId);
            if (li == null) {
                return CompletableFuture.failedFuture(
                        new ManagedLogException.InvalidPositionException("ledger " + ledgerId + " is not part of log " + name));
            }
            lastInLedger = li.getEntries() - 1;
        }
        long last = Math.min(lastInLedger, start.entryId() + maxEntries - 1);

        List<LogEntry> fromCache = cache.read(ledgerId, start.entryId(), last);
        if (fromCache != null) {
            return CompletableFuture.completedFuture(fromCache);
        }
        final long first = start.entryId();
        return readHandle(ledgerId).thenCompose(h -> h.readAsync(first, last)).thenApply(entries -> {
            try (LedgerEntries es = entries) {
                List<LogEntry> out = new ArrayList<>((int) (last - first + 1));
                for (LedgerEntry e : es) {
                    out.add(new LogEntry(new Position(ledgerId, e.getEntryId()), e.getEntryBytes()));
                }
                return out;
            }
        });
    }

    private CompletableFuture<ReadHandle> readHandle(long ledgerId) {
        WriteHandle w = writeHandle;
        if (w != null && w.getId() == ledgerId) {
            return CompletableFuture.completedFuture(w);
        }
        return readHandles.computeIfAbsent(ledgerId, id -> {
            CompletableFuture<ReadHandle> f = bk.newOpenLedgerOp().withLedgerId(id).withRecovery(false)
                    .withDigestType(Ledgers.DIGEST).withPassword(Ledgers.PASSWORD).execute();
            f.whenComplete((h, e) -> {
                if (e != null) {
                    readHandles.remove(id);
                }
            });
            return f;
        });
    }

    /** One entry's bytes, from the tail cache or the bookies. */
    private CompletableFuture<byte[]> readEntry(long ledgerId, long entryId) {
        byte[] cached = cache.get(new Position(ledgerId, entryId));
        if (cached != null) {
            return CompletableFuture.completedFuture(cached);
        }
        return readHandle(ledgerId).thenCompose(h -> h.readAsync(entryId, entryId)).thenApply(entries -> {
            try (LedgerEntries es = entries) {
                return es.getEntry(entryId).getEntryBytes();
            }
        });
    }

    /** Closes the read handle of a deleted ledger. */
    void forgetLedger(long ledgerId) {
        CompletableFuture<ReadHandle> handle = readHandles.remove(ledgerId);
        if (handle != null) {
            handle.thenAccept(h -> h.closeAsync());
        }
    }

    /** Closes every read handle: the log closed. */
    void closeHandles() {
        readHandles.values().forEach(f -> f.thenAccept(h -> h.closeAsync()));
        readHandles.clear();
    }

    // ------------------------------------------------------------------ search

    CompletableFuture<Position> findFirst(ToLongFunction<byte[]> keyOf, long target) {
        LedgerChain.Snapshot snapshot = chain.snapshot();
        List<LedgerSummary> ls = snapshot.withData();
        Position end = snapshot.end();
        if (ls.isEmpty()) {
            return CompletableFuture.completedFuture(end);
        }
        // the first ledger whose last entry qualifies holds the answer: every entry before it is smaller
        return lowerBound(0, ls.size() - 1, target, i -> {
            LedgerSummary l = ls.get((int) i);
            return readEntry(l.ledgerId(), l.entries() - 1).thenApply(keyOf::applyAsLong);
        }).thenCompose(i -> {
            if (i == ls.size()) {
                return CompletableFuture.completedFuture(end);
            }
            LedgerSummary l = ls.get((int) (long) i);
            // its last entry is known to qualify, so search the ones before it
            return lowerBound(0, l.entries() - 2, target,
                    e -> readEntry(l.ledgerId(), e).thenApply(keyOf::applyAsLong))
                    .thenApply(e -> new Position(l.ledgerId(), e));
        });
    }

    /** The least index in [lo, hi] whose key is at least {@code target}, or hi + 1 if none; keys must not decrease. */
    private static CompletableFuture<Long> lowerBound(long lo, long hi, long target,
                                                      LongFunction<CompletableFuture<Long>> keyAt) {
        if (lo > hi) {
            return CompletableFuture.completedFuture(lo);
        }
        long mid = lo + (hi - lo) / 2;
        return keyAt.apply(mid).thenCompose(key -> key >= target
                ? lowerBound(lo, mid - 1, target, keyAt)
                : lowerBound(mid + 1, hi, target, keyAt));
    }

    // ------------------------------------------------------------------ waiting for the tail

    CompletableFuture<Void> waitForEntriesAfter(Position p) {
        CompletableFuture<Void> f = new CompletableFuture<>();
        if (chain.lastConfirmed().isAfter(p)) {
            f.complete(null);
            return f;
        }
        executor.execute(() -> {
            if (chain.lastConfirmed().isAfter(p)) {
                f.complete(null);
            } else if (stopped != null) {
                f.completeExceptionally(stopped);
            } else {
                waiters.add(new Waiter(p, f));
            }
        });
        return f;
    }

    /** Wakes the waiters that the last confirmed entry satisfies; on the executor. */
    void notifyWaiters() {
        if (waiters.isEmpty()) {
            return;
        }
        Position lc = chain.lastConfirmed();
        Iterator<Waiter> it = waiters.iterator();
        List<CompletableFuture<Void>> ready = new ArrayList<>();
        while (it.hasNext()) {
            Waiter w = it.next();
            if (lc.isAfter(w.after())) {
                it.remove();
                ready.add(w.future());
            }
        }
        ready.forEach(f -> f.complete(null));
    }

    /** The log stopped growing (fenced or closed): fails the waiters, now and from now on; on the executor. */
    void stop(ManagedLogException why) {
        stopped = why;
        List<Waiter> ws = new ArrayList<>(waiters);
        waiters.clear();
        ws.forEach(w -> w.future().completeExceptionally(why));
    }
}
