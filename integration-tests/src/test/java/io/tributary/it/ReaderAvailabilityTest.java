package io.tributary.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.cli.Standalone;
import io.tributary.client.Consumer;
import io.tributary.client.Message;
import io.tributary.client.MessageId;
import io.tributary.client.Producer;
import io.tributary.client.Reader;
import io.tributary.client.Schema;
import io.tributary.client.SubscriptionInitialPosition;
import io.tributary.client.TributaryClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code Reader.hasMessageAvailable} and {@code Consumer.getLastMessageId} through the proxy: the
 * topic's owner tells its last message id, and the reader compares it with its position, also
 * inside a batch.
 */
class ReaderAvailabilityTest {
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

    private static Reader<String> reader(String topic, MessageId start) throws Exception {
        return client.newReader(Schema.STRING).topic(topic).startMessageId(start).create();
    }

    private static List<MessageId> sendUnbatched(String topic, String... values) throws Exception {
        List<MessageId> ids = new ArrayList<>();
        try (Producer<String> p = client.newProducer(Schema.STRING).topic(topic).enableBatching(false).create()) {
            for (String v : values) {
                ids.add(p.send(v));
            }
        }
        return ids;
    }

    /** Sends the values as one batch (one entry) and returns their ids. */
    private static List<MessageId> sendBatch(String topic, int n) throws Exception {
        try (Producer<String> p = client.newProducer(Schema.STRING).topic(topic).batchingMaxMessages(n)
                .batchingMaxPublishDelay(Duration.ofSeconds(10)).create()) {
            List<CompletableFuture<MessageId>> sent = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                sent.add(p.sendAsync("b" + i));
            }
            p.flush();
            List<MessageId> ids = new ArrayList<>();
            for (CompletableFuture<MessageId> f : sent) {
                ids.add(f.get(30, TimeUnit.SECONDS));
            }
            return ids;
        }
    }

    private static List<String> readAll(Reader<String> r) throws Exception {
        List<String> out = new ArrayList<>();
        while (r.hasMessageAvailable()) {
            Message<String> m = r.readNext(30, TimeUnit.SECONDS);
            assertThat(m).as("hasMessageAvailable said there was one").isNotNull();
            out.add(m.getValue());
        }
        return out;
    }

    @Test
    void anEmptyTopicHasNothing_afterPublishingItHas_afterReadingEverythingItHasNot() throws Exception {
        String topic = "public/default/availability-plain";
        try (Reader<String> r = reader(topic, MessageId.earliest)) {
            assertThat(r.hasMessageAvailable()).isFalse();
            assertThat(r.hasMessageAvailableAsync().get(30, TimeUnit.SECONDS)).isFalse();
            sendUnbatched(topic, "a", "b", "c");
            assertThat(r.hasMessageAvailable()).isTrue();
            assertThat(readAll(r)).containsExactly("a", "b", "c");
            assertThat(r.hasMessageAvailable()).isFalse();
            sendUnbatched(topic, "d");
            assertThat(r.hasMessageAvailable()).isTrue();
            assertThat(r.readNext(30, TimeUnit.SECONDS).getValue()).isEqualTo("d");
            assertThat(r.hasMessageAvailable()).isFalse();

            // a seek back makes everything available again
            r.seek(MessageId.earliest);
            assertThat(readAll(r)).containsExactly("a", "b", "c", "d");
        }
    }

    @Test
    void aReaderAtLatestHasNothingUntilSomethingNewIsPublished() throws Exception {
        String topic = "public/default/availability-latest";
        sendUnbatched(topic, "old-1", "old-2");
        try (Reader<String> r = reader(topic, MessageId.latest)) {
            assertThat(r.hasMessageAvailable()).as("what was there before it started is not its to read").isFalse();
            sendUnbatched(topic, "new");
            assertThat(r.hasMessageAvailable()).isTrue();
            assertThat(readAll(r)).containsExactly("new");
        }
    }

    @Test
    void positionsInsideABatchCount() throws Exception {
        String topic = "public/default/availability-batch";
        List<MessageId> ids = sendBatch(topic, 5);
        assertThat(ids).extracting(MessageId::getBatchIndex).containsExactly(0, 1, 2, 3, 4);
        assertThat(ids).extracting(MessageId::getEntryId).containsOnly(ids.get(0).getEntryId());

        try (Reader<String> r = reader(topic, MessageId.earliest)) {
            assertThat(r.readNext(30, TimeUnit.SECONDS).getValue()).isEqualTo("b0");
            assertThat(r.readNext(30, TimeUnit.SECONDS).getValue()).isEqualTo("b1");
            assertThat(r.hasMessageAvailable()).isTrue();
            assertThat(readAll(r)).containsExactly("b2", "b3", "b4");
            assertThat(r.hasMessageAvailable()).isFalse();
        }
        // started after a message in the middle of the batch: the rest of the batch is there
        try (Reader<String> r = reader(topic, ids.get(2))) {
            assertThat(readAll(r)).containsExactly("b3", "b4");
        }
        // started after the last message of the batch: nothing
        try (Reader<String> r = reader(topic, ids.get(4))) {
            assertThat(r.hasMessageAvailable()).isFalse();
        }
        // at the last message itself
        try (Reader<String> r = client.newReader(Schema.STRING).topic(topic).startMessageId(ids.get(4))
                .startMessageIdInclusive().create()) {
            assertThat(readAll(r)).containsExactly("b4");
        }
    }

    @Test
    void aConsumerLearnsTheLastMessageId() throws Exception {
        String topic = "public/default/last-id";
        try (Consumer<String> c = client.newConsumer(Schema.STRING).topic(topic).subscriptionName("audit")
                .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe()) {
            assertThat(c.getLastMessageId()).as("an empty topic").isEqualTo(MessageId.earliest);
            List<MessageId> ids = sendBatch(topic, 3);
            MessageId last = c.getLastMessageId();
            assertThat(last).isEqualTo(ids.get(2));
            assertThat(last.getBatchSize()).isEqualTo(3);
            assertThat(c.getLastMessageIdAsync().get(30, TimeUnit.SECONDS)).isEqualTo(ids.get(2));
            List<MessageId> more = sendUnbatched(topic, "x");
            assertThat(c.getLastMessageId()).isEqualTo(more.get(0)).isGreaterThan(last);
        }
    }
}
