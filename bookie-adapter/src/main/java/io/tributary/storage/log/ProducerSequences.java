package io.tributary.storage.log;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import io.tributary.internal.v1.DedupSnapshot;
import io.tributary.internal.v1.LogMetadata;
import io.tributary.internal.v1.ProducerSequence;
import io.tributary.storage.meta.MetadataPaths;
import io.tributary.storage.meta.MetadataStore;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;

/**
 * The highest stored sequence id per producer, when each producer was last active, and their
 * snapshot in ZooKeeper ({@link MetadataPaths#dedup}): a znode of its own, never the ledger list,
 * which it would grow toward ZooKeeper's 1 MiB limit. A producer inactive for longer than a timeout,
 * and the least recently active beyond a cap or beyond {@link #MAX_SNAPSHOT_BYTES}, is forgotten
 * (Pulsar forgets producers after an inactivity timeout too): should it come back, its next
 * sequence ids are taken as new.
 *
 * <p>The snapshot is written before every change of the ledger list (see {@link LedgerChain#compareAndSet}),
 * so it always covers the closed ledgers, whose entries a takeover does not replay. Being ahead of
 * the list is harmless: sequence ids only grow, and a takeover merges by maximum.
 *
 * <p>Changed on the log's executor (or, before the log opens, by the one thread taking it over);
 * {@link #lastSequenceId} is read from any thread.
 */
final class ProducerSequences {
    /** The snapshot stays well under ZooKeeper's 1 MiB znode limit, whatever the producer names. */
    static final int MAX_SNAPSHOT_BYTES = 512 * 1024;

    private final String path;
    private final MetadataStore store;
    private final Map<String, Long> sequences = new ConcurrentHashMap<>();
    private final Map<String, Long> lastActiveMs = new HashMap<>();
    /** The snapshot znode's version; -1 while there is none. */
    private volatile int version;
    /** Changed since the snapshot was last written. */
    private volatile boolean dirty;

    private ProducerSequences(String logName, MetadataStore store, int version) {
        this.path = MetadataPaths.dedup(logName);
        this.store = store;
        this.version = version;
    }

    /**
     * Reads a log's snapshot: from its own znode, or, for a log written before it had one, from
     * the ledger list {@code md} (then it is written to its own znode at the next change).
     */
    static CompletableFuture<ProducerSequences> load(String logName, MetadataStore store, LogMetadata md) {
        return store.get(MetadataPaths.dedup(logName)).thenApply(stored -> {
            long now = System.currentTimeMillis();
            if (stored.isPresent()) {
                ProducerSequences s = new ProducerSequences(logName, store, stored.get().version());
                DedupSnapshot snapshot;
                try {
                    snapshot = DedupSnapshot.parseFrom(stored.get().value());
                } catch (InvalidProtocolBufferException e) {
                    throw new CompletionException(new ManagedLogException("corrupt deduplication snapshot of log " + logName, e));
                }
                for (ProducerSequence ps : snapshot.getProducersList()) {
                    s.sequences.put(ps.getProducerName(), ps.getLastSequenceId());
                    s.lastActiveMs.put(ps.getProducerName(), ps.getLastActiveMs() > 0 ? ps.getLastActiveMs() : now);
                }
                // the old place may still hold a copy (a writer of the old version ran meanwhile): merge it
                s.merge(md.getSequencesList(), now);
                return s;
            }
            ProducerSequences s = new ProducerSequences(logName, store, -1);
            s.merge(md.getSequencesList(), now);
            return s;
        });
    }

    private void merge(List<ProducerSequence> old, long now) {
        for (ProducerSequence ps : old) {
            record(ps.getProducerName(), ps.getLastSequenceId(), now);
        }
    }

    long lastSequenceId(String producerName) {
        return sequences.getOrDefault(producerName, -1L);
    }

    /** Records a stored entry's mark (appended, or replayed when taking the log over). */
    void record(String producerName, long lastSequenceId, long nowMs) {
        Long before = sequences.get(producerName);
        if (before == null || before < lastSequenceId) {
            sequences.put(producerName, lastSequenceId);
        }
        lastActiveMs.put(producerName, nowMs);
        dirty = true;
    }

    /** To be written by the next {@link #persist}, changed or not (a takeover claims the snapshot). */
    void markChanged() {
        dirty = true;
    }

    int size() {
        return sequences.size();
    }

    /**
     * Forgets the producers not in {@code active} that have been inactive since before
     * {@code inactiveBeforeMs}, then the least recently active beyond {@code maxProducers}; those in
     * {@code active} (connected now) count as active now. Returns the names forgotten.
     */
    List<String> expire(long nowMs, long inactiveBeforeMs, int maxProducers, Set<String> active) {
        for (String p : active) {
            if (sequences.containsKey(p)) {
                lastActiveMs.put(p, nowMs);
            }
        }
        List<String> forgotten = new ArrayList<>();
        for (Map.Entry<String, Long> e : List.copyOf(lastActiveMs.entrySet())) {
            // a connected producer is never inactive, whatever the clocks of the caller and this thread say
            if (!active.contains(e.getKey()) && e.getValue() < inactiveBeforeMs) {
                forgotten.add(e.getKey());
            }
        }
        forgotten.forEach(this::forget);
        if (sequences.size() > maxProducers) {
            forgotten.addAll(forgetLeastRecentlyActive(sequences.size() - maxProducers));
        }
        return forgotten;
    }

    private List<String> forgetLeastRecentlyActive(int n) {
        List<String> oldest = lastActiveMs.entrySet().stream().sorted(Map.Entry.comparingByValue())
                .limit(n).map(Map.Entry::getKey).toList();
        oldest.forEach(this::forget);
        return oldest;
    }

    private void forget(String producerName) {
        sequences.remove(producerName);
        lastActiveMs.remove(producerName);
        dirty = true;
    }

    /**
     * Writes the snapshot if it changed since it was last written: created if the log has none yet,
     * else compare-and-set on the version this writer read or wrote. A BADVERSION (also for a
     * snapshot another writer created first) means another writer took the log over.
     */
    CompletableFuture<Void> persist() {
        if (!dirty) {
            return CompletableFuture.completedFuture(null);
        }
        byte[] bytes = encode().toByteArray();
        dirty = false;
        int expected = version;
        CompletableFuture<Integer> write = expected < 0
                ? store.create(path, bytes, CreateMode.PERSISTENT).exceptionallyCompose(e ->
                        CompletableFuture.failedFuture(MetadataStore.is(e, KeeperException.Code.NODEEXISTS)
                                ? new KeeperException.BadVersionException(path) : e))
                : store.set(path, bytes, expected);
        return write.handle((v, e) -> {
            if (e != null) {
                dirty = true; // to be written again by the next change
                throw e instanceof CompletionException ce ? ce : new CompletionException(e);
            }
            version = v;
            return null;
        });
    }

    /** The snapshot, most recently active first; producers past {@link #MAX_SNAPSHOT_BYTES} are forgotten. */
    DedupSnapshot encode() {
        List<Map.Entry<String, Long>> byActivity = new ArrayList<>(lastActiveMs.entrySet());
        byActivity.sort(Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder()));
        DedupSnapshot.Builder b = DedupSnapshot.newBuilder();
        long size = 0;
        List<String> over = new ArrayList<>();
        for (Map.Entry<String, Long> e : byActivity) {
            ProducerSequence ps = ProducerSequence.newBuilder().setProducerName(e.getKey())
                    .setLastSequenceId(sequences.get(e.getKey())).setLastActiveMs(e.getValue()).build();
            size += CodedOutputStream.computeMessageSize(DedupSnapshot.PRODUCERS_FIELD_NUMBER, ps);
            if (size > MAX_SNAPSHOT_BYTES) {
                over.add(e.getKey());
            } else {
                b.addProducers(ps);
            }
        }
        over.forEach(p -> {
            sequences.remove(p);
            lastActiveMs.remove(p);
        });
        return b.build();
    }

    /** Deletes a log's snapshot (the log is deleted). */
    static CompletableFuture<Void> delete(String logName, MetadataStore store) {
        return store.delete(MetadataPaths.dedup(logName), -1);
    }
}
