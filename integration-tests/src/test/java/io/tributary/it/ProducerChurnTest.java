package io.tributary.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tributary.api.v1.ErrorReason;
import io.tributary.cli.Standalone;
import io.tributary.client.Producer;
import io.tributary.client.Schema;
import io.tributary.client.TributaryClient;
import io.tributary.protocol.ErrorReasons;
import io.tributary.protocol.TopicName;
import io.tributary.storage.StorageClients;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A job that creates a named producer now and then must not grow its topic's metadata forever:
 * producers inactive for {@code broker.dedupProducerInactivityTimeout} are forgotten, and the
 * topic's ledger list never carries them.
 */
class ProducerChurnTest {
    private static final String TOPIC = "public/default/churn";

    @TempDir
    Path dir;

    @Test
    void shortLivedProducersAreForgottenAfterTheInactivityTimeAndTheTopicMetadataStaysSmall() throws Exception {
        Standalone.Options options = TestClusters.options(dir.toFile(), c -> c.toBuilder()
                .policyCheckInterval(Duration.ofMillis(300)).dedupProducerInactivityTimeout(Duration.ofSeconds(2)).build());
        try (Standalone standalone = new Standalone(options).start();
             TributaryClient client = TributaryClient.builder().serviceUrl(standalone.serviceUrl()).build();
             CuratorFramework zk = StorageClients.curator(standalone.zookeeperConnect(), "/tributary", Duration.ofSeconds(30));
             Producer<String> keeper = client.newProducer(Schema.STRING).topic(TOPIC).producerName("keeper").create()) {
            keeper.send("from the one that stays connected");
            for (int i = 0; i < 60; i++) {
                try (Producer<String> job = client.newProducer(Schema.STRING).topic(TOPIC)
                        .producerName("nightly-job-run-" + i).create()) {
                    job.send("run " + i);
                }
            }

            // within a few inactivity times, the topic's stored state names no job run any more
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
                    assertThat(storedState(zk)).as("job runs forgotten within 60 s")
                            .doesNotContain("nightly-job-run-").contains("keeper"));

            // reloaded (its ledger list rewritten, its state read back): still none of them, the keeper kept
            standalone.broker().topics().unload(TopicName.of(TOPIC),
                    ErrorReasons.detail(ErrorReason.BUNDLE_MOVING, "test reloads the topic")).get(60, TimeUnit.SECONDS);
            try (Producer<String> again = client.newProducer(Schema.STRING).topic(TOPIC)
                    .producerName("nightly-job-run-0").create()) {
                assertThat(again.getLastSequenceId()).as("a forgotten producer starts afresh").isEqualTo(-1);
            }
            keeper.send("still deduplicated");
            assertThat(keeper.getLastSequenceId()).isEqualTo(1);
            String ledgerList = znode(zk, "/topics/" + TOPIC);
            assertThat(ledgerList).doesNotContain("nightly-job-run-").doesNotContain("keeper");
            assertThat(ledgerList.length()).as("the ledger list's size").isLessThan(1024);
        }
    }

    /** What ZooKeeper holds for the topic: its ledger list and its deduplication snapshot, as text. */
    private static String storedState(CuratorFramework zk) throws Exception {
        return znode(zk, "/topics/" + TOPIC) + znode(zk, "/dedup/" + TOPIC);
    }

    private static String znode(CuratorFramework zk, String path) throws Exception {
        if (zk.checkExists().forPath(path) == null) {
            return "";
        }
        return new String(zk.getData().forPath(path), StandardCharsets.ISO_8859_1);
    }
}
