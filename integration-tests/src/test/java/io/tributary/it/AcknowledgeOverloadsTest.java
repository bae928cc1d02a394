package io.tributary.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.cli.Standalone;
import io.tributary.client.BatchReceivePolicy;
import io.tributary.client.Consumer;
import io.tributary.client.Message;
import io.tributary.client.MessageId;
import io.tributary.client.Messages;
import io.tributary.client.Producer;
import io.tributary.client.Schema;
import io.tributary.client.SubscriptionInitialPosition;
import io.tributary.client.SubscriptionType;
import io.tributary.client.TributaryClient;
import io.tributary.client.TributaryClientException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Pulsar-style acknowledgement overloads of {@code Consumer} against a real broker: what a
 * consumer that comes back to the subscription is (or is not) given again.
 */
class AcknowledgeOverloadsTest {
    @TempDir
    static Path dir;
    static Standalone standalone;
    static TributaryClient client;

    @BeforeAll
    static void start() throws Exception {
        standalone = TestClusters.start(dir.toFile());
        client = TributaryClient.builder().serviceUrl(standalone.serviceUrl()).build();
    }

    @AfterAll
    static void stop() throws Exception {
        client.close();
        standalone.close();
    }

    private static void publish(String topic, int n) throws Exception {
        try (Producer<String> p = client.newProducer(Schema.STRING).topic(topic).enableBatching(false).create()) {
            for (int i = 0; i < n; i++) {
                p.send("m" + i);
            }
        }
    }

    private static Consumer<String> consumer(String topic, SubscriptionType type) throws Exception {
        return client.newConsumer(Schema.STRING).topic(topic).subscriptionName("s").subscriptionType(type)
                .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest)
                .negativeAckRedeliveryDelay(0, TimeUnit.MILLISECONDS)
                .batchReceivePolicy(BatchReceivePolicy.builder().maxNumMessages(3).timeout(Duration.ofSeconds(10)).build())
                .subscribe();
    }

    private static List<String> receive(Consumer<String> c, int n) throws Exception {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Message<String> m = c.receive(10, TimeUnit.SECONDS);
            assertThat(m).as("message %d of %d", i + 1, n).isNotNull();
            out.add(m.getValue());
        }
        return out;
    }

    @Test
    void aCumulativeAckByMessageLeavesOnlyTheLaterMessagesForTheNextConsumer() throws Exception {
        String topic = "public/default/ack-cumulative-message";
        publish(topic, 5);
        try (Consumer<String> c = consumer(topic, SubscriptionType.Exclusive)) {
            Message<String> third = null;
            for (int i = 0; i < 3; i++) {
                third = c.receive(10, TimeUnit.SECONDS);
            }
            c.acknowledgeCumulative(third);
        }
        try (Consumer<String> again = consumer(topic, SubscriptionType.Exclusive)) {
            assertThat(receive(again, 2)).containsExactly("m3", "m4");
        }
    }

    @Test
    void aListOfIdsIsAcknowledgedAsAWholeAndNotDeliveredAgain() throws Exception {
        String topic = "public/default/ack-list";
        publish(topic, 4);
        List<MessageId> firstThree = new ArrayList<>();
        try (Consumer<String> c = consumer(topic, SubscriptionType.Shared)) {
            for (int i = 0; i < 3; i++) {
                firstThree.add(c.receive(10, TimeUnit.SECONDS).getMessageId());
            }
            c.acknowledge(firstThree);
            assertThatThrownBy(() -> c.acknowledgeAsync(firstThree.subList(0, 1)).get(10, TimeUnit.SECONDS))
                    .hasCauseInstanceOf(TributaryClientException.AlreadyAcknowledgedException.class);
        }
        try (Consumer<String> again = consumer(topic, SubscriptionType.Shared)) {
            assertThat(receive(again, 1)).containsExactly("m3");
            assertThat(again.receive(1, TimeUnit.SECONDS)).isNull();
        }
    }

    @Test
    void aNegativelyAcknowledgedBatchComesBackWhole() throws Exception {
        String topic = "public/default/nack-batch";
        publish(topic, 3);
        try (Consumer<String> c = consumer(topic, SubscriptionType.Shared)) {
            Messages<String> batch = c.batchReceive();
            assertThat(batch.size()).isEqualTo(3);
            c.negativeAcknowledge(batch);
            assertThat(receive(c, 3)).containsExactlyInAnyOrder("m0", "m1", "m2");
        }
    }
}
