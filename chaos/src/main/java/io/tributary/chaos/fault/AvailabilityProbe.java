package io.tributary.chaos.fault;

import io.tributary.client.Producer;
import io.tributary.client.Schema;
import io.tributary.client.TributaryClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Measures whether publishing works: every half second it sends one message to each probe topic (spread over
 * the bundles), through each proxy in turn, and records whether all got through within a few seconds. The probe topics are
 * its own ({@code chaos-probe-N}), so the checker's accounting never sees them.
 */
public final class AvailabilityProbe implements AutoCloseable {
    private static final Duration SEND_TIMEOUT = Duration.ofSeconds(4);
    private static final long INTERVAL_MILLIS = 500;

    private final List<TributaryClient> clients = new ArrayList<>();
    private final List<List<Producer<byte[]>>> producers = new ArrayList<>();
    private final List<String> topics = new ArrayList<>();
    private final long originNanos;
    private final Thread thread;
    private final List<long[]> samples = new ArrayList<>(); // {start, end (millis from origin), ok ? 1 : 0}
    private volatile boolean stopped;

    /** Starts probing through {@code serviceUrls}; times are measured from {@code originNanos} ({@link System#nanoTime()}). */
    public AvailabilityProbe(List<String> serviceUrls, int topicCount, long originNanos) throws Exception {
        this.originNanos = originNanos;
        for (int i = 0; i < topicCount; i++) {
            topics.add("public/default/chaos-probe-" + i);
        }
        for (String url : serviceUrls) {
            clients.add(TributaryClient.builder().serviceUrl(url).operationTimeout(SEND_TIMEOUT).build());
            List<Producer<byte[]>> row = new ArrayList<>();
            for (int i = 0; i < topicCount; i++) {
                row.add(null);
            }
            producers.add(row);
        }
        thread = new Thread(this::loop, "chaos-probe");
        thread.setDaemon(true);
        thread.start();
    }

    private void loop() {
        for (int round = 0; !stopped; round++) {
            long t0 = System.nanoTime();
            boolean ok = true;
            // the proxies take turns, so a dead proxy shows as well as a dead owner
            int client = round % clients.size();
            for (int i = 0; i < topics.size() && !stopped; i++) {
                ok &= send(client, i);
            }
            synchronized (samples) {
                samples.add(new long[] {millis(t0), millis(System.nanoTime()), ok ? 1 : 0});
                samples.notifyAll();
            }
            long left = INTERVAL_MILLIS - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            if (left > 0) {
                try {
                    Thread.sleep(left); // the probe's own pace
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }

    private boolean send(int c, int topic) {
        try {
            Producer<byte[]> p = producers.get(c).get(topic);
            if (p == null) {
                p = clients.get(c).newProducer(Schema.BYTES).topic(topics.get(topic)).sendTimeout(SEND_TIMEOUT)
                        .enableBatching(false).create();
                producers.get(c).set(topic, p);
            }
            p.sendAsync("probe".getBytes(StandardCharsets.UTF_8)).get(SEND_TIMEOUT.toMillis() + 1_000, TimeUnit.MILLISECONDS);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stopped = true;
            return false;
        } catch (Exception e) {
            return false; // this proxy or the topic's owner does not answer now: a failed sample
        }
    }

    private long millis(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos - originNanos);
    }

    /**
     * Waits (at most {@code timeout}) for a successful sample that started at or after {@code fromMillis}; returns
     * when it ended (all probe topics had taken a message by then), or -1.
     */
    public long awaitAvailable(long fromMillis, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (samples) {
            while (true) {
                for (long[] s : samples) {
                    if (s[0] >= fromMillis && s[2] == 1) {
                        return s[1];
                    }
                }
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0 || stopped) {
                    return -1;
                }
                samples.wait(left);
            }
        }
    }

    /** Roughly how long publishing failed between {@code fromMillis} and {@code toMillis}: the failed samples' time. */
    public long unavailableMillis(long fromMillis, long toMillis) {
        synchronized (samples) {
            return samples.stream().filter(s -> s[0] >= fromMillis && s[0] < toMillis && s[2] == 0)
                    .mapToLong(s -> s[1] - s[0] + INTERVAL_MILLIS).sum();
        }
    }

    /**
     * The slowest sample between {@code fromMillis} and {@code toMillis}: how long one round of sends to every probe
     * topic took at worst (the client's retries hide short outages from failures, not from latency).
     */
    public long slowestRoundMillis(long fromMillis, long toMillis) {
        synchronized (samples) {
            return samples.stream().filter(s -> s[0] >= fromMillis && s[0] < toMillis).mapToLong(s -> s[1] - s[0]).max().orElse(0);
        }
    }

    @Override
    public void close() {
        stopped = true;
        thread.interrupt();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (TributaryClient c : clients) {
            try {
                c.close();
            } catch (Exception e) {
                // closing at the end of a run: nothing to do
            }
        }
    }
}
