package io.tributary.cli.perf;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code tributary perf}: load generators in the manner of pulsar-perf. */
@Command(name = "perf", mixinStandardHelpOptions = true,
        description = {"Benchmarks in the manner of pulsar-perf: throughput, latency percentiles, publish pauses.",
                "See docs/performance.md."},
        subcommands = {PerfProduce.class, PerfConsume.class})
public final class PerfCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
