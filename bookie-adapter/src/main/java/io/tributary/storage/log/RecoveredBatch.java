package io.tributary.storage.log;

/**
 * A producer's batch found in the ledger a writer recovered when it took the log over: stored,
 * though the previous writer may never have acknowledged it. The new writer answers a resend of it
 * with this position.
 */
public record RecoveredBatch(String producerName, long lastSequenceId, Position position) {}
