package io.tributary.storage.cursor;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.tributary.internal.v1.CursorState;
import io.tributary.storage.cursor.ManagedCursor.Start;
import io.tributary.storage.log.LogReader;
import io.tributary.storage.log.Position;
import io.tributary.storage.meta.MetadataStore;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import org.apache.bookkeeper.client.api.BookKeeper;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a durable cursor persists: its znode, and the cursor ledger the znode names when the
 * encoded state is too large for it (see {@link CursorAckCodec}, {@link CursorLedgers}). Writes go
 * one at a time, each a compare-and-set on the znode's version, and each names this opening of
 * the cursor as its writer (a fresh random id, {@code CursorState.writer}). Opening a stored cursor
 * takes it over: it writes the loaded state back under the new writer id (a compare-and-set; if
 * another write landed meanwhile, the state is loaded again and taken over as it is now), so from
 * then on a write of any earlier opening (a stale owner that has not noticed it lost the topic)
 * fails its compare-and-set. A write that fails so and finds another writer's id stops persisting
 * for good ({@link #superseded}): it never merges over the new owner's state (which may have
 * forgotten acknowledgements on purpose: a seek, a reset, a cleared backlog). When it finds its own
 * id (its own earlier write, whose reply was lost, landed), the write fails with
 * {@link StoredByOther} carrying the state stored now, whose version the store takes: the cursor
 * merges it and writes again. It also stops once the znode was removed (the subscription or topic
 * was deleted) or the broker lost the topic ({@link #abandon()}). Owned by the cursor's owner thread,
 * the log's executor: every completion that touches the state below hops onto it.
 */
final class CursorStore {
    private static final Logger LOG = LoggerFactory.getLogger(CursorStore.class);
    static final long NO_LEDGER = -1;
    /** Attempts to open a cursor whose ledger was replaced (and deleted) while we read it. */
    private static final int OPEN_ATTEMPTS = 3;

    /** Where and how a durable cursor persists. */
    record Storage(MetadataStore store, BookKeeper bk, ScheduledExecutorService scheduler,
                   CursorConfig config, String path) {}

    /**
     * What the znode held when the cursor was opened (or created): {@code state} is the stored proto
     * (null when this load created it), {@code writer} the id of the opening that wrote it.
     */
    record Loaded(Position markDelete, CursorAckCodec.Acks acks, int version, long stateLedger, CursorState state,
                  String writer) {}

    private final Storage storage;
    private final String logName;
    private final String subscription;
    private final Executor executor;
    /** This opening's id, written with every state: see {@link CursorState#getWriter()}. */
    private final String writer;

    // --- owned by the owner thread ---
    private int version;
    /** The cursor ledger the znode names, or NO_LEDGER when the state is inline. */
    private long stateLedger;
    /**
     * Cursor ledgers whose znode write had an unknown outcome: they may be named by the znode
     * until a later compare-and-set on the same version succeeds, which proves they are not.
     */
    private final Set<Long> retired = new LinkedHashSet<>();
    private CompletableFuture<Void> inFlightWrite = CompletableFuture.completedFuture(null);
    /** Somebody else removed the znode (the subscription or topic was deleted): stop persisting. */
    private boolean fenced;
    private boolean deleted;
    /** This broker lost the topic: nothing more may be written (the new owner's state is the truth). */
    private boolean abandoned;
    /** Another opening (a newer owner) wrote the znode: nothing more may be written, nothing merged. */
    private boolean superseded;
    private boolean warnedInlineOnly;

    CursorStore(Storage storage, String logName, String subscription, Executor executor, String writer, Loaded loaded) {
        this.storage = storage;
        this.logName = logName;
        this.subscription = subscription;
        this.executor = executor;
        this.writer = writer;
        this.version = loaded.version();
        this.stateLedger = loaded.stateLedger();
    }

    // ------------------------------------------------------------------ opening

    /** A fresh writer id for one opening of a cursor. */
    static String newWriter() {
        return UUID.randomUUID().toString();
    }

    /**
     * Loads the cursor as {@link #load} does and takes it over for {@code writer}: a cursor created
     * here already names it; a stored one is written back unchanged but for the writer (a
     * compare-and-set at the version read; if another write landed meanwhile it is loaded again and
     * taken over as it is then). Once this completes, every earlier opening's write fails and stops
     * it. Completes with null as {@link #load} does.
     */
    static CompletableFuture<Loaded> loadAndTakeOver(Storage s, LogReader log, Start start, boolean createIfMissing,
                                                     String writer) {
        return takeOver(s, log, start, createIfMissing, writer, 1);
    }

    private static CompletableFuture<Loaded> takeOver(Storage s, LogReader log, Start start, boolean createIfMissing,
                                                      String writer, int attempt) {
        return load(s, log, start, createIfMissing, writer, 1).thenCompose(loaded -> {
            if (loaded == null || writer.equals(loaded.writer())) {
                return CompletableFuture.completedFuture(loaded); // absent, created here, or our own take-over landed
            }
            byte[] data = loaded.state().toBuilder().setWriter(writer).build().toByteArray();
            return s.store().set(s.path(), data, loaded.version())
                    .thenApply(v -> new Loaded(loaded.markDelete(), loaded.acks(), v, loaded.stateLedger(), null, writer))
                    .exceptionallyCompose(e -> (MetadataStore.is(e, KeeperException.Code.BADVERSION)
                            || MetadataStore.is(e, KeeperException.Code.NONODE)) && attempt < OPEN_ATTEMPTS
                            // written (or removed) meanwhile: load what is there now (it may be our own write)
                            ? takeOver(s, log, start, createIfMissing, writer, attempt + 1)
                            : CompletableFuture.failedFuture(e));
        });
    }

    /**
     * Reads the cursor's znode (and its ledger), creating the znode at {@code start} if it does not
     * exist and {@code createIfMissing}; completes with null if it does not exist and may not be created.
     */
    static CompletableFuture<Loaded> load(Storage s, LogReader log, Start start, boolean createIfMissing) {
        return load(s, log, start, createIfMissing, "", 1);
    }

    /** {@link #load}; a cursor created here names {@code writer}. */
    private static CompletableFuture<Loaded> load(Storage s, LogReader log, Start start, boolean createIfMissing,
                                                  String writer, int attempt) {
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
                        .thenApply(acks -> new Loaded(md, acks, version, ledgerOf(state), state, state.getWriter()))
                        .exceptionallyCompose(e -> CursorLedgers.isNoSuchLedger(e) && attempt < OPEN_ATTEMPTS
                                // the owner replaced the state (and deleted that ledger) while we read it
                                ? load(s, log, start, false, writer, attempt + 1)
                                : CompletableFuture.failedFuture(e));
            }
            if (!createIfMissing) {
                return CompletableFuture.completedFuture(null);
            }
            Position first = log.firstPosition();
            Position begin = start == Start.EARLIEST ? new Position(first.ledgerId(), first.entryId() - 1) : log.lastConfirmed();
            CursorState state = CursorState.newBuilder().setMarkDelete(toProto(begin))
                    .setLastActiveMs(System.currentTimeMillis()).setAckState(ByteString.EMPTY).setWriter(writer).build();
            return s.store().create(s.path(), state.toByteArray(), CreateMode.PERSISTENT)
                    .thenApply(v -> new Loaded(begin, CursorAckCodec.Acks.empty(), v, NO_LEDGER, null, writer))
                    .exceptionallyCompose(e -> MetadataStore.is(e, KeeperException.Code.NODEEXISTS)
                            ? load(s, log, start, false, writer, attempt)
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

    // ------------------------------------------------------------------ writing

    CursorConfig config() {
        return storage.config();
    }

    ScheduledExecutorService scheduler() {
        return storage.scheduler();
    }

    /** False once the cursor was fenced, deleted, abandoned or superseded. */
    boolean persisting() {
        return !fenced && !deleted && !abandoned && !superseded;
    }

    /** Stops persisting without writing anything more: the topic's ownership was lost. Owner thread. */
    void abandon() {
        abandoned = true;
    }

    /**
     * A write found the znode changed (BADVERSION) by an earlier write of this same opening (one whose
     * reply was lost): the state it holds now, which the cursor merges into its own before writing
     * again. The store already took its version. (Another opening's write stops persisting instead.)
     */
    static final class StoredByOther extends RuntimeException {
        private final transient Loaded stored;

        StoredByOther(String path, Loaded stored) {
            super("cursor " + path + " was written meanwhile by an earlier write of its own (now at version " + stored.version() + ")", null, false, false);
            this.stored = stored;
        }

        Loaded stored() {
            return stored;
        }

        static StoredByOther in(Throwable t) {
            for (Throwable c = t; c != null; c = c.getCause()) {
                if (c instanceof StoredByOther s) {
                    return s;
                }
            }
            return null;
        }
    }

    /** The last write queued; completes (never exceptionally) when it is done. */
    CompletableFuture<Void> inFlight() {
        return inFlightWrite;
    }

    /** Queues a write of this state behind the one in flight; fails if it could not be stored. */
    CompletableFuture<Void> write(Position markDelete, byte[] acks) {
        CompletableFuture<Void> write = inFlightWrite.thenComposeAsync(v -> writeNow(markDelete, acks), executor);
        inFlightWrite = write.exceptionally(e -> null);
        return write;
    }

    private CompletableFuture<Void> writeNow(Position markDelete, byte[] acks) {
        if (!persisting()) {
            return CompletableFuture.failedFuture(notPersisting());
        }
        CursorState.Builder state = CursorState.newBuilder().setMarkDelete(toProto(markDelete))
                .setLastActiveMs(System.currentTimeMillis()).setWriter(writer);
        if (acks.length <= storage.config().inlineLimitBytes() || storage.bk() == null) {
            if (acks.length > storage.config().inlineLimitBytes()) {
                warnInlineOnly(acks.length);
            }
            return swapZnode(state.setAckState(ByteString.copyFrom(acks)).build(), NO_LEDGER);
        }
        return CursorLedgers.write(storage.bk(), storage.config(), logName, subscription, acks)
                .thenComposeAsync(ledger -> swapZnode(state.setStateLedgerId(ledger).build(), ledger), executor);
    }

    /**
     * Compare-and-sets the znode to {@code state}, which names {@code newLedger} (or NO_LEDGER);
     * then deletes the cursor ledgers no longer named, and never the one that is.
     */
    private CompletableFuture<Void> swapZnode(CursorState state, long newLedger) {
        byte[] data = state.toByteArray();
        MetadataStore store = storage.store();
        return store.set(storage.path(), data, version)
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
                    } else if (MetadataStore.is(err, KeeperException.Code.BADVERSION)) {
                        // written meanwhile: by a newer owner (we stop), or by our own earlier write
                        // whose reply was lost (we merge it and write again); reload to tell which
                        if (newLedger != NO_LEDGER) {
                            unused.add(newLedger);
                        }
                        CompletableFuture<Void> deletes = CompletableFuture.allOf(
                                unused.stream().map(this::deleteLedger).toArray(CompletableFuture[]::new));
                        return deletes.thenCompose(v -> reload());
                    } else if (MetadataStore.is(err, KeeperException.Code.NONODE)) {
                        fenced = true;
                        LOG.warn("cursor {} of {}: removed by someone else (subscription or topic deleted); no longer persisting",
                                subscription, logName);
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

    /**
     * Reads the znode that was changed meanwhile. Another opening wrote it: stops persisting for good
     * and fails. Our own earlier write: takes its version and fails with {@link StoredByOther} carrying
     * its state. Fails with the read's error if it cannot be read (the next write retries).
     */
    private CompletableFuture<Void> reload() {
        return load(storage, null, Start.LATEST, false).handleAsync((loaded, e) -> {
            if (e != null) {
                throw new java.util.concurrent.CompletionException(e);
            }
            if (loaded == null) {
                fenced = true;
                LOG.warn("cursor {} of {}: removed by someone else (subscription or topic deleted); no longer persisting",
                        subscription, logName);
                throw new java.util.concurrent.CompletionException(notPersisting());
            }
            if (!writer.equals(loaded.writer())) {
                // a newer owner took the cursor over (we are a stale owner that has not noticed yet):
                // its state is the truth, even where it forgot acknowledgements we hold
                superseded = true;
                retired.remove(loaded.stateLedger());
                LOG.warn("cursor {} of {}: taken over by another owner (writer {}, version {} -> {}); this one ({}) no "
                        + "longer persists, its unstored acknowledgements will be delivered again",
                        subscription, logName, loaded.writer().isEmpty() ? "of an older version" : loaded.writer(),
                        version, loaded.version(), writer);
                throw new java.util.concurrent.CompletionException(notPersisting());
            }
            LOG.info("cursor {} of {}: written meanwhile by an earlier write of its own (version {} -> {}); merging that state",
                    subscription, logName, version, loaded.version());
            version = loaded.version();
            if (stateLedger != NO_LEDGER && stateLedger != loaded.stateLedger()) {
                // ours is no longer named by the znode: delete it after our next successful write
                retired.add(stateLedger);
            }
            stateLedger = loaded.stateLedger();
            // theirs is named now: never delete it until a write of ours replaces it
            retired.remove(stateLedger);
            throw new StoredByOther(storage.path(), loaded);
        }, executor);
    }

    /** Deletes a cursor ledger the znode no longer names; never fails (a failure is retried later). */
    private CompletableFuture<Void> deleteLedger(long ledgerId) {
        return CursorLedgers.delete(storage.bk(), ledgerId).handleAsync((v, e) -> {
            if (e != null) {
                LOG.warn("cursor {} of {}: deleting old cursor ledger {} failed, will retry: {}",
                        subscription, logName, ledgerId, e.toString());
                // not named by the znode, so it is safe to delete after any later write
                retired.add(ledgerId);
            }
            return null;
        }, executor);
    }

    private void warnInlineOnly(int bytes) {
        if (!warnedInlineOnly) {
            warnedInlineOnly = true;
            LOG.warn("cursor {} of {}: {} bytes of acknowledgement state stay in ZooKeeper: no BookKeeper client for "
                    + "cursor ledgers", subscription, logName, bytes);
        }
    }

    IllegalStateException notPersisting() {
        return new IllegalStateException("cursor " + subscription + " of " + logName
                + (deleted ? " was deleted" : abandoned ? " was closed when its topic moved"
                        : superseded ? " was taken over by another owner" : " was removed by someone else")
                + "; it no longer persists");
    }

    // ------------------------------------------------------------------ deleting

    /** Stops persisting, then removes the znode and the cursor ledgers; on the owner thread. */
    CompletableFuture<Void> delete() {
        deleted = true;
        return inFlightWrite.thenCompose(v -> removeZnode()).thenComposeAsync(named -> {
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
