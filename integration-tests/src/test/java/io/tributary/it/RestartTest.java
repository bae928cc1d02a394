package io.tributary.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.cli.Standalone;
import io.tributary.client.Consumer;
import io.tributary.client.Message;
import io.tributary.client.Producer;
import io.tributary.client.Schema;
import io.tributary.client.SubscriptionInitialPosition;
import io.tributary.client.SubscriptionType;
import io.tributary.client.TributaryClient;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Stopping the whole standalone and starting it again on the same data directory loses nothing. */
class RestartTest {
    @TempDir
    Path dir;

    private static Consumer<String> subscribe(TributaryClient client, String topic, String sub) throws Exception {
        return client.newConsumer(Schema.STRING).topic(topic).subscriptionName(sub)
                .subscriptionType(SubscriptionType.Exclusive)
                .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe();
    }

    @Test
    void everyAcknowledgedMessageSurvivesAndTheSubscriptionResumesAfterItsLastAck() throws Exception {
        Standalone.Options options = TestClusters.options(dir.toFile(), UnaryOperator.identity());
        String topic = "public/default/durable";

        Standalone first = new Standalone(options).start();
        try (TributaryClient client = TributaryClient.builder().serviceUrl(first.serviceUrl()).build()) {
            try (Producer<String> producer = client.newProducer(Schema.STRING).topic(topic).create()) {
                for (int i = 0; i < 100; i++) {
                    producer.sendAsync("m-" + i);
                }
                producer.flush();
            }
            try (Consumer<String> consumer = subscribe(client, topic, "resume")) {
                for (int i = 0; i < 40; i++) {
                    Message<String> m = consumer.receive(30, TimeUnit.SECONDS);
                    assertThat(m.getValue()).isEqualTo("m-" + i);
                    consumer.acknowledge(m);
                }
            }
        } finally {
            first.close();
        }

        Standalone second = new Standalone(options).start();
        try (TributaryClient client = TributaryClient.builder().serviceUrl(second.serviceUrl()).build()) {
            try (Consumer<String> consumer = subscribe(client, topic, "resume")) {
                for (int i = 40; i < 100; i++) {
                    Message<String> m = consumer.receive(30, TimeUnit.SECONDS);
                    assertThat(m).as("message %d after restart", i).isNotNull();
                    assertThat(m.getValue()).isEqualTo("m-" + i);
                    consumer.acknowledge(m);
                }
                assertThat(consumer.receive(200, TimeUnit.MILLISECONDS)).isNull();
            }
            // a new subscription from the earliest position sees every message from before the restart
            try (Consumer<String> fresh = subscribe(client, topic, "fresh")) {
                for (int i = 0; i < 100; i++) {
                    assertThat(fresh.receive(30, TimeUnit.SECONDS).getValue()).isEqualTo("m-" + i);
                }
            }
            // and the topic keeps taking writes
            try (Producer<String> producer = client.newProducer(Schema.STRING).topic(topic).create()) {
                assertThat(producer.send("after-restart")).isNotNull();
            }
        } finally {
            second.close();
        }
    }

    /**
     * 25,000 acknowledgement holes (every other message of 50,000 acknowledged one by one) are more
     * than ZooKeeper holds inline, so the cursor spills to a cursor ledger; after a restart exactly the
     * unacknowledged half comes back. A delayed message on a Shared subscription is still held back
     * after the restart and delivered at its time.
     */
    @Test
    void ackHolesAndDelayedMessagesSurviveARestart() throws Exception {
        int n = 50_000;
        String topic = "public/default/holes";
        Standalone.Options options = TestClusters.options(dir.toFile(), UnaryOperator.identity());
        long deliverAt;
        Standalone first = new Standalone(options).start();
        try (TributaryClient client = TributaryClient.builder().serviceUrl(first.serviceUrl()).build();
             Consumer<String> holes = subscribe(client, topic, "holes");
             Consumer<String> delayed = client.newConsumer(Schema.STRING).topic(topic + "-delayed").subscriptionName("d")
                     .subscriptionType(SubscriptionType.Shared).subscribe();
             Producer<String> producer = client.newProducer(Schema.STRING).topic(topic).enableBatching(false).create();
             Producer<String> later = client.newProducer(Schema.STRING).topic(topic + "-delayed").create()) {
            java.util.List<java.util.concurrent.CompletableFuture<io.tributary.client.MessageId>> sent = new java.util.ArrayList<>();
            for (int i = 0; i < n; i++) {
                sent.add(producer.sendAsync("m" + i));
            }
            for (var f : sent) {
                f.get(60, TimeUnit.SECONDS);
            }
            java.util.List<java.util.concurrent.CompletableFuture<Void>> acks = new java.util.ArrayList<>();
            for (int i = 0; i < n; i++) {
                Message<String> m = holes.receive(30, TimeUnit.SECONDS);
                assertThat(m.getValue()).isEqualTo("m" + i);
                if (i % 2 == 1) {
                    acks.add(holes.acknowledgeAsync(m));
                }
            }
            for (var f : acks) {
                f.get(60, TimeUnit.SECONDS);
            }
            deliverAt = System.currentTimeMillis() + 4_000;
            later.newMessage().value("at its time").deliverAt(deliverAt).send();
            assertThat(delayed.receive(500, TimeUnit.MILLISECONDS)).isNull();
        } finally {
            first.close();
        }

        Standalone second = new Standalone(options).start();
        try (TributaryClient client = TributaryClient.builder().serviceUrl(second.serviceUrl()).build();
             Consumer<String> holes = subscribe(client, topic, "holes");
             Consumer<String> delayed = client.newConsumer(Schema.STRING).topic(topic + "-delayed").subscriptionName("d")
                     .subscriptionType(SubscriptionType.Shared).subscribe()) {
            for (int i = 0; i < n; i += 2) {
                Message<String> m = holes.receive(30, TimeUnit.SECONDS);
                assertThat(m).as("unacknowledged message %d after restart", i).isNotNull();
                assertThat(m.getValue()).as("only unacknowledged messages come back").isEqualTo("m" + i);
            }
            assertThat(holes.receive(500, TimeUnit.MILLISECONDS)).as("no acknowledged message comes back").isNull();

            Message<String> m = delayed.receive(30, TimeUnit.SECONDS);
            assertThat(m.getValue()).isEqualTo("at its time");
            assertThat(System.currentTimeMillis()).as("not before its time, even across the restart").isGreaterThanOrEqualTo(deliverAt);
        } finally {
            second.close();
        }
    }
}
