package io.tributary.storage.cursor;

import com.google.common.collect.Range;
import com.google.common.collect.RangeSet;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.tributary.internal.v1.CursorState;
import io.tributary.storage.log.LogReader;
import io.tributary.storage.log.Position;
import io.tributary.storage.meta.MetadataPaths;
import io.tributary.storage.meta.MetadataStore;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.bookkeeper.client.api.BookKeeper;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
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
 * A cursor stops persisting once somebody else changed or removed its znode (another broker
 * took the topic over, or the subscription was deleted).
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
    private static final long NO_LEDGER = -1;
    /** Attempts to open a cursor whose ledger was replaced (and deleted) while we read it. */
    private static final int OPEN_ATTEMPTS = 3;

    /** Where a new subscription starts. */
    public enum Start { EARLIEST, LATEST }

    /** Where and how a durable cursor persists; null for a non-durable cursor. */
    private record Storage(MetadataStore store, BookKeeper bk, ScheduledExecutorService scheduler,
                           CursorConfig config, String path) {}

    /** What one write persists. */
    private record Snapshot(Position markDelete, byte[] acks) {}

    private final String subscription;
    private final LogReader log;
    private final Storage storage;
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
    private int version;
    /** The cursor ledger the znode names, or NO_LEDGER when the state is inline. */
    private long stateLedger;
    /**
     * Cursor ledgers whose znode write had an unknown outcome: they may be named by the znode
     * until a later compare-and-set on the same version succeeds, which proves they are not.
     */
    private final Set<Long> retired = new LinkedHashSet<>();
    private boolean dirty;
    private boolean flushScheduled;
    private CompletableFuture<Void> inFlightWrite = CompletableFuture.completedFuture(null);
    /** Somebody else changed or removed the znode: stop persisting. */
    private boolean fenced;
    private boolean deleted;
    private boolean warnedInlineOnly;

    private ManagedCursor(String subscription, LogReader log, Storage storage, Position markDelete,
                          CursorAckCodec.Acks acks, int version, long stateLedger) {
        this.subscription = subscription;
        this.log = log;
        this.storage = storage;
        this.executor = log.executor();
        this.owner = storage == null ? null : Thread.currentThread();
        this.markDelete = markDelete;
        this.version = version;
        this.stateLedger = stateLedger;
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
        Storage storage = new Storage(store, bk, scheduler, config, MetadataPaths.cursor(log.name(), subscription));
        return load(storage, log, subscription, start, createIfMissing, 1);
    }

    private static CompletableFuture<ManagedCursor> load(Storage s, LogReader log, String subscription, Start start,
                                                         boolean createIfMissing, int attempt) {
        return s.store().get(s.path()).thenCompose(existing -> {
            if (existing.isPresent()) {
                CursorState state;
                try {
                    state = CursorState.parseFrom(existing.get().value());
                } catch (InvalidProtocolBufferException e) {
                    throw new CompletionException(e);
                }
                Position md = fromProto(state.getMarkDelete());
                int version = existing.get().version();
                return acksOf(s, state, md)
                        // created on the log's executor, which then owns it
                        .thenApplyAsync(acks -> new ManagedCursor(subscription, log, s, md, acks, version, ledgerOf(state)),
                                log.executor())
                        .exceptionallyCompose(e -> CursorLedgers.isNoSuchLedger(e) && attempt < OPEN_ATTEMPTS
                                // the owner replaced the state (and deleted that ledger) while we read it
                                ? load(s, log, subscription, start, false, attempt + 1)
                                : CompletableFuture.failedFuture(e));
            }
            if (!createIfMissing) {
                return CompletableFuture.completedFuture(null);
            }
            Position begin = start == Start.EARLIEST ? before(log.firstPosition()) : log.lastConfirmed();
            CursorState state = CursorState.newBuilder().setMarkDelete(toProto(begin))
                    .setLastActiveMs(System.currentTimeMillis()).setAckState(ByteString.EMPTY).build();
            return s.store().create(s.path(), state.toByteArray(), CreateMode.PERSISTENT)
                    .thenApplyAsync(v -> new ManagedCursor(subscription, log, s, begin, CursorAckCodec.Acks.empty(), v, NO_LEDGER),
                            log.executor())
                    .exceptionallyCompose(e -> MetadataStore.is(e, KeeperException.Code.NODEEXISTS)
                            ? load(s, log, subscription, start, false, attempt)
                            : CompletableFuture.failedFuture(e));
        });
    }

    private static CompletableFuture<CursorAckCodec.Acks> acksOf(Storage s, CursorState state, Position md) {
        switch (state.getAcksCase()) {
            case ACK_STATE:
                return decode(md, state.getAckState().toByteArray());
            case STATE_LEDGER_ID:
                if (s.bk() == null) {
                    return CompletableFuture.failedFuture(new IllegalStateException("the state of cursor " + s.path()
                            + " is in ledger " + state.getStateLedgerId() + " but no BookKeeper client was given"));
                }
                return CursorLedgers.read(s.bk(), state.getStateLedgerId()).thenCompose(bytes -> decode(md, bytes));
            default:
                return CompletableFuture.completedFuture(CursorAckCodec.fromLegacy(state));
        }
    }

    private static CompletableFuture<CursorAckCodec.Acks> decode(Position md, byte[] bytes) {
        try {
            return CompletableFuture.completedFuture(CursorAckCodec.decode(md, bytes));
        } catch (IOException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private static long ledgerOf(CursorState state) {
        return state.getAcksCase() == CursorState.AcksCase.STATE_LEDGER_ID ? state.getStateLedgerId() : NO_LEDGER;
    }

    /**
     * A cursor that is never persisted (for readers): the same acknowledgement API, kept in memory.
     *
     * @param markDelete everything at or before it counts as acknowledged
     */
    public static ManagedCursor nonDurable(LogReader log, String name, Position markDelete) {
        return new ManagedCursor(name, log, null, markDelete, CursorAckCodec.Acks.empty(), -1, NO_LEDGER);
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
        return storage != null;
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
     */
    public boolean acknowledgeIndex(Position p, int index, int batchSize) {
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
            acked.clear();
            ackedEntries = 0;
            batchAcks.clear();
            if (!isDurable()) {
                return CompletableFuture.completedFuture(null);
            }
            if (fenced || deleted) {
                return CompletableFuture.failedFuture(notPersisting());
            }
            return persist();
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
        if (storage != null && !flushScheduled && !fenced && !deleted) {
            flushScheduled = true;
            storage.scheduler().schedule(() -> executor.execute(this::flushNow),
                    storage.config().persistInterval().toMillis(), TimeUnit.MILLISECONDS);
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
        if (!dirty || fenced || deleted || !isDurable()) {
            return inFlightWrite;
        }
        return persist().exceptionally(e -> null);
    }

    /** Queues a write of the current state behind the one in flight; on the owner thread. */
    private CompletableFuture<Void> persist() {
        dirty = false;
        Snapshot s = new Snapshot(markDelete, CursorAckCodec.encode(markDelete, acked, batchAcks));
        CompletableFuture<Void> write = inFlightWrite.thenComposeAsync(v -> write(s), executor);
        inFlightWrite = write.exceptionally(e -> null);
        return write;
    }

    /** Writes one snapshot; runs on the owner thread, and so do its completions that touch the state. */
    private CompletableFuture<Void> write(Snapshot s) {
        if (fenced || deleted) {
            return CompletableFuture.failedFuture(notPersisting());
        }
        CursorState.Builder state = CursorState.newBuilder().setMarkDelete(toProto(s.markDelete()))
                .setLastActiveMs(System.currentTimeMillis());
        CompletableFuture<Void> written;
        if (s.acks().length <= storage.config().inlineLimitBytes() || storage.bk() == null) {
            if (s.acks().length > storage.config().inlineLimitBytes()) {
                warnInlineOnly(s.acks().length);
            }
            written = swapZnode(state.setAckState(ByteString.copyFrom(s.acks())).build(), NO_LEDGER);
        } else {
            written = CursorLedgers.write(storage.bk(), storage.config(), log.name(), subscription, s.acks())
                    .thenComposeAsync(ledger -> swapZnode(state.setStateLedgerId(ledger).build(), ledger), executor);
        }
        return written.whenCompleteAsync((v, e) -> {
            if (e != null) {
                onWriteFailed(e);
            }
        }, executor);
    }

    /**
     * Compare-and-sets the znode to {@code state}, which names {@code newLedger} (or NO_LEDGER);
     * then deletes the cursor ledgers no longer named, and never the one that is.
     */
    private CompletableFuture<Void> swapZnode(CursorState state, long newLedger) {
        byte[] data = state.toByteArray();
        int expected = version;
        MetadataStore store = storage.store();
        return store.set(storage.path(), data, expected)
                .exceptionallyCompose(err -> MetadataStore.is(err, KeeperException.Code.BADVERSION)
                        // a retry after a lost reply finds the version our own write produced
                        ? store.get(storage.path()).thenCompose(now -> now.isPresent() && Arrays.equals(now.get().value(), data)
                                ? CompletableFuture.completedFuture(now.get().version())
                                : CompletableFuture.failedFuture(err))
                        : CompletableFuture.failedFuture(err))
                .handleAsync((newVersion, err) -> {
                    List<Long> unused = new ArrayList<>();
                    if (err == null) {
                        version = newVersion;
                        if (stateLedger != NO_LEDGER && stateLedger != newLedger) {
                            unused.add(stateLedger);
                        }
                        unused.addAll(retired);
                        retired.clear();
                        stateLedger = newLedger;
                    } else if (MetadataStore.is(err, KeeperException.Code.BADVERSION)
                            || MetadataStore.is(err, KeeperException.Code.NONODE)) {
                        fenced = true;
                        LOG.warn("cursor {} of {}: changed or removed by someone else; no longer persisting",
                                subscription, log.name());
                        if (newLedger != NO_LEDGER) {
                            unused.add(newLedger);
                        }
                    } else if (newLedger != NO_LEDGER) {
                        retired.add(newLedger);
                    }
                    // the write completes once the ledgers it made unused are gone
                    CompletableFuture<Void> deletes = CompletableFuture.allOf(
                            unused.stream().map(this::deleteLedger).toArray(CompletableFuture[]::new));
                    return err == null ? deletes : deletes.thenCompose(v -> CompletableFuture.<Void>failedFuture(err));
                }, executor)
                .thenCompose(f -> f);
    }

    /** Deletes a cursor ledger the znode no longer names; never fails (a failure is retried later). */
    private CompletableFuture<Void> deleteLedger(long ledgerId) {
        return CursorLedgers.delete(storage.bk(), ledgerId).handleAsync((v, e) -> {
            if (e != null) {
                LOG.warn("cursor {} of {}: deleting old cursor ledger {} failed, will retry: {}",
                        subscription, log.name(), ledgerId, e.toString());
                // not named by the znode, so it is safe to delete after any later write
                retired.add(ledgerId);
            }
            return null;
        }, executor);
    }

    private void onWriteFailed(Throwable e) {
        if (fenced || deleted) {
            return;
        }
        dirty = true;
        LOG.warn("cursor {} of {}: persisting failed, will retry: {}", subscription, log.name(), e.toString());
        changed();
    }

    private void warnInlineOnly(int bytes) {
        if (!warnedInlineOnly) {
            warnedInlineOnly = true;
            LOG.warn("cursor {} of {}: {} bytes of acknowledgement state stay in ZooKeeper: no BookKeeper client for "
                    + "cursor ledgers", subscription, log.name(), bytes);
        }
    }

    private IllegalStateException notPersisting() {
        return new IllegalStateException("cursor " + subscription + " of " + log.name()
                + (deleted ? " was deleted" : " was changed or removed by someone else") + "; it no longer persists");
    }

    /** Flushes; the cursor may still be used, and persists later changes too. */
    public CompletableFuture<Void> close() {
        return flush();
    }

    /**
     * Removes the cursor's znode and its cursor ledgers; the cursor stops persisting. Completes at
     * once for a non-durable cursor.
     */
    public CompletableFuture<Void> deleteAsync() {
        if (!isDurable()) {
            deleted = true;
            dirty = false;
            return CompletableFuture.completedFuture(null);
        }
        return onOwnerAsync(() -> {
            deleted = true;
            dirty = false;
            return inFlightWrite;
        }).thenCompose(v -> removeZnode()).thenComposeAsync(named -> {
            Set<Long> ledgers = new LinkedHashSet<>(retired);
            ledgers.add(stateLedger);
            retired.clear();
            stateLedger = NO_LEDGER;
            ledgers.add(named);
            ledgers.remove(NO_LEDGER);
            if (storage.bk() == null) {
                return CompletableFuture.completedFuture(null);
            }
            return CompletableFuture.allOf(ledgers.stream()
                    .map(id -> CursorLedgers.delete(storage.bk(), id)).toArray(CompletableFuture[]::new));
        }, executor);
    }

    /** Deletes the znode (whoever wrote it last); completes with the cursor ledger it named. */
    private CompletableFuture<Long> removeZnode() {
        MetadataStore store = storage.store();
        return store.get(storage.path()).thenCompose(current -> {
            if (current.isEmpty()) {
                return CompletableFuture.completedFuture(NO_LEDGER);
            }
            long named;
            try {
                named = ledgerOf(CursorState.parseFrom(current.get().value()));
            } catch (InvalidProtocolBufferException e) {
                named = NO_LEDGER;
            }
            long ledger = named;
            return store.delete(storage.path(), current.get().version()).thenApply(v -> ledger)
                    .exceptionallyCompose(e -> MetadataStore.is(e, KeeperException.Code.BADVERSION)
                            ? removeZnode() : CompletableFuture.failedFuture(e));
        });
    }

    private static Position fromProto(io.tributary.internal.v1.Position p) {
        return new Position(p.getLedgerId(), p.getEntryId());
    }

    private static io.tributary.internal.v1.Position toProto(Position p) {
        return io.tributary.internal.v1.Position.newBuilder().setLedgerId(p.ledgerId()).setEntryId(p.entryId()).build();
    }
}
