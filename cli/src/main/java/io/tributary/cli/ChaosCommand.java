package io.tributary.cli;

import io.tributary.chaos.cluster.Launcher;
import io.tributary.chaos.run.ChaosReport;
import io.tributary.chaos.run.ChaosRun;
import io.tributary.protocol.config.Settings;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "chaos", mixinStandardHelpOptions = true,
        description = {"Runs a seeded chaos test: a whole cluster on this machine (3 ZooKeeper, 4 bookies, 3 brokers, 2 proxies, "
                + "each its own JVM, every link through a controllable relay), load through the proxies, and the faults the seed "
                + "chooses (kills, pauses, partitions, session expiry, bundle moves), then checks that nothing acknowledged was lost "
                + "or stored twice.",
                "Prints the fault schedule first (replay a run with the same --seed), then each fault, then the report as JSON. "
                        + "Exits 0 if the checks pass, 1 if not."})
final class ChaosCommand implements Callable<Integer> {
    @Option(names = "--seed", paramLabel = "N", description = "Seed of the fault schedule and the load plan (default: random, printed).")
    Long seed;

    @Option(names = "--duration", defaultValue = "30m", paramLabel = "DURATION",
            description = "How long the load and the faults run, e.g. 2m, 30m (default: ${DEFAULT-VALUE}).")
    String duration;

    @Option(names = "--report", paramLabel = "FILE", description = "Also write the report's JSON here.")
    File report;

    @Option(names = "--work-dir", paramLabel = "DIR",
            description = "Data and logs of the cluster's servers, a new or empty directory (default: a new one under the "
                    + "system's temp directory).")
    File workDir;

    @Override
    public Integer call() throws Exception {
        Duration d;
        try {
            d = Settings.parseDuration("--duration", duration);
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            return 1;
        }
        long s = seed != null ? seed : new java.util.SplittableRandom().nextLong();
        if (workDir != null && workDir.isDirectory() && workDir.list() != null && workDir.list().length > 0) {
            // a new cluster picks new ports: an earlier run's data (bookie cookies, the ensemble) would not fit them
            System.err.println("error: --work-dir " + workDir + " is not empty: give a new directory");
            return 1;
        }
        Path dir = workDir != null ? workDir.toPath() : Files.createTempDirectory("tributary-chaos-" + s + "-");
        ChaosReport r = new ChaosRun(s, d, Launcher.fromOwnClassPath(), dir, System.out).run();
        if (report != null) {
            Files.writeString(report.toPath(), r.toJson(), StandardCharsets.UTF_8);
        }
        System.out.println(r.ok() ? "chaos seed " + s + ": OK" : "chaos seed " + s + ": FAILED (lost " + r.check().lost()
                + ", duplicated " + r.check().duplicated() + ")");
        return r.ok() ? 0 : 1;
    }
}
