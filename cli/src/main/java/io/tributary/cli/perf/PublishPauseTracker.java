package io.tributary.cli.perf;

import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * Measures publish pauses: intervals during which messages were outstanding (sent, not yet
 * answered) and no acknowledgement arrived. This is what a client sees while a topic moves
 * between brokers, a bookie stalls or a broker garbage-collects.
 *
 * <p>A pause window opens when the first message is sent while nothing is outstanding, and
 * again at every acknowledgement that leaves messages outstanding. It closes at the next
 * acknowledgement (the gap is {@code ack time - window start}), or when the last outstanding
 * message fails (a stall that ended without any acknowledgement), or at {@link #finish(long)}
 * if messages are still outstanding then (an open pause, e.g. Ctrl-C during a stall). So the
 * time before the first send, or between an answer that emptied the pipeline and the next
 * send, never counts: only time with sends outstanding does.
 *
 * <p>Every closed gap feeds the longest pause and the per-interval maximum; gaps above the
 * threshold (10 ms by default) also go into a histogram. Timestamps are {@link System#nanoTime()}
 * values passed in by the caller, which keeps the class testable; callers on several threads may
 * pass slightly out-of-order values, so time never runs backwards here (gaps are clamped at 0
 * and window starts only move forward). Thread-safe; the methods are short and do not allocate.
 */
final class PublishPauseTracker {
    static final long DEFAULT_THRESHOLD_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    private static final long MAX_TRACKED_MICROS = TimeUnit.HOURS.toMicros(24);

    /** The pauses seen so far; times in nanoseconds, gap percentiles of gaps above the threshold. */
    record Snapshot(long thresholdNanos, long longestNanos, long longestStartNanos, boolean longestOpen,
                    long gapsOverThreshold, long gapP50Nanos, long gapP99Nanos, long gapMaxNanos,
                    long outstanding) {
    }

    private final long thresholdNanos;
    private static final int MAX_LISTED_GAPS = 100_000;
    private final java.util.List<long[]> gapList = new java.util.ArrayList<>();
    private final Histogram gapsMicros = new Histogram(MAX_TRACKED_MICROS, 3);

    // guarded by this
    private long outstanding;
    /** Start of the current window; meaningful only while outstanding > 0. */
    private long windowStart;
    private long longest = -1;
    private long longestStart;
    private boolean longestOpen;
    private long intervalMax;
    private boolean finished;
    private boolean ignoring;
    private long ignoreUntil;

    PublishPauseTracker() {
        this(DEFAULT_THRESHOLD_NANOS);
    }

    PublishPauseTracker(long thresholdNanos) {
        this.thresholdNanos = thresholdNanos;
    }

    /** Gaps that end before {@code nanos} (a warm-up) are not counted. Call before the first send. */
    synchronized void ignoreGapsEndingBefore(long nanos) {
        ignoring = true;
        ignoreUntil = nanos;
    }

    /** A message is about to be sent (call it before the send, so that its answer cannot come first). */
    synchronized void onSend(long now) {
        if (outstanding == 0) {
            windowStart = now;
        }
        outstanding++;
    }

    /** A message was acknowledged. */
    synchronized void onAck(long now) {
        if (outstanding == 0) {
            return; // an answer without a matching send: ignore rather than corrupt the count
        }
        closeWindow(now, false);
        outstanding--;
        windowStart = Math.max(windowStart, now);
    }

    /** A message failed: it is no longer outstanding, but a failure is no sign of progress. */
    synchronized void onFailure(long now) {
        if (outstanding == 0) {
            return;
        }
        outstanding--;
        if (outstanding == 0) {
            // everything outstanding failed: the pause ends here, without an acknowledgement
            closeWindow(now, false);
        }
    }

    /**
     * Ends the measurement: if messages are still outstanding, the window open since the last
     * acknowledgement counts as a pause (marked open if it is the longest). Later calls change nothing.
     */
    synchronized Snapshot finish(long now) {
        if (!finished) {
            finished = true;
            if (outstanding > 0) {
                closeWindow(now, true);
            }
        }
        return snapshotLocked();
    }

    synchronized Snapshot snapshot() {
        return snapshotLocked();
    }

    /** The longest gap closed since the previous call (0 if none), counting an open window up to {@code now}. */
    synchronized long takeIntervalMax(long now) {
        long max = intervalMax;
        if (outstanding > 0 && !finished) {
            max = Math.max(max, now - windowStart);
        }
        intervalMax = 0;
        return Math.max(0, max);
    }

    synchronized long outstanding() {
        return outstanding;
    }

    private void closeWindow(long now, boolean open) {
        if (ignoring && now - ignoreUntil < 0) {
            return;
        }
        long gap = Math.max(0, now - windowStart);
        if (gap > longest) {
            longest = gap;
            longestStart = windowStart;
            longestOpen = open;
        }
        if (gap > intervalMax) {
            intervalMax = gap;
        }
        if (gap > thresholdNanos) {
            gapsMicros.recordValue(Math.min(MAX_TRACKED_MICROS, TimeUnit.NANOSECONDS.toMicros(gap)));
            if (gapList.size() < MAX_LISTED_GAPS) {
                gapList.add(new long[] {windowStart, gap});
            }
        }
    }

    /** Each gap above the threshold as {start nanos, length nanos}, in order (at most the first 100,000). */
    synchronized java.util.List<long[]> gaps() {
        return java.util.List.copyOf(gapList);
    }

    private Snapshot snapshotLocked() {
        long n = gapsMicros.getTotalCount();
        return new Snapshot(thresholdNanos, Math.max(0, longest), longestStart, longestOpen, n,
                n == 0 ? 0 : micros(gapsMicros.getValueAtPercentile(50)),
                n == 0 ? 0 : micros(gapsMicros.getValueAtPercentile(99)),
                n == 0 ? 0 : micros(gapsMicros.getMaxValue()),
                outstanding);
    }

    private static long micros(long us) {
        return TimeUnit.MICROSECONDS.toNanos(us);
    }
}
