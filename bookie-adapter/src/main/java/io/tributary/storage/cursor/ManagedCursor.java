package io.tributary.storage.cursor;

import com.google.common.collect.Range;
import com.google.common.collect.RangeSet;
import io.tributary.storage.log.LogReader;
import io.tributary.storage.log.Position;
import io.tributary.storage.meta.MetadataPaths;
import io.tributary.storage.meta.MetadataStore;
import java.util.BitSet;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.bookkeeper.client.api.BookKeeper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The acknowledgement state of one subscription: the mark-delete position (everything at or
 * before it is acknowledged) and the ranges acknowledged out of order beyond it.
 *
 * <p>A durable cursor persists changes at most once per {@link CursorConfig#persistInterval()}
 * (and on {@link #flush()}), so after a crash at most the acknowledgements of that interval are
 * lost and those messages are delivered again; nothing acknowledged and persisted is ever
 * redelivered. The state lives in the cursor's znode while its encoded form is small (see
 * {@link CursorAckCodec}); beyond {@link CursorConfig#inlineLimitBytes()} it is written to a new
 * closed BookKeeper ledger that the znode then names, and the previous such ledger is deleted.
 * Opening a cursor takes it over (see {@link CursorStore}): a write that then finds the znode
 * written by another opening (a newer owner) stops this cursor persisting for good instead of
 * merging over the newer owner's state; one that finds its own earlier write (whose reply was lost)
 * merges it and writes again. It also stops once the znode was removed (the subscription or topic
 * was deleted), the broker lost the topic
 * ({@link #abandon()}), or after its last write when its topic is closed here ({@link #close()}: a
 * graceful move or stop), so that no write of an old owner lands after the next owner loaded the
 * state. How and where it persists is
 * {@link CursorStore}'s part; this class keeps the acknowledgements and decides when to persist.
 *
 * <p>A non-durable cursor ({@link #nonDurable}) keeps the same state in memory only.
 *
 * <p>Threading: a durable cursor is owned by its log's {@link LogReader#executor() executor}, the
 * thread that owns the topic; its state changes there only, and so do its persisting and the
 * completions of its writes, so it takes no lock. Call it on that thread (the broker does); a
 * call from another thread is carried over to it and waits for it. {@link #markDeletePosition()},
 * {@link #firstUnacknowledged()} and {@link #backlog()} may be read from any thread. A non-durable
 * cursor does nothing on its own, so it belongs to whoever calls it.
 */
public final class ManagedCursor {
    private static final Logger LOG = LoggerFactory.getLogger(ManagedCursor.class);
    /** Where a new subscription starts. */
    public enum Start { EARLIEST, LATEST }
    /** Writes in a row that may find the state changed by another writer before one waits for the interval. */
    private static final int MAX_MERGES = 5;

    /**
     * The most messages an entry's index acknowledgements may cover (a bitset of 2 MiB): more than
     * any entry within the message size limits holds, a bound against a caller passing a number
     * nobody checked.
     */
    public static final int MAX_BATCH_MESSAGES = 1 << 24;

    private final String subscription;
    private final LogReader log;
    /** Where the state persists; null for a non-durable cursor. */
    private final CursorStore store;
    private final Executor executor;
    /** The log's executor thread, for a durable cursor (created on it); null for a non-durable one. */
    private final Thread owner;

    // --- owned by the owner thread; the volatile ones are read from any thread ---
    private volatile Position markDelete;
    /** Acknowledged entries beyond markDelete as [entry, entry+1) ranges, so neighbours coalesce. */
    private final RangeSet<Position> acked;
    /** Entries in {@link #acked}. */
    private volatile long ackedEntries;
    /** Acknowledged message indexes of entries (batches) that are only partly acknowledged. */
    private final TreeMap<Position, BitSet> batchAcks;
    private boolean dirty;
    private boolean flushScheduled;
    /** Resets so far: a write queued before a reset never merges stored state into the reset one. */
    private long resets;
    /** The last write {@link #persist} queued, completing once its outcome was handled (dirty again if it failed). */
    private CompletableFuture<Void> lastPersist = CompletableFuture.completedFuture(null);

    private ManagedCursor(String subscription, LogReader log, CursorStore store, Position markDelete,
                          CursorAckCodec.Acks acks) {
        this.subscription = subscription;
        this.log = log;
        this.store = store;
        this.executor = log.executor();
        this.owner = store == null ? null : Thread.currentThread();
        this.markDelete = markDelete;
        this.acked = acks.ranges();
        this.batchAcks = acks.batches();
        for (Range<Position> r : acked.asRanges()) {
            ackedEntries += size(r);
        }
        advanceMarkDelete();
    }

    /**
     * Opens a durable cursor of {@code log}:
     * {@code ManagedCursor.newOpenOp(log).name(n).start(EARLIEST).createIfMissing(true).metadataStore(store)...execute()}.
     */
    public static OpenCursorOp newOpenOp(LogReader log) {
        return new OpenCursorOp(log);
    }

    /** What {@link OpenCursorOp#execute()} does; completes on the log's executor. */
    static CompletableFuture<ManagedCursor> open(MetadataStore store, BookKeeper bk, LogReader log,
                                                 String subscription, Start start, boolean createIfMissing,
                                                 ScheduledExecutorService scheduler, CursorConfig config) {
        CursorStore.Storage storage = new CursorStore.Storage(store, bk, scheduler, config,
                MetadataPaths.cursor(log.name(), subscription));
        String writer = CursorStore.newWriter();
        // created on the log's executor, which then owns it; once taken over, an earlier opening's write stops it
        return CursorStore.loadAndTakeOver(storage, log, start, createIfMissing, writer).thenApplyAsync(loaded -> loaded == null
                ? null
                : new ManagedCursor(subscription, log,
                        new CursorStore(storage, log.name(), subscription, log.executor(), writer, loaded),
                        loaded.markDelete(), loaded.acks()), log.executor());
    }

    /**
     * Reads a stored cursor as {@link #newOpenOp} would (its znode, and the cursor ledger it names)
     * without opening it: completes if it can be loaded or does not exist, and fails with the reason
     * it cannot (a corrupt znode, a lost cursor ledger). A topic checks this before it takes its log
     * over, so a cursor that cannot load keeps the topic from being served, and from being trimmed.
     */
    public static CompletableFuture<Void> checkLoadable(MetadataStore store, BookKeeper bk, String logName, String subscription) {
        CursorStore.Storage storage = new CursorStore.Storage(store, bk, null, CursorConfig.DEFAULT,
                MetadataPaths.cursor(logName, subscription));
        // without creating, loading never asks the log anything
        return CursorStore.load(storage, null, Start.LATEST, false).thenApply(loaded -> null);
    }

    /**
     * A cursor that is never persisted (for readers): the same acknowledgement API, kept in memory.
     *
     * @param markDelete everything at or before it counts as acknowledged
     */
    public static ManagedCursor nonDurable(LogReader log, String name, Position markDelete) {
        return new ManagedCursor(name, log, null, markDelete, CursorAckCodec.Acks.empty());
    }

    private static Position before(Position p) {
        return new Position(p.ledgerId(), p.entryId() - 1);
    }

    private static Position successor(Position p) {
        return new Position(p.ledgerId(), p.entryId() + 1);
    }

    /** Entries in a range: ranges are [from, to) within one ledger. */
    private static long size(Range<Position> r) {
        return r.upperEndpoint().entryId() - r.lowerEndpoint().entryId();
    }

    public String subscription() {
        return subscription;
    }

    public boolean isDurable() {
        return store != null;
    }

    /** Everything at or before it is acknowledged. Any thread. */
    public Position markDeletePosition() {
        return markDelete;
    }

    /** The first position not yet acknowledged (at or after the mark-delete position). Any thread. */
    public Position firstUnacknowledged() {
        return log.nextPosition(markDelete);
    }

    public boolean isAcknowledged(Position p) {
        return onOwner(() -> acknowledged(p));
    }

    private boolean acknowledged(Position p) {
        return !p.isAfter(markDelete) || acked.contains(p);
    }

    /** Ranges of entries acknowledged beyond the mark-delete position: the holes' other side. */
    public int ackedRangeCount() {
        return onOwner(() -> acked.asRanges().size());
    }

    /** Acknowledges one entry. Returns false if it was acknowledged already. */
    public boolean acknowledge(Position p) {
        return onOwner(() -> acknowledgeEntry(p));
    }

    private boolean acknowledgeEntry(Position p) {
        if (acknowledged(p)) {
            return false;
        }
        batchAcks.remove(p);
        acked.add(Range.closedOpen(p, successor(p)));
        ackedEntries++;
        advanceMarkDelete();
        changed();
        return true;
    }

    /**
     * Acknowledges one message of an entry holding {@code batchSize} messages; the entry counts as
     * acknowledged once all of them are. Returns false if that message was acknowledged already.
     * The caller checked {@code batchSize} against the entry itself: the index state of an entry
     * is sized by it.
     *
     * @throws IllegalArgumentException if {@code index} is not within {@code [0, batchSize)} or
     *                                  {@code batchSize} is above {@link #MAX_BATCH_MESSAGES}
     */
    public boolean acknowledgeIndex(Position p, int index, int batchSize) {
        checkBatch(index, batchSize);
        return onOwner(() -> {
            if (acknowledged(p)) {
                return false;
            }
            BitSet b = batchAcks.computeIfAbsent(p, k -> new BitSet());
            if (b.get(index)) {
                return false;
            }
            b.set(index);
            if (b.cardinality() >= batchSize) {
                acknowledgeEntry(p);
            } else {
                changed();
            }
            return true;
        });
    }

    /**
     * Acknowledges the messages {@code 0..lastIndex} of an entry holding {@code batchSize} messages
     * (a cumulative acknowledgement that ends inside a batch), in one step whatever their number.
     *
     * @throws IllegalArgumentException as {@link #acknowledgeIndex}
     */
    public void acknowledgeIndexesUpTo(Position p, int lastIndex, int batchSize) {
        checkBatch(lastIndex, batchSize);
        onOwner(() -> {
            if (acknowledged(p)) {
                return null;
            }
            BitSet b = batchAcks.computeIfAbsent(p, k -> new BitSet());
            int before = b.cardinality();
            b.set(0, lastIndex + 1);
            if (b.cardinality() >= batchSize) {
                acknowledgeEntry(p);
            } else if (b.cardinality() != before) {
                changed();
            }
            return null;
        });
    }

    private static void checkBatch(int index, int batchSize) {
        if (batchSize <= 0 || batchSize > MAX_BATCH_MESSAGES || index < 0 || index >= batchSize) {
            throw new IllegalArgumentException("message " + index + " of a batch of " + batchSize
                    + " messages (at most " + MAX_BATCH_MESSAGES + ")");
        }
    }

    /** Indexes of {@code p} already acknowledged (empty if none or if the whole entry is). */
    public BitSet acknowledgedIndexes(Position p) {
        return onOwner(() -> {
            BitSet b = batchAcks.get(p);
            return b == null ? new BitSet() : (BitSet) b.clone();
        });
    }

    /** Acknowledges everything up to and including {@code p}. */
    public void acknowledgeCumulative(Position p) {
        onOwner(() -> {
            if (p.isAfter(markDelete)) {
                markDelete = p;
                advanceMarkDelete();
                changed();
            }
            return null;
        });
    }

    /**
     * Makes {@code next} the first unacknowledged position: everything before it counts as
     * acknowledged, nothing at or after it does. A durable cursor persists this at once; the
     * future completes when it is stored (at once for a non-durable cursor) and fails if it could
     * not be, or if the cursor no longer persists (fenced or deleted).
     */
    public CompletableFuture<Void> resetTo(Position next) {
        return onOwnerAsync(() -> {
            markDelete = before(next);
            resets++;
            acked.clear();
            ackedEntries = 0;
            batchAcks.clear();
            if (!isDurable()) {
                return CompletableFuture.completedFuture(null);
            }
            if (!store.persisting()) {
                return CompletableFuture.failedFuture(store.notPersisting());
            }
            // a reset is meant to forget acknowledgements: written over what an earlier write of ours stored
            return persist(false, 1);
        });
    }

    /** Entries after the mark-delete position that are not acknowledged. Any thread (an estimate while it changes). */
    public long backlog() {
        long total = log.entriesFrom(log.nextPosition(markDelete));
        return Math.max(0, total - ackedEntries);
    }

    private void advanceMarkDelete() {
        while (true) {
            Range<Position> r = acked.rangeContaining(log.nextPosition(markDelete));
            if (r == null) {
                break;
            }
            markDelete = before(r.upperEndpoint());
        }
        // ranges left behind a deleted ledger or below the mark-delete are obsolete
        Range<Position> obsolete = Range.lessThan(successor(markDelete));
        for (Range<Position> r : acked.subRangeSet(obsolete).asRanges()) {
            ackedEntries -= size(r);
        }
        acked.remove(obsolete);
        batchAcks.headMap(markDelete, true).clear();
    }

    /**
     * Runs {@code op} on the owner thread: at once when called there (or on a non-durable cursor),
     * else carried over to the log's executor, waiting for it.
     */
    private <T> T onOwner(Supplier<T> op) {
        if (owner == null || Thread.currentThread() == owner) {
            return op.get();
        }
        return CompletableFuture.supplyAsync(op, executor).join();
    }

    /** {@link #onOwner} for an operation that completes later: never waits. */
    private <T> CompletableFuture<T> onOwnerAsync(Supplier<CompletableFuture<T>> op) {
        if (owner == null || Thread.currentThread() == owner) {
            return op.get();
        }
        return CompletableFuture.supplyAsync(op, executor).thenCompose(f -> f);
    }

    private void changed() {
        dirty = true;
        if (store != null && !flushScheduled && store.persisting()) {
            flushScheduled = true;
            store.scheduler().schedule(() -> executor.execute(this::flushNow),
                    store.config().persistInterval().toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /**
     * Persists the current state now (if it changed); completes when it is stored, or when storing
     * failed (it is then retried after the persist interval, unless the cursor was fenced).
     */
    public CompletableFuture<Void> flush() {
        return onOwnerAsync(this::flushNow);
    }

    private CompletableFuture<Void> flushNow() {
        flushScheduled = false;
        if (!isDurable()) {
            return CompletableFuture.completedFuture(null);
        }
        if (!dirty || !store.persisting()) {
            return store.inFlight();
        }
        return persist(true, 1).exceptionally(e -> null);
    }

    /**
     * Queues a write of the current state behind the one in flight; on the owner thread. When another
     * writer changed the stored state meanwhile, its state is merged into ours ({@code merge}; a
     * reset writes over it instead) and written again at once, a few times; after that, or on any
     * other failure, the write is retried after the persist interval.
     */
    private CompletableFuture<Void> persist(boolean merge, int attempt) {
        dirty = false;
        long started = System.nanoTime();
        long resetsBefore = resets;
        CompletableFuture<Void> write = store.write(markDelete, CursorAckCodec.encode(markDelete, acked, batchAcks));
        CompletableFuture<Void> result = write.handleAsync((v, e) -> {
            if (e == null) {
                log.stats().cursorPersisted(System.nanoTime() - started, true);
                return CompletableFuture.<Void>completedFuture(null);
            }
            CursorStore.StoredByOther other = CursorStore.StoredByOther.in(e);
            if (other == null) {
                log.stats().cursorPersisted(System.nanoTime() - started, false); // another writer's state is no failure
            }
            if (other != null && store.persisting() && attempt < MAX_MERGES) {
                if (merge && resets == resetsBefore) {
                    merge(other.stored());
                }
                return persist(merge, attempt + 1);
            }
            if (store.persisting()) {
                dirty = true;
                LOG.warn("cursor {} of {}: persisting failed, will retry: {}", subscription, log.name(), e.toString());
                changed();
            }
            return CompletableFuture.<Void>failedFuture(e);
        }, executor).thenCompose(f -> f);
        lastPersist = result;
        return result;
    }

    /**
     * Takes in what an earlier write of this cursor stored (one whose reply was lost): everything
     * either state acknowledges counts as acknowledged. Never another opening's state: that stops
     * this cursor persisting instead (see {@link CursorStore}).
     */
    private void merge(CursorStore.Loaded other) {
        if (other.markDelete().isAfter(markDelete)) {
            markDelete = other.markDelete();
        }
        acked.addAll(other.acks().ranges());
        for (java.util.Map.Entry<Position, BitSet> e : other.acks().batches().entrySet()) {
            if (!acknowledged(e.getKey())) {
                batchAcks.computeIfAbsent(e.getKey(), k -> new BitSet()).or(e.getValue());
            }
        }
        long entries = 0;
        for (Range<Position> r : acked.asRanges()) {
            entries += size(r);
        }
        ackedEntries = entries;
        advanceMarkDelete();
    }

    /**
     * The broker lost this cursor's topic (its bundle moved or its ZooKeeper session ended): nothing
     * more is written, not even what changed since the last write, because the new owner's state is
     * the one that counts (and a late write would only make it merge stale state). On the owner thread.
     */
    public void abandon() {
        if (isDurable()) {
            onOwner(() -> {
                dirty = false;
                store.abandon();
                return null;
            });
        }
    }

    /**
     * The cursor's last write, when its topic is handed over gracefully (or the broker stops): persists
     * what changed, waiting for any write in flight, and then stops persisting ({@link #abandon()}), so
     * that nothing this cursor still learns can be written after the next owner loaded the state. A
     * write that found the state changed by a newer owner stops persisting and fails, as any write.
     * Completes when the state is stored; fails if it could not be, or if the cursor no longer persisted
     * (fenced, deleted or abandoned) and had changes not yet stored. Either way it persists nothing more.
     */
    public CompletableFuture<Void> close() {
        if (!isDurable()) {
            return CompletableFuture.completedFuture(null);
        }
        return onOwnerAsync(() -> lastWrite(1).whenCompleteAsync((v, e) -> {
            dirty = false;
            flushScheduled = false;
            store.abandon();
        }, executor));
    }

    /** Attempts at the last write ({@link #close()}) when storing fails for another reason than another writer. */
    private static final int CLOSE_ATTEMPTS = 3;

    /** Writes what is not stored yet, after the write in flight, until nothing is left; on the owner thread. */
    private CompletableFuture<Void> lastWrite(int attempt) {
        if (!store.persisting()) {
            return dirty ? CompletableFuture.failedFuture(store.notPersisting()) : CompletableFuture.completedFuture(null);
        }
        if (dirty) {
            // again until nothing changed meanwhile; a failed write leaves the cursor dirty for the next attempt
            return persist(true, 1).handle((v, e) -> e).thenComposeAsync(e -> e == null ? lastWrite(attempt)
                    : attempt < CLOSE_ATTEMPTS ? lastWrite(attempt + 1) : CompletableFuture.failedFuture(e), executor);
        }
        if (!lastPersist.isDone()) {
            // a failed write leaves the cursor dirty again: look once it has settled
            return lastPersist.handle((v, e) -> null).thenComposeAsync(v -> lastWrite(attempt), executor);
        }
        return CompletableFuture.completedFuture(null);
    }

    /**
     * Removes the cursor's znode and its cursor ledgers; the cursor stops persisting. Completes at
     * once for a non-durable cursor.
     */
    public CompletableFuture<Void> deleteAsync() {
        if (!isDurable()) {
            dirty = false;
            return CompletableFuture.completedFuture(null);
        }
        return onOwnerAsync(() -> {
            dirty = false;
            return store.delete();
        });
    }
}
