package io.tributary.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.cli.Standalone;
import io.tributary.cli.TributaryCli;
import io.tributary.client.BatchReceivePolicy;
import io.tributary.client.Consumer;
import io.tributary.client.Message;
import io.tributary.client.MessageId;
import io.tributary.client.MessageRouter;
import io.tributary.client.Messages;
import io.tributary.client.Producer;
import io.tributary.client.Schema;
import io.tributary.client.SubscriptionInitialPosition;
import io.tributary.client.TributaryClient;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The examples of the sections on partitioned topics, several topics, message listeners and batch
 * receive in {@code docs/java-client.md}, compiled and run against a standalone Tributary. The
 * code between {@code // example: NAME} and {@code // end example} is what the page shows.
 */
class TopicsDocExamplesTest {
    @TempDir
    static Path dir;
    static Standalone standalone;
    static TributaryClient client;

    @BeforeAll
    static void start() throws Exception {
        standalone = TestClusters.start(dir.toFile());
        client = TributaryClient.builder().serviceUrl(standalone.serviceUrl()).build();
        int created = TributaryCli.commandLine().execute("admin", "topics", "create", "public/default/payments",
                "--partitions", "4", "-u", standalone.serviceUrl());
        assertThat(created).isZero();
    }

    @AfterAll
    static void stop() throws Exception {
        client.close();
        standalone.close();
    }

    interface Example {
        void run(TributaryClient client) throws Exception;
    }

    /** Runs an example and returns the lines it printed. */
    static synchronized List<String> run(Example example) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream original = System.out;
        System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        try {
            example.run(client);
        } finally {
            System.setOut(original);
        }
        return bytes.toString(StandardCharsets.UTF_8).lines().toList();
    }

    static void partitionedTopic(TributaryClient client) throws Exception {
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

    static void customRouter(TributaryClient client) throws Exception {
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

    static void pattern(TributaryClient client) throws Exception {
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

    static void listener(TributaryClient client) throws Exception {
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

    static void batchReceive(TributaryClient client) throws Exception {
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

    @Test
    void partitionedTopicAndCustomRouter() throws Exception {
        int partition = MessageRouter.partitionForKey("customer-7", 4);
        assertThat(run(TopicsDocExamplesTest::partitionedTopic)).containsExactly("stored on partition " + partition,
                "paid from public/default/payments-partition-" + partition);
        assertThat(run(TopicsDocExamplesTest::customRouter)).containsExactly("stored on partition 0");
    }

    @Test
    void patternSubscription() throws Exception {
        assertThat(run(TopicsDocExamplesTest::pattern)).containsExactly("alice from public/default/audit-logins");
    }

    @Test
    void messageListener() throws Exception {
        assertThat(run(TopicsDocExamplesTest::listener)).containsExactly("mail to ann", "mail to bob", "mail to cid");
    }

    @Test
    void batchReceiveOfABacklog() throws Exception {
        try (Producer<String> p = client.newProducer(Schema.STRING).topic("public/default/clicks").create()) {
            for (int i = 0; i < 1200; i++) {
                p.sendAsync("click-" + i);
            }
            p.flush();
        }
        assertThat(run(TopicsDocExamplesTest::batchReceive)).containsExactly("500 clicks");
    }
}
