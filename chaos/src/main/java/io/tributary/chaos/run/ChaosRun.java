package io.tributary.chaos.run;

import io.tributary.chaos.check.CheckReport;
import io.tributary.chaos.check.Checker;
import io.tributary.chaos.cluster.ChaosCluster;
import io.tributary.chaos.cluster.Launcher;
import io.tributary.chaos.cluster.Topology;
import io.tributary.chaos.fault.AvailabilityProbe;
import io.tributary.chaos.fault.Fault;
import io.tributary.chaos.fault.FaultInjector;
import io.tributary.chaos.fault.FaultRecord;
import io.tributary.chaos.fault.FaultSchedule;
import io.tributary.chaos.load.LoadPlan;
import io.tributary.chaos.load.Workload;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One seeded chaos run: start the cluster, start the load, apply the fault schedule for the duration, heal
 * everything, let the cluster quiesce, check, report.
 *
 * <pre>{@code
 * ChaosReport r = new ChaosRun(seed, Duration.ofMinutes(2), Launcher.fromBuiltJar(Path.of("")), workDir, System.out).run();
 * }</pre>
 *
 * The seed determines the fault schedule and the load plan ({@link FaultSchedule#generate}, {@link LoadPlan#fromSeed});
 * both are printed before the run starts, so a failing seed can be replayed. What the cluster makes of them still
 * depends on timing: a replay injects the same faults at the same offsets, not the same interleaving.
 */
public final class ChaosRun {
    /** How long after the last heal the cluster must publish again before the load stops. */
    static final Duration RECOVERY_WAIT = Duration.ofSeconds(120);
    /** Settling time between stopping the load and checking (in-flight redeliveries, cursor flushes). */
    static final Duration QUIESCE = Duration.ofSeconds(5);
    private static final int PROBE_TOPICS = 6;

    private final long seed;
    private final Duration duration;
    private final Launcher launcher;
    private final Path workDir;
    private final PrintStream log;
    private final Topology topology;

    public ChaosRun(long seed, Duration duration, Launcher launcher, Path workDir, PrintStream log) {
        this(seed, duration, launcher, workDir, log, Topology.standard());
    }

    public ChaosRun(long seed, Duration duration, Launcher launcher, Path workDir, PrintStream log, Topology topology) {
        this.seed = seed;
        this.duration = duration;
        this.launcher = launcher;
        this.workDir = workDir;
        this.log = log;
        this.topology = topology;
    }

    /** The schedule this run will apply (also printed by {@link #run()}). */
    public FaultSchedule schedule() {
        return FaultSchedule.generate(seed, duration, topology);
    }

    /** Runs and returns the report; {@link ChaosReport#ok()} says whether the guarantees held. */
    public ChaosReport run() throws Exception {
        FaultSchedule schedule = schedule();
        LoadPlan plan = LoadPlan.fromSeed(seed, duration);
        log.println("chaos seed " + seed + " (replay with -Dchaos.seed=" + seed + " or --seed " + seed + "), duration " + duration);
        log.println("fault schedule: " + schedule.toJson());
        log.println("load plan: " + ChaosReport.JSON.writeValueAsString(plan));
        log.flush();
        long t0 = System.nanoTime();
        try (ChaosCluster cluster = ChaosCluster.start(launcher, workDir, topology)) {
            log.printf("cluster up after %d s; logs in %s%n", seconds(t0), cluster.logDir());
            List<String> urls = cluster.serviceUrls();
            long probeOrigin = System.nanoTime();
            List<FaultRecord> records = new ArrayList<>();
            List<Fault> skipped = new ArrayList<>();
            CheckReport check;
            MetadataSurvey survey = null;
            String surveyError = null;
            try (AvailabilityProbe probe = new AvailabilityProbe(urls, PROBE_TOPICS, probeOrigin);
                    FaultInjector injector = new FaultInjector(cluster)) {
                if (probe.awaitAvailable(0, RECOVERY_WAIT) < 0) {
                    throw new IllegalStateException("the new cluster does not take messages within " + RECOVERY_WAIT
                            + "; logs in " + cluster.logDir());
                }
                long loadOrigin = System.nanoTime();
                // fault times count from the load's start, the probe's from its own: base converts
                long base = TimeUnit.NANOSECONDS.toMillis(loadOrigin - probeOrigin);
                try (Workload workload = Workload.start(plan, urls, urls.get(0))) {
                    long quietFrom = FaultSchedule.quietFromMillis(duration.toMillis());
                    for (Fault f : schedule.faults()) {
                        sleepUntil(loadOrigin, f.startMillis());
                        // restarts and failovers on a slow machine put the run behind its schedule: keep the end quiet
                        // rather than overrun, except for the faults every run is meant to see
                        if (f.index() >= FaultSchedule.GUARANTEED_FAULTS && millisSince(loadOrigin) + f.durationMillis() > quietFrom) {
                            log.printf("%6d ms fault %d (%s) skipped: the run is behind its schedule%n", millisSince(loadOrigin), f.index(), f.type());
                            skipped.add(f);
                            continue;
                        }
                        records.add(apply(f, cluster, injector, probe, loadOrigin, base));
                    }
                    sleepUntil(loadOrigin, duration.toMillis());
                    cluster.healAll();
                    long healed = millisSince(loadOrigin);
                    long back = probe.awaitAvailable(healed + base, RECOVERY_WAIT);
                    log.printf("all healed at %d ms; publishing %s%n", healed,
                            back < 0 ? "still failing after " + RECOVERY_WAIT : "works again after " + (back - base - healed) + " ms");
                    workload.stop();
                    Thread.sleep(QUIESCE.toMillis()); // settling, not waiting for a condition: nothing signals "quiet"
                    check = Checker.check(workload, urls.get(0));
                    try {
                        survey = MetadataSurvey.of(cluster.zookeeperConnect(), "/");
                    } catch (Exception e) {
                        surveyError = e.toString();
                    }
                }
            }
            // evidence that every link really went through its relay
            java.util.Map<String, Long> relayBytes = new java.util.TreeMap<>();
            cluster.relays().forEach(r -> relayBytes.put(r.name(), r.bytesForwarded()));
            ChaosReport report = ChaosReport.of(seed, duration, topology, schedule, plan, records, skipped, check, survey,
                    surveyError, relayBytes, cluster.logDir());
            log.println("chaos report: " + report.toJson());
            log.flush();
            return report;
        }
    }

    private FaultRecord apply(Fault f, ChaosCluster cluster, FaultInjector injector, AvailabilityProbe probe, long origin, long base)
            throws InterruptedException {
        long start = millisSince(origin);
        String target = f.target();
        String error = null;
        log.printf("%6d ms fault %d: %s %s for %d ms%n", start, f.index(), f.type(), f.target(), f.durationMillis());
        log.flush();
        try {
            target = injector.inject(f);
        } catch (Exception e) {
            error = "inject: " + e;
        }
        if (f.durationMillis() > 0) {
            Thread.sleep(f.durationMillis()); // the fault's planned length
        }
        try {
            injector.heal(f);
        } catch (Exception e) {
            error = (error == null ? "" : error + "; ") + "heal: " + e;
            try {
                cluster.healAll();
            } catch (Exception again) {
                error += "; heal all: " + again;
            }
        }
        long end = millisSince(origin);
        long back = probe.awaitAvailable(end + base, RECOVERY_WAIT);
        long recovery = back < 0 ? -1 : Math.max(0, back - base - end);
        long until = back < 0 ? millisSince(origin) + base : back;
        long unavailable = probe.unavailableMillis(start + base, until);
        long slowest = probe.slowestRoundMillis(start + base, until);
        log.printf("%6d ms fault %d healed; publishing works %s (failing %d ms, slowest probe round %d ms)%s%n", end, f.index(),
                recovery < 0 ? "NOT within " + RECOVERY_WAIT : recovery + " ms later", unavailable, slowest,
                error == null ? "" : " (" + error + ")");
        log.flush();
        return new FaultRecord(f, target, start, end, recovery, unavailable, slowest, error);
    }

    private static void sleepUntil(long originNanos, long offsetMillis) throws InterruptedException {
        long left = offsetMillis - millisSince(originNanos);
        if (left > 0) {
            Thread.sleep(left); // the schedule's clock
        }
    }

    private static long millisSince(long originNanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - originNanos);
    }

    private static long seconds(long t0) {
        return TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0);
    }
}
