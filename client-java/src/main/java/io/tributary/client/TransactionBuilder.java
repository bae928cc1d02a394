package io.tributary.client;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/** Begins a transaction ({@link TributaryClient#newTransaction()}). */
public interface TransactionBuilder {
    /**
     * How long the transaction may stay open before the broker checks it back with a producer of its group;
     * the broker's default ({@code broker.transactionTimeout}, 60 s) if not set. At least one second.
     */
    TransactionBuilder timeout(Duration timeout);

    /**
     * The producer group asked back should the transaction time out; by default the group of the first producer
     * that sends in it ({@link ProducerBuilder#producerGroup}).
     */
    TransactionBuilder producerGroup(String group);

    /** A property the {@link TransactionChecker} sees again (an order id, say); at most 32, 4 KiB in all. */
    TransactionBuilder property(String name, String value);

    TransactionBuilder properties(Map<String, String> properties);

    Transaction build() throws TributaryClientException;

    CompletableFuture<Transaction> buildAsync();
}
