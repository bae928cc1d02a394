package io.tributary.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.broker.topic.Topic;
import io.tributary.client.Message;
import io.tributary.client.MessageId;
import io.tributary.client.Producer;
import io.tributary.client.Reader;
import io.tributary.client.Schema;
import io.tributary.client.TributaryClient;
import io.tributary.storage.StorageClients;
import io.tributary.storage.embedded.EmbeddedBookie;
import java.io.File;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The only bookie stops while a producer sends through the proxy, and starts again: every send the
 * SDK reported as stored must be read back, once. Before issue 10's fix, appends queued behind a
 * failed one landed in the next ledger, the producer's stored sequence id jumped past the failed
 * batches, and their resend was answered as a duplicate that the SDK took for success: acknowledged,
 * never stored.
 */
class BookieOutageTest {
    private static final String END = "END";

    @TempDir
    Path dir;

    @Test
    void everySendReportedAsStoredIsReadableAfterABookieOutage() throws Exception {
        String topic = "public/default/bookie-outage";
        Map<String, CompletableFuture<MessageId>> sends = new LinkedHashMap<>();
        try (InProcessCluster cluster = new InProcessCluster(dir.toFile())) {
            cluster.addBroker(c -> c);
            EmbeddedBookie restarted = null;
            try (TributaryClient client = TributaryClient.builder().serviceUrl(cluster.serviceUrl()).build();
                 Producer<String> producer = client.newProducer(Schema.STRING).topic(topic).producerName("outage")
                         .sendTimeout(Duration.ofMinutes(3)).maxPendingMessages(20_000).create()) {
                int next = 0;
                for (; next < 200; next++) {
                    sends.put("m" + next, producer.sendAsync("m" + next));
                }
                producer.flush();

                int port = cluster.bookie.port();
                cluster.bookie.close();
                next = sendFor(producer, sends, next, Duration.ofSeconds(3));
                restarted = EmbeddedBookie.start(StorageClients.metadataServiceUri(cluster.zk.connectString(), "/ledgers"),
                        new File(dir.toFile(), "bookie"), port, false);
                sendFor(producer, sends, next, Duration.ofSeconds(3));
                producer.send(END);

                CompletableFuture.allOf(sends.values().stream().map(f -> f.handle((v, e) -> null))
                        .toArray(CompletableFuture[]::new)).get(4, TimeUnit.MINUTES);
                // the outage was real: the write failed and the log moved on to a new ledger
                Topic t = cluster.brokers.get(0).topics().loadedTopicsNow().stream()
                        .filter(x -> x.name().toString().contains("bookie-outage")).findFirst().orElseThrow();
                assertThat(t.log().ledgerCount()).isGreaterThanOrEqualTo(2);

                Set<String> acked = new HashSet<>();
                sends.forEach((value, f) -> {
                    if (!f.isCompletedExceptionally()) {
                        acked.add(value);
                    }
                });
                List<String> read = readToEnd(client, topic);
                Set<String> lost = new TreeSet<>(acked);
                read.forEach(lost::remove);
                Set<String> seen = new HashSet<>();
                Set<String> duplicated = new TreeSet<>();
                read.forEach(v -> {
                    if (!seen.add(v)) {
                        duplicated.add(v);
                    }
                });
                assertThat("lost " + lost + ", duplicated " + duplicated)
                        .as("of %d sends reported as stored and %d read", acked.size(), read.size())
                        .isEqualTo("lost [], duplicated []");
                assertThat(acked).as("sends reported as stored").hasSizeGreaterThan(200);
            } finally {
                if (restarted != null) {
                    restarted.close();
                }
            }
        }
    }

    /** Sends for {@code duration} at about 250 messages a second, as an application would during the fault. */
    private static int sendFor(Producer<String> producer, Map<String, CompletableFuture<MessageId>> sends, int next,
                               Duration duration) {
        long end = System.nanoTime() + duration.toNanos();
        int i = next;
        while (System.nanoTime() < end) {
            String value = "m" + i++;
            sends.put(value, producer.sendAsync(value));
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(4)); // the application's pace, not a wait
        }
        return i;
    }

    private static List<String> readToEnd(TributaryClient client, String topic) throws Exception {
        List<String> out = new ArrayList<>();
        try (Reader<String> reader = client.newReader(Schema.STRING).topic(topic).startMessageId(MessageId.earliest)
                .create()) {
            while (true) {
                Message<String> m = reader.readNext(60, TimeUnit.SECONDS);
                assertThat(m).as("a message after %d", out.size()).isNotNull();
                if (m.getValue().equals(END)) {
                    return out;
                }
                out.add(m.getValue());
            }
        }
    }
}
