package io.tributary.it.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.chaos.check.CheckReport;
import io.tributary.chaos.check.Checker;
import io.tributary.chaos.load.LoadPlan;
import io.tributary.chaos.load.Workload;
import io.tributary.cli.Standalone;
import io.tributary.it.TestClusters;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The chaos suite's load and checker on a healthy standalone cluster (no faults): every kind of
 * producer, subscription, the reader and unary pollers run for 20 s, and the checker finds nothing
 * lost, nothing stored twice, nothing out of order and every stored message delivered to every
 * durable subscription. The checker's ability to fail is proven by VerdictsTest in the chaos module.
 */
class WorkloadCheckerTest {
    @TempDir
    Path dir;

    @Test
    void aHealthyClusterLosesNothingDuplicatesNothingAndDeliversEverything() throws Exception {
        long seed = Long.getLong("chaos.seed", 20261204L);
        LoadPlan plan = LoadPlan.fromSeed(seed, Duration.ofSeconds(20));
        System.out.println("load plan: " + plan.toJson());
        try (Standalone standalone = TestClusters.start(dir.toFile())) {
            String url = standalone.serviceUrl();
            Workload workload = Workload.start(plan, List.of(url), url);
            CheckReport report;
            try {
                workload.awaitPlannedEnd();
                report = Checker.check(workload, url);
            } finally {
                workload.close();
            }
            System.out.println("check report: " + report.toJson());
            assertThat(report.attempts()).as("messages sent").isGreaterThan(1_000);
            assertThat(report.acked()).as("without faults every send is acknowledged").isEqualTo(report.attempts());
            assertThat(report.extra()).containsEntry("auditComplete", true);
            assertThat(report.lost()).as("lost").isZero();
            assertThat(report.duplicated()).as("duplicated").isZero();
            assertThat(report.orderViolations()).as("order violations").isZero();
            assertThat(report.undelivered()).as("undelivered " + report.undeliveredBySubscription()).isZero();
            assertThat(report.unknownStored()).isZero();
            assertThat(report.ok()).isTrue();
        }
    }
}
