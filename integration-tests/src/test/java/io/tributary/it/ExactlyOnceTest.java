package io.tributary.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.cli.Standalone;
import io.tributary.client.Message;
import io.tributary.client.MessageId;
import io.tributary.client.Producer;
import io.tributary.client.ProducerStats;
import io.tributary.client.Reader;
import io.tributary.client.Schema;
import io.tributary.client.TributaryClient;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Idempotent producing on real ZooKeeper and BookKeeper: a producer streams through a
 * {@link ChaosProxy} that keeps dropping its connections to the proxy, so batches are stored
 * without their answer reaching the producer, and resent. Reading the topic back from the start
 * must show every message exactly once, in the order sent.
 */
class ExactlyOnceTest {
    private static final String END = "END";
    /** Values of about 100 bytes, so that the traffic and the cuts are realistic. */
    private static final String PADDING = "x".repeat(92);

    @TempDir
    static Path dir;
    static Standalone standalone;
    /** Talks to the proxy directly, for the end marker and the reader. */
    static TributaryClient direct;
    /** The id each send completed with, by topic and index, to compare with what a reader finds. */
    static final Map<String, MessageId> SENT_IDS = new ConcurrentHashMap<>();

    @BeforeAll
    static void start() throws Exception {
        standalone = TestClusters.start(dir.toFile());
        direct = TributaryClient.builder().serviceUrl(standalone.serviceUrl()).build();
    }

    @AfterAll
    static void stop() throws Exception {
        direct.close();
        standalone.close();
    }

    private static String value(int i) {
        return String.format("%08d", i) + PADDING;
    }

    @Test
    void batchedMessagesAreStoredExactlyOnceInOrderAcrossDroppedConnections() throws Exception {
        // at most 500 pending messages (~60 KiB) are resent after a cut, well below the 224 KiB
        // that get through between two cuts
        produceThroughChaos("public/default/exactly-once-batched", true, 20_000, 500, 224 * 1024);
        assertStoredOnceInOrder("public/default/exactly-once-batched", 20_000);
    }

    @Test
    void singleMessagesAreStoredExactlyOnceInOrderAcrossDroppedConnections() throws Exception {
        // 200 pending single messages (~40 KiB with their framing) are resent after a cut, half of the 80 KiB
        produceThroughChaos("public/default/exactly-once-unbatched", false, 4_000, 200, 80 * 1024);
        assertStoredOnceInOrder("public/default/exactly-once-unbatched", 4_000);
    }

    private static void produceThroughChaos(String topic, boolean batching, int count, int maxPending,
                                            long cutEveryBytes) throws Exception {
        try (ChaosProxy chaos = ChaosProxy.start(standalone.proxyPort(), cutEveryBytes);
             TributaryClient client = TributaryClient.builder().serviceUrl(chaos.address()).build()) {
            Producer<String> producer = client.newProducer(Schema.STRING).topic(topic)
                    .producerName("exactly-once-" + (batching ? "batched" : "unbatched"))
                    .enableBatching(batching).maxPendingMessages(maxPending).create();
            List<CompletableFuture<MessageId>> sent = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                sent.add(producer.sendAsync(value(i)));
            }
            producer.flush();
            CompletableFuture.allOf(sent.toArray(new CompletableFuture<?>[0])).get(30, TimeUnit.SECONDS);
            ProducerStats stats = producer.getStats();
            producer.close();
            // a resend of a stored batch is answered as a duplicate, with the position the original got
            assertThat(sent).as("every send has a position").allMatch(f -> f.join().getLedgerId() >= 0);
            for (int i = 0; i < count; i++) {
                SENT_IDS.put(topic + "/" + i, sent.get(i).join());
            }

            assertThat(stats.getAcksReceived()).isEqualTo(count);
            assertThat(stats.getSendFailures()).isZero();
            assertThat(stats.getMessagesSent()).isEqualTo(count);
            // the faults really happened, and the producer came back each time
            assertThat(chaos.cuts()).as("connection cuts").isGreaterThanOrEqualTo(8);
            assertThat(chaos.connections()).as("connections").isGreaterThan(chaos.cuts() / 2);
            System.out.printf("%s: %d messages, %d cuts, %d connections, %d bytes forwarded,"
                            + " send latency p50 %.1f ms, p99 %.1f ms, max %.1f ms%n", topic, count,
                    chaos.cuts(), chaos.connections(), chaos.forwarded(),
                    stats.getSendLatencyP50Ms(), stats.getSendLatencyP99Ms(), stats.getSendLatencyMaxMs());
        }
        try (Producer<String> end = direct.newProducer(Schema.STRING).topic(topic).create()) {
            end.send(END);
        }
    }

    /** Reads the topic from the start up to the end marker; each value must be the next index. */
    private static void assertStoredOnceInOrder(String topic, int count) throws Exception {
        List<Integer> indexes = new ArrayList<>(count);
        try (Reader<String> reader = direct.newReader(Schema.STRING).topic(topic).startMessageId(MessageId.earliest)
                .create()) {
            while (true) {
                Message<String> m = reader.readNext(30, TimeUnit.SECONDS);
                assertThat(m).as("a message after %d of %d", indexes.size(), count).isNotNull();
                if (m.getValue().equals(END)) {
                    break;
                }
                int index = Integer.parseInt(m.getValue().substring(0, 8));
                indexes.add(index);
                assertThat(SENT_IDS.get(topic + "/" + index)).as("the id the send of %d completed with", index)
                        .isEqualTo(m.getMessageId());
            }
        }
        // a precise first difference rather than a listing of twenty thousand numbers
        for (int i = 0; i < Math.min(count, indexes.size()); i++) {
            assertThat(indexes.get(i)).as("message at position %d (a duplicate or a gap before it)", i).isEqualTo(i);
        }
        assertThat(indexes).as("messages stored").hasSize(count);
    }
}
