package io.tributary.it.docs;

import io.tributary.client.Consumer;
import io.tributary.client.Message;
import io.tributary.client.Producer;
import io.tributary.client.Schema;
import io.tributary.client.SubscriptionInitialPosition;
import io.tributary.client.Transaction;
import io.tributary.client.TransactionResolution;
import io.tributary.client.TributaryClient;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The examples of {@code docs/transactions.md}, compiled and run by {@link TransactionsDocTest}, which also checks
 * that the page shows them exactly (the lines between {@code // example: NAME} and {@code // end example}).
 */
final class TransactionExamples {
    private TransactionExamples() {}

    /** The order service's database: order id to status. A real service has a table. */
    static final Map<String, String> ORDERS = new ConcurrentHashMap<>();

    static void saveOrder(String orderId, String transactionId) {
        ORDERS.put(orderId, "created in " + transactionId);
    }

    static void orderService(TributaryClient client) throws Exception {
        // example: order-service
        try (Producer<String> orders = client.newProducer(Schema.STRING).topic("shop/orders/created")
                .producerGroup("order-service")
                .transactionChecker(txn -> {
                    // asked when a transaction outlived its timeout without commit or rollback
                    String order = txn.properties().get("order");
                    return ORDERS.containsKey(order) ? TransactionResolution.COMMIT : TransactionResolution.ROLLBACK;
                })
                .create();
             Producer<String> stock = client.newProducer(Schema.STRING).topic("shop/orders/stock").create()) {
            Transaction txn = client.newTransaction().timeout(Duration.ofSeconds(30)).property("order", "o-1001").build();
            orders.newMessage(txn).key("o-1001").value("order o-1001 created").send();
            stock.newMessage(txn).key("sku-42").value("reserve 2 x sku-42 for o-1001").send();
            try {
                saveOrder("o-1001", txn.id());   // the local transaction: the order row
                txn.commit();                    // both messages become visible, on both topics
            } catch (RuntimeException e) {
                txn.abort();                     // neither ever does
                throw e;
            }
        }
        // end example
    }

    static void billing(TributaryClient client) throws Exception {
        // example: billing
        try (Consumer<String> billing = client.newConsumer(Schema.STRING).topic("shop/orders/created")
                .subscriptionName("billing").subscriptionInitialPosition(SubscriptionInitialPosition.Earliest)
                .subscribe()) {
            Message<String> m = billing.receive(10, TimeUnit.SECONDS);
            System.out.println("billing got: " + m.getValue());
            billing.acknowledge(m);
        }
        // end example
    }
}
