package io.tributary.cli.perf;

import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * One point a second for the HTML report: messages a second and latency percentiles of that second.
 * Bounded: a run longer than {@link #MAX_POINTS} seconds keeps its first {@link #MAX_POINTS} points.
 */
final class Timeline {
    /** A day of seconds. */
    static final int MAX_POINTS = 86_400;

    /** Seconds since the run began, messages a second, latency (ms) of the second: p50, p99, max. */
    record Point(double atSeconds, double perSecond, double p50Ms, double p99Ms, double maxMs) {}

    private final LongSupplier count;
    private final LatencyStats latency;
    private final long startNanos;
    private final List<Point> points = new ArrayList<>();
    private long lastCount;
    private long lastNanos;

    Timeline(LongSupplier count, LatencyStats latency, long startNanos) {
        this.count = count;
        this.latency = latency;
        this.startNanos = startNanos;
        this.lastNanos = startNanos;
        this.lastCount = count.getAsLong();
    }

    /** Takes the point of the second that just ended. */
    synchronized void sample(long nowNanos) {
        long c = count.getAsLong();
        double seconds = Math.max(1e-9, (nowNanos - lastNanos) / 1e9);
        LatencyStats.Summary s = latency.takeSecond();
        if (points.size() < MAX_POINTS) {
            points.add(new Point((nowNanos - startNanos) / 1e9, (c - lastCount) / seconds,
                    s.p50() / 1000.0, s.p99() / 1000.0, s.max() / 1000.0));
        }
        lastCount = c;
        lastNanos = nowNanos;
    }

    synchronized List<Point> points() {
        return List.copyOf(points);
    }

    long startNanos() {
        return startNanos;
    }
}
