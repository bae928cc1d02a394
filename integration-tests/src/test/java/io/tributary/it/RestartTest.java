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
}
