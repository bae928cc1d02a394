package io.tributary.cli.perf;

import io.tributary.client.Consumer;
import io.tributary.client.Message;
import io.tributary.client.SubscriptionInitialPosition;
import io.tributary.client.SubscriptionType;
import io.tributary.client.TributaryClient;
import io.tributary.client.TributaryClientException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

@Command(name = "consume", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Receives and acknowledges messages; reports throughput and end-to-end latency.",
                "End-to-end latency is the receive time minus the message's publish time (set by the producer "
                        + "when it closes the batch), so producer and consumer clocks must agree: run both on one "
                        + "host. Stops after -n messages, after -d seconds or on Ctrl-C, and prints a summary."})
final class PerfConsume extends PerfBase {
    private static final long RECEIVE_POLL_MS = 100;

    @Parameters(index = "0", paramLabel = "TOPIC", description = "tenant/namespace/topic")
    String topic;

    @Option(names = {"-s", "--subscription"}, defaultValue = "perf-sub", paramLabel = "NAME", description = "Subscription name (default: ${DEFAULT-VALUE}).")
    String subscription;

    @Option(names = "--subscriptions", defaultValue = "1", paramLabel = "K",
            description = "Subscriptions per topic, each with its own consumer: NAME-0 .. NAME-(K-1) when more than 1 "
                    + "(default: ${DEFAULT-VALUE}). With --topics 100, --subscriptions 3 and a producer at a fixed rate "
                    + "on the same topics: the OpenMessaging Benchmark's 100-topics workload.")
    int subscriptionsPerTopic;

    @Option(names = "--type", defaultValue = "Exclusive", paramLabel = "TYPE",
            description = "Subscription type: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    SubscriptionType type;

    @Option(names = {"-n", "--num-messages"}, defaultValue = "0", paramLabel = "N",
            description = "Stop after receiving this many messages over all topics; 0 = until the duration or Ctrl-C (default: ${DEFAULT-VALUE}).")
    long numMessages;

    @Option(names = "--receiver-queue", defaultValue = "1000", paramLabel = "N",
            description = "Messages prefetched per consumer (default: ${DEFAULT-VALUE}).")
    int receiverQueue;

    @Option(names = "--position", defaultValue = "Latest", paramLabel = "POSITION",
            description = "Where a new subscription starts: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    SubscriptionInitialPosition position;

    private final LatencyStats e2e = new LatencyStats();
    private final AtomicLong received = new AtomicLong();
    private final LongAdder bytes = new LongAdder();
    private final LongAdder redelivered = new LongAdder();
    private final LongAdder acksSent = new LongAdder();
    private final LongAdder acksConfirmed = new LongAdder();
    private final LongAdder acksFailed = new LongAdder();
    /** Consumers (and receiving threads) at most: --topics times --subscriptions. */
    static final int MAX_CONSUMERS = 2000;
    private volatile long firstReceiveNanos;
    private volatile long lastReceiveNanos;
    private List<String> topicNames = List.of();
    // for the progress lines
    private long lastReceived;
    private long lastBytes;

    @Override
    void validate() {
        List<String> bad = new ArrayList<>();
        if (numMessages < 0 || durationSeconds < 0) {
            bad.add("--num-messages and --duration must not be negative");
        }
        if (topics < 1 || receiverQueue < 1 || subscriptionsPerTopic < 1) {
            bad.add("--topics, --subscriptions and --receiver-queue must be at least 1");
        }
        if ((long) topics * subscriptionsPerTopic > MAX_CONSUMERS) {
            bad.add("--topics times --subscriptions must be at most " + MAX_CONSUMERS + " (one consumer and thread each)");
        }
        if (!(reportIntervalSeconds > 0)) {
            bad.add("--report-interval must be positive");
        }
        if (!bad.isEmpty()) {
            throw new ParameterException(spec.commandLine(), String.join("; ", bad));
        }
    }

    @Override
    int run() throws Exception {
        topicNames = topicNames(topic, topics);
        out().println("perf consume: " + topicNames.size() + " topic(s) " + String.join(", ", topicNames)
                + ", subscription " + String.join(", ", subscriptionNames()) + " (" + type + ", new subscriptions start at " + position
                + "), receiver queue " + receiverQueue
                + (numMessages > 0 ? ", " + numMessages + " messages" : "")
                + (durationSeconds > 0 ? ", " + Format.f1(durationSeconds) + " s" : "")
                + ", service " + serviceUrl);
        out().flush();
        TributaryClient client = clientConfig.clientBuilder().build();
        List<Consumer<byte[]>> consumers = new ArrayList<>();
        try {
            List<CompletableFuture<Consumer<byte[]>>> subscribing = new ArrayList<>();
            for (String sub : subscriptionNames()) {
                for (String t : topicNames) {
                    subscribing.add(client.newConsumer()
                            .topic(t)
                            .subscriptionName(sub)
                            .subscriptionType(type)
                            .subscriptionInitialPosition(position)
                            .receiverQueueSize(receiverQueue)
                            .subscribeAsync());
                }
            }
            for (CompletableFuture<Consumer<byte[]>> f : subscribing) {
                try {
                    consumers.add(f.join());
                } catch (java.util.concurrent.CompletionException e) {
                    err().println("error: could not subscribe: " + TributaryClientException.from(e).getMessage());
                    return 1;
                }
            }

            startNanos = System.nanoTime();
            startReports(this::progressLine);
            List<Thread> receivers = new ArrayList<>();
            for (int i = 0; i < consumers.size(); i++) {
                Consumer<byte[]> c = consumers.get(i);
                Thread t = new Thread(() -> receiveLoop(c), "perf-consumer-" + i);
                t.setDaemon(true);
                receivers.add(t);
            }
            receivers.forEach(Thread::start);
            for (Thread t : receivers) {
                t.join();
            }
            drainAcks();
            summary(false);
            return acksFailed.sum() > 0 ? 2 : 0;
        } finally {
            long waitMs = interrupted ? 1000 : 5000;
            List<CompletableFuture<Void>> closing = new ArrayList<>();
            for (Consumer<byte[]> c : consumers) {
                closing.add(c.closeAsync());
            }
            try {
                CompletableFuture.allOf(closing.toArray(new CompletableFuture<?>[0])).get(waitMs, TimeUnit.MILLISECONDS);
                client.closeAsync().get(waitMs, TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                // nothing more to report
            }
        }
    }

    private void receiveLoop(Consumer<byte[]> consumer) {
        try {
            while (!stop.get() && !pastDeadline(System.nanoTime())) {
                Message<byte[]> m = consumer.receive(RECEIVE_POLL_MS, TimeUnit.MILLISECONDS);
                if (m == null) {
                    continue;
                }
                long now = System.nanoTime();
                long nowMs = System.currentTimeMillis();
                if (firstReceiveNanos == 0) {
                    firstReceiveNanos = now;
                }
                lastReceiveNanos = now;
                bytes.add(m.getValue().length);
                if (m.getRedeliveryCount() > 0) {
                    redelivered.increment();
                }
                e2e.recordMicros((nowMs - m.getPublishTime()) * 1000);
                acksSent.increment();
                consumer.acknowledgeAsync(m).whenComplete((v, error) -> {
                    if (error == null) {
                        acksConfirmed.increment();
                    } else {
                        acksFailed.increment();
                        recordError(error);
                    }
                });
                if (received.incrementAndGet() >= numMessages && numMessages > 0) {
                    stop.set(true);
                }
            }
        } catch (TributaryClientException | RuntimeException e) {
            if (!stop.get()) {
                recordError(e);
                stop.set(true);
            }
        }
    }

    /** Waits for the broker to confirm the acknowledgements sent, bounded. */
    private void drainAcks() {
        long start = System.nanoTime();
        long limit = interrupted ? INTERRUPTED_DRAIN_NANOS : TimeUnit.SECONDS.toNanos(35);
        while (acksSent.sum() - acksConfirmed.sum() - acksFailed.sum() > 0) {
            if (System.nanoTime() - start >= limit) {
                err().println("perf: gave up waiting for " + (acksSent.sum() - acksConfirmed.sum() - acksFailed.sum())
                        + " acknowledgements");
                err().flush();
                return;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
    }

    private String progressLine(double seconds) {
        long r = received.get();
        long b = bytes.sum();
        double msgs = (r - lastReceived) / seconds;
        double mb = (b - lastBytes) / seconds / 1e6;
        lastReceived = r;
        lastBytes = b;
        LatencyStats.Summary l = e2e.takeInterval();
        return String.format(java.util.Locale.ROOT, "consume %10s msg/s %8s MB/s | ack failed %d | redelivered %d | e2e latency ms %s",
                Format.f1(msgs), Format.f2(mb), acksFailed.sum(), redelivered.sum(), l.toMillisText());
    }

    /** SUB itself, or SUB-0 .. SUB-(K-1). */
    private List<String> subscriptionNames() {
        return topicNames(subscription, subscriptionsPerTopic);
    }

    @Override
    ReportSource reportSource() {
        return new ReportSource("tributary perf consume " + String.join(", ", topicNames.size() > 3
                ? List.of(topicNames.get(0), "...", topicNames.get(topicNames.size() - 1)) : topicNames),
                "End-to-end latency", received::get, e2e, List::of);
    }

    @Override
    Summary buildSummary() {
        long r = received.get();
        long b = bytes.sum();
        long first = firstReceiveNanos;
        long last = lastReceiveNanos;
        // throughput over the span in which messages came; the time to the first one is reported apart
        double seconds = r >= 2 && last > first ? (last - first) / 1e9
                : Math.max(1e-9, ((last != 0 ? last : System.nanoTime()) - startNanos) / 1e9);
        double msgs = r / seconds;
        double mb = b / seconds / 1e6;
        double firstAfter = first != 0 ? (first - startNanos) / 1e9 : 0;
        LatencyStats.Summary l = e2e.total();
        long unconfirmed = Math.max(0, acksSent.sum() - acksConfirmed.sum() - acksFailed.sum());

        List<String> lines = new ArrayList<>();
        lines.add("--- perf consume summary" + (interrupted ? " (interrupted)" : "") + " ---");
        lines.add("subscription    " + String.join(", ", subscriptionNames()) + " (" + type + ") on "
                + String.join(", ", topicNames.size() > 3
                        ? List.of(topicNames.get(0), "...", topicNames.get(topicNames.size() - 1)) : topicNames));
        lines.add("duration        " + Format.f2(seconds) + " s (first to last message; first message "
                + Format.f2(firstAfter) + " s after subscribing)");
        lines.add("received        " + Format.count(r) + " messages, " + Format.count(b) + " bytes; acknowledgements: "
                + Format.count(acksConfirmed.sum()) + " confirmed, " + Format.count(acksFailed.sum()) + " failed"
                + (unconfirmed > 0 ? ", " + Format.count(unconfirmed) + " unconfirmed" : "")
                + "; " + Format.count(redelivered.sum()) + " marked as redelivered (errors: " + errorsText() + ")");
        lines.add("throughput      " + Format.f1(msgs) + " msg/s, " + Format.f2(mb) + " MB/s (payload, 10^6 B)");
        lines.add("e2e latency ms  mean " + Format.ms((long) l.meanMicros()) + "  " + l.toMillisText()
                + " (publish time has ms resolution)");

        Map<String, Object> json = new LinkedHashMap<>();
        json.put("command", "consume");
        json.put("startedAt", startedAt.toString());
        json.put("serviceUrl", serviceUrl);
        json.put("topics", topicNames);
        json.put("subscription", subscription);
        json.put("subscriptionsPerTopic", subscriptionsPerTopic);
        json.put("subscriptionType", type.name());
        json.put("initialPosition", position.name());
        json.put("receiverQueue", receiverQueue);
        json.put("numMessages", numMessages);
        json.put("durationLimitSeconds", durationSeconds);
        json.put("durationSeconds", Format.round3(seconds));
        json.put("firstMessageAfterSeconds", Format.round3(firstAfter));
        json.put("received", r);
        json.put("bytes", b);
        json.put("redelivered", redelivered.sum());
        json.put("acksConfirmed", acksConfirmed.sum());
        json.put("acksFailed", acksFailed.sum());
        json.put("acksUnconfirmed", unconfirmed);
        json.put("msgPerSec", Format.round3(msgs));
        json.put("mbPerSec", Format.round3(mb));
        json.put("e2eLatencyMs", l.toJsonMillis());
        json.put("errors", errorsByKind());
        return new Summary(lines, json);
    }
}
