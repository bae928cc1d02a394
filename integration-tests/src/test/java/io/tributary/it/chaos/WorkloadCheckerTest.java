package io.tributary.it.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.chaos.check.CheckReport;
import io.tributary.chaos.check.Checker;
import io.tributary.chaos.check.StoredMessage;
import io.tributary.chaos.load.LoadPlan;
import io.tributary.chaos.load.Workload;
import io.tributary.cli.Standalone;
import io.tributary.internal.v1.CursorState;
import io.tributary.it.TestClusters;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.zookeeper.ZooKeeper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The chaos suite's load and checker on a healthy standalone cluster (no faults): every kind of
 * producer, subscription, the reader and unary pollers run, and the checker finds nothing lost,
 * nothing stored twice, nothing out of order and every stored message delivered to every durable
 * subscription; and when one acknowledged message is taken out of what the cluster stored, it says
 * so. (VerdictsTest in the chaos module proves the same for duplicates and reorderings.)
 */
class WorkloadCheckerTest {
    @TempDir
    static Path dir;
    static Standalone standalone;

    @BeforeAll
    static void start() throws Exception {
        standalone = TestClusters.start(dir.toFile());
    }

    @AfterAll
    static void stop() {
        standalone.close();
    }

    private static CheckReport run(long seed, Duration duration, Consumer<Map<String, List<StoredMessage>>> hook)
            throws Exception {
        return run(LoadPlan.fromSeed(seed, duration), hook);
    }

    private static CheckReport run(LoadPlan plan, Consumer<Map<String, List<StoredMessage>>> hook) throws Exception {
        System.out.println("load plan: " + plan.toJson());
        String url = standalone.serviceUrl();
        Workload workload = Workload.start(plan, List.of(url), url);
        CheckReport report;
        try {
            workload.awaitPlannedEnd();
            report = Checker.check(workload, url, Checker.DRAIN_TIMEOUT, hook);
        } finally {
            workload.close();
        }
        System.out.println("check report: " + report.toJson());
        return report;
    }

    @Test
    void aHealthyClusterLosesNothingDuplicatesNothingAndDeliversEverything() throws Exception {
        CheckReport report = run(Long.getLong("chaos.seed", 20261204L), Duration.ofSeconds(20), audit -> { });
        assertThat(report.attempts()).as("messages sent").isGreaterThan(1_000);
        assertThat(report.acked()).as("without faults every send is acknowledged").isEqualTo(report.attempts());
        assertThat(report.extra()).containsEntry("auditComplete", true);
        assertThat(report.lost()).as("lost").isZero();
        assertThat(report.duplicated()).as("duplicated").isZero();
        assertThat(report.orderViolations()).as("order violations").isZero();
        assertThat(report.undelivered()).as("undelivered " + report.undeliveredBySubscription()).isZero();
        assertThat(report.unknownStored()).isZero();
        assertThat(report.ackPositionMismatches()).as("every send returned where it is stored").isZero();
        assertThat(report.ok()).isTrue();
    }

    @Test
    void theHolesSubscriptionHoldsOver64KiBOfAckStateAndLosesNothing() throws Exception {
        // the plan's holes topic alone, at a rate that gets there in 25 s rather than two minutes
        LoadPlan base = LoadPlan.fromSeed(11L, Duration.ofSeconds(25));
        LoadPlan.TopicPlan holes = base.topics().stream().filter(t -> t.name().endsWith("-holes")).findFirst().orElseThrow();
        LoadPlan plan = new LoadPlan(base.seed(), base.durationMs(), base.namespace(), List.of(holes),
                List.of(new LoadPlan.ProducerPlan("holes-big", holes.name(), LoadPlan.ProducerMode.PAIRED, 700, 0, 15_000)),
                List.of(), base.subscriptions().stream().filter(s -> s.topic().equals(holes.name())).toList(), List.of(),
                List.of());
        CheckReport report = run(plan, audit -> { });
        assertThat(report.ok()).isTrue();
        assertThat(report.acked()).isGreaterThan(13_000);

        // The workload is closed, so the cursor was persisted: the state no longer fits the znode.
        String path = "/tributary/cursors/" + holes.name() + "/holes";
        ZooKeeper zk = new ZooKeeper(standalone.zookeeperConnect(), 30_000, event -> { });
        try {
            CursorState state = CursorState.parseFrom(zk.getData(path, false, null));
            assertThat(state.getAcksCase()).as("ack state kept in a cursor ledger").isEqualTo(CursorState.AcksCase.STATE_LEDGER_ID);
        } finally {
            zk.close();
        }
    }

    @Test
    void anAcknowledgedMessageTakenOutOfTheAuditReadIsReportedLost() throws Exception {
        String[] dropped = new String[1];
        CheckReport report = run(7L, Duration.ofSeconds(5), audit -> {
            List<StoredMessage> events = audit.entrySet().stream().filter(e -> e.getKey().endsWith("-events"))
                    .findFirst().orElseThrow().getValue();
            StoredMessage m = events.remove(events.size() / 2);
            dropped[0] = m.producer() + "#" + m.sequence();
        });
        assertThat(report.lost()).isEqualTo(1);
        assertThat(report.lostSample()).containsExactly(dropped[0]);
        assertThat(report.ok()).isFalse();
        assertThat(report.firstViolation().kind()).isEqualTo("lost");
        assertThat(report.firstViolation().history().acked()).isTrue();
        assertThat(report.firstViolation().history().deliveries()).isNotEmpty();
        assertThat(report.duplicated() + report.orderViolations() + report.undelivered()).isZero();
    }
}
