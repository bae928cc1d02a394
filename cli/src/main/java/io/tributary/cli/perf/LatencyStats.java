package io.tributary.cli.perf;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * A latency distribution in microseconds: recording is wait-free and allocation-free (an
 * HdrHistogram {@link Recorder}, safe from any thread, e.g. the client's callback threads);
 * the reporter takes interval histograms and adds them to the total. Values are clamped to
 * [0, 1 h].
 */
final class LatencyStats {
    static final long MAX_MICROS = TimeUnit.HOURS.toMicros(1);

    /** Percentiles of a distribution, in microseconds. */
    record Summary(long count, double meanMicros, long p50, long p95, long p99, long p999, long max) {
        static final Summary EMPTY = new Summary(0, 0, 0, 0, 0, 0, 0);

        static Summary of(Histogram h) {
            if (h.getTotalCount() == 0) {
                return EMPTY;
            }
            return new Summary(h.getTotalCount(), h.getMean(), h.getValueAtPercentile(50), h.getValueAtPercentile(95),
                    h.getValueAtPercentile(99), h.getValueAtPercentile(99.9), h.getMaxValue());
        }

        /** {@code p50 1.23 p95 ... max ...} in milliseconds. */
        String toMillisText() {
            return "p50 " + Format.ms(p50) + "  p95 " + Format.ms(p95) + "  p99 " + Format.ms(p99)
                    + "  p99.9 " + Format.ms(p999) + "  max " + Format.ms(max);
        }

        Map<String, Object> toJsonMillis() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("count", count);
            m.put("mean", Format.round3(meanMicros / 1000.0));
            m.put("p50", Format.round3(p50 / 1000.0));
            m.put("p95", Format.round3(p95 / 1000.0));
            m.put("p99", Format.round3(p99 / 1000.0));
            m.put("p99.9", Format.round3(p999 / 1000.0));
            m.put("max", Format.round3(max / 1000.0));
            return m;
        }
    }

    private final Recorder recorder = new Recorder(MAX_MICROS, 3);
    /** The same values again, taken every second for the report's timeline. */
    private final Recorder perSecond = new Recorder(MAX_MICROS, 2);
    // guarded by this
    private final Histogram total = new Histogram(MAX_MICROS, 3);
    private Histogram interval;
    private Histogram second;

    void recordMicros(long micros) {
        long v = micros < 0 ? 0 : Math.min(micros, MAX_MICROS);
        recorder.recordValue(v);
        perSecond.recordValue(v);
    }

    /** What was recorded since the previous call of this method: one point of the report's timeline. */
    synchronized Summary takeSecond() {
        second = perSecond.getIntervalHistogram(second);
        return Summary.of(second);
    }

    /** A copy of everything recorded so far, for the report's percentile plot. */
    synchronized Histogram totalHistogram() {
        takeInterval();
        return total.copy();
    }

    /** What was recorded since the previous call; it is added to the total. */
    synchronized Summary takeInterval() {
        interval = recorder.getIntervalHistogram(interval);
        total.add(interval);
        return Summary.of(interval);
    }

    /** Everything recorded so far. */
    synchronized Summary total() {
        takeInterval();
        return Summary.of(total);
    }
}
