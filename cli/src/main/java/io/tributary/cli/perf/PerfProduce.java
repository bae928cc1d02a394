package io.tributary.cli.perf;

import io.tributary.client.MessageId;
import io.tributary.client.Producer;
import io.tributary.client.ProducerBuilder;
import io.tributary.client.TributaryClient;
import io.tributary.client.TributaryClientException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

@Command(name = "produce", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Publishes at a fixed or maximal rate; reports throughput, latency and publish pauses.",
                "Latency is measured from sendAsync to the acknowledgement. The publish pause is the longest time "
                        + "without any acknowledgement while messages were outstanding. Stops after -n messages, "
                        + "after -d seconds or on Ctrl-C, and prints a summary."})
final class PerfProduce extends PerfBase {

    @Parameters(index = "0", paramLabel = "TOPIC", description = "tenant/namespace/topic")
    String topic;

    @Option(names = "--pause-log", paramLabel = "FILE",
            description = "Write every publish pause over 10 ms as a line 'start_epoch_ms length_ms', to line them up with events such as bundle moves.")
    java.nio.file.Path pauseLog;

    @Option(names = {"-r", "--rate"}, defaultValue = "0", paramLabel = "MSG/S",
            description = "Messages per second over all producers; 0 = as fast as possible (default: ${DEFAULT-VALUE}).")
    double rate;

    @Option(names = {"-s", "--size"}, defaultValue = "1024", paramLabel = "BYTES", description = "Message size in bytes (default: ${DEFAULT-VALUE}).")
    int size;

    @Option(names = {"-n", "--num-messages"}, defaultValue = "0", paramLabel = "N",
            description = "Messages to send over all producers; 0 = until the duration or Ctrl-C (default: ${DEFAULT-VALUE}).")
    long numMessages;

    @Option(names = {"-p", "--producers-per-topic"}, defaultValue = "1", paramLabel = "N",
            description = "Producers on each topic, each with its own sending thread (default: ${DEFAULT-VALUE}).")
    int producersPerTopic;

    @Option(names = "--batch-max-messages", defaultValue = "1000", paramLabel = "N",
            description = "At most this many messages per batch (default: ${DEFAULT-VALUE}, the SDK's default).")
    int batchMaxMessages;

    @Option(names = "--batch-max-bytes", defaultValue = "131072", paramLabel = "BYTES",
            description = "At most about this many bytes per batch (default: ${DEFAULT-VALUE}, the SDK's default).")
    int batchMaxBytes;

    @Option(names = "--batch-delay-ms", defaultValue = "1", paramLabel = "MS",
            description = "How long a batch waits to fill, in ms (default: ${DEFAULT-VALUE}, the SDK's default).")
    double batchDelayMs;

    @Option(names = "--no-batching", description = "One message per entry.")
    boolean noBatching;

    @Option(names = "--max-pending", defaultValue = "1000", paramLabel = "N",
            description = "Messages sent and not yet acknowledged, per producer; sends wait while it is reached "
                    + "(default: ${DEFAULT-VALUE}, the SDK's default).")
    int maxPending;

    @Option(names = "--send-timeout", defaultValue = "30", paramLabel = "SECONDS",
            description = "Seconds a message may wait for its acknowledgement before it fails (default: ${DEFAULT-VALUE}).")
    double sendTimeoutSeconds;

    @Option(names = "--warmup", defaultValue = "0", paramLabel = "SECONDS",
            description = "Seconds at the start whose latencies and pauses are not counted (default: ${DEFAULT-VALUE}).")
    double warmupSeconds;

    private final LatencyStats latency = new LatencyStats();
    private final PublishPauseTracker pauses = new PublishPauseTracker();
    private final LongAdder attempted = new LongAdder();
    private final LongAdder acked = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final AtomicLong claimed = new AtomicLong();
    private volatile long lastAnswerNanos;
    private volatile long firstSendNanos;
    private volatile long endNanos;
    private long warmupEndNanos;
    private List<String> topicNames = List.of();
    private int producerCount;
    // for the progress lines
    private long lastAcked;
    private long lastFailed;

    @Override
    void validate() {
        List<String> bad = new ArrayList<>();
        if (size < 1) {
            bad.add("--size must be at least 1");
        }
        if (rate < 0 || numMessages < 0 || durationSeconds < 0 || warmupSeconds < 0) {
            bad.add("--rate, --num-messages, --duration and --warmup must not be negative");
        }
        if (topics < 1 || producersPerTopic < 1) {
            bad.add("--topics and --producers-per-topic must be at least 1");
        }
        if (maxPending < 1 || batchMaxMessages < 1 || batchMaxBytes < 1 || batchDelayMs < 0) {
            bad.add("--max-pending, --batch-max-messages and --batch-max-bytes must be at least 1, --batch-delay-ms not negative");
        }
        if (!(reportIntervalSeconds > 0) || sendTimeoutSeconds < 0) {
            bad.add("--report-interval must be positive and --send-timeout not negative");
        }
        if (!bad.isEmpty()) {
            throw new ParameterException(spec.commandLine(), String.join("; ", bad));
        }
    }

    @Override
    int run() throws Exception {
        topicNames = topicNames(topic, topics);
        producerCount = topicNames.size() * producersPerTopic;
        byte[] payload = new byte[size];
        new Random(42).nextBytes(payload);

        out().println("perf produce: " + describe());
        out().flush();
        TributaryClient client = clientConfig.clientBuilder().build();
        List<Producer<byte[]>> producers = new ArrayList<>();
        try {
            List<CompletableFuture<Producer<byte[]>>> creating = new ArrayList<>();
            for (String t : topicNames) {
                for (int i = 0; i < producersPerTopic; i++) {
                    creating.add(builder(client, t).createAsync());
                }
            }
            for (CompletableFuture<Producer<byte[]>> f : creating) {
                try {
                    producers.add(f.join());
                } catch (java.util.concurrent.CompletionException e) {
                    err().println("error: could not create a producer: " + TributaryClientException.from(e).getMessage());
                    return 1;
                }
            }
            if (stop.get()) {
                summary(false);
                return 0;
            }

            startNanos = System.nanoTime();
            warmupEndNanos = startNanos + (long) (warmupSeconds * 1e9);
            if (warmupSeconds > 0) {
                pauses.ignoreGapsEndingBefore(warmupEndNanos);
            }
            startReports(this::progressLine);
            List<Thread> senders = new ArrayList<>();
            double perProducer = rate / producerCount;
            for (int i = 0; i < producers.size(); i++) {
                Producer<byte[]> p = producers.get(i);
                Thread t = new Thread(() -> sendLoop(p, payload, perProducer), "perf-producer-" + i);
                t.setDaemon(true);
                senders.add(t);
            }
            senders.forEach(Thread::start);
            for (Thread t : senders) {
                // a sender blocked on a full queue cannot see the stop flag: after Ctrl-C, do not wait for it
                while (t.isAlive()) {
                    t.join(200);
                    if (interrupted) {
                        break;
                    }
                }
            }
            stop.set(true);
            for (Producer<byte[]> p : producers) {
                p.flushAsync(); // send the batches being filled now rather than after their delay
            }
            drain();
            endNanos = lastAnswerNanos != 0 ? lastAnswerNanos : System.nanoTime();
            summary(false);
            return failed.sum() > 0 ? 2 : 0;
        } finally {
            closeQuietly(producers, client);
        }
    }

    private ProducerBuilder<byte[]> builder(TributaryClient client, String t) {
        return client.newProducer()
                .topic(t)
                .maxPendingMessages(maxPending)
                .blockIfQueueFull(true)
                .sendTimeout(Duration.ofNanos((long) (sendTimeoutSeconds * 1e9)))
                .enableBatching(!noBatching)
                .batchingMaxMessages(batchMaxMessages)
                .batchingMaxBytes(batchMaxBytes)
                .batchingMaxPublishDelay(Duration.ofNanos((long) (batchDelayMs * 1e6)));
    }

    private String describe() {
        return topicNames.size() + " topic(s) x " + producersPerTopic + " producer(s) (" + String.join(", ",
                topicNames.size() > 3 ? List.of(topicNames.get(0), "...", topicNames.get(topicNames.size() - 1))
                        : topicNames)
                + "), " + size + "-byte messages, rate " + (rate > 0 ? Format.f1(rate) + " msg/s" : "unlimited")
                + (numMessages > 0 ? ", " + numMessages + " messages" : "")
                + (durationSeconds > 0 ? ", " + Format.f1(durationSeconds) + " s" : "")
                + ", batching " + (noBatching ? "off" : batchMaxMessages + " msgs / " + batchMaxBytes + " B / "
                        + Format.f2(batchDelayMs) + " ms")
                + ", max pending " + maxPending + ", service " + serviceUrl;
    }

    private void sendLoop(Producer<byte[]> producer, byte[] payload, double producerRate) {
        Pacer pacer = producerRate > 0 ? new Pacer(producerRate, startNanos) : null;
        long deadline = deadlineNanos();
        try {
            while (!stop.get()) {
                if (pacer != null && !pacer.awaitNext(stopRequested(), deadline)) {
                    break;
                }
                long t0 = System.nanoTime();
                if (pastDeadline(t0)) {
                    break;
                }
                if (numMessages > 0 && claimed.incrementAndGet() > numMessages) {
                    break;
                }
                send(producer, payload, t0);
            }
        } catch (RuntimeException e) {
            recordError(e);
        }
        if (pastDeadline(System.nanoTime()) || (numMessages > 0 && claimed.get() >= numMessages)) {
            stop.set(true);
        }
    }

    private void send(Producer<byte[]> producer, byte[] payload, long t0) {
        if (firstSendNanos == 0) {
            firstSendNanos = t0;
        }
        pauses.onSend(t0);
        attempted.increment();
        CompletableFuture<MessageId> f;
        try {
            f = producer.sendAsync(payload);
        } catch (RuntimeException e) {
            onFailure(System.nanoTime(), e);
            return;
        }
        f.whenComplete((id, error) -> {
            long now = System.nanoTime();
            if (error == null) {
                onAck(t0, now);
            } else {
                onFailure(now, error);
            }
        });
    }

    private void onAck(long t0, long now) {
        pauses.onAck(now);
        acked.increment();
        lastAnswerNanos = now;
        if (t0 - warmupEndNanos >= 0) {
            latency.recordMicros((now - t0) / 1000);
        }
    }

    private void onFailure(long now, Throwable error) {
        pauses.onFailure(now);
        failed.increment();
        lastAnswerNanos = now;
        recordError(error);
    }

    /** Waits for the answers to everything sent: up to the send timeout and a margin, 3 s after Ctrl-C. */
    private void drain() {
        long start = System.nanoTime();
        long limit = TimeUnit.SECONDS.toNanos(5) + (long) (sendTimeoutSeconds * 1e9);
        while (outstanding() > 0) {
            long waited = System.nanoTime() - start;
            if (waited >= limit || (interrupted && waited >= INTERRUPTED_DRAIN_NANOS)) {
                err().println("perf: gave up waiting for " + outstanding() + " outstanding messages");
                err().flush();
                return;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
    }

    private long outstanding() {
        return attempted.sum() - acked.sum() - failed.sum();
    }

    private String progressLine(double seconds) {
        long a = acked.sum();
        long f = failed.sum();
        long da = a - lastAcked;
        long df = f - lastFailed;
        lastAcked = a;
        lastFailed = f;
        LatencyStats.Summary l = latency.takeInterval();
        long gap = pauses.takeIntervalMax(System.nanoTime());
        double msgs = da / seconds;
        return String.format(java.util.Locale.ROOT, "produce %10s msg/s %8s MB/s | pending %6d | failed %d | latency ms %s | ack gap max %s ms",
                Format.f1(msgs), Format.f2(msgs * size / 1e6), Math.max(0, outstanding()), df, l.toMillisText(),
                Format.nanosAsMs(gap));
    }

    @Override
    Summary buildSummary() {
        long end = endNanos != 0 ? endNanos : System.nanoTime();
        long begin = firstSendNanos != 0 ? firstSendNanos : startNanos;
        double seconds = Math.max(1e-9, (end - begin) / 1e9);
        long a = acked.sum();
        long f = failed.sum();
        long pending = Math.max(0, outstanding());
        double msgs = a / seconds;
        double mb = msgs * size / 1e6;
        LatencyStats.Summary l = latency.total();
        PublishPauseTracker.Snapshot p = pauses.finish(System.nanoTime());
        writePauseLog();
        double longestAt = p.longestNanos() > 0 ? (p.longestStartNanos() - startNanos) / 1e9 : 0;

        List<String> lines = new ArrayList<>();
        lines.add("--- perf produce summary" + (interrupted ? " (interrupted)" : "") + " ---");
        lines.add("topics          " + String.join(", ", topicNames.size() > 3
                ? List.of(topicNames.get(0), "...", topicNames.get(topicNames.size() - 1)) : topicNames)
                + " (" + producerCount + " producer(s), " + size + "-byte messages)");
        lines.add("duration        " + Format.f2(seconds) + " s (first send to last answer)");
        lines.add("sent            " + Format.count(a) + " acknowledged, " + Format.count(f) + " failed"
                + (pending > 0 ? ", " + Format.count(pending) + " still pending" : "") + " (errors: " + errorsText() + ")");
        lines.add("throughput      " + Format.f1(msgs) + " msg/s, " + Format.f2(mb) + " MB/s (payload, 10^6 B)");
        lines.add("latency ms      mean " + Format.ms((long) l.meanMicros()) + "  " + l.toMillisText()
                + (warmupSeconds > 0 ? "  (after " + Format.f1(warmupSeconds) + " s warm-up)" : ""));
        lines.add("publish pause   longest " + Format.nanosAsMs(p.longestNanos()) + " ms"
                + (p.longestNanos() > 0 ? " (from " + Format.f2(longestAt) + " s" + (p.longestOpen() ? ", still open at the end" : "") + ")" : "")
                + "; gaps > " + Format.nanosAsMs(p.thresholdNanos()) + " ms: " + p.gapsOverThreshold()
                + (p.gapsOverThreshold() > 0 ? " (p50 " + Format.nanosAsMs(p.gapP50Nanos()) + " ms, p99 "
                        + Format.nanosAsMs(p.gapP99Nanos()) + " ms, max " + Format.nanosAsMs(p.gapMaxNanos()) + " ms)" : ""));

        Map<String, Object> json = new LinkedHashMap<>();
        json.put("command", "produce");
        json.put("startedAt", startedAt.toString());
        json.put("serviceUrl", serviceUrl);
        json.put("topics", topicNames);
        json.put("producersPerTopic", producersPerTopic);
        json.put("messageSize", size);
        json.put("rate", rate);
        json.put("numMessages", numMessages);
        json.put("durationLimitSeconds", durationSeconds);
        json.put("warmupSeconds", warmupSeconds);
        Map<String, Object> batching = new LinkedHashMap<>();
        batching.put("enabled", !noBatching);
        batching.put("maxMessages", batchMaxMessages);
        batching.put("maxBytes", batchMaxBytes);
        batching.put("delayMs", batchDelayMs);
        json.put("batching", batching);
        json.put("maxPending", maxPending);
        json.put("durationSeconds", Format.round3(seconds));
        json.put("sent", a);
        json.put("failed", f);
        json.put("pending", pending);
        json.put("attempted", attempted.sum());
        json.put("msgPerSec", Format.round3(msgs));
        json.put("mbPerSec", Format.round3(mb));
        json.put("latencyMs", l.toJsonMillis());
        Map<String, Object> pause = new LinkedHashMap<>();
        pause.put("longestMs", Format.round3(p.longestNanos() / 1e6));
        pause.put("longestStartSeconds", Format.round3(longestAt));
        pause.put("longestOpenAtEnd", p.longestOpen());
        Map<String, Object> gaps = new LinkedHashMap<>();
        gaps.put("thresholdMs", Format.round3(p.thresholdNanos() / 1e6));
        gaps.put("count", p.gapsOverThreshold());
        gaps.put("p50Ms", Format.round3(p.gapP50Nanos() / 1e6));
        gaps.put("p99Ms", Format.round3(p.gapP99Nanos() / 1e6));
        gaps.put("maxMs", Format.round3(p.gapMaxNanos() / 1e6));
        pause.put("gaps", gaps);
        json.put("publishPause", pause);
        json.put("errors", errorsByKind());
        return new Summary(lines, json);
    }

    @Override
    ReportSource reportSource() {
        return new ReportSource("tributary perf produce " + String.join(", ", topicNames.size() > 3
                ? List.of(topicNames.get(0), "...", topicNames.get(topicNames.size() - 1)) : topicNames),
                "Publish latency", acked::sum, latency, () -> {
                    List<double[]> out = new ArrayList<>();
                    for (long[] g : pauses.gaps()) {
                        out.add(new double[] {(g[0] - startNanos) / 1e9, g[1] / 1e6});
                    }
                    return out;
                });
    }

    private void closeQuietly(List<Producer<byte[]>> producers, TributaryClient client) {
        // bounded: after a stall the pending sends would hold close() up to the send timeout
        long waitMs = interrupted ? 1000 : 5000;
        List<CompletableFuture<Void>> closing = new ArrayList<>();
        for (Producer<byte[]> p : producers) {
            closing.add(p.closeAsync());
        }
        try {
            CompletableFuture.allOf(closing.toArray(new CompletableFuture<?>[0])).get(waitMs, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            // reported by the summary already (pending / failed)
        }
        try {
            client.closeAsync().get(waitMs, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            // nothing more to do
        }
    }

    private void writePauseLog() {
        if (pauseLog == null) {
            return;
        }
        long nowNanos = System.nanoTime();
        long nowMs = System.currentTimeMillis();
        StringBuilder out = new StringBuilder();
        for (long[] g : pauses.gaps()) {
            long startMs = nowMs - (nowNanos - g[0]) / 1_000_000;
            out.append(startMs).append(' ').append(String.format(java.util.Locale.ROOT, "%.1f", g[1] / 1e6)).append('\n');
        }
        try {
            java.nio.file.Files.writeString(pauseLog, out);
        } catch (java.io.IOException e) {
            System.err.println("could not write " + pauseLog + ": " + e.getMessage());
        }
    }
}
