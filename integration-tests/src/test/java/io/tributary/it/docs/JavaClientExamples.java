package io.tributary.it.docs;

import io.tributary.client.Authentication;
import io.tributary.client.BatchReceivePolicy;
import io.tributary.client.CompressionType;
import io.tributary.client.ConnectionMode;
import io.tributary.client.Consumer;
import io.tributary.client.Message;
import io.tributary.client.MessageId;
import io.tributary.client.MessageRouter;
import io.tributary.client.Messages;
import io.tributary.client.Producer;
import io.tributary.client.ProducerStats;
import io.tributary.client.Reader;
import io.tributary.client.Schema;
import io.tributary.client.SubscriptionInitialPosition;
import io.tributary.client.SubscriptionType;
import io.tributary.client.TlsOptions;
import io.tributary.client.TributaryClient;
import io.tributary.client.TributaryClientException;
import io.tributary.client.admin.BacklogQuotaPolicy;
import io.tributary.client.admin.NamespacePolicies;
import io.tributary.client.admin.TopicStats;
import io.tributary.client.admin.TributaryAdmin;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The examples of {@code docs/java-client.md}, compiled and run by {@link JavaClientDocTest}, which
 * also checks that the page shows them exactly: the page's code is the lines between
 * {@code // example: NAME} and {@code // end example}. Each example prints what a user would see.
 * Every method takes the proxy's address and a client on it; an example uses what it needs.
 */
final class JavaClientExamples {
    private JavaClientExamples() {}

    static void quickStart(String serviceUrl, TributaryClient unused) throws Exception {
        // example: quick-start
        try (TributaryClient client = TributaryClient.builder().serviceUrl(serviceUrl).build();
             Producer<String> producer = client.newProducer(Schema.STRING).topic("public/default/orders").create();
             Consumer<String> consumer = client.newConsumer(Schema.STRING)
                     .topic("public/default/orders")
                     .subscriptionName("audit")
                     .subscriptionType(SubscriptionType.Shared)
                     .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest)
                     .subscribe()) {

            MessageId id = producer.send("hello");                         // waits until stored
            producer.newMessage().key("order-42").value("paid").property("currency", "EUR").sendAsync();
            producer.flush();                                              // waits for the async send too

            for (int i = 0; i < 2; i++) {
                Message<String> m = consumer.receive(5, TimeUnit.SECONDS); // null on timeout
                System.out.println(m.getValue() + " " + m.getProperties());
                consumer.acknowledge(m);                                   // confirmed by the broker
            }
        }
        // end example
    }

    static void fireAndForget(String serviceUrl, TributaryClient client) throws Exception {
        try (Producer<String> producer = client.newProducer(Schema.STRING).topic("public/default/clicks-ff").create()) {
            // example: fire-and-forget
            producer.sendAsync("click");                           // fire-and-forget
            producer.sendAsync("order").whenComplete((id, e) -> {  // or look at the answer
                if (e != null) {
                    System.err.println("not stored: " + e);
                }
            });
            producer.flush();                                      // every send before it is answered
            // end example
        }
    }

    static void compression(String serviceUrl, TributaryClient client) throws Exception {
        // example: compression
        try (Producer<String> producer = client.newProducer(Schema.STRING).topic("public/default/events")
                .compressionType(CompressionType.LZ4)
                .create()) {
            for (int i = 0; i < 100; i++) {
                producer.sendAsync("{\"event\":\"page-view\",\"page\":\"/home\",\"n\":" + i + "}");
            }
            producer.flush();
            ProducerStats stats = producer.getStats();
            System.out.println(stats.getAcksReceived() + " events in " + stats.getBytesSent() + " bytes");
        }
        // end example
    }

    static void direct(String serviceUrl, TributaryClient unused) throws Exception {
        // example: direct
        try (TributaryClient client = TributaryClient.builder()
                .serviceUrl(serviceUrl)                                     // the proxy: lookups, and the fallback
                .connectionMode(ConnectionMode.DIRECT)                      // streams straight to each topic's owner
                .build();
             Producer<String> producer = client.newProducer(Schema.STRING).topic("public/default/direct").create()) {
            producer.send("one hop fewer");
            System.out.println("stored");
        }
        // end example
    }

    static void memoryLimit(String serviceUrl, TributaryClient unused) throws Exception {
        // example: memory-limit
        try (TributaryClient client = TributaryClient.builder().serviceUrl(serviceUrl)
                .memoryLimit(32L * 1024 * 1024)           // all producers of this client together
                .build();
             Producer<byte[]> producer = client.newProducer().topic("public/default/uploads")
                     .blockIfQueueFull(false)             // fail instead of waiting when memory is full
                     .create()) {
            producer.sendAsync(new byte[1024 * 1024]).whenComplete((id, e) -> {
                if (e instanceof TributaryClientException.MemoryBufferIsFullException) {
                    System.out.println("32 MiB of sends are waiting for the broker; try later");
                }
            });
            producer.flush();
        }
        // end example
    }

    static void producerStats(String serviceUrl, TributaryClient client) throws Exception {
        try (Producer<String> producer = client.newProducer(Schema.STRING).topic("public/default/stats").create()) {
            for (int i = 0; i < 10; i++) {
                producer.send("m" + i);
            }
            // example: producer-stats
            ProducerStats stats = producer.getStats();
            System.out.printf("%d sent, %d acked, %d failed, %d pending, p99 %.1f ms%n", stats.getMessagesSent(),
                    stats.getAcksReceived(), stats.getSendFailures(), stats.getPendingMessages(),
                    stats.getSendLatencyP99Ms());
            // end example
        }
    }

    static void partitionedTopic(String serviceUrl, TributaryClient client) throws Exception {
        // example: partitioned-topic
        // bin/tributary admin topics create public/default/payments --partitions 4
        try (Producer<String> producer = client.newProducer(Schema.STRING).topic("public/default/payments").create();
             Consumer<String> consumer = client.newConsumer(Schema.STRING).topic("public/default/payments")
                     .subscriptionName("ledger")
                     .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest)
                     .subscribe()) {
            MessageId id = producer.newMessage().key("customer-7").value("paid").send();
            System.out.println("stored on partition " + id.getPartition()); // the same for every message of the key
            Message<String> m = consumer.receive(5, TimeUnit.SECONDS);
            System.out.println(m.getValue() + " from " + m.getTopicName());
            consumer.acknowledge(m);                                         // on that partition's subscription
        }
        // end example
    }

    static void customRouter(String serviceUrl, TributaryClient client) throws Exception {
        // example: custom-router
        try (Producer<String> producer = client.newProducer(Schema.STRING).topic("public/default/payments")
                .messageRouter((msg, topic) -> "vip".equals(msg.getProperty("tier")) ? 0
                        : MessageRouter.partitionForKey(msg.getKey(), topic.numPartitions()))
                .create()) {
            MessageId id = producer.newMessage().key("customer-7").property("tier", "vip").value("paid").send();
            System.out.println("stored on partition " + id.getPartition());
        }
        // end example
    }

    static void pattern(String serviceUrl, TributaryClient client) throws Exception {
        // example: pattern
        try (Consumer<String> consumer = client.newConsumer(Schema.STRING)
                .topicsPattern("public/default/audit-.*")         // the whole name: tenant/namespace/topic
                .patternAutoDiscoveryPeriod(1, TimeUnit.SECONDS)  // default 1 minute
                .subscriptionName("archiver")
                .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest)
                .subscribe();
             Producer<String> producer = client.newProducer(Schema.STRING).topic("public/default/audit-logins").create()) {
            producer.send("alice");                               // on a topic created after the subscription
            Message<String> m = consumer.receive(30, TimeUnit.SECONDS);
            System.out.println(m.getValue() + " from " + m.getTopicName());
            consumer.acknowledge(m);
        }
        // end example
    }

    static void listener(String serviceUrl, TributaryClient client) throws Exception {
        // example: message-listener
        CountDownLatch sent = new CountDownLatch(3);
        try (Consumer<String> consumer = client.newConsumer(Schema.STRING).topic("public/default/mails")
                .subscriptionName("mailer")
                .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest)
                .messageListener((c, msg) -> {                    // on the consumer's own thread, in order
                    System.out.println("mail to " + msg.getValue());
                    c.acknowledgeAsync(msg);
                    sent.countDown();
                })
                .subscribe();
             Producer<String> producer = client.newProducer(Schema.STRING).topic("public/default/mails").create()) {
            for (String to : List.of("ann", "bob", "cid")) {
                producer.send(to);
            }
            sent.await(30, TimeUnit.SECONDS);
        }
        // end example
    }

    static void batchReceive(String serviceUrl, TributaryClient client) throws Exception {
        // example: batch-receive
        try (Consumer<String> consumer = client.newConsumer(Schema.STRING).topic("public/default/clicks")
                .subscriptionName("bulk-loader")
                .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest)
                .batchReceivePolicy(BatchReceivePolicy.builder()
                        .maxNumMessages(500).maxNumBytes(1024 * 1024).timeout(Duration.ofSeconds(5)).build())
                .subscribe()) {
            Messages<String> batch = consumer.batchReceive(); // 500 messages, 1 MiB, or what came within 5 s
            System.out.println(batch.size() + " clicks");
            consumer.acknowledge(batch);                      // one request per topic
        }
        // end example
    }

    static void reader(String serviceUrl, TributaryClient client) throws Exception {
        // example: reader
        try (Reader<String> reader = client.newReader(Schema.STRING).topic("public/default/orders")
                .startMessageId(MessageId.earliest)            // or MessageId.latest, or an id (after it)
                .create()) {
            Message<String> m = reader.readNext(5, TimeUnit.SECONDS);
            System.out.println("first: " + m.getValue());
        }
        // end example
    }

    static void readToTheEnd(String serviceUrl, TributaryClient client) throws Exception {
        // example: has-message-available
        try (Reader<String> reader = client.newReader(Schema.STRING).topic("public/default/orders")
                .startMessageId(MessageId.earliest).create()) {
            while (reader.hasMessageAvailable()) {
                Message<String> m = reader.readNext();
                System.out.println(m.getValue());
            }
        }
        // end example
    }

    // example: order-record
    public record Order(String id, long cents, List<String> items) {}
    // end example

    static void jsonSchema(String serviceUrl, TributaryClient client) throws Exception {
        // example: json-schema
        try (Producer<Order> producer = client.newProducer(Schema.JSON(Order.class)).topic("public/default/shop").create();
             Consumer<Order> consumer = client.newConsumer(Schema.JSON(Order.class)).topic("public/default/shop")
                     .subscriptionName("fulfilment").subscribe()) {
            producer.send(new Order("o-17", 4200, List.of("kettle", "tea")));
            try {
                Message<Order> m = consumer.receive();
                System.out.println("shipping " + m.getValue().items() + " of " + m.getValue().id());
                consumer.acknowledge(m);
            } catch (TributaryClientException.IncompatibleSchemaException e) {
                // written with another schema: e.getWriterSchema() / e.getReaderSchema() name both
                consumer.acknowledge(e.getMessageId());   // or negativeAcknowledge, or read the topic as BYTES
            }
        }
        // end example
    }

    static void admin(String serviceUrl, TributaryClient client) throws Exception {
        // example: admin
        try (TributaryAdmin admin = TributaryAdmin.builder().serviceUrl(serviceUrl)
                .operationTimeout(Duration.ofSeconds(30)).build()) {
            admin.tenants().create("acme");
            admin.namespaces().create("acme/payments", 8);                       // 8 bundles
            admin.namespaces().setPolicies("acme/payments", NamespacePolicies.builder()
                    .retentionTimeSeconds(3600).messageTtlSeconds(600)
                    .backlogQuota(1 << 30, BacklogQuotaPolicy.PRODUCER_REQUEST_HOLD).build());
            admin.topics().create("acme/payments/invoices", 4);                  // 4 partitions

            // consumers create subscriptions; here one that has fallen behind
            client.newConsumer().topic("acme/payments/invoices").subscriptionName("billing").subscribe().close();
            try (Producer<String> producer = client.newProducer(Schema.STRING).topic("acme/payments/invoices").create()) {
                for (int i = 0; i < 100; i++) {
                    producer.send("invoice-" + i);
                }
            }
            TopicStats stats = admin.topics().getStats("acme/payments/invoices");  // summed over the partitions
            System.out.println("billing is " + stats.subscription("billing").msgBacklog() + " behind");
            admin.subscriptions().clearBacklog("acme/payments/invoices", "billing");
            admin.subscriptions().reset("acme/payments/invoices", "billing", MessageId.earliest);
            long skipped = admin.subscriptions().skip("acme/payments/invoices-partition-2", "billing", 10);
            System.out.println("skipped " + skipped + " on partition 2");
        }
        // end example
    }

    /**
     * Compiled, not run by JavaClientDocTest (its standalone is plaintext without authentication):
     * the secure standalone's end-to-end tests cover a client with a token and TLS.
     */
    static void secure(String serviceUrl, TributaryClient unused) throws Exception {
        // example: secure
        try (TributaryClient client = TributaryClient.builder()
                .serviceUrl(serviceUrl)                                     // e.g. "tributary.example.com:6650"
                .authentication(Authentication.tokenFile(Path.of("/var/run/secrets/tributary/token")))
                .tls(TlsOptions.trusting(Path.of("/etc/tributary/ca.crt")))
                .build();
             TributaryAdmin admin = TributaryAdmin.builder()
                     .serviceUrl(serviceUrl)
                     .authentication(Authentication.tokenFile(Path.of("/var/run/secrets/tributary/admin-token")))
                     .tls(TlsOptions.trusting(Path.of("/etc/tributary/ca.crt"))
                             .withClientCertificate(Path.of("/etc/tributary/admin.crt"), Path.of("/etc/tributary/admin.key")))
                     .build()) {
            admin.tenants().list().forEach(System.out::println);
            client.newProducer(Schema.STRING).topic("acme/payments/invoices").create().send("paid");
        }
        // end example
    }

    /** Compiled, not run: a token from the application's own identity provider client. */
    static void tokenSupplier(String serviceUrl, java.util.function.Supplier<String> identityProvider) throws Exception {
        // example: token-supplier
        TributaryClient client = TributaryClient.builder()
                .serviceUrl("tls://tributary.example.com:6650")             // TLS, trusting the JDK's CAs
                .authentication(Authentication.token(identityProvider))     // asked again before each token expires
                .build();
        // end example
        client.close();
    }

    static void errors(String serviceUrl, TributaryClient client) throws Exception {
        try (Producer<byte[]> producer = client.newProducer().topic("public/default/uploads").create()) {
            // example: errors
            try {
                producer.send(new byte[6 * 1024 * 1024]);
            } catch (TributaryClientException.MessageTooLargeException e) {
                System.out.println(e.reason() + ": the producer stays usable");
            }
            producer.send("small".getBytes());
            // end example
        }
    }
}
