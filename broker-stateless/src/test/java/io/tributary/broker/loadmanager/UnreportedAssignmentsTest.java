package io.tributary.broker.loadmanager;

import static io.tributary.broker.loadmanager.BalancingPolicyTest.broker;
import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.broker.namespace.Bundle;
import io.tributary.internal.v1.BundleLoad;
import io.tributary.internal.v1.LoadReport;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class UnreportedAssignmentsTest {
    private static Bundle quarter(int i) {
        return new Bundle("public/default", i * 0x4000_0000L, (i + 1) * 0x4000_0000L);
    }

    private static LoadReport reporting(String id, Bundle... bundles) {
        LoadReport.Builder r = broker(id).toBuilder();
        for (Bundle b : bundles) {
            r.addBundles(BundleLoad.newBuilder().setNamespace(b.namespace()).setBundle(b.name()));
        }
        return r.build();
    }

    @Test
    void assignmentsBetweenTwoReportsSpreadOverIdleBrokers() {
        UnreportedAssignments unreported = new UnreportedAssignments(10_000);
        List<LoadReport> stale = List.of(reporting("a"), reporting("b"), reporting("c"));
        Map<String, List<Bundle>> given = new HashMap<>();
        for (int i = 0; i < 4; i++) {
            String id = BalancingPolicy.leastLoaded(stale, unreported.counts(stale, 0), Set.of()).orElseThrow();
            unreported.add(id, quarter(i), 0);
            given.computeIfAbsent(id, k -> new ArrayList<>()).add(quarter(i));
        }
        assertThat(given).containsOnlyKeys("a", "b", "c");
        assertThat(given.values()).extracting(List::size).containsExactlyInAnyOrder(2, 1, 1);
    }

    @Test
    void anAssignmentStopsCountingOnceTheBrokersReportListsIt() {
        UnreportedAssignments unreported = new UnreportedAssignments(10_000);
        unreported.add("a", quarter(0), 0);
        unreported.add("a", quarter(1), 0);
        assertThat(unreported.counts(List.of(reporting("a")), 100)).containsEntry("a", 2);
        // the report lists one of them: only the other is still unreported (not counted twice)
        assertThat(unreported.counts(List.of(reporting("a", quarter(0))), 200)).containsEntry("a", 1);
        // a report that drops the bundle again does not bring the entry back
        assertThat(unreported.counts(List.of(reporting("a", quarter(1))), 300)).isEmpty();
        assertThat(unreported.counts(List.of(reporting("a")), 400)).isEmpty();
    }

    @Test
    void anAssignmentNeverReportedExpires() {
        UnreportedAssignments unreported = new UnreportedAssignments(10_000);
        unreported.add("a", quarter(0), 0);
        assertThat(unreported.counts(List.of(reporting("a")), 10_000)).containsEntry("a", 1);
        assertThat(unreported.counts(List.of(reporting("a")), 10_001)).isEmpty();
    }
}
