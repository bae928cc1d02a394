package io.tributary.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.api.v1.ErrorReason;
import io.tributary.cli.Standalone;
import io.tributary.client.Consumer;
import io.tributary.client.Message;
import io.tributary.client.MessageId;
import io.tributary.client.Producer;
import io.tributary.client.Schema;
import io.tributary.client.SubscriptionInitialPosition;
import io.tributary.client.TributaryClient;
import io.tributary.protocol.ErrorReasons;
import io.tributary.protocol.TopicName;
import io.tributary.storage.embedded.EmbeddedBookie;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Standalone with --bookies 3: every acknowledged entry is on two bookies (read from each bookie's own
 * storage), and losing one bookie loses nothing acknowledged while publishing goes on.
 */
class ThreeBookiesTest {
    private static final String TOPIC = "public/default/replicated";

    @TempDir
    Path dir;

    @Test
    void everyAcknowledgedEntryIsOnTwoBookiesAndSurvivesTheLossOfOne() throws Exception {
        Standalone.Options base = TestClusters.options(dir.toFile(), UnaryOperator.identity());
        Standalone.Options three = new Standalone.Options(base.dataDir(), 3, base.zkPort(),
                TestClusters.freePorts(3, base.zkPort(), base.brokerPort(), base.proxyPort()),
                base.brokerPort(), base.proxyPort(), false, base.brokerSettings());
        try (Standalone standalone = new Standalone(three).start();
             TributaryClient client = TributaryClient.builder().serviceUrl(standalone.serviceUrl()).build();
             Producer<String> producer = client.newProducer(Schema.STRING).topic(TOPIC).create()) {
            List<MessageId> acked = sendAll(producer, "before-", 200);

            // each entry, read from each bookie's own storage: two copies, the same bytes
            Set<List<Long>> entries = entriesOf(acked);
            List<EmbeddedBookie> bookies = standalone.bookies();
            EmbeddedBookie holdingTheFirst = null;
            for (List<Long> e : entries) {
                List<byte[]> copies = new ArrayList<>();
                for (EmbeddedBookie b : bookies) {
                    byte[] copy = b.readStoredEntry(e.get(0), e.get(1));
                    if (copy != null) {
                        copies.add(copy);
                        if (holdingTheFirst == null) {
                            holdingTheFirst = b;
                        }
                    }
                }
                assertThat(copies).as("copies of entry %s", e).hasSize(2);
                assertThat(Arrays.equals(copies.get(0), copies.get(1))).as("both copies of entry %s are equal", e).isTrue();
            }

            // one bookie holding copies goes: publishing goes on (the ledger moves to the third bookie) ...
            holdingTheFirst.close();
            List<MessageId> after = sendAll(producer, "after-", 100);
            assertThat(after).hasSize(100);

            // ... and everything acknowledged is still read, from storage: the topic is reloaded, so no
            // entry comes from the broker's memory
            standalone.broker().topics().unload(TopicName.of(TOPIC),
                    ErrorReasons.detail(ErrorReason.BUNDLE_MOVING, "test reloads the topic")).get(60, TimeUnit.SECONDS);
            try (Consumer<String> consumer = client.newConsumer(Schema.STRING).topic(TOPIC).subscriptionName("audit")
                    .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe()) {
                for (int i = 0; i < 300; i++) {
                    Message<String> m = consumer.receive(60, TimeUnit.SECONDS);
                    assertThat(m).as("message %s", i).isNotNull();
                    assertThat(m.getValue()).isEqualTo(i < 200 ? "before-" + i : "after-" + (i - 200));
                    consumer.acknowledge(m);
                }
            }
        }
    }

    private static List<MessageId> sendAll(Producer<String> producer, String prefix, int n) throws Exception {
        List<CompletableFuture<MessageId>> sends = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            sends.add(producer.sendAsync(prefix + i));
        }
        producer.flush();
        List<MessageId> ids = new ArrayList<>();
        for (CompletableFuture<MessageId> f : sends) {
            ids.add(f.get(60, TimeUnit.SECONDS));
        }
        return ids;
    }

    /** The (ledger, entry) pairs that hold the messages, in order. */
    private static Set<List<Long>> entriesOf(List<MessageId> ids) {
        Set<List<Long>> out = new LinkedHashSet<>();
        for (MessageId id : ids) {
            out.add(List.of(id.getLedgerId(), id.getEntryId()));
        }
        return out;
    }
}
