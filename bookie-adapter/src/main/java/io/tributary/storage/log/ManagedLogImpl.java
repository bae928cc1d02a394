package io.tributary.storage.log;

import com.google.common.base.Preconditions;
import io.tributary.internal.v1.LedgerInfo;
import io.tributary.internal.v1.LogMetadata;
import io.tributary.internal.v1.ProducerSequence;
import io.tributary.storage.meta.MetadataPaths;
import io.tributary.storage.meta.MetadataStore;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import java.util.function.ToLongFunction;
import org.apache.bookkeeper.client.api.BKException;
import org.apache.bookkeeper.client.api.BookKeeper;
import org.apache.bookkeeper.client.api.DigestType;
import org.apache.bookkeeper.client.api.LedgerEntries;
import org.apache.bookkeeper.client.api.LedgerEntry;
import org.apache.bookkeeper.client.api.ReadHandle;
import org.apache.bookkeeper.client.api.WriteHandle;
import org.apache.zookeeper.KeeperException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A managed log over BookKeeper. Every field that changes is changed on {@link #executor}, one
 * thread per log (an ordered executor keyed by the log's name), so the state needs no locks;
 * values read from other threads are published through volatile fields.
 */
final class ManagedLogImpl implements ManagedLog {
    private static final Logger LOG = LoggerFactory.getLogger(ManagedLogImpl.class);
    static final byte[] PASSWORD = "tributary".getBytes(StandardCharsets.UTF_8);
    static final DigestType DIGEST = DigestType.CRC32C;

    private enum State { READY, ROLLING, FENCED, CLOSED }

    private record PendingAppend(byte[] data, SequenceMark mark, CompletableFuture<Position> future) {}

    private record Waiter(Position after, CompletableFuture<Void> future) {}

    private final String name;
    private final String path;
    private final MetadataStore store;
    private final BookKeeper bk;
    private final ManagedLogConfig config;
    private final Executor executor;

    // --- owned by the executor thread ---
    private State state = State.READY;
    private LogMetadata metadata;
    private int metadataVersion;
    private WriteHandle current;
    private long currentEntries;
    /** Entries handed to the current ledger, acknowledged or not: rollover counts these. */
    private long issuedEntries;
    private long currentSize;
    private long currentCreatedMs;
    private int inFlight;
    private final ArrayDeque<PendingAppend> queued = new ArrayDeque<>();
    private final List<Waiter> waiters = new ArrayList<>();
    private final List<CompletableFuture<Void>> drainedListeners = new ArrayList<>();
    /** The last metadata change of this writer; the next one starts after it (see {@link #changeMetadata}). */
    private CompletableFuture<Void> metadataChanges = CompletableFuture.completedFuture(null);

    // --- read from any thread ---
    private volatile NavigableMap<Long, LedgerInfo> ledgers;
    private volatile Position lastConfirmed;
    private volatile long totalEntries;
    private volatile long totalSize;
    /** Bytes of the acknowledged entries of the open ledger. */
    private volatile long confirmedSize;
    private final ConcurrentSkipListMap<Position, byte[]> cache = new ConcurrentSkipListMap<>();
    private volatile long cacheBytes;
    private final Map<Long, CompletableFuture<ReadHandle>> readHandles = new ConcurrentHashMap<>();
    /** Highest stored sequence id per producer; written on the executor, read anywhere. */
    private final Map<String, Long> sequences = new ConcurrentHashMap<>();

    ManagedLogImpl(String name, MetadataStore store, BookKeeper bk, ManagedLogConfig config, Executor executor,
                   LogMetadata metadata, int metadataVersion, WriteHandle current) {
        this.name = name;
        this.path = MetadataPaths.topic(name);
        this.store = store;
        this.bk = bk;
        this.config = config;
        this.executor = executor;
        this.current = current;
        List<LedgerInfo> ls = metadata.getLedgersList();
        this.currentCreatedMs = ls.isEmpty() ? System.currentTimeMillis() : ls.get(ls.size() - 1).getCreatedMs();
        installMetadata(metadata, metadataVersion, 0, 0);
        this.lastConfirmed = new Position(current.getId(), -1);
        for (ProducerSequence ps : metadata.getSequencesList()) {
            sequences.put(ps.getProducerName(), ps.getLastSequenceId());
        }
    }

    /** The sequence snapshot written with the metadata: valid as of the end of the closed ledgers. */
    private LogMetadata.Builder withSequences(LogMetadata.Builder md) {
        md.clearSequences();
        sequences.forEach((producer, seq) -> md.addSequences(
                ProducerSequence.newBuilder().setProducerName(producer).setLastSequenceId(seq)));
        return md;
    }

    /**
     * Makes {@code md} the log's metadata.
     *
     * @param openEntries acknowledged entries of the open ledger that {@code md} lists
     * @param openBytes   their bytes
     */
    private void installMetadata(LogMetadata md, int version, long openEntries, long openBytes) {
        this.metadata = md;
        this.metadataVersion = version;
        TreeMap<Long, LedgerInfo> m = new TreeMap<>();
        long entries = 0;
        long size = 0;
        for (LedgerInfo li : md.getLedgersList()) {
            m.put(li.getLedgerId(), li);
            if (li.getEntries() > 0) {
                entries += li.getEntries();
                size += li.getSizeBytes();
            }
        }
        this.ledgers = m;
        this.totalEntries = entries + openEntries;
        this.totalSize = size + openBytes;
    }

    /**
     * Runs one change of the metadata after the changes this writer started before it (rollover,
     * trimming, closing), each on the executor once the previous one has installed its result. So
     * every change reads the latest metadata and version, two changes of this writer never fail
     * each other's compare-and-set, and a BADVERSION can only mean that another writer took over.
     * Call on the executor; {@code change} must complete after installing its result on the executor.
     */
    private <T> CompletableFuture<T> changeMetadata(Supplier<CompletableFuture<T>> change) {
        CompletableFuture<T> result = metadataChanges.thenComposeAsync(v -> change.get(), executor);
        metadataChanges = result.handle((v, e) -> null);
        return result;
    }

    @Override
    public String name() {
        return name;
    }

    // ------------------------------------------------------------------ writes

    @Override
    public CompletableFuture<Position> appendAsync(byte[] data) {
        return appendAsync(data, null);
    }

    @Override
    public long lastSequenceId(String producerName) {
        return sequences.getOrDefault(producerName, -1L);
    }

    @Override
    public CompletableFuture<Position> appendAsync(byte[] data, SequenceMark mark) {
        CompletableFuture<Position> f = new CompletableFuture<>();
        executor.execute(() -> {
            switch (state) {
                case READY -> doAppend(data, mark, f);
                case ROLLING -> queued.add(new PendingAppend(data, mark, f));
                case FENCED -> f.completeExceptionally(fenced());
                case CLOSED -> f.completeExceptionally(closed());
            }
        });
        return f;
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
            inFlight--;
            if (err != null) {
                currentSize -= data.length;
                onAppendFailure(handle, err, f);
            } else {
                Position p = new Position(handle.getId(), entryId);
                currentEntries++;
                totalEntries++;
                totalSize += data.length;
                confirmedSize += data.length;
                lastConfirmed = p;
                if (mark != null) {
                    sequences.merge(mark.producerName(), mark.lastSequenceId(), Math::max);
                }
                cachePut(p, data);
                f.complete(p);
                notifyWaiters();
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
        Throwable cause = unwrap(err);
        if (cause instanceof BKException bke && bke.getCode() == BKException.Code.LedgerFencedException) {
            if (state != State.FENCED) {
                LOG.warn("log {}: ledger {} was fenced by another writer; this writer stops", name, handle.getId());
            }
            becomeFenced();
            f.completeExceptionally(fenced());
        } else if (state == State.CLOSED) {
            f.completeExceptionally(closed());
        } else {
            f.completeExceptionally(new ManagedLogException("append to " + name + " failed: " + cause, cause));
            // A ledger that failed a write cannot take more: move on to a fresh one.
            if (state == State.READY && handle == current) {
                startRollover();
            }
        }
    }

    private boolean shouldRollOver() {
        return currentEntries >= config.rolloverEntries()
                || currentSize >= config.rolloverSizeBytes()
                || (currentEntries > 0 && System.currentTimeMillis() - currentCreatedMs >= config.rolloverAge().toMillis());
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
                .thenCompose(v -> createLedger())
                .thenComposeAsync(newHandle -> changeMetadata(() -> commitRollover(old, newHandle)), executor)
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
                        Throwable cause = unwrap(err);
                        done.completeExceptionally(new ManagedLogException("rollover of " + name + " failed: " + cause, cause));
                    }
                }, executor);
        return done;
    }

    /** Records the closed ledger and the new one in the metadata and makes the new one current. */
    private CompletableFuture<Void> commitRollover(WriteHandle old, WriteHandle newHandle) {
        if (state != State.ROLLING) {
            // closed or fenced while the new ledger was being created: it will never be written
            discard(newHandle);
            return CompletableFuture.failedFuture(state == State.FENCED ? fenced() : closed());
        }
        long oldEntries = currentEntries;
        long oldSize = currentSize;
        LogMetadata.Builder md = metadata.toBuilder().clearLedgers();
        for (LedgerInfo li : metadata.getLedgersList()) {
            if (li.getLedgerId() == old.getId()) {
                if (oldEntries > 0) {
                    md.addLedgers(li.toBuilder().setEntries(oldEntries).setSizeBytes(oldSize)
                            .setClosedMs(System.currentTimeMillis()));
                }
            } else {
                md.addLedgers(li);
            }
        }
        LedgerInfo opened = openLedgerInfo(newHandle.getId());
        md.addLedgers(opened);
        LogMetadata next = withSequences(md).build();
        return store.set(path, next.toByteArray(), metadataVersion).handleAsync((version, err) -> {
            if (err != null) {
                discard(newHandle);
                throw new CompletionException(err);
            }
            currentEntries = 0;
            issuedEntries = 0;
            currentSize = 0;
            current = newHandle;
            currentCreatedMs = opened.getCreatedMs();
            installMetadata(next, version, 0, 0);
            // after the new list: a reader that sees this reset also sees the old ledger closed
            confirmedSize = 0;
            if (oldEntries == 0) {
                bk.newDeleteLedgerOp().withLedgerId(old.getId()).execute();
            }
            LOG.debug("log {}: rolled over from ledger {} ({} entries) to {}", name, old.getId(), oldEntries, newHandle.getId());
            return null;
        }, executor);
    }

    private void discard(WriteHandle handle) {
        handle.closeAsync().whenComplete((v, e) -> bk.newDeleteLedgerOp().withLedgerId(handle.getId()).execute());
    }

    @Override
    public CompletableFuture<Boolean> rolloverIfAged() {
        CompletableFuture<Boolean> f = new CompletableFuture<>();
        executor.execute(() -> {
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

    private CompletableFuture<Void> whenDrained() {
        if (inFlight == 0) {
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Void> f = new CompletableFuture<>();
        drainedListeners.add(f);
        return f;
    }

    private CompletableFuture<WriteHandle> createLedger() {
        return createLedger(bk, config, name);
    }

    static CompletableFuture<WriteHandle> createLedger(BookKeeper bk, ManagedLogConfig config, String name) {
        return bk.newCreateLedgerOp()
                .withEnsembleSize(config.ensembleSize())
                .withWriteQuorumSize(config.writeQuorum())
                .withAckQuorumSize(config.ackQuorum())
                .withDigestType(DIGEST)
                .withPassword(PASSWORD)
                .withCustomMetadata(Map.of("tributary-log", name.getBytes(StandardCharsets.UTF_8)))
                .execute();
    }

    static LedgerInfo openLedgerInfo(long ledgerId) {
        return LedgerInfo.newBuilder().setLedgerId(ledgerId).setEntries(-1).setCreatedMs(System.currentTimeMillis()).build();
    }

    private void becomeFenced() {
        if (state == State.FENCED || state == State.CLOSED) {
            return;
        }
        state = State.FENCED;
        while (!queued.isEmpty()) {
            queued.poll().future().completeExceptionally(fenced());
        }
        failWaiters(fenced());
    }

    private ManagedLogException.FencedException fenced() {
        return new ManagedLogException.FencedException("log " + name + " was taken over by another writer");
    }

    private ManagedLogException.ClosedException closed() {
        return new ManagedLogException.ClosedException("log " + name + " is closed");
    }

    @Override
    public boolean isFenced() {
        return state == State.FENCED;
    }

    // ------------------------------------------------------------------ tail cache

    private void cachePut(Position p, byte[] data) {
        if (config.cacheSizeBytes() == 0) {
            return;
        }
        cache.put(p, data);
        long bytes = cacheBytes + data.length;
        while (bytes > config.cacheSizeBytes() && !cache.isEmpty()) {
            Map.Entry<Position, byte[]> e = cache.pollFirstEntry();
            bytes -= e.getValue().length;
        }
        cacheBytes = bytes;
    }

    // ------------------------------------------------------------------ reads

    @Override
    public Position lastConfirmed() {
        return lastConfirmed;
    }

    @Override
    public Position endPosition() {
        Position lc = lastConfirmed;
        return new Position(lc.ledgerId(), lc.entryId() + 1);
    }

    @Override
    public Position firstPosition() {
        Position lc = lastConfirmed;
        for (LedgerInfo li : ledgers.values()) {
            if (li.getEntries() != 0) {
                Position first = new Position(li.getLedgerId(), 0);
                // after trimming the ledger that lastConfirmed names, only the empty open ledger is left
                return first.isAfter(lc) ? endPosition() : first;
            }
        }
        return endPosition();
    }

    @Override
    public Position nextPosition(Position p) {
        return normalize(new Position(p.ledgerId(), p.entryId() + 1));
    }

    /** Moves a position that points past the end of a closed ledger to the start of the next one with data. */
    private Position normalize(Position p) {
        NavigableMap<Long, LedgerInfo> ls = ledgers;
        Position lc = lastConfirmed;
        Position cur = p;
        while (true) {
            if (cur.ledgerId() >= lc.ledgerId()) {
                if (cur.ledgerId() == lc.ledgerId() && !cur.isAfter(lc) && !ls.containsKey(cur.ledgerId())) {
                    // the last entry's ledger was trimmed (or was empty and dropped): nothing is left before the end
                    return new Position(lc.ledgerId(), lc.entryId() + 1);
                }
                return cur;
            }
            LedgerInfo li = ls.get(cur.ledgerId());
            if (li != null && li.getEntries() >= 0 && cur.entryId() < li.getEntries()) {
                return cur;
            }
            if (li == null && cur.entryId() >= 0) {
                // a ledger we do not know (deleted): start at the next one
                Map.Entry<Long, LedgerInfo> next = ls.higherEntry(cur.ledgerId());
                if (next == null) {
                    return endPosition();
                }
                cur = new Position(next.getKey(), 0);
                continue;
            }
            if (li == null) {
                Map.Entry<Long, LedgerInfo> next = ls.ceilingEntry(cur.ledgerId());
                if (next == null) {
                    return endPosition();
                }
                cur = new Position(next.getKey(), 0);
                continue;
            }
            Map.Entry<Long, LedgerInfo> next = ls.higherEntry(cur.ledgerId());
            if (next == null) {
                return endPosition();
            }
            cur = new Position(next.getKey(), 0);
        }
    }

    @Override
    public long entriesFrom(Position from) {
        Position p = normalize(from);
        Position lc = lastConfirmed;
        if (p.isAfter(lc)) {
            return 0;
        }
        long n = 0;
        for (LedgerInfo li : ledgers.tailMap(p.ledgerId(), true).values()) {
            long entries = li.getLedgerId() == lc.ledgerId() ? lc.entryId() + 1 : Math.max(li.getEntries(), 0);
            long start = li.getLedgerId() == p.ledgerId() ? p.entryId() : 0;
            n += Math.max(0, entries - start);
        }
        return n;
    }

    @Override
    public CompletableFuture<List<LogEntry>> readAsync(Position from, int maxEntries) {
        Position start = normalize(from);
        Position lc = lastConfirmed;
        if (maxEntries <= 0 || start.isAfter(lc)) {
            return CompletableFuture.completedFuture(List.of());
        }
        long ledgerId = start.ledgerId();
        long lastInLedger;
        if (ledgerId == lc.ledgerId()) {
            lastInLedger = lc.entryId();
        } else {
            LedgerInfo li = ledgers.get(ledgerId);
            if (li == null) {
                return CompletableFuture.failedFuture(
                        new ManagedLogException.InvalidPositionException("ledger " + ledgerId + " is not part of log " + name));
            }
            lastInLedger = li.getEntries() - 1;
        }
        long last = Math.min(lastInLedger, start.entryId() + maxEntries - 1);

        List<LogEntry> fromCache = readFromCache(ledgerId, start.entryId(), last);
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

    private List<LogEntry> readFromCache(long ledgerId, long first, long last) {
        if (cache.isEmpty()) {
            return null;
        }
        List<LogEntry> out = new ArrayList<>((int) (last - first + 1));
        for (long e = first; e <= last; e++) {
            Position p = new Position(ledgerId, e);
            byte[] data = cache.get(p);
            if (data == null) {
                return null;
            }
            out.add(new LogEntry(p, data));
        }
        return out;
    }

    private CompletableFuture<ReadHandle> readHandle(long ledgerId) {
        WriteHandle w = current;
        if (w != null && w.getId() == ledgerId) {
            return CompletableFuture.completedFuture(w);
        }
        return readHandles.computeIfAbsent(ledgerId, id -> {
            CompletableFuture<ReadHandle> f = bk.newOpenLedgerOp().withLedgerId(id).withRecovery(false)
                    .withDigestType(DIGEST).withPassword(PASSWORD).execute();
            f.whenComplete((h, e) -> {
                if (e != null) {
                    readHandles.remove(id);
                }
            });
            return f;
        });
    }

    @Override
    public CompletableFuture<Void> waitForEntriesAfter(Position p) {
        CompletableFuture<Void> f = new CompletableFuture<>();
        if (lastConfirmed.isAfter(p)) {
            f.complete(null);
            return f;
        }
        executor.execute(() -> {
            if (lastConfirmed.isAfter(p)) {
                f.complete(null);
            } else if (state == State.FENCED) {
                f.completeExceptionally(fenced());
            } else if (state == State.CLOSED) {
                f.completeExceptionally(closed());
            } else {
                waiters.add(new Waiter(p, f));
            }
        });
        return f;
    }

    private void notifyWaiters() {
        if (waiters.isEmpty()) {
            return;
        }
        Position lc = lastConfirmed;
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

    private void failWaiters(Throwable t) {
        List<Waiter> ws = new ArrayList<>(waiters);
        waiters.clear();
        ws.forEach(w -> w.future().completeExceptionally(t));
    }

    @Override
    public long numberOfEntries() {
        return totalEntries;
    }

    @Override
    public long sizeBytes() {
        return totalSize;
    }

    @Override
    public int ledgerCount() {
        return ledgers.size();
    }

    /** The ledgers and the last confirmed entry, read together; {@code end} is where the next entry will be. */
    private record Snapshot(List<LedgerSummary> ledgers, Position end) {
        /** The ledgers holding at least one entry, oldest first. */
        List<LedgerSummary> withData() {
            return ledgers.stream().filter(l -> l.entries() > 0).toList();
        }
    }

    @Override
    public List<LedgerSummary> ledgers() {
        return snapshot().ledgers();
    }

    private Snapshot snapshot() {
        while (true) {
            NavigableMap<Long, LedgerInfo> ls = ledgers;
            Position lc = lastConfirmed;
            long openBytes = confirmedSize;
            if (ls != ledgers) {
                continue; // a rollover or trim replaced the list meanwhile: the open ledger's figures may not match it
            }
            List<LedgerSummary> out = new ArrayList<>(ls.size());
            for (LedgerInfo li : ls.values()) {
                if (li.getEntries() >= 0) {
                    out.add(new LedgerSummary(li.getLedgerId(), li.getEntries(), li.getSizeBytes(),
                            li.getCreatedMs(), li.getClosedMs(), false));
                } else {
                    long entries = lc.ledgerId() == li.getLedgerId() ? lc.entryId() + 1 : 0;
                    out.add(new LedgerSummary(li.getLedgerId(), entries, entries == 0 ? 0 : openBytes,
                            li.getCreatedMs(), 0, true));
                }
            }
            return new Snapshot(List.copyOf(out), new Position(lc.ledgerId(), lc.entryId() + 1));
        }
    }

    @Override
    public long sizeBytesFrom(Position from) {
        Position p = normalize(from);
        long bytes = 0;
        for (LedgerSummary l : snapshot().withData()) {
            if (l.ledgerId() >= p.ledgerId()) {
                long start = l.ledgerId() == p.ledgerId() ? Math.max(0, p.entryId()) : 0;
                bytes += l.bytesOfLast(l.entries() - start);
            }
        }
        return bytes;
    }

    @Override
    public Position positionWithBytesAfter(long maxBytes) {
        Preconditions.checkArgument(maxBytes >= 0, "maxBytes must be >= 0, was %s", maxBytes);
        Snapshot snapshot = snapshot();
        List<LedgerSummary> ls = snapshot.withData();
        Position answer = snapshot.end();
        long budget = maxBytes;
        for (int i = ls.size() - 1; i >= 0; i--) {
            LedgerSummary l = ls.get(i);
            if (l.sizeBytes() <= budget) {
                budget -= l.sizeBytes();
                answer = new Position(l.ledgerId(), 0);
                continue;
            }
            // the first entry from which this ledger's estimated tail fits in what is left
            long lo = 0;
            long hi = l.entries();
            while (lo < hi) {
                long mid = lo + (hi - lo) / 2;
                if (l.bytesOfLast(l.entries() - mid) <= budget) {
                    hi = mid;
                } else {
                    lo = mid + 1;
                }
            }
            if (lo < l.entries()) {
                answer = new Position(l.ledgerId(), lo);
            }
            break;
        }
        return answer;
    }

    // ------------------------------------------------------------------ search

    @Override
    public CompletableFuture<Position> findFirst(ToLongFunction<byte[]> keyOf, long target) {
        Snapshot snapshot = snapshot();
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
                                                      java.util.function.LongFunction<CompletableFuture<Long>> keyAt) {
        if (lo > hi) {
            return CompletableFuture.completedFuture(lo);
        }
        long mid = lo + (hi - lo) / 2;
        return keyAt.apply(mid).thenCompose(key -> key >= target
                ? lowerBound(lo, mid - 1, target, keyAt)
                : lowerBound(mid + 1, hi, target, keyAt));
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

    // ------------------------------------------------------------------ retention

    @Override
    public CompletableFuture<List<Long>> trimLedgers(Position consumedUpTo, long retentionTimeMs,
                                                     long retentionSizeBytes, long nowMs) {
        Preconditions.checkNotNull(consumedUpTo, "consumedUpTo");
        Preconditions.checkArgument(retentionTimeMs >= -1, "retentionTimeMs must be >= -1, was %s", retentionTimeMs);
        Preconditions.checkArgument(retentionSizeBytes >= -1, "retentionSizeBytes must be >= -1, was %s", retentionSizeBytes);
        CompletableFuture<List<Long>> result = new CompletableFuture<>();
        executor.execute(() -> changeMetadata(() -> removeLedgers(consumedUpTo, retentionTimeMs, retentionSizeBytes, nowMs))
                .thenCompose(this::deleteFromBookKeeper)
                .whenComplete((ids, err) -> {
                    if (err != null) {
                        result.completeExceptionally(unwrap(err));
                    } else {
                        result.complete(ids);
                    }
                }));
        return result;
    }

    /** Takes the ledgers retention lets go out of the metadata (compare-and-set) and out of this log's view. */
    private CompletableFuture<List<Long>> removeLedgers(Position consumedUpTo, long retentionTimeMs,
                                                        long retentionSizeBytes, long nowMs) {
        if (state == State.FENCED) {
            return CompletableFuture.failedFuture(fenced());
        }
        if (state == State.CLOSED) {
            return CompletableFuture.failedFuture(closed());
        }
        List<Long> doomed = Retention.ledgersToDelete(metadata.getLedgersList(), consumedUpTo,
                retentionTimeMs, retentionSizeBytes, nowMs);
        if (doomed.isEmpty()) {
            return CompletableFuture.completedFuture(List.of());
        }
        java.util.Set<Long> gone = java.util.Set.copyOf(doomed);
        LogMetadata.Builder md = metadata.toBuilder().clearLedgers();
        for (LedgerInfo li : metadata.getLedgersList()) {
            if (!gone.contains(li.getLedgerId())) {
                md.addLedgers(li);
            }
        }
        LogMetadata next = md.build();
        return store.set(path, next.toByteArray(), metadataVersion).handleAsync((version, err) -> {
            if (err != null) {
                if (MetadataStore.is(err, KeeperException.Code.BADVERSION)) {
                    LOG.warn("log {}: metadata changed under us while trimming; another writer took over", name);
                    becomeFenced();
                    throw new CompletionException(fenced());
                }
                Throwable cause = unwrap(err);
                throw new CompletionException(new ManagedLogException("trimming " + name + " failed: " + cause, cause));
            }
            installMetadata(next, version, currentEntries, confirmedSize);
            for (long id : doomed) {
                forgetLedger(id);
            }
            LOG.info("log {}: trimmed ledgers {}", name, doomed);
            return doomed;
        }, executor);
    }

    /** Drops what this log holds of a deleted ledger: cached entries and an open read handle. */
    private void forgetLedger(long ledgerId) {
        NavigableMap<Position, byte[]> entries =
                cache.subMap(new Position(ledgerId, Long.MIN_VALUE), true, new Position(ledgerId, Long.MAX_VALUE), true);
        long bytes = 0;
        for (byte[] data : entries.values()) {
            bytes += data.length;
        }
        entries.clear();
        cacheBytes -= bytes;
        CompletableFuture<ReadHandle> handle = readHandles.remove(ledgerId);
        if (handle != null) {
            handle.thenAccept(h -> h.closeAsync());
        }
    }

    /** Deletes ledgers already out of the metadata; a failure leaves an orphan to log, not an error. */
    private CompletableFuture<List<Long>> deleteFromBookKeeper(List<Long> ids) {
        List<CompletableFuture<Void>> deletes = new ArrayList<>(ids.size());
        for (long id : ids) {
            deletes.add(bk.newDeleteLedgerOp().withLedgerId(id).execute().exceptionally(e -> {
                LOG.warn("log {}: ledger {} is out of the log but could not be deleted from BookKeeper: {}",
                        name, id, unwrap(e).toString());
                return null;
            }));
        }
        return CompletableFuture.allOf(deletes.toArray(CompletableFuture[]::new)).thenApply(v -> ids);
    }

    // ------------------------------------------------------------------ lifecycle

    @Override
    public CompletableFuture<Void> closeAsync() {
        CompletableFuture<Void> done = new CompletableFuture<>();
        executor.execute(() -> {
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
            failWaiters(closed);
            // In the queue of metadata changes: a rollover committed before this closes the ledger it
            // made current; one not yet committed sees the state and gives up.
            whenDrained().thenComposeAsync(v -> changeMetadata(() -> {
                        WriteHandle handle = current;
                        return handle.closeAsync().exceptionally(e -> null).thenComposeAsync(
                                x -> wasFenced ? CompletableFuture.<Void>completedFuture(null) : recordClosedLedger(handle), executor);
                    }), executor)
                    .whenComplete((v, e) -> {
                        readHandles.values().forEach(f -> f.thenAccept(h -> h.closeAsync()));
                        readHandles.clear();
                        cache.clear();
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
        LogMetadata.Builder md = metadata.toBuilder().clearLedgers();
        boolean empty = currentEntries == 0;
        for (LedgerInfo li : metadata.getLedgersList()) {
            if (li.getLedgerId() == handle.getId()) {
                if (!empty) {
                    md.addLedgers(li.toBuilder().setEntries(currentEntries).setSizeBytes(currentSize)
                            .setClosedMs(System.currentTimeMillis()));
                }
            } else {
                md.addLedgers(li);
            }
        }
        LogMetadata next = withSequences(md).build();
        return store.set(path, next.toByteArray(), metadataVersion).thenAcceptAsync(version -> {
            installMetadata(next, version, 0, 0);
            confirmedSize = 0;
            if (empty) {
                bk.newDeleteLedgerOp().withLedgerId(handle.getId()).execute();
            }
        }, executor);
    }

    @Override
    public CompletableFuture<Void> deleteAsync() {
        return closeAsync().thenCompose(v -> {
            List<CompletableFuture<Void>> deletes = new ArrayList<>();
            for (long id : ledgers.keySet()) {
                deletes.add(bk.newDeleteLedgerOp().withLedgerId(id).execute().exceptionally(e -> null));
            }
            return CompletableFuture.allOf(deletes.toArray(CompletableFuture[]::new));
        }).thenCompose(v -> store.delete(path, -1));
    }

    static Throwable unwrap(Throwable t) {
        Throwable c = t;
        while ((c instanceof java.util.concurrent.CompletionException
                || c instanceof java.util.concurrent.ExecutionException) && c.getCause() != null) {
            c = c.getCause();
        }
        return c;
    }
}
