package io.tributary.storage.log;

import io.tributary.internal.v1.LedgerInfo;
import io.tributary.internal.v1.LogMetadata;
import io.tributary.protocol.ErrorReasons;
import io.tributary.storage.meta.MetadataStore;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.apache.bookkeeper.client.api.BKException;
import org.apache.bookkeeper.client.api.BookKeeper;
import org.apache.bookkeeper.client.api.WriteHandle;
import org.apache.zookeeper.KeeperException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The writer: appends to the open ledger, rolls over to a new one when a limit is reached, and
 * stops for good once fenced (another writer took over) or closed. Every field is owned by the
 * log's executor.
 *
 * <pre>
 *   READY --limit reached--> ROLLING --new ledger in the metadata--> READY
 *   READY, ROLLING --failed write / failed rollover--> FAILED --new ledger in the metadata--> READY
 *   READY, ROLLING, FAILED --LedgerFenced / BADVERSION--> FENCED
 *   any --close--> CLOSED
 * </pre>
 * While ROLLING, appends queue, so that no ledger grows past its limits. A write that fails (not
 * fenced) fails every append queued or in flight behind it, and the log refuses appends (FAILED,
 * a retriable {@link ManagedLogException.UnavailableException}) until a new ledger is in the
 * metadata: so nothing appended after a failed entry is stored while the failed one is not, and
 * a producer's highest stored sequence id never skips a batch that failed. The new ledger is tried
 * at once, and after a failed attempt again on the first append or {@link #rolloverIfAged} once a
 * backoff (doubling from {@value #MIN_RETRY_MS} ms to {@value #MAX_RETRY_MS} ms) has passed.
 *
 * <p>A ledger left behind is closed at its real last entry before the metadata lists it as closed:
 * if closing it fails, it is opened with recovery instead, and if that fails too the rollover fails
 * (and is retried) rather than recording a length BookKeeper does not hold.
 */
final class LogAppender {
    private final StorageStats stats;
    private static final Logger LOG = LoggerFactory.getLogger(LogAppender.class);

    static final long MIN_RETRY_MS = 100;
    static final long MAX_RETRY_MS = 5_000;

    private enum State { READY, ROLLING, FAILED, FENCED, CLOSED }

    /** A ledger closed for good: its real length. */
    private record ClosedLedger(long ledgerId, long entries, long sizeBytes) {}

    private record PendingAppend(byte[] data, SequenceMark mark, CompletableFuture<Position> future) {}

    private final String name;
    private final BookKeeper bk;
    private final ManagedLogConfig config;
    /** The replication of the next ledger: read when it is created (a namespace's persistence policy may change it). */
    private final Function<String, CompletableFuture<ManagedLogConfig>> ledgerConfig;
    private final Executor executor;
    private final LedgerChain chain;
    private final TailCache cache;
    private final LedgerReader reader;
    /** Reads the producer and sequence id of an entry; null if the log's entries carry none. */
    private final Function<byte[], SequenceMark> sequenceOf;

    private volatile State state = State.READY;
    /** A rollover is under way: in ROLLING always, in FAILED while trying to get a new ledger. */
    private boolean rolling;
    /** Why the log is FAILED. */
    private ManagedLogException.UnavailableException failure;
    /** In FAILED: no new rollover attempt before this time (ms), and the wait after the next failure. */
    private long retryAtMs;
    private long retryBackoffMs = MIN_RETRY_MS;
    /** The last ledger closed for good, so that a retried rollover does not close it again. */
    private ClosedLedger lastClosed;
    private WriteHandle current;
    /** Entries handed to the current ledger, acknowledged or not: rollover counts these. */
    private long issuedEntries;
    private long currentSize;
    private long currentCreatedMs;
    private int inFlight;
    private final ArrayDeque<PendingAppend> queued = new ArrayDeque<>();
    private final List<CompletableFuture<Void>> drainedListeners = new ArrayList<>();
    /** The executor's thread, once known: an append made on it runs inline (see {@link #append}). */
    private volatile Thread ownerThread;
    /** Tasks of this appender handed to the executor that have not run yet: an inline append must not overtake them. */
    private final AtomicInteger queuedTasks = new AtomicInteger();

    LogAppender(String name, BookKeeper bk, ManagedLogConfig config, Executor executor, LedgerChain chain,
                TailCache cache, LedgerReader reader, WriteHandle current, long currentCreatedMs,
                Function<byte[], SequenceMark> sequenceOf, StorageStats stats,
                Function<String, CompletableFuture<ManagedLogConfig>> ledgerConfig) {
        this.ledgerConfig = ledgerConfig;
        this.name = name;
        this.stats = stats;
        this.bk = bk;
        this.config = config;
        this.executor = executor;
        this.chain = chain;
        this.cache = cache;
        this.reader = reader;
        this.current = current;
        this.currentCreatedMs = currentCreatedMs;
        this.sequenceOf = sequenceOf;
    }

    /**
     * Appends on the executor. A caller already on it (the topic, which shares the log's thread)
     * appends inline instead of queueing behind itself; that is safe because no callback of this
     * class completes a future while its state is half changed (see {@link #onAppendFailure}), so
     * an append made by a future's dependent sees a consistent appender. Only while no task of this
     * appender handed to the executor earlier is still waiting there, though: an append made before the thread
     * was known, or from another thread, must be stored first, and one made after a close or
     * rollover was asked for must wait for it, as it did when every append queued.
     */
    CompletableFuture<Position> append(byte[] data, SequenceMark mark) {
        CompletableFuture<Position> f = new CompletableFuture<>();
        if (Thread.currentThread() == ownerThread && queuedTasks.get() == 0) {
            appendNow(data, mark, f);
        } else {
            later(() -> appendNow(data, mark, f));
        }
        return f;
    }

    /** Runs {@code task} on the executor; until it has run, no append is made inline. */
    private void later(Runnable task) {
        queuedTasks.incrementAndGet();
        executor.execute(() -> {
            ownerThread = Thread.currentThread();
            queuedTasks.decrementAndGet();
            task.run();
        });
    }

    private void appendNow(byte[] data, SequenceMark mark, CompletableFuture<Position> f) {
        switch (state) {
            case READY -> doAppend(data, mark, f);
            case ROLLING -> queued.add(new PendingAppend(data, mark, f));
            case FAILED -> {
                f.completeExceptionally(failure);
                retryRolloverIfDue();
            }
            case FENCED -> f.completeExceptionally(fenced());
            case CLOSED -> f.completeExceptionally(closed());
        }
    }

    private void doAppend(byte[] data, SequenceMark mark, CompletableFuture<Position> f) {
        final WriteHandle handle = current;
        inFlight++;
        issuedEntries++;
        currentSize += data.length;
        CompletableFuture<Long> append = handle.appendAsync(data);
        if (state == State.READY && (issuedEntries >= config.rolloverEntries() || currentSize >= config.rolloverSizeBytes())) {
            // later appends queue until the next ledger is ready, so no ledger grows past its limits
            startRollover();
        }
        append.whenCompleteAsync((entryId, err) -> {
            ownerThread = Thread.currentThread();
            inFlight--;
            if (err != null) {
                currentSize -= data.length;
                onAppendFailure(handle, err, f);
            } else {
                Position p = new Position(handle.getId(), entryId);
                chain.confirmed(p, data.length, mark);
                cache.put(p, data);
                f.complete(p);
                reader.notifyWaiters();
                if (state == State.READY && shouldRollOver()) {
                    startRollover();
                }
            }
            if (inFlight == 0 && !drainedListeners.isEmpty()) {
                List<CompletableFuture<Void>> ls = new ArrayList<>(drainedListeners);
                drainedListeners.clear();
                ls.forEach(l -> l.complete(null));
            }
        }, executor);
    }

    private void onAppendFailure(WriteHandle handle, Throwable err, CompletableFuture<Position> f) {
        Throwable cause = ErrorReasons.unwrap(err);
        if (cause instanceof BKException bke && bke.getCode() == BKException.Code.LedgerFencedException) {
            if (state != State.FENCED) {
                LOG.warn("log {}: ledger {} was fenced by another writer; this writer stops", name, handle.getId());
            }
            becomeFenced();
            f.completeExceptionally(fenced());
        } else if (state == State.CLOSED) {
            f.completeExceptionally(closed());
        } else {
            // A ledger that failed a write cannot take more, and nothing behind the failed entry may
            // be stored before it: BookKeeper fails what is in flight behind it on this ledger, the
            // queued appends fail here, and new ones are refused until a fresh ledger is ready. All
            // before failing the future, so that an append its dependents make at once is refused.
            if (state != State.FAILED) {
                LOG.warn("log {}: append to ledger {} failed ({}); refusing appends until a new ledger is ready",
                        name, handle.getId(), cause.toString());
                fail(new ManagedLogException.UnavailableException("append to " + name + " failed: " + cause
                        + "; the log takes appends again once it has a new ledger", cause));
                if (!rolling) {
                    startRollover();
                }
            }
            f.completeExceptionally(new ManagedLogException.UnavailableException(
                    "append to " + name + " failed: " + cause, cause));
        }
    }

    /** Refuses appends until a rollover succeeds, and fails those queued for the next ledger. */
    private void fail(ManagedLogException.UnavailableException why) {
        state = State.FAILED;
        failure = why;
        while (!queued.isEmpty()) {
            queued.poll().future().completeExceptionally(why);
        }
    }

    /** In FAILED, tries a new ledger again once the backoff since the last attempt has passed. */
    private void retryRolloverIfDue() {
        if (state == State.FAILED && !rolling && System.currentTimeMillis() >= retryAtMs) {
            LOG.info("log {}: trying a new ledger after a failure", name);
            startRollover();
        }
    }

    private boolean shouldRollOver() {
        long entries = chain.openEntries();
        return entries >= config.rolloverEntries()
                || currentSize >= config.rolloverSizeBytes()
                || (entries > 0 && System.currentTimeMillis() - currentCreatedMs >= config.rolloverAge().toMillis());
    }

    // ------------------------------------------------------------------ rollover

    CompletableFuture<Boolean> rolloverIfAged() {
        CompletableFuture<Boolean> f = new CompletableFuture<>();
        later(() -> {
            switch (state) {
                case FENCED -> f.completeExceptionally(fenced());
                case CLOSED -> f.completeExceptionally(closed());
                case ROLLING -> f.complete(false);
                case FAILED -> {
                    retryRolloverIfDue();
                    f.complete(false);
                }
                case READY -> {
                    boolean aged = System.currentTimeMillis() - currentCreatedMs >= config.rolloverAge().toMillis();
                    if (issuedEntries == 0 || !aged) {
                        f.complete(false);
                    } else {
                        LOG.debug("log {}: ledger {} is older than {}; rolling over", name, current.getId(), config.rolloverAge());
                        startRollover().whenComplete((v, e) -> {
                            if (e != null) {
                                f.completeExceptionally(e);
                            } else {
                                f.complete(true);
                            }
                        });
                    }
                }
            }
        });
        return f;
    }

    /**
     * Closes the current ledger and moves on to a new one; appends queue meanwhile (ROLLING) or are
     * refused (FAILED). Completes once the log is ready again: normally when the new ledger is in the
     * metadata; exceptionally when the rollover failed (the log is then FAILED and retries later) or
     * the log was fenced or closed meanwhile.
     */
    private CompletableFuture<Void> startRollover() {
        if (state == State.READY) {
            state = State.ROLLING;
        }
        rolling = true;
        WriteHandle old = current;
        CompletableFuture<Void> done = new CompletableFuture<>();
        whenDrained()
                .thenCompose(v -> closeForGood(old))
                .thenCompose(closedLedger -> ledgerConfig.apply(name).thenCompose(c -> Ledgers.create(bk, c, name))
                        .thenComposeAsync(newHandle -> chain.changeMetadata(() -> commitRollover(closedLedger, newHandle)), executor))
                .whenCompleteAsync((v, err) -> {
                    rolling = false;
                    if (state == State.FENCED || state == State.CLOSED) {
                        done.completeExceptionally(state == State.FENCED ? fenced() : closed());
                        return;
                    }
                    if (err != null) {
                        if (MetadataStore.is(err, KeeperException.Code.BADVERSION)) {
                            LOG.warn("log {}: metadata changed under us during rollover; another writer took over", name);
                            becomeFenced();
                            done.completeExceptionally(fenced());
                            return;
                        }
                        Throwable cause = ErrorReasons.unwrap(err);
                        LOG.warn("log {}: rollover failed; appends are refused, retrying in {} ms: {}",
                                name, retryBackoffMs, cause.toString());
                        fail(new ManagedLogException.UnavailableException("log " + name + " has no writable ledger: "
                                + cause + "; retrying", cause));
                        retryAtMs = System.currentTimeMillis() + retryBackoffMs;
                        retryBackoffMs = Math.min(MAX_RETRY_MS, retryBackoffMs * 2);
                        done.completeExceptionally(new ManagedLogException("rollover of " + name + " failed: " + cause, cause));
                        return;
                    }
                    if (state == State.FAILED) {
                        LOG.info("log {}: takes appends again on ledger {}", name, current.getId());
                    }
                    state = State.READY;
                    failure = null;
                    retryBackoffMs = MIN_RETRY_MS;
                    while (!queued.isEmpty() && state == State.READY) {
                        PendingAppend p = queued.poll();
                        doAppend(p.data(), p.mark(), p.future());
                    }
                    done.complete(null);
                }, executor);
        return done;
    }

    /**
     * Closes {@code handle} for good and learns its real length: by closing it, or, if that fails
     * (its metadata could not be written), by opening it with recovery. Never lists a ledger as
     * closed that BookKeeper still has open: a reader would then never get past its last-add-confirmed.
     * Entries recovery finds beyond those confirmed here are stored, so their sequence ids count.
     */
    private CompletableFuture<ClosedLedger> closeForGood(WriteHandle handle) {
        ClosedLedger known = lastClosed;
        if (known != null && known.ledgerId() == handle.getId()) {
            return CompletableFuture.completedFuture(known);
        }
        return handle.closeAsync()
                .thenApplyAsync(v -> new ClosedLedger(handle.getId(), handle.getLastAddConfirmed() + 1, currentSize), executor)
                .exceptionallyCompose(closeErr -> {
                    LOG.warn("log {}: closing ledger {} failed ({}); recovering it instead", name, handle.getId(),
                            ErrorReasons.unwrap(closeErr).toString());
                    return recoverOwnLedger(handle.getId());
                })
                .thenApplyAsync(c -> {
                    lastClosed = c;
                    return c;
                }, executor);
    }

    private CompletableFuture<ClosedLedger> recoverOwnLedger(long ledgerId) {
        Map<String, Long> sequences = new HashMap<>();
        return Ledgers.openWithRecovery(bk, ledgerId).thenCompose(h -> {
            long entries = h.getLastAddConfirmed() + 1;
            long size = h.getLength();
            return Ledgers.replaySequences(h, 0, sequenceOf, sequences)
                    .thenCompose(v -> h.closeAsync())
                    .thenApplyAsync(v -> {
                        long confirmed = chain.openEntries();
                        if (entries > confirmed) {
                            LOG.warn("log {}: recovery found {} entries in ledger {}, {} more than were acknowledged",
                                    name, entries, ledgerId, entries - confirmed);
                            chain.mergeRecoveredSequences(sequences);
                        }
                        return new ClosedLedger(ledgerId, entries, size);
                    }, executor);
        });
    }

    /** Records the closed ledger and the new one in the metadata and makes the new one current. */
    private CompletableFuture<Void> commitRollover(ClosedLedger old, WriteHandle newHandle) {
        if (state == State.FENCED || state == State.CLOSED) {
            // closed or fenced while the new ledger was being created: it will never be written
            Ledgers.discard(bk, newHandle);
            return CompletableFuture.failedFuture(state == State.FENCED ? fenced() : closed());
        }
        long oldEntries = old.entries();
        LedgerInfo opened = Ledgers.openLedgerInfo(newHandle.getId());
        LogMetadata next = chain.withSequences(withLedgerClosed(old).addLedgers(opened)).build();
        return chain.compareAndSet(next).handleAsync((version, err) -> {
            if (err != null) {
                Ledgers.discard(bk, newHandle);
                throw new CompletionException(err);
            }
            issuedEntries = 0;
            currentSize = 0;
            current = newHandle;
            reader.readOpenLedgerThrough(newHandle);
            currentCreatedMs = opened.getCreatedMs();
            chain.installWithNewOpenLedger(next, version);
            if (oldEntries > 0) {
                chain.advanceLastConfirmed(new Position(old.ledgerId(), oldEntries - 1));
                reader.notifyWaiters();
            } else {
                bk.newDeleteLedgerOp().withLedgerId(old.ledgerId()).execute();
            }
            stats.rolledOver();
            LOG.debug("log {}: rolled over from ledger {} ({} entries) to {}", name, old.ledgerId(), oldEntries, newHandle.getId());
            return null;
        }, executor);
    }

    /** The metadata's ledger list with {@code closed} at its length, or dropped if it holds nothing. */
    private LogMetadata.Builder withLedgerClosed(ClosedLedger closed) {
        LogMetadata md = chain.metadata();
        LogMetadata.Builder b = md.toBuilder().clearLedgers();
        for (LedgerInfo li : md.getLedgersList()) {
            if (li.getLedgerId() == closed.ledgerId()) {
                if (closed.entries() > 0) {
                    b.addLedgers(li.toBuilder().setEntries(closed.entries()).setSizeBytes(closed.sizeBytes())
                            .setClosedMs(System.currentTimeMillis()));
                }
            } else {
                b.addLedgers(li);
            }
        }
        return b;
    }

    private CompletableFuture<Void> whenDrained() {
        if (inFlight == 0) {
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Void> f = new CompletableFuture<>();
        drainedListeners.add(f);
        return f;
    }

    // ------------------------------------------------------------------ fencing and closing

    /** Another writer took over (its recovery fenced our ledger, or its metadata write beat ours): stop. */
    void becomeFenced() {
        if (state == State.FENCED || state == State.CLOSED) {
            return;
        }
        state = State.FENCED;
        while (!queued.isEmpty()) {
            queued.poll().future().completeExceptionally(fenced());
        }
        reader.stop(fenced());
    }

    boolean isFenced() {
        return state == State.FENCED;
    }

    /** Why the log may not change any more (fenced or closed), or null while it is writing; on the executor. */
    ManagedLogException stopped() {
        return switch (state) {
            case FENCED -> fenced();
            case CLOSED -> closed();
            default -> null;
        };
    }

    /**
     * Stops writing: fails what is queued, waits for in-flight appends, closes the current ledger
     * and records its length (unless fenced: the next owner recovered it). Never fails; a failure
     * to record is logged, and the next owner recovers the ledger.
     */
    CompletableFuture<Void> close() {
        CompletableFuture<Void> done = new CompletableFuture<>();
        later(() -> {
            if (state == State.CLOSED) {
                done.complete(null);
                return;
            }
            boolean wasFenced = state == State.FENCED;
            state = State.CLOSED;
            ManagedLogException.ClosedException closed = closed();
            while (!queued.isEmpty()) {
                queued.poll().future().completeExceptionally(closed);
            }
            reader.stop(closed);
            // In the queue of metadata changes: a rollover committed before this closes the ledger it
            // made current; one not yet committed sees the state and gives up.
            whenDrained().thenComposeAsync(v -> chain.changeMetadata(() -> {
                        WriteHandle handle = current;
                        if (wasFenced) {
                            return handle.closeAsync().exceptionally(e -> null);
                        }
                        // if neither closing nor recovering works, the ledger stays listed as open and the
                        // next owner recovers it: never list a length BookKeeper does not hold
                        return closeForGood(handle).thenComposeAsync(this::recordClosedLedger, executor);
                    }), executor)
                    .whenComplete((v, e) -> {
                        if (e != null) {
                            LOG.warn("log {}: could not record the closed ledger; the next owner recovers it: {}", name, e.toString());
                        }
                        done.complete(null);
                    });
        });
        return done;
    }

    /** Writes the final entry count of the current ledger so the next owner need not recover it. */
    private CompletableFuture<Void> recordClosedLedger(ClosedLedger closed) {
        LogMetadata next = chain.withSequences(withLedgerClosed(closed)).build();
        return chain.compareAndSet(next).thenAcceptAsync(version -> {
            chain.installWithNewOpenLedger(next, version);
            if (closed.entries() == 0) {
                bk.newDeleteLedgerOp().withLedgerId(closed.ledgerId()).execute();
            }
        }, executor);
    }

    ManagedLogException.FencedException fenced() {
        return new ManagedLogException.FencedException("log " + name + " was taken over by another writer");
    }

    ManagedLogException.ClosedException closed() {
        return new ManagedLogException.ClosedException("log " + name + " is closed");
    }
}
