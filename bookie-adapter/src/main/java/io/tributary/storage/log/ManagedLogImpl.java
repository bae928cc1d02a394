package io.tributary.storage.log;

import io.tributary.internal.v1.LedgerInfo;
import io.tributary.internal.v1.LogMetadata;
import io.tributary.storage.meta.MetadataStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Function;
import java.util.function.ToLongFunction;
import org.apache.bookkeeper.client.api.BookKeeper;
import org.apache.bookkeeper.client.api.WriteHandle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A managed log over BookKeeper: the facade over its parts, which share one executor (one thread
 * per log, an ordered executor keyed by the log's name), so that none of them needs a lock.
 * <ul>
 *   <li>{@link LedgerChain}: the ledger list and its metadata, positions, totals, and the queue
 *       that makes the metadata change one compare-and-set at a time;</li>
 *   <li>{@link LogAppender}: appends, rollover, fencing and closing;</li>
 *   <li>{@link LedgerReader}: reads, tailing waiters and the search by key;</li>
 *   <li>{@link TailCache}: recent entries, within the broker-wide {@link CacheBudget};</li>
 *   <li>{@link LogTrimmer}: retention.</li>
 * </ul>
 */
final class ManagedLogImpl implements ManagedLog {
    private final StorageStats stats;
    private static final Logger LOG = LoggerFactory.getLogger(ManagedLogImpl.class);

    private final String name;
    private final MetadataStore store;
    private final BookKeeper bk;
    private final Executor executor;
    private final LedgerChain chain;
    private final TailCache cache;
    private final LedgerReader reader;
    private final LogAppender appender;
    private final LogTrimmer trimmer;
    private final List<RecoveredBatch> recoveredBatches;

    ManagedLogImpl(String name, MetadataStore store, BookKeeper bk, ManagedLogConfig config, CacheBudget budget, StorageStats stats,
                   Executor executor, LogMetadata metadata, int metadataVersion, WriteHandle current,
                   ProducerSequences sequences, Function<byte[], SequenceMark> sequenceOf,
                   List<RecoveredBatch> recoveredBatches, Function<String, CompletableFuture<ManagedLogConfig>> ledgerConfig) {
        this.name = name;
        this.store = store;
        this.bk = bk;
        this.executor = executor;
        this.recoveredBatches = recoveredBatches;
        this.stats = stats;
        List<LedgerInfo> ls = metadata.getLedgersList();
        long createdMs = ls.isEmpty() ? System.currentTimeMillis() : ls.get(ls.size() - 1).getCreatedMs();
        this.chain = new LedgerChain(name, store, executor, metadata, metadataVersion, current.getId(), sequences);
        this.cache = new TailCache(budget);
        this.reader = new LedgerReader(name, bk, chain, cache, executor, current);
        this.appender = new LogAppender(name, bk, config, executor, chain, cache, reader, current, createdMs, sequenceOf, stats,
                ledgerConfig);
        this.trimmer = new LogTrimmer(name, bk, executor, chain, appender, cache, reader, stats);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Executor executor() {
        return executor;
    }

    // ------------------------------------------------------------------ LogWriter

    @Override
    public CompletableFuture<Position> appendAsync(byte[] data) {
        return appender.append(data, null);
    }

    @Override
    public CompletableFuture<Position> appendAsync(byte[] data, SequenceMark mark) {
        return appender.append(data, mark);
    }

    @Override
    public long lastSequenceId(String producerName) {
        return chain.lastSequenceId(producerName);
    }

    @Override
    public List<RecoveredBatch> recoveredBatches() {
        return recoveredBatches;
    }

    @Override
    public boolean isFenced() {
        return appender.isFenced();
    }

    // ------------------------------------------------------------------ LogReader

    @Override
    public CompletableFuture<List<LogEntry>> readAsync(Position from, int maxEntries) {
        return reader.readAsync(from, maxEntries);
    }

    @Override
    public Position lastConfirmed() {
        return chain.lastConfirmed();
    }

    @Override
    public Position firstPosition() {
        return chain.firstPosition();
    }

    @Override
    public Position endPosition() {
        return chain.endPosition();
    }

    @Override
    public Position nextPosition(Position p) {
        return chain.nextPosition(p);
    }

    @Override
    public CompletableFuture<Void> waitForEntriesAfter(Position p) {
        return reader.waitForEntriesAfter(p);
    }

    @Override
    public long entriesFrom(Position from) {
        return chain.entriesFrom(from);
    }

    // ------------------------------------------------------------------ LogMaintenance

    @Override
    public long numberOfEntries() {
        return chain.numberOfEntries();
    }

    @Override
    public long sizeBytes() {
        return chain.sizeBytes();
    }

    @Override
    public int ledgerCount() {
        return chain.ledgerCount();
    }

    @Override
    public List<LedgerSummary> ledgers() {
        return chain.snapshot().ledgers();
    }

    @Override
    public CompletableFuture<Boolean> rolloverIfAged() {
        return appender.rolloverIfAged();
    }

    @Override
    public CompletableFuture<List<Long>> trimLedgers(Position consumedUpTo, long retentionTimeMs,
                                                     long retentionSizeBytes, long nowMs) {
        return trimmer.trimLedgers(consumedUpTo, retentionTimeMs, retentionSizeBytes, nowMs);
    }

    @Override
    public CompletableFuture<Position> findFirst(ToLongFunction<byte[]> keyOf, long target) {
        return reader.findFirst(keyOf, target);
    }

    @Override
    public long sizeBytesFrom(Position from) {
        return chain.sizeBytesFrom(from);
    }

    @Override
    public Position positionWithBytesAfter(long maxBytes) {
        return chain.positionWithBytesAfter(maxBytes);
    }

    // ------------------------------------------------------------------ lifecycle

    @Override
    public CompletableFuture<Void> closeAsync() {
        return appender.close().whenComplete((v, e) -> {
            reader.closeHandles();
            cache.clear();
        });
    }

    @Override
    public CompletableFuture<Void> deleteAsync() {
        // the metadata goes first, and only at the version this writer installed: a log another
        // broker took over in the meantime is not deleted (BADVERSION); ledgers left behind by a
        // failed delete are orphans, never a log's missing data
        return closeAsync().thenComposeAsync(v -> chain.deleteMetadata(), executor).thenCompose(v -> {
            List<CompletableFuture<Void>> deletes = new ArrayList<>();
            for (long id : chain.ledgerIds()) {
                deletes.add(bk.newDeleteLedgerOp().withLedgerId(id).execute().exceptionally(e -> null));
            }
            return CompletableFuture.allOf(deletes.toArray(CompletableFuture[]::new));
        }).thenCompose(v -> ProducerSequences.delete(name, store));
    }

    @Override
    public CompletableFuture<List<String>> forgetInactiveProducers(long inactiveBeforeMs, int maxProducers,
                                                                   Set<String> active) {
        CompletableFuture<List<String>> result = new CompletableFuture<>();
        executor.execute(() -> {
            List<String> forgotten = chain.sequences().expire(System.currentTimeMillis(), inactiveBeforeMs, maxProducers, active);
            if (forgotten.isEmpty() || appender.stopped() != null) {
                // a closed or fenced log writes nothing: the next owner reads the snapshot as it was
                result.complete(forgotten);
                return;
            }
            chain.changeMetadata(() -> chain.sequences().persist()).whenComplete((v, e) -> {
                if (e != null) {
                    LOG.warn("log {}: could not write the deduplication snapshot; the next change of the log writes it: {}",
                            name, e.toString());
                }
                result.complete(forgotten);
            });
        });
        return result;
    }

    @Override
    public StorageStats stats() {
        return stats;
    }
}
