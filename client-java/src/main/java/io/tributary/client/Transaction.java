package io.tributary.client;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * A transaction: messages sent in it ({@link Producer#newMessage(Transaction)}), to any topics and through any
 * producers of the client, are stored at once but stay invisible to every consumer and reader until it commits;
 * then all of them become visible, each topic's together. After a rollback none ever does.
 *
 * <pre>{@code
 * Transaction txn = client.newTransaction().timeout(Duration.ofSeconds(30)).build();
 * orders.newMessage(txn).key(orderId).value(order).send();
 * saveOrder(orderId, txn.id());          // the local transaction
 * txn.commit();                          // or txn.abort()
 * }</pre>
 *
 * <p>Should the application stop before it ends the transaction, the broker asks a live producer of the same
 * producer group once the timeout has passed ({@link ProducerBuilder#transactionChecker}).
 */
public interface Transaction {
    /** What a transaction does now, as this client knows it. */
    enum State { OPEN, COMMITTING, COMMITTED, ABORTING, ABORTED }

    /** The id the broker gave it; what a {@link TransactionChecker} is asked about. */
    String id();

    /** How long it may stay open before it is checked back. */
    Duration timeout();

    State state();

    /**
     * Commits: waits for the messages sent in it, then has the broker record the commit and store the messages on
     * their topics; returns once every message is visible (each topic's became visible at once). If a message
     * failed to send the transaction is rolled back instead and this fails naming the message's error. A topic
     * unreachable past the operation timeout fails this with a timeout, but the commit stands and is applied. Committing again is harmless; committing a transaction
     * rolled back (by {@link #abort}, a check-back or its timeout) fails with
     * {@link TributaryClientException.TransactionEndedException}.
     */
    void commit() throws TributaryClientException;

    CompletableFuture<Void> commitAsync();

    /** Rolls back: none of its messages ever becomes visible. Rolling back again is harmless. */
    void abort() throws TributaryClientException;

    CompletableFuture<Void> abortAsync();
}
