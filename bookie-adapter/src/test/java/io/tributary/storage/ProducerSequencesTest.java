package io.tributary.storage;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.internal.v1.DedupSnapshot;
import io.tributary.internal.v1.LogMetadata;
import io.tributary.internal.v1.ProducerSequence;
import io.tributary.storage.log.ManagedLog;
import io.tributary.storage.log.ManagedLogConfig;
import io.tributary.storage.log.ManagedLogFactory;
import io.tributary.storage.log.SequenceMark;
import io.tributary.storage.meta.MetadataPaths;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.apache.zookeeper.CreateMode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Deduplication state lives in its own znode, forgets inactive producers, keeps at most a cap of
 * them, and is moved out of the ledger list where older versions kept it.
 */
class ProducerSequencesTest {
    @TempDir
    static Path dir;
    static StorageTestCluster cluster;

    @BeforeAll
    static void start() throws Exception {
        cluster = new StorageTestCluster(dir.toFile());
    }

    @AfterAll
    static void stop() throws Exception {
        cluster.close();
    }

    private static ManagedLogFactory factory() throws Exception {
        return new ManagedLogFactory(cluster.store, cluster.newBookKeeper(), ManagedLogConfig.DEFAULT,
                name -> cluster.executor.chooseThread(name), data -> {
                    String[] parts = new String(data, UTF_8).split(":");
                    return new SequenceMark(parts[0], Long.parseLong(parts[1]));
                });
    }

    private static void append(ManagedLog log, String producer, long seq) {
        log.appendAsync((producer + ":" + seq).getBytes(UTF_8), new SequenceMark(producer, seq)).join();
    }

    private static LogMetadata ledgerList(String name) {
        try {
            return LogMetadata.parseFrom(cluster.store.get(MetadataPaths.topic(name)).join().orElseThrow().value());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static List<String> snapshotProducers(String name) throws Exception {
        byte[] bytes = cluster.store.get(MetadataPaths.dedup(name)).join().orElseThrow().value();
        return DedupSnapshot.parseFrom(bytes).getProducersList().stream().map(ProducerSequence::getProducerName).toList();
    }

    @Test
    void inactiveProducersAreForgottenAndStayForgottenAfterATakeover() throws Exception {
        String name = "t/ns/short-lived-producers";
        ManagedLog log = factory().open(name, true).join();
        for (int i = 0; i < 50; i++) {
            append(log, "job-" + i, i);
        }
        append(log, "keeper", 3);
        // everything is older than "now + 1 ms"; only the connected "keeper" stays
        List<String> forgotten = log.forgetInactiveProducers(System.currentTimeMillis() + 1, 1000, Set.of("keeper")).join();
        assertThat(forgotten).hasSize(50).allMatch(p -> p.startsWith("job-"));
        assertThat(log.lastSequenceId("job-7")).isEqualTo(-1);
        assertThat(log.lastSequenceId("keeper")).isEqualTo(3);
        assertThat(snapshotProducers(name)).containsExactly("keeper");
        log.close();

        ManagedLog next = factory().open(name, false).join();
        assertThat(next.lastSequenceId("job-7")).isEqualTo(-1);
        assertThat(next.lastSequenceId("keeper")).isEqualTo(3);
        assertThat(ledgerList(name).getSequencesList()).as("no producer in the ledger list").isEmpty();
        assertThat(snapshotProducers(name)).containsExactly("keeper");
        next.close();
    }

    @Test
    void theLeastRecentlyActiveProducersBeyondTheCapAreForgotten() throws Exception {
        String name = "t/ns/many-producers";
        ManagedLog log = factory().open(name, true).join();
        for (int i = 0; i < 20; i++) {
            append(log, "p-" + i, 0);
            // the next one is active later: activity is measured in milliseconds
            long t = System.currentTimeMillis();
            while (System.currentTimeMillis() == t) {
                Thread.onSpinWait();
            }
        }
        List<String> forgotten = log.forgetInactiveProducers(0, 5, Set.of()).join();
        assertThat(forgotten).hasSize(15);
        for (int i = 0; i < 20; i++) {
            assertThat(log.lastSequenceId("p-" + i)).as("p-%s", i).isEqualTo(i < 15 ? -1 : 0);
        }
        assertThat(snapshotProducers(name)).containsExactlyInAnyOrder("p-15", "p-16", "p-17", "p-18", "p-19");
        log.close();
    }

    @Test
    void aSnapshotStillInTheLedgerListIsReadThenMovedToItsOwnZnode() throws Exception {
        String name = "t/ns/old-snapshot";
        LogMetadata old = LogMetadata.newBuilder().setCreatedMs(1)
                .addSequences(ProducerSequence.newBuilder().setProducerName("old-producer").setLastSequenceId(41)).build();
        cluster.store.create(MetadataPaths.topic(name), old.toByteArray(), CreateMode.PERSISTENT).join();

        ManagedLog log = factory().open(name, false).join();
        assertThat(log.lastSequenceId("old-producer")).isEqualTo(41);
        assertThat(ledgerList(name).getSequencesList()).as("moved out of the ledger list").isEmpty();
        assertThat(snapshotProducers(name)).containsExactly("old-producer");
        append(log, "old-producer", 42);
        log.close();

        ManagedLog next = factory().open(name, false).join();
        assertThat(next.lastSequenceId("old-producer")).isEqualTo(42);
        next.close();
    }
}
