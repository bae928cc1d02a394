package io.tributary.storage.log;

import com.google.protobuf.InvalidProtocolBufferException;
import io.tributary.internal.v1.LedgerInfo;
import io.tributary.internal.v1.LogMetadata;
import io.tributary.protocol.ErrorReasons;
import io.tributary.storage.meta.MetadataPaths;
import io.tributary.storage.meta.MetadataStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.function.Function;
import org.apache.bookkeeper.client.api.BKException;
import org.apache.bookkeeper.client.api.BookKeeper;
import org.apache.bookkeeper.client.api.WriteHandle;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens managed logs. Opening is a takeover: the previous writer's open ledger is opened with
 * recovery (which fences it in BookKeeper), its real length is recorded, and a new ledger is
 * added to the list with a compare-and-set on the metadata version, so two writers that race
 * cannot both win.
 */
public final class ManagedLogFactory {
    private static final Logger LOG = LoggerFactory.getLogger(ManagedLogFactory.class);

    /** Batches per producer whose position a new writer learns from the ledger it recovers. */
    static final int RECOVERED_BATCHES_PER_PRODUCER = 1024;

    private final MetadataStore store;
    private final BookKeeper bk;
    private final ManagedLogConfig config;
    private volatile Function<String, CompletableFuture<ManagedLogConfig>> ledgerConfig =
            n -> CompletableFuture.completedFuture(config());
    private final Function<String, Executor> executors;
    private final Function<byte[], SequenceMark> sequenceOf;
    /** Shared by the tail caches of all the logs this factory opens. */
    private final CacheBudget cacheBudget;
    private final StorageStats stats;

    /**
     * @param executors gives the single-threaded executor that owns a log's state, by log name
     *                  (for example an ordered executor keyed by topic)
     */
    public ManagedLogFactory(MetadataStore store, BookKeeper bk, ManagedLogConfig config,
                             Function<String, Executor> executors) {
        this(store, bk, config, executors, null);
    }

    /**
     * @param sequenceOf reads the producer and last sequence id from an entry's bytes (null if it
     *                   has none); used to rebuild deduplication state from a recovered ledger
     */
    public ManagedLogFactory(MetadataStore store, BookKeeper bk, ManagedLogConfig config,
                             Function<String, Executor> executors, Function<byte[], SequenceMark> sequenceOf) {
        this.store = store;
        this.bk = bk;
        this.config = config;
        this.executors = executors;
        this.sequenceOf = sequenceOf;
        this.cacheBudget = new CacheBudget(config.cacheSizeBytes());
        this.stats = new StorageStats();
    }

    /**
     * Where the replication (ensemble, write and ack quorum) of each new ledger of a log comes from,
     * by log name; by default this factory's config. Applies to the ledgers created from now on.
     */
    public void ledgerConfig(Function<String, CompletableFuture<ManagedLogConfig>> f) {
        ledgerConfig = f;
    }

    public ManagedLogConfig config() {
        return config;
    }

    public BookKeeper bookKeeper() {
        return bk;
    }

    /** The memory the tail caches of all the logs opened here share ({@link ManagedLogConfig#cacheSizeBytes()}). */
    public CacheBudget cacheBudget() {
        return cacheBudget;
    }

    /** What the logs and cursors opened here did (rollovers, trims, cursor writes), for the broker's metrics. */
    public StorageStats stats() {
        return stats;
    }

    public CompletableFuture<Boolean> exists(String name) {
        return store.exists(MetadataPaths.topic(name));
    }

    /**
     * Opens the log {@code name} for writing, taking it over from any previous writer.
     *
     * @param createIfMissing create an empty log if there is none; otherwise fail with
     *                        {@link ManagedLogException.NotFoundException}
     */
    public CompletableFuture<ManagedLog> open(String name, boolean createIfMissing) {
        String path = MetadataPaths.topic(name);
        return store.get(path).thenCompose(existing -> {
            if (existing.isPresent()) {
                return CompletableFuture.completedFuture(existing.get());
            }
            if (!createIfMissing) {
                throw new CompletionException(new ManagedLogException.NotFoundException("topic " + name + " does not exist"));
            }
            LogMetadata empty = LogMetadata.newBuilder().setCreatedMs(System.currentTimeMillis()).build();
            return store.create(path, empty.toByteArray(), CreateMode.PERSISTENT)
                    .thenApply(v -> new MetadataStore.Versioned<>(empty.toByteArray(), v))
                    .exceptionallyCompose(e -> MetadataStore.is(e, KeeperException.Code.NODEEXISTS)
                            ? store.get(path).thenApply(Optional::orElseThrow)
                            : CompletableFuture.failedFuture(e));
        }).thenCompose(versioned -> {
            LogMetadata md;
            try {
                md = LogMetadata.parseFrom(versioned.value());
            } catch (InvalidProtocolBufferException e) {
                throw new CompletionException(new ManagedLogException("corrupt metadata for log " + name, e));
            }
            return takeOver(name, path, md, versioned.version());
        });
    }

    private CompletableFuture<ManagedLog> takeOver(String name, String path, LogMetadata md, int version) {
        return ProducerSequences.load(name, store, md)
                .thenCompose(sequences -> takeOver(name, path, md, version, sequences))
                .exceptionallyCompose(err -> {
                    if (MetadataStore.is(err, KeeperException.Code.BADVERSION)) {
                        return CompletableFuture.failedFuture(new ManagedLogException.FencedException(
                                "log " + name + " was opened by another writer at the same time"));
                    }
                    return CompletableFuture.failedFuture(err);
                });
    }

    private CompletableFuture<ManagedLog> takeOver(String name, String path, LogMetadata md, int version,
                                                   ProducerSequences sequences) {
        List<LedgerInfo> ledgers = md.getLedgersList();
        java.util.Map<String, java.util.ArrayDeque<RecoveredBatch>> recoveredBatches = new java.util.HashMap<>();
        CompletableFuture<List<LedgerInfo>> recovered = CompletableFuture.completedFuture(new ArrayList<>(ledgers));
        if (!ledgers.isEmpty() && ledgers.get(ledgers.size() - 1).getEntries() < 0) {
            LedgerInfo last = ledgers.get(ledgers.size() - 1);
            recovered = recoverLedger(name, last, sequences, recoveredBatches).thenApply(closed -> {
                List<LedgerInfo> out = new ArrayList<>(ledgers.subList(0, ledgers.size() - 1));
                closed.ifPresent(out::add);
                return out;
            });
        }
        return recovered.thenCompose(list -> ledgerConfig.apply(name).thenCompose(c -> Ledgers.create(bk, c, name))
                .thenCompose(handle -> {
            // the snapshot leaves the ledger list (where older versions kept it) for its own znode
            LogMetadata next = md.toBuilder().clearLedgers().addAllLedgers(list)
                    .addLedgers(Ledgers.openLedgerInfo(handle.getId())).clearSequences().build();
            // The snapshot first: it covers the recovered ledger, which the list now closes. Always
            // written, so that a previous writer's late snapshot write fails its compare-and-set.
            sequences.markChanged();
            return sequences.persist().thenCompose(v -> store.set(path, next.toByteArray(), version))
                    .<ManagedLog>thenApply(newVersion -> {
                        LOG.info("log {}: opened for writing on ledger {} ({} earlier ledgers, {} producers' sequence ids)",
                                name, handle.getId(), list.size(), sequences.size());
                        List<RecoveredBatch> batches = new ArrayList<>();
                        recoveredBatches.values().forEach(batches::addAll);
                        return new ManagedLogImpl(name, store, bk, config, cacheBudget, stats, executors.apply(name), next, newVersion,
                                handle, sequences, sequenceOf, List.copyOf(batches), n -> ledgerConfig.apply(n));
                    })
                    .whenComplete((log, err) -> {
                        if (err != null) {
                            discard(handle);
                        }
                    });
        }));
    }

    /** Opens the previous writer's ledger with recovery, fencing it; empty ledgers are dropped. */
    private CompletableFuture<Optional<LedgerInfo>> recoverLedger(String name, LedgerInfo last,
                                                                  ProducerSequences sequences,
                                                                  java.util.Map<String, java.util.ArrayDeque<RecoveredBatch>> batches) {
        return Ledgers.openWithRecovery(bk, last.getLedgerId())
                .thenCompose(h -> {
                    long entries = h.getLastAddConfirmed() + 1;
                    long size = h.getLength();
                    java.util.Map<String, Long> found = new java.util.HashMap<>();
                    return Ledgers.replaySequences(h, 0, sequenceOf, found, b -> {
                        // the producer's last batches: a resend after the takeover is at most its pending ones
                        java.util.ArrayDeque<RecoveredBatch> recent = batches.computeIfAbsent(b.producerName(),
                                k -> new java.util.ArrayDeque<>());
                        if (recent.size() == RECOVERED_BATCHES_PER_PRODUCER) {
                            recent.removeFirst();
                        }
                        recent.addLast(b);
                    }).thenCompose(x -> h.closeAsync()).thenApply(v -> {
                        long now = System.currentTimeMillis();
                        found.forEach((producer, seq) -> sequences.record(producer, seq, now));
                        LOG.info("log {}: recovered ledger {} of the previous writer with {} entries", name, last.getLedgerId(), entries);
                        if (entries == 0) {
                            bk.newDeleteLedgerOp().withLedgerId(last.getLedgerId()).execute();
                            return Optional.<LedgerInfo>empty();
                        }
                        return Optional.of(last.toBuilder().setEntries(entries).setSizeBytes(size)
                                .setClosedMs(System.currentTimeMillis()).build());
                    });
                })
                .exceptionally(e -> {
                    Throwable c = ErrorReasons.unwrap(e);
                    if (c instanceof BKException bke
                            && (bke.getCode() == BKException.Code.NoSuchLedgerExistsException
                            || bke.getCode() == BKException.Code.NoSuchLedgerExistsOnMetadataServerException)) {
                        LOG.warn("log {}: ledger {} is gone from BookKeeper; dropping it from the log", name, last.getLedgerId());
                        return Optional.empty();
                    }
                    throw new CompletionException(c);
                });
    }

    private void discard(WriteHandle handle) {
        Ledgers.discard(bk, handle);
    }

    /** Deletes a log that is not open here: its ledgers and its metadata. */
    public CompletableFuture<Void> delete(String name) {
        String path = MetadataPaths.topic(name);
        return store.get(path).thenCompose(existing -> {
            if (existing.isEmpty()) {
                return CompletableFuture.completedFuture(null);
            }
            LogMetadata md;
            try {
                md = LogMetadata.parseFrom(existing.get().value());
            } catch (InvalidProtocolBufferException e) {
                throw new CompletionException(e);
            }
            List<CompletableFuture<Void>> deletes = new ArrayList<>();
            for (LedgerInfo li : md.getLedgersList()) {
                deletes.add(bk.newDeleteLedgerOp().withLedgerId(li.getLedgerId()).execute().exceptionally(e -> null));
            }
            return CompletableFuture.allOf(deletes.toArray(CompletableFuture[]::new))
                    .thenCompose(v -> ProducerSequences.delete(name, store))
                    .thenCompose(v -> store.delete(path, existing.get().version()));
        });
    }
}
