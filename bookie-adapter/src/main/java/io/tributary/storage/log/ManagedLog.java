package io.tributary.storage.log;

import java.util.concurrent.CompletableFuture;

/**
 * The durable log of one topic: a chain of BookKeeper ledgers, one of them open for writing,
 * listed in ZooKeeper. Opening a log takes it over from any previous writer: the previous
 * writer's last ledger is opened with recovery, which fences it, so a stale writer can no
 * longer append a single entry.
 *
 * <p>The log plays three roles, one interface each, so that a caller declares only the one it
 * needs: {@link LogWriter} (the owner's appends), {@link LogReader} (entries and positions, for
 * subscriptions and cursors) and {@link LogMaintenance} (rollover, retention, searches and sizes).
 */
public interface ManagedLog extends LogWriter, LogReader, LogMaintenance, AutoCloseable {

    @Override
    String name();

    /** Stops writing: waits for in-flight appends and closes the current ledger. */
    CompletableFuture<Void> closeAsync();

    /** Closes the log and deletes its ledgers and its metadata. */
    CompletableFuture<Void> deleteAsync();

    @Override
    default void close() {
        closeAsync().join();
    }
}
