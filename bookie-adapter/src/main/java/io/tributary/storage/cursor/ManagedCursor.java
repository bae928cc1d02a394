package io.tributary.storage.cursor;

import com.google.common.collect.Range;
import com.google.common.collect.RangeSet;
import com.google.common.collect.TreeRangeSet;
import com.google.protobuf.InvalidProtocolBufferException;
import io.tributary.internal.v1.BatchIndexAcks;
import io.tributary.internal.v1.CursorState;
import io.tributary.internal.v1.PositionRange;
import io.tributary.storage.log.ManagedLog;
import io.tributary.storage.log.Position;
import io.tributary.storage.meta.MetadataPaths;
import io.tributary.storage.meta.MetadataStore;
import java.time.Duration;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The durable acknowledgement state of one subscription: the mark-delete position (everything at
 * or before it is acknowledged) and the ranges acknowledged out of order beyond it. Changes are
 * persisted to ZooKeeper at most once per {@code persistInterval} (and on {@link #flush()}), so
 * after a crash at most the acknowledgements of that interval are lost and those messages are
 * delivered again; nothing acknowledged and persisted is ever redelivered.
 */
public final class ManagedCursor {
    private static final Logger LOG = LoggerFactory.getLogger(ManagedCursor.class);

    /** Where a new subscription starts. */
    public enum Start { EARLIEST, LATEST }

    private final String subscription;
    private final String path;
    private final ManagedLog log;
    private final MetadataStore store;
    private final ScheduledExecutorService scheduler;
    private final Duration persistInterval;

    private Position markDelete;
    /** Acknowledged entries beyond markDelete as [entry, entry+1) ranges, so neighbours coalesce. */
    private final RangeSet<Position> acked = TreeRangeSet.create();
    /** Acknowledged message indexes of entries (batches) that are only partly acknowledged. */
    private final Map<Position, BitSet> batchAcks = new HashMap<>();
    private int version;
    private boolean dirty;
    private boolean flushScheduled;
    private CompletableFuture<Void> inFlightWrite = CompletableFuture.completedFuture(null);
    private boolean fenced;

    private ManagedCursor(String subscription, ManagedLog log, MetadataStore store, ScheduledExecutorService scheduler,
                          Duration persistInterval, CursorState state, int version) {
        this.subscription = subscription;
        this.path = MetadataPaths.cursor(log.name(), subscription);
        this.log = log;
        this.store = store;
        this.scheduler = scheduler;
        this.persistInterval = persistInterval;
        this.version = version;
        this.markDelete = new Position(state.getMarkDelete().getLedgerId(), state.getMarkDelete().getEntryId());
        for (PositionRange r : state.getAckedRangesList()) {
            Position from = new Position(r.getFrom().getLedgerId(), r.getFrom().getEntryId());
            Position to = new Position(r.getTo().getLedgerId(), r.getTo().getEntryId() + 1);
            acked.add(Range.closedOpen(from, to));
        }
        for (BatchIndexAcks b : state.getBatchAcksList()) {
            Position p = new Position(b.getPosition().getLedgerId(), b.getPosition().getEntryId());
            batchAcks.put(p, BitSet.valueOf(b.getAckedWordsList().stream().mapToLong(Long::longValue).toArray()));
        }
        advanceMarkDelete();
    }

    /** Opens the cursor of {@code subscription}, creating it at {@code start} if it does not exist. */
    public static CompletableFuture<ManagedCursor> open(MetadataStore store, ManagedLog log, String subscription,
                                                        Start start, boolean createIfMissing,
                                                        ScheduledExecutorService scheduler, Duration persistInterval) {
        String path = MetadataPaths.cursor(log.name(), subscription);
        return store.get(path).thenCompose(existing -> {
            if (existing.isPresent()) {
                try {
                    CursorState state = CursorState.parseFrom(existing.get().value());
                    return CompletableFuture.completedFuture(
                            new ManagedCursor(subscription, log, store, scheduler, persistInterval, state, existing.get().version()));
                } catch (InvalidProtocolBufferException e) {
                    throw new CompletionException(e);
                }
            }
            if (!createIfMissing) {
                return CompletableFuture.completedFuture(null);
            }
            Position begin = start == Start.EARLIEST ? before(log.firstPosition()) : log.lastConfirmed();
            CursorState state = CursorState.newBuilder().setMarkDelete(toProto(begin))
                    .setLastActiveMs(System.currentTimeMillis()).build();
            return store.create(path, state.toByteArray(), CreateMode.PERSISTENT)
                    .thenApply(v -> new ManagedCursor(subscription, log, store, scheduler, persistInterval, state, v))
                    .exceptionallyCompose(e -> MetadataStore.is(e, KeeperException.Code.NODEEXISTS)
                            ? open(store, log, subscription, start, false, scheduler, persistInterval)
                            : CompletableFuture.failedFuture(e));
        });
    }

    private static Position before(Position p) {
        return new Position(p.ledgerId(), p.entryId() - 1);
    }

    public String subscription() {
        return subscription;
    }

    public synchronized Position markDeletePosition() {
        return markDelete;
    }

    /** The first position not yet acknowledged (at or after the mark-delete position). */
    public synchronized Position firstUnacknowledged() {
        return log.nextPosition(markDelete);
    }

    public synchronized boolean isAcknowledged(Position p) {
        return !p.isAfter(markDelete) || acked.contains(p);
    }

    /** Acknowledges one entry. Returns false if it was acknowledged already. */
    public synchronized boolean acknowledge(Position p) {
        if (isAcknowledged(p)) {
            return false;
        }
        batchAcks.remove(p);
        acked.add(Range.closedOpen(p, new Position(p.ledgerId(), p.entryId() + 1)));
        advanceMarkDelete();
        changed();
        return true;
    }

    /**
     * Acknowledges one message of an entry holding {@code batchSize} messages; the entry counts as
     * acknowledged once all of them are. Returns false if that message was acknowledged already.
     */
    public synchronized boolean acknowledgeIndex(Position p, int index, int batchSize) {
        if (isAcknowledged(p)) {
            return false;
        }
        BitSet b = batchAcks.computeIfAbsent(p, k -> new BitSet());
        if (b.get(index)) {
            return false;
        }
        b.set(index);
        if (b.cardinality() >= batchSize) {
            acknowledge(p);
        } else {
            changed();
        }
        return true;
    }

    /** Indexes of {@code p} already acknowledged (empty if none or if the whole entry is). */
    public synchronized BitSet acknowledgedIndexes(Position p) {
        BitSet b = batchAcks.get(p);
        return b == null ? new BitSet() : (BitSet) b.clone();
    }

    /** Acknowledges everything up to and including {@code p}. */
    public synchronized void acknowledgeCumulative(Position p) {
        if (!p.isAfter(markDelete)) {
            return;
        }
        markDelete = p;
        acked.remove(Range.atMost(p));
        batchAcks.keySet().removeIf(k -> !k.isAfter(p));
        advanceMarkDelete();
        changed();
    }

    /** Entries after the mark-delete position that are not acknowledged. */
    public synchronized long backlog() {
        long total = log.entriesFrom(log.nextPosition(markDelete));
        long ackedCount = 0;
        for (Range<Position> r : acked.asRanges()) {
            ackedCount += r.upperEndpoint().entryId() - r.lowerEndpoint().entryId();
        }
        return Math.max(0, total - ackedCount);
    }

    private void advanceMarkDelete() {
        while (true) {
            Position next = log.nextPosition(markDelete);
            Range<Position> r = acked.rangeContaining(next);
            if (r == null) {
                // ranges left behind a deleted ledger or below the mark-delete are obsolete
                acked.remove(Range.atMost(markDelete));
                Position md = markDelete;
                batchAcks.keySet().removeIf(k -> !k.isAfter(md));
                return;
            }
            Position end = r.upperEndpoint();
            markDelete = new Position(end.ledgerId(), end.entryId() - 1);
            acked.remove(Range.lessThan(end));
        }
    }

    private void changed() {
        dirty = true;
        if (!flushScheduled && !fenced) {
            flushScheduled = true;
            scheduler.schedule(this::flush, persistInterval.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /** Persists the current state now (if it changed); completes when ZooKeeper has it. */
    public synchronized CompletableFuture<Void> flush() {
        flushScheduled = false;
        if (!dirty || fenced) {
            return inFlightWrite;
        }
        dirty = false;
        CursorState state = snapshot();
        inFlightWrite = inFlightWrite.handle((v, e) -> null).thenCompose(v -> write(state));
        return inFlightWrite;
    }

    private CompletableFuture<Void> write(CursorState state) {
        int expected;
        synchronized (this) {
            expected = version;
        }
        return store.set(path, state.toByteArray(), expected).handle((newVersion, err) -> {
            synchronized (this) {
                if (err == null) {
                    version = newVersion;
                } else if (MetadataStore.is(err, KeeperException.Code.BADVERSION)
                        || MetadataStore.is(err, KeeperException.Code.NONODE)) {
                    fenced = true;
                    LOG.warn("cursor {} of {}: changed or removed by someone else; no longer persisting", subscription, log.name());
                } else {
                    dirty = true;
                    LOG.warn("cursor {} of {}: persisting failed, will retry: {}", subscription, log.name(), err.toString());
                    changed();
                }
            }
            return null;
        });
    }

    private synchronized CursorState snapshot() {
        CursorState.Builder b = CursorState.newBuilder().setMarkDelete(toProto(markDelete))
                .setLastActiveMs(System.currentTimeMillis());
        for (Range<Position> r : acked.asRanges()) {
            Position to = r.upperEndpoint();
            b.addAckedRanges(PositionRange.newBuilder().setFrom(toProto(r.lowerEndpoint()))
                    .setTo(toProto(new Position(to.ledgerId(), to.entryId() - 1))));
        }
        for (Map.Entry<Position, BitSet> e : batchAcks.entrySet()) {
            BatchIndexAcks.Builder ba = BatchIndexAcks.newBuilder().setPosition(toProto(e.getKey()));
            for (long w : e.getValue().toLongArray()) {
                ba.addAckedWords(w);
            }
            b.addBatchAcks(ba);
        }
        return b.build();
    }

    /** Flushes and stops persisting. */
    public CompletableFuture<Void> close() {
        return flush();
    }

    private static io.tributary.internal.v1.Position toProto(Position p) {
        return io.tributary.internal.v1.Position.newBuilder().setLedgerId(p.ledgerId()).setEntryId(p.entryId()).build();
    }
}
