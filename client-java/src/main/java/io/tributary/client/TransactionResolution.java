package io.tributary.client;

/** A {@link TransactionChecker}'s answer. */
public enum TransactionResolution {
    /** Make every message of the transaction visible. */
    COMMIT,
    /** Drop them all. */
    ROLLBACK,
    /** Cannot tell yet: ask again later (up to {@code broker.transactionMaxChecks} times, then the default outcome). */
    UNKNOWN
}
