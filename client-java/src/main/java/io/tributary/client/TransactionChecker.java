package io.tributary.client;

/**
 * Tells the broker whether a transaction left open past its timeout should commit (the application's producer
 * stopped before it ended it, say). Typically looks the transaction up in the application's database, by its id
 * or by a property or message key. Called on a thread of its own, one check at a time per producer; an exception
 * counts as {@link TransactionResolution#UNKNOWN}.
 */
@FunctionalInterface
public interface TransactionChecker {
    TransactionResolution check(TransactionCheck transaction);
}
