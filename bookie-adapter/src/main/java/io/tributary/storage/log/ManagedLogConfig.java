package io.tributary.storage.log;

import com.google.common.base.Preconditions;
import java.time.Duration;

/**
 * How a managed log stores its data.
 *
 * @param ensembleSize bookies a ledger is striped over (default 1: standalone has one bookie)
 * @param writeQuorum copies of each entry (default 1)
 * @param ackQuorum copies that must confirm before an append is acknowledged (default 1)
 * @param rolloverSizeBytes start a new ledger once the current one holds this many bytes (default 256 MiB)
 * @param rolloverEntries start a new ledger after this many entries (default 50,000)
 * @param rolloverAge start a new ledger once the current one is this old and not empty, checked as entries are
 *                    appended and whenever the owner calls {@link ManagedLog#rolloverIfAged()} (default 4 h)
 * @param cacheSizeBytes recently appended entries kept in memory for tailing readers, by all the logs of one
 *                       {@link ManagedLogFactory} (one broker) together: the {@link CacheBudget} (default 64 MiB)
 */
public record ManagedLogConfig(
        int ensembleSize,
        int writeQuorum,
        int ackQuorum,
        long rolloverSizeBytes,
        long rolloverEntries,
        Duration rolloverAge,
        long cacheSizeBytes) {

    public static final ManagedLogConfig DEFAULT =
            new ManagedLogConfig(1, 1, 1, 256L << 20, 50_000, Duration.ofHours(4), 64L << 20);

    public ManagedLogConfig {
        Preconditions.checkArgument(ensembleSize >= 1, "broker.ensembleSize must be >= 1, was %s", ensembleSize);
        Preconditions.checkArgument(writeQuorum >= 1 && writeQuorum <= ensembleSize,
                "broker.writeQuorum must be in [1, ensembleSize=%s], was %s", ensembleSize, writeQuorum);
        Preconditions.checkArgument(ackQuorum >= 1 && ackQuorum <= writeQuorum,
                "broker.ackQuorum must be in [1, writeQuorum=%s], was %s", writeQuorum, ackQuorum);
        Preconditions.checkArgument(rolloverSizeBytes > 0, "broker.ledgerRolloverSizeBytes must be > 0");
        Preconditions.checkArgument(rolloverEntries > 0, "broker.ledgerRolloverEntries must be > 0");
        Preconditions.checkArgument(rolloverAge != null && !rolloverAge.isNegative() && !rolloverAge.isZero(),
                "broker.ledgerRolloverAge must be positive");
        Preconditions.checkArgument(cacheSizeBytes >= 0, "broker.entryCacheSizeBytes must be >= 0");
    }

    public ManagedLogConfig withRollover(long sizeBytes, long entries, Duration age) {
        return new ManagedLogConfig(ensembleSize, writeQuorum, ackQuorum, sizeBytes, entries, age, cacheSizeBytes);
    }

    public ManagedLogConfig withCacheSizeBytes(long bytes) {
        return new ManagedLogConfig(ensembleSize, writeQuorum, ackQuorum, rolloverSizeBytes, rolloverEntries, rolloverAge, bytes);
    }

    public ManagedLogConfig withQuorum(int ensemble, int write, int ack) {
        return new ManagedLogConfig(ensemble, write, ack, rolloverSizeBytes, rolloverEntries, rolloverAge, cacheSizeBytes);
    }
}
