package io.tributary.it.fuzz;

import com.code_intelligence.jazzer.api.BugDetectors;
import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.grpc.Channel;
import io.grpc.Status;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Coverage-guided fuzzing of the public gRPC API (Jazzer): each input becomes a few mutated
 * requests of the messaging, lookup and admin services (see {@link RequestPlan}), sent through the
 * proxy and then straight to the broker of one real standalone cluster. For every input:
 * <ul>
 *   <li>every call ends with a gRPC status within the deadline (no hang);</li>
 *   <li>no status is INTERNAL, UNKNOWN, DATA_LOSS or UNIMPLEMENTED, and nothing on the server side
 *       logs an unexpected exception (each is a bug);</li>
 *   <li>a Receive, or a Subscribe open, with a subscription type or initial position this API does
 *       not define is refused, not taken for another value;</li>
 *   <li>once the calls ended the broker holds no producer, stream consumer or reader of them;</li>
 *   <li>every {@value #PROBE_EVERY} inputs, and at the end, a known-good publish still succeeds and
 *       the heap has not grown past what a healthy broker uses.</li>
 * </ul>
 * Without {@code JAZZER_FUZZ} it replays the saved inputs under {@code ApiFuzzTestInputs}; the
 * build's {@code fuzz} execution fuzzes for {@code -Dfuzz.seconds} (see docs/reliability.md).
 */
class ApiFuzzTest {
    private static final Logger LOG = LoggerFactory.getLogger(ApiFuzzTest.class);
    static final int PROBE_EVERY = 50;
    private static final Set<Status.Code> BUGS = Set.of(Status.Code.INTERNAL, Status.Code.UNKNOWN,
            Status.Code.DATA_LOSS, Status.Code.UNIMPLEMENTED);
    private static int inputs;

    @FuzzTest(maxDuration = "60s")
    void everyMutatedRequestGetsAStatusAndTheClusterKeepsServing(FuzzedDataProvider data) throws Exception {
        if (inputs == 0) {
            // the target talks to its cluster over loopback on purpose (Jazzer's SSRF detector)
            BugDetectors.allowNetworkConnections();
        }
        FuzzCluster cluster = FuzzCluster.get();
        RequestPlan plan = RequestPlan.from(data, cluster.storedIds);
        check(cluster, plan);
        if (++inputs % PROBE_EVERY == 0) {
            probe(cluster);
        }
    }

    /** Runs the plan through the proxy, then against the broker, and fails on the first finding. */
    static void check(FuzzCluster cluster, RequestPlan plan) throws Exception {
        cluster.serverErrors.drain();
        List<String> findings = new ArrayList<>();
        for (var target : List.of(new Target("proxy", cluster.proxy), new Target("broker", cluster.broker))) {
            CallRunner runner = new CallRunner(target.channel(), FuzzCluster.CALL_DEADLINE);
            for (RequestPlan.Call call : plan.calls) {
                CallRunner.Outcome out = runner.run(call);
                String request = RequestPlan.describe(call);
                if (out.hung()) {
                    findings.add("hang via " + target.name() + ": " + out.status() + "\n  on " + request);
                } else if (BUGS.contains(out.status().getCode())) {
                    findings.add(out.status().getCode() + out.reason() + " via " + target.name() + ": "
                            + out.status().getDescription() + "\n  on " + request);
                } else if (out.status().isOk() && RequestPlan.hasUnknownEnum(call)) {
                    findings.add("an unknown enum value was taken (OK) instead of refused via " + target.name()
                            + "\n  on " + request);
                }
            }
        }
        String leaks = cluster.awaitNoOpenStreams(leakCheckedTopics(), Duration.ofSeconds(20));
        if (!leaks.isEmpty()) {
            findings.add("streams still open on the broker 20 s after every call ended: " + leaks);
        }
        for (String e : cluster.serverErrors.drain()) {
            findings.add("server-side unexpected exception: " + e);
        }
        if (!findings.isEmpty()) {
            throw new AssertionError(String.join("\n", findings) + "\nplan:\n" + plan);
        }
    }

    private static Set<String> leakCheckedTopics() {
        Set<String> topics = new LinkedHashSet<>(FuzzCluster.TOPICS);
        // the partitioned topic's stats are those of its partitions
        topics.remove("public/default/fuzz-part");
        topics.add("public/default/fuzz-part-partition-0");
        return topics;
    }

    private record Target(String name, Channel channel) {}

    /** The liveness probe and the heap check. */
    static void probe(FuzzCluster cluster) throws Exception {
        cluster.probe();
        MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
        LOG.info("fuzz: {} inputs, heap used {} MiB of {} MiB", inputs, heap.getUsed() >> 20, heap.getMax() >> 20);
        List<String> errors = cluster.serverErrors.drain();
        if (!errors.isEmpty()) {
            throw new AssertionError("server-side unexpected exceptions around the probe:\n" + String.join("\n", errors));
        }
    }

    @AfterAll
    static void clusterStillServesAndHeapIsBounded() throws Exception {
        if (inputs == 0) {
            return;
        }
        FuzzCluster cluster = FuzzCluster.get();
        probe(cluster);
        System.gc();
        MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
        LOG.info("fuzz: ran {} inputs; heap after GC {} MiB of {} MiB", inputs, heap.getUsed() >> 20, heap.getMax() >> 20);
        if (heap.getUsed() > heap.getMax() * 3 / 4) {
            throw new AssertionError("heap after GC is " + (heap.getUsed() >> 20) + " MiB of " + (heap.getMax() >> 20)
                    + " MiB after " + inputs + " inputs: something the fuzzer sent is held on to");
        }
    }
}
