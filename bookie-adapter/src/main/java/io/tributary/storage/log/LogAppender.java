package io.tributary.storage.log;

import io.tributary.internal.v1.LedgerInfo;
import io.tributary.internal.v1.LogMetadata;
import io.tributary.protocol.ErrorReasons;
import io.tributary.storage.meta.MetadataStore;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
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
 *   READY --limit reached / failed write--> ROLLING --new ledger in the metadata--> READY
 *   READY, ROLLING --LedgerFenced / BADVERSION--> FENCED
 *   any --close--> CLOSED
 * </pre>
 * While ROLLING, appends queue, so that no ledger grows past its limits.
 */
final class LogAppender {
    private static final Logger LOG = LoggerFactory.getLogger(LogAppender.class);

    private enum State { READY, ROLLING, FENCED, CLOSED }

    private record PendingAppend(byte[] data, SequenceMark mark, CompletableFuture<Position> future) {}

    private final String name;
    private final BookKeeper bk;
    private final ManagedLogConfig config;
    private final Executor executor;
    private final LedgerChain chain;
    private final TailCache cache;
    private final LedgerReader reader;

    private volatile State state = State.READY;
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
                TailCache cache, LedgerReader reader, WriteHandle current, long currentCreatedMs) {
        this.name = name;
        this.bk = bk;
        this.config = config;
        this.executor = executor;
        this.chain = chain;
        this.cache = cache;
        this.reader = reader;
        this.current = current;
        this.currentCreatedMs = currentCreatedMs;
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
            // A ledger that failed a write cannot take more: move on to a fresh one. Before failing
            // the future, so that an append its dependents make at once (a resend) queues for the
            // new ledger instead of going to the failed one.
            if (state == State.READY && handle == current) {
                startRollover();
            }
            f.completeExceptionally(new ManagedLogException("append to " + name + " failed: " + cause, cause));
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
     * Closes the current ledger and moves on to a new one; appends queue meanwhile. Completes once
     * the log is ready again: normally when the new ledger is in the metadata, exceptionally when
     * the rollover failed (the closed ledger stays current and the next append retries) or the log
     * was fenced or closed meanwhile.
     */
    private CompletableFuture<Void> startRollover() {
        state = State.ROLLING;
        WriteHandle old = current;
        CompletableFuture<Void> done = new CompletableFuture<>();
        whenDrained()
                .thenCompose(v -> old.closeAsync().exceptionally(e -> null))
                .thenCompose(v -> Ledgers.create(bk, config, name))
                .thenComposeAsync(newHandle -> chain.changeMetadata(() -> commitRollover(old, newHandle)), executor)
                .whenCompleteAsync((v, err) -> {
                    if (state != State.ROLLING) {
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
                        LOG.warn("log {}: rollover failed, will retry on the next append: {}", name, err.toString());
                        // Keep the closed ledger as current; the next append fails and retries the rollover.
                    }
                    state = State.READY;
                    while (!queued.isEmpty() && state == State.READY) {
                        PendingAppend p = queued.poll();
                        doAppend(p.data(), p.mark(), p.future());
                    }
                    if (err == null) {
                        done.complete(null);
                    } else {
                        Throwable cause = ErrorReasons.unwrap(err);
                        done.completeExceptionally(new ManagedLogException("rollover of " + name + " failed: " + cause, cause));
                    }
                }, executor);
        return done;
    }

    /** Records the closed ledger and the new one in the metadata and makes the new one current. */
    private CompletableFuture<Void> commitRollover(WriteHandle old, WriteHandle newHandle) {
        if (state != State.ROLLING) {
            // closed or fenced while the new ledger was being created: it will never be written
            Ledgers.discard(bk, newHandle);
            return CompletableFuture.failedFuture(state == State.FENCED ? fenced() : closed());
        }
        long oldEntries = chain.openEntries();
        LedgerInfo opened = Ledgers.openLedgerInfo(newHandle.getId());
        LogMetadata next = chain.withSequences(withLedgerClosed(old.getId(), oldEntries).addLedgers(opened)).build();
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
            if (oldEntries == 0) {
                bk.newDeleteLedgerOp().withLedgerId(old.getId()).execute();
            }
            LOG.debug("log {}: rolled over from ledger {} ({} entries) to {}", name, old.getId(), oldEntries, newHandle.getId());
            return null;
        }, executor);
    }

    /** The metadata's ledger list with {@code ledgerId} closed at {@code entries}, or dropped if it holds none. */
    private LogMetadata.Builder withLedgerClosed(long ledgerId, long entries) {
        LogMetadata md = chain.metadata();
        LogMetadata.Builder b = md.toBuilder().clearLedgers();
        for (LedgerInfo li : md.getLedgersList()) {
            if (li.getLedgerId() == ledgerId) {
                if (entries > 0) {
                    b.addLedgers(li.toBuilder().setEntries(entries).setSizeBytes(currentSize)
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
                        return handle.closeAsync().exceptionally(e -> null).thenComposeAsync(
                                x -> wasFenced ? CompletableFuture.<Void>completedFuture(null) : recordClosedLedger(handle), executor);
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
    private CompletableFuture<Void> recordClosedLedger(WriteHandle handle) {
        long entries = chain.openEntries();
        LogMetadata next = chain.withSequences(withLedgerClosed(handle.getId(), entries)).build();
        return chain.compareAndSet(next).thenAcceptAsync(version -> {
            chain.installWithNewOpenLedger(next, version);
            if (entries == 0) {
                bk.newDeleteLedgerOp().withLedgerId(handle.getId()).execute();
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
