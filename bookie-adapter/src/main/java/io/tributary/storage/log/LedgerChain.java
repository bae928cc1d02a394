package io.tributary.storage.log;

import com.google.common.base.Preconditions;
import io.tributary.internal.v1.LedgerInfo;
import io.tributary.internal.v1.LogMetadata;
import io.tributary.storage.meta.MetadataPaths;
import io.tributary.storage.meta.MetadataStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

/**
 * The log's view of its ledgers: the metadata (the list in ZooKeeper and its version), the last
 * confirmed entry, the totals, and the highest sequence id per producer; and the one queue through
 * which every change of the metadata goes. Changed only on the log's executor; read from any
 * thread through volatile fields.
 */
final class LedgerChain {
    private final String path;
    private final MetadataStore store;
    private final Executor executor;

    // --- owned by the executor thread ---
    private LogMetadata metadata;
    private int metadataVersion;
    /** Acknowledged entries of the open ledger. */
    private long openEntries;
    /** The last metadata change of this writer; the next one starts after it (see {@link #changeMetadata}). */
    private CompletableFuture<Void> metadataChanges = CompletableFuture.completedFuture(null);

    // --- read from any thread ---
    private volatile NavigableMap<Long, LedgerInfo> ledgers;
    private volatile Position lastConfirmed;
    private volatile long totalEntries;
    private volatile long totalSize;
    /** Bytes of the acknowledged entries of the open ledger. */
    private volatile long confirmedSize;
    /** Highest stored sequence id per producer and its snapshot; changed on the executor, read anywhere. */
    private final ProducerSequences sequences;

    LedgerChain(String name, MetadataStore store, Executor executor, LogMetadata metadata, int metadataVersion,
                long openLedgerId, ProducerSequences sequences) {
        this.path = MetadataPaths.topic(name);
        this.store = store;
        this.executor = executor;
        this.sequences = sequences;
        install(metadata, metadataVersion, 0, 0);
        this.lastConfirmed = new Position(openLedgerId, -1);
    }

    // ------------------------------------------------------------------ changes (on the executor)

    /**
     * Runs one change of the metadata after the changes this writer started before it (rollover,
     * trimming, closing), each on the executor once the previous one has installed its result. So
     * every change reads the latest metadata and version, two changes of this writer never fail
     * each other's compare-and-set, and a BADVERSION can only mean that another writer took over.
     * Call on the executor; {@code change} must complete after installing its result on the executor.
     */
    <T> CompletableFuture<T> changeMetadata(Supplier<CompletableFuture<T>> change) {
        CompletableFuture<T> result = metadataChanges.thenComposeAsync(v -> change.get(), executor);
        metadataChanges = result.handle((v, e) -> null);
        return result;
    }

    /** The metadata as last installed; call inside {@link #changeMetadata}. */
    LogMetadata metadata() {
        return metadata;
    }

    /**
     * Writes {@code next} if the metadata is still at the installed version; completes with the new
     * version. The sequence snapshot goes first, to its own znode: a ledger the list closes is always
     * covered by it, as a takeover replays only the open ledger.
     */
    CompletableFuture<Integer> compareAndSet(LogMetadata next) {
        int expected = metadataVersion;
        return sequences.persist().thenCompose(v -> store.set(path, next.toByteArray(), expected));
    }

    /** The producers' sequence ids and their snapshot; use on the executor. */
    ProducerSequences sequences() {
        return sequences;
    }

    /** Deletes the metadata if it is still at the installed version (after this writer's other changes). */
    CompletableFuture<Void> deleteMetadata() {
        return changeMetadata(() -> store.delete(path, metadataVersion));
    }

    /** Installs metadata that lists the same open ledger (its figures carry over), after a trim. */
    void installKeepingOpenLedger(LogMetadata md, int version) {
        install(md, version, openEntries, confirmedSize);
    }

    /** Installs metadata whose open ledger is new (after a rollover) or gone (after closing). */
    void installWithNewOpenLedger(LogMetadata md, int version) {
        openEntries = 0;
        install(md, version, 0, 0);
        // after the new list: a reader that sees this reset also sees the old ledger closed
        confirmedSize = 0;
    }

    private void install(LogMetadata md, int version, long openEntryCount, long openBytes) {
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
        this.totalEntries = entries + openEntryCount;
        this.totalSize = size + openBytes;
    }

    /**
     * The metadata without the sequence snapshot's old copy: the snapshot has a znode of its own
     * ({@link ProducerSequences}), written by {@link #compareAndSet} before the list.
     */
    LogMetadata.Builder withSequences(LogMetadata.Builder md) {
        return md.clearSequences();
    }

    /** Records an entry the open ledger acknowledged. */
    void confirmed(Position p, int bytes, SequenceMark mark) {
        openEntries++;
        totalEntries++;
        totalSize += bytes;
        confirmedSize += bytes;
        lastConfirmed = p;
        if (mark != null) {
            sequences.record(mark.producerName(), mark.lastSequenceId(), System.currentTimeMillis());
        }
    }

    long openEntries() {
        return openEntries;
    }

    /**
     * Merges the sequence ids of entries that recovery found stored in the ledger this writer is
     * closing beyond those it saw confirmed (their acknowledgement was lost with a failure): they are
     * part of the log, and so are their producers' sequence ids. Before the metadata is written.
     */
    void mergeRecoveredSequences(Map<String, Long> producerSequences) {
        long now = System.currentTimeMillis();
        producerSequences.forEach((producer, seq) -> sequences.record(producer, seq, now));
    }

    /** Moves the last confirmed entry to {@code last}, recovered in a ledger now closed, if it is further on. */
    void advanceLastConfirmed(Position last) {
        if (last.isAfter(lastConfirmed)) {
            lastConfirmed = last;
        }
    }

    // ------------------------------------------------------------------ the view (any thread)

    long lastSequenceId(String producerName) {
        return sequences.lastSequenceId(producerName);
    }

    Position lastConfirmed() {
        return lastConfirmed;
    }

    Position endPosition() {
        Position lc = lastConfirmed;
        return new Position(lc.ledgerId(), lc.entryId() + 1);
    }

    Position firstPosition() {
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

    Position nextPosition(Position p) {
        return normalize(new Position(p.ledgerId(), p.entryId() + 1));
    }

    /** Moves a position that points past the end of a closed ledger to the start of the next one with data. */
    Position normalize(Position p) {
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
            // past the end of a closed ledger, or in a ledger we do not know (deleted): the next ledger's start
            Map.Entry<Long, LedgerInfo> next = ls.higherEntry(cur.ledgerId());
            if (next == null) {
                return endPosition();
            }
            cur = new Position(next.getKey(), 0);
        }
    }

    /** The ledger's metadata, or null if it is not (any more) part of the log. */
    LedgerInfo ledger(long ledgerId) {
        return ledgers.get(ledgerId);
    }

    List<Long> ledgerIds() {
        return List.copyOf(ledgers.keySet());
    }

    long entriesFrom(Position from) {
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

    long numberOfEntries() {
        return totalEntries;
    }

    long sizeBytes() {
        return totalSize;
    }

    int ledgerCount() {
        return ledgers.size();
    }

    /** The ledgers and the last confirmed entry, read together; {@code end} is where the next entry will be. */
    record Snapshot(List<LedgerSummary> ledgers, Position end) {
        /** The ledgers holding at least one entry, oldest first. */
        List<LedgerSummary> withData() {
            return ledgers.stream().filter(l -> l.entries() > 0).toList();
        }
    }

    Snapshot snapshot() {
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

    // ------------------------------------------------------------------ size estimates

    long sizeBytesFrom(Position from) {
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

    Position positionWithBytesAfter(long maxBytes) {
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
}
