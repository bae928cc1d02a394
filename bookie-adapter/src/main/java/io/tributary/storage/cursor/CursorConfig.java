package io.tributary.storage.cursor;

import com.google.common.base.Preconditions;
import io.tributary.storage.log.ManagedLogConfig;
import java.time.Duration;

/**
 * How a durable cursor stores its acknowledgement state.
 *
 * @param persistInterval acknowledgements are persisted at most this often (default 1 s); a crash
 *                        loses at most this interval's acknowledgements, which are then redelivered
 * @param inlineLimitBytes encoded acknowledgement state up to this size is stored in the cursor's
 *                         znode; larger state goes to a cursor ledger in BookKeeper (default 64 KiB)
 * @param ledgerEntryBytes the cursor ledger holds the state in entries of at most this size (default 1 MiB)
 * @param ensembleSize bookies a cursor ledger is striped over (default 1)
 * @param writeQuorum copies of each cursor ledger entry (default 1)
 * @param ackQuorum copies that must confirm each cursor ledger entry (default 1)
 */
public record CursorConfig(
        Duration persistInterval,
        int inlineLimitBytes,
        int ledgerEntryBytes,
        int ensembleSize,
        int writeQuorum,
        int ackQuorum) {

    public static final CursorConfig DEFAULT = new CursorConfig(Duration.ofSeconds(1), 64 << 10, 1 << 20, 1, 1, 1);

    public CursorConfig {
        Preconditions.checkArgument(persistInterval != null && !persistInterval.isNegative(),
                "cursor.persistInterval must be >= 0");
        Preconditions.checkArgument(inlineLimitBytes >= 0 && inlineLimitBytes <= (512 << 10),
                "cursor.inlineLimitBytes must be in [0, 512 KiB] (the znode also has to fit ZooKeeper's 1 MiB limit), was %s",
                inlineLimitBytes);
        Preconditions.checkArgument(ledgerEntryBytes >= 1 && ledgerEntryBytes <= (4 << 20),
                "cursor.ledgerEntryBytes must be in [1, 4 MiB], was %s", ledgerEntryBytes);
        Preconditions.checkArgument(ensembleSize >= 1, "cursor.ensembleSize must be >= 1, was %s", ensembleSize);
        Preconditions.checkArgument(writeQuorum >= 1 && writeQuorum <= ensembleSize,
                "cursor.writeQuorum must be in [1, ensembleSize=%s], was %s", ensembleSize, writeQuorum);
        Preconditions.checkArgument(ackQuorum >= 1 && ackQuorum <= writeQuorum,
                "cursor.ackQuorum must be in [1, writeQuorum=%s], was %s", writeQuorum, ackQuorum);
    }

    /** The defaults, persisting every {@code persistInterval}, with the log's replication for cursor ledgers. */
    public static CursorConfig of(Duration persistInterval, ManagedLogConfig log) {
        return DEFAULT.withPersistInterval(persistInterval).withQuorum(log.ensembleSize(), log.writeQuorum(), log.ackQuorum());
    }

    public CursorConfig withPersistInterval(Duration interval) {
        return new CursorConfig(interval, inlineLimitBytes, ledgerEntryBytes, ensembleSize, writeQuorum, ackQuorum);
    }

    public CursorConfig withInlineLimitBytes(int bytes) {
        return new CursorConfig(persistInterval, bytes, ledgerEntryBytes, ensembleSize, writeQuorum, ackQuorum);
    }

    public CursorConfig withLedgerEntryBytes(int bytes) {
        return new CursorConfig(persistInterval, inlineLimitBytes, bytes, ensembleSize, writeQuorum, ackQuorum);
    }

    public CursorConfig withQuorum(int ensemble, int write, int ack) {
        return new CursorConfig(persistInterval, inlineLimitBytes, ledgerEntryBytes, ensemble, write, ack);
    }
}
