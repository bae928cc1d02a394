package io.tributary.client.impl.producer;

import io.tributary.client.ProducerStats;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * A producer's counters and send-latency histogram. Recording is lock-free (adders and an
 * HdrHistogram {@link Recorder}), so the send path pays a few uncontended atomic adds per message;
 * a snapshot drains the recorder into a running total under this object's monitor.
 */
final class ProducerStatsRecorder {
    /** Two significant digits: percentiles within 1%, a histogram of a few KiB. */
    private static final int DIGITS = 2;

    private final LongAdder messagesSent = new LongAdder();
    private final LongAdder bytesSent = new LongAdder();
    private final LongAdder acksReceived = new LongAdder();
    private final LongAdder sendFailures = new LongAdder();
    private final LongAdder pendingMessages = new LongAdder();
    private final LongAdder pendingBytes = new LongAdder();
    /** Latencies in microseconds; auto-resizing, so any value fits. */
    private final Recorder latencies = new Recorder(DIGITS);
    // guarded by this
    private final Histogram total = new Histogram(DIGITS);
    private Histogram interval;

    void sent(int messages, int entryBytes) {
        messagesSent.add(messages);
        bytesSent.add(entryBytes);
    }

    /** One message acknowledged, {@code latencyNanos} after it was handed to {@code sendAsync}. */
    void acked(long latencyNanos) {
        acksReceived.increment();
        latencies.recordValue(Math.max(0, TimeUnit.NANOSECONDS.toMicros(latencyNanos)));
    }

    void failed(int messages) {
        sendFailures.add(messages);
    }

    /** Messages accepted (positive) or answered (negative), with the bytes they hold. */
    void pending(int messages, long bytes) {
        pendingMessages.add(messages);
        pendingBytes.add(bytes);
    }

    ProducerStats snapshot() {
        long p50;
        long p95;
        long p99;
        long max;
        double mean;
        synchronized (this) {
            interval = latencies.getIntervalHistogram(interval);
            total.add(interval);
            p50 = total.getValueAtPercentile(50);
            p95 = total.getValueAtPercentile(95);
            p99 = total.getValueAtPercentile(99);
            max = total.getMaxValue();
            mean = total.getTotalCount() == 0 ? 0 : total.getMean();
        }
        return new Snapshot(messagesSent.sum(), bytesSent.sum(), acksReceived.sum(), sendFailures.sum(),
                pendingMessages.sum(), pendingBytes.sum(), mean / 1000.0, p50 / 1000.0, p95 / 1000.0, p99 / 1000.0,
                max / 1000.0);
    }

    /** An immutable snapshot. */
    private record Snapshot(long messagesSent, long bytesSent, long acksReceived, long sendFailures,
                            long pendingMessages, long pendingBytes, double meanMs, double p50Ms, double p95Ms,
                            double p99Ms, double maxMs) implements ProducerStats {
        @Override
        public long getMessagesSent() {
            return messagesSent;
        }

        @Override
        public long getBytesSent() {
            return bytesSent;
        }

        @Override
        public long getAcksReceived() {
            return acksReceived;
        }

        @Override
        public long getSendFailures() {
            return sendFailures;
        }

        @Override
        public long getPendingMessages() {
            return pendingMessages;
        }

        @Override
        public long getPendingBytes() {
            return pendingBytes;
        }

        @Override
        public double getSendLatencyMeanMs() {
            return meanMs;
        }

        @Override
        public double getSendLatencyP50Ms() {
            return p50Ms;
        }

        @Override
        public double getSendLatencyP95Ms() {
            return p95Ms;
        }

        @Override
        public double getSendLatencyP99Ms() {
            return p99Ms;
        }

        @Override
        public double getSendLatencyMaxMs() {
            return maxMs;
        }
    }
}
