package io.tributary.storage;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.storage.log.CacheBudget;
import io.tributary.storage.log.LogEntry;
import io.tributary.storage.log.ManagedLog;
import io.tributary.storage.log.ManagedLogConfig;
import io.tributary.storage.log.ManagedLogFactory;
import io.tributary.storage.log.Position;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The tail caches of all the logs of one factory (one broker) share one budget. */
class ManagedLogCacheBudgetTest {
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

    @Test
    void theCachesOfSeveralLogsStayWithinTheBrokerWideBudget() throws Exception {
        ManagedLogFactory factory = cluster.newFactory(ManagedLogConfig.DEFAULT.withCacheSizeBytes(10_000));
        CacheBudget budget = factory.cacheBudget();
        List<ManagedLog> logs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            logs.add(factory.open("t/ns/budget-" + i, true).join());
        }
        byte[] entry = new byte[1000];
        List<List<Position>> written = new ArrayList<>();
        logs.forEach(l -> written.add(new ArrayList<>()));
        for (int round = 0; round < 20; round++) {
            for (int i = 0; i < logs.size(); i++) {
                written.get(i).add(logs.get(i).appendAsync(entry).join());
                assertThat(budget.usedBytes()).isLessThanOrEqualTo(10_000);
            }
        }
        // 60 entries of 1000 bytes were appended; the last 10 fit: 3 of log 0, 3 of log 1, 4 of log 2
        assertThat(budget.usedBytes()).isEqualTo(10_000);

        // every entry still reads back, the evicted ones from the bookies
        for (int i = 0; i < logs.size(); i++) {
            List<LogEntry> all = new ArrayList<>();
            Position p = written.get(i).get(0);
            while (all.size() < 20) {
                List<LogEntry> batch = logs.get(i).readAsync(p, 100).join();
                all.addAll(batch);
                p = logs.get(i).nextPosition(batch.get(batch.size() - 1).position());
            }
            assertThat(all).extracting(LogEntry::position).containsExactlyElementsOf(written.get(i));
        }

        logs.get(0).close();
        assertThat(budget.usedBytes()).isEqualTo(7_000);
        logs.get(1).close();
        logs.get(2).close();
        assertThat(budget.usedBytes()).isZero();
    }
}
