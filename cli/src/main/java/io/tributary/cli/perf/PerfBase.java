package io.tributary.cli.perf;

import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BooleanSupplier;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * What both benchmarks share: the common options, periodic reports, the error tally, the
 * summary printed exactly once (at the end, or by the shutdown hook on Ctrl-C) and the JSON file.
 */
abstract class PerfBase implements Callable<Integer> {
    /** How long the shutdown hook waits for the run to wind down before printing what it has. */
    private static final long HOOK_WAIT_SECONDS = 10;
    /** After Ctrl-C, how long to wait for outstanding answers before summarising. */
    static final long INTERRUPTED_DRAIN_NANOS = TimeUnit.SECONDS.toNanos(3);
    private static final int ERRORS_PRINTED = 5;

    @Spec
    CommandSpec spec;

    @picocli.CommandLine.Mixin
    io.tributary.cli.ClientOptions connection;

    /** The connection settings, resolved when the command starts. */
    io.tributary.cli.ClientConfig clientConfig;
    /** The service URL, for the reports. */
    String serviceUrl;

    @Option(names = {"-d", "--duration"}, defaultValue = "0", paramLabel = "SECONDS",
            description = "Stop after this many seconds; 0 = no time limit (default: ${DEFAULT-VALUE}).")
    double durationSeconds;

    @Option(names = {"-t", "--topics"}, defaultValue = "1", paramLabel = "N",
            description = "Number of topics: TOPIC-0 .. TOPIC-(N-1) when more than 1 (default: ${DEFAULT-VALUE}).")
    int topics;

    @Option(names = "--report-interval", defaultValue = "5", paramLabel = "SECONDS",
            description = "Seconds between progress lines (default: ${DEFAULT-VALUE}).")
    double reportIntervalSeconds;

    @Option(names = "--json", paramLabel = "FILE", description = "Also write the summary as JSON to FILE.")
    File jsonFile;

    @Option(names = "--report", paramLabel = "FILE.html",
            description = "Also write an HTML report to FILE: throughput and latency over time, pauses, the latency "
                    + "percentile plot, the settings (one self-contained file).")
    File reportFile;

    /** What the HTML report draws: the latency it shows, the count its throughput is taken from, the pauses. */
    record ReportSource(String title, String latencyName, java.util.function.LongSupplier count, LatencyStats latency,
                        java.util.function.Supplier<List<double[]>> pauses) {}

    /** The per-second points of the report; null without --report. */
    private volatile Timeline timeline;

    /** Set on Ctrl-C, when the duration or count is reached, or when a run fails. */
    final AtomicBoolean stop = new AtomicBoolean();
    /** True when the stop came from the shutdown hook (Ctrl-C, SIGTERM). */
    volatile boolean interrupted;
    final Instant startedAt = Instant.now();
    volatile long startNanos = System.nanoTime();

    private final AtomicBoolean summarised = new AtomicBoolean();
    private final CountDownLatch done = new CountDownLatch(1);
    private final Map<String, LongAdder> errorCounts = new ConcurrentHashMap<>();
    private final AtomicInteger errorsPrinted = new AtomicInteger();
    private ScheduledExecutorService reporter;

    @Override
    public final Integer call() throws Exception {
        validate();
        clientConfig = connection.resolve();
        serviceUrl = clientConfig.serviceUrl();
        Thread hook = new Thread(this::onShutdown, "perf-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            return run();
        } finally {
            stopReports();
            done.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // the JVM is shutting down: the hook is running or has run
            }
        }
    }

    /** Throws picocli's ParameterException for bad option values. */
    abstract void validate();

    /** The benchmark; must call {@link #summary(boolean)} once it has its figures. */
    abstract int run() throws Exception;

    /** The summary lines and the JSON document, from the figures gathered so far. */
    abstract Summary buildSummary();

    /** What {@code --report} draws. */
    abstract ReportSource reportSource();

    record Summary(List<String> lines, Map<String, Object> json) {
    }

    /** The command's standard output (picocli's, so tests can capture it). */
    PrintWriter out() {
        return spec.commandLine().getOut();
    }

    PrintWriter err() {
        return spec.commandLine().getErr();
    }

    BooleanSupplier stopRequested() {
        return stop::get;
    }

    /** 0, or the System.nanoTime() at which the duration runs out. */
    long deadlineNanos() {
        return durationSeconds > 0 ? startNanos + (long) (durationSeconds * 1e9) : 0;
    }

    boolean pastDeadline(long now) {
        long deadline = deadlineNanos();
        return deadline != 0 && now - deadline >= 0;
    }

    /** Starts the progress lines; {@code line} gets the seconds since the previous line. */
    void startReports(java.util.function.DoubleFunction<String> line) {
        long periodNanos = (long) (reportIntervalSeconds * 1e9);
        reporter = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "perf-report");
            t.setDaemon(true);
            return t;
        });
        if (reportFile != null) {
            ReportSource source = reportSource();
            Timeline t = new Timeline(source.count(), source.latency(), startNanos);
            timeline = t;
            reporter.scheduleAtFixedRate(() -> t.sample(System.nanoTime()), 1, 1, TimeUnit.SECONDS);
        }
        long[] previous = {System.nanoTime()};
        reporter.scheduleAtFixedRate(() -> {
            if (summarised.get()) {
                return;
            }
            long now = System.nanoTime();
            double seconds = (now - previous[0]) / 1e9;
            previous[0] = now;
            try {
                String text = line.apply(seconds);
                PrintWriter out = out();
                out.println(String.format(java.util.Locale.ROOT, "[%7.1f s] ", (now - startNanos) / 1e9) + text);
                out.flush();
            } catch (RuntimeException e) {
                err().println("perf: report failed: " + e);
            }
        }, periodNanos, periodNanos, TimeUnit.NANOSECONDS);
    }

    void stopReports() {
        if (reporter != null) {
            reporter.shutdownNow();
        }
    }

    /** Counts an error by its kind; the first few are printed. */
    void recordError(Throwable t) {
        Throwable c = t;
        while ((c instanceof java.util.concurrent.CompletionException
                || c instanceof java.util.concurrent.ExecutionException) && c.getCause() != null) {
            c = c.getCause();
        }
        errorCounts.computeIfAbsent(c.getClass().getSimpleName(), k -> new LongAdder()).increment();
        int n = errorsPrinted.incrementAndGet();
        if (n <= ERRORS_PRINTED) {
            err().println("perf: error: " + c.getClass().getSimpleName() + ": " + c.getMessage()
                    + (n == ERRORS_PRINTED ? " (further errors are only counted)" : ""));
            err().flush();
        }
    }

    /** Errors by exception class, sorted. */
    Map<String, Object> errorsByKind() {
        Map<String, Object> m = new TreeMap<>();
        errorCounts.forEach((k, v) -> m.put(k, v.sum()));
        return m;
    }

    String errorsText() {
        if (errorCounts.isEmpty()) {
            return "none";
        }
        List<String> parts = new ArrayList<>();
        errorsByKind().forEach((k, v) -> parts.add(k + " x" + v));
        return String.join(", ", parts);
    }

    /** Prints the summary and writes the JSON file, the first time only. */
    void summary(boolean fromHook) {
        if (!summarised.compareAndSet(false, true)) {
            return;
        }
        stopReports();
        Summary s = buildSummary();
        s.json().put("interrupted", interrupted);
        s.json().put("summaryFromShutdownHook", fromHook);
        PrintWriter out = out();
        for (String l : s.lines()) {
            out.println(l);
        }
        out.flush();
        if (jsonFile != null) {
            try {
                File parent = jsonFile.getAbsoluteFile().getParentFile();
                if (parent != null) {
                    Files.createDirectories(parent.toPath());
                }
                Files.writeString(jsonFile.toPath(), SummaryJson.write(s.json()), StandardCharsets.UTF_8);
            } catch (IOException e) {
                err().println("perf: could not write " + jsonFile + ": " + e.getMessage());
                err().flush();
            }
        }
        if (reportFile != null) {
            writeReport(s.json());
        }
    }

    private void writeReport(Map<String, Object> summaryJson) {
        ReportSource source = reportSource();
        Timeline t = timeline;
        List<String> command = new ArrayList<>(List.of("tributary", "perf", spec.name()));
        command.addAll(spec.commandLine().getParseResult().originalArgs());
        String html = HtmlReport.render(new HtmlReport.Content(source.title(), source.latencyName(), summaryJson, command,
                t == null ? List.of() : t.points(), source.latency().totalHistogram(), source.pauses().get()));
        try {
            File parent = reportFile.getAbsoluteFile().getParentFile();
            if (parent != null) {
                Files.createDirectories(parent.toPath());
            }
            Files.writeString(reportFile.toPath(), html, StandardCharsets.UTF_8);
        } catch (IOException e) {
            err().println("perf: could not write " + reportFile + ": " + e.getMessage());
            err().flush();
        }
    }

    /** Ctrl-C: ask the run to stop, give it time to drain and summarise, else summarise here. */
    private void onShutdown() {
        if (done.getCount() == 0) {
            return;
        }
        interrupted = true;
        stop.set(true);
        try {
            if (!done.await(HOOK_WAIT_SECONDS, TimeUnit.SECONDS)) {
                summary(true);
            }
        } catch (InterruptedException e) {
            summary(true);
        }
    }

    /** The topic names: TOPIC itself, or TOPIC-0 .. TOPIC-(n-1). */
    static List<String> topicNames(String topic, int n) {
        if (n <= 1) {
            return List.of(topic);
        }
        List<String> names = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            names.add(topic + "-" + i);
        }
        return names;
    }
}
