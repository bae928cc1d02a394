package io.tributary.storage.log;

import com.google.common.base.Preconditions;
import io.tributary.internal.v1.LedgerInfo;
import io.tributary.internal.v1.LogMetadata;
import io.tributary.protocol.ErrorReasons;
import io.tributary.storage.meta.MetadataStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import org.apache.bookkeeper.client.api.BookKeeper;
import org.apache.zookeeper.KeeperException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes the ledgers that {@link Retention} lets go: first out of the metadata (a compare-and-set
 * in the chain's queue of changes, so a BADVERSION means a takeover and fences the writer), then
 * out of this log's view, cache and read handles, and last out of BookKeeper.
 */
final class LogTrimmer {
    private final StorageStats stats;
    private static final Logger LOG = LoggerFactory.getLogger(LogTrimmer.class);

    private final String name;
    private final BookKeeper bk;
    private final Executor executor;
    private final LedgerChain chain;
    private final LogAppender appender;
    private final TailCache cache;
    private final LedgerReader reader;

    LogTrimmer(String name, BookKeeper bk, Executor executor, LedgerChain chain, LogAppender appender,
               TailCache cache, LedgerReader reader, StorageStats stats) {
        this.name = name;
        this.stats = stats;
        this.bk = bk;
        this.executor = executor;
        this.chain = chain;
        this.appender = appender;
        this.cache = cache;
        this.reader = reader;
    }

    CompletableFuture<List<Long>> trimLedgers(Position consumedUpTo, long retentionTimeMs, long retentionSizeBytes,
                                              long nowMs) {
        Preconditions.checkNotNull(consumedUpTo, "consumedUpTo");
        Preconditions.checkArgument(retentionTimeMs >= -1, "retentionTimeMs must be >= -1, was %s", retentionTimeMs);
        Preconditions.checkArgument(retentionSizeBytes >= -1, "retentionSizeBytes must be >= -1, was %s", retentionSizeBytes);
        CompletableFuture<List<Long>> result = new CompletableFuture<>();
        executor.execute(() -> chain.changeMetadata(() -> removeLedgers(consumedUpTo, retentionTimeMs, retentionSizeBytes, nowMs))
                .thenCompose(this::deleteFromBookKeeper)
                .whenComplete((ids, err) -> {
                    if (err != null) {
                        result.completeExceptionally(ErrorReasons.unwrap(err));
                    } else {
                        result.complete(ids);
                    }
                }));
        return result;
    }

    /** Takes the ledgers retention lets go out of the metadata (compare-and-set) and out of this log's view. */
    private CompletableFuture<List<Long>> removeLedgers(Position consumedUpTo, long retentionTimeMs,
                                                        long retentionSizeBytes, long nowMs) {
        ManagedLogException stopped = appender.stopped();
        if (stopped != null) {
            return CompletableFuture.failedFuture(stopped);
        }
        LogMetadata metadata = chain.metadata();
        List<Long> doomed = Retention.ledgersToDelete(metadata.getLedgersList(), consumedUpTo,
                retentionTimeMs, retentionSizeBytes, nowMs);
        if (doomed.isEmpty()) {
            return CompletableFuture.completedFuture(List.of());
        }
        Set<Long> gone = Set.copyOf(doomed);
        LogMetadata.Builder md = metadata.toBuilder().clearLedgers();
        for (LedgerInfo li : metadata.getLedgersList()) {
            if (!gone.contains(li.getLedgerId())) {
                md.addLedgers(li);
            }
        }
        LogMetadata next = md.build();
        return chain.compareAndSet(next).handleAsync((version, err) -> {
            if (err != null) {
                if (MetadataStore.is(err, KeeperException.Code.BADVERSION)) {
                    LOG.warn("log {}: metadata changed under us while trimming; another writer took over", name);
                    appender.becomeFenced();
                    throw new CompletionException(appender.fenced());
                }
                Throwable cause = ErrorReasons.unwrap(err);
                throw new CompletionException(new ManagedLogException("trimming " + name + " failed: " + cause, cause));
            }
            chain.installKeepingOpenLedger(next, version);
            for (long id : doomed) {
                cache.forgetLedger(id);
                reader.forgetLedger(id);
            }
            stats.trimmed(doomed.size());
            LOG.info("log {}: trimmed ledgers {}", name, doomed);
            return doomed;
        }, executor);
    }

    /** Deletes ledgers already out of the metadata; a failure leaves an orphan to log, not an error. */
    private CompletableFuture<List<Long>> deleteFromBookKeeper(List<Long> ids) {
        List<CompletableFuture<Void>> deletes = new ArrayList<>(ids.size());
        for (long id : ids) {
            deletes.add(bk.newDeleteLedgerOp().withLedgerId(id).execute().exceptionally(e -> {
                LOG.warn("log {}: ledger {} is out of the log but could not be deleted from BookKeeper: {}",
                        name, id, ErrorReasons.unwrap(e).toString());
                return null;
            }));
        }
        return CompletableFuture.allOf(deletes.toArray(CompletableFuture[]::new)).thenApply(v -> ids);
    }
}
