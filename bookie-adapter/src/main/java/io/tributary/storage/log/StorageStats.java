package io.tributary.storage.log;

import java.util.concurrent.atomic.LongAdder;

/**
 * What the logs and cursors of one {@link ManagedLogFactory} (one broker) did, counted for its
 * metrics: ledgers rolled over and trimmed, cursor states persisted, how long each took and how
 * many failed. Thread-safe and cheap: each log and cursor counts from its own thread.
 */
public final class StorageStats {
    /** Upper bounds (seconds) of the cursor persistence latency buckets; the last bucket is +Inf. */
    public static final double[] PERSIST_BUCKETS = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};

    private final LongAdder rollovers = new LongAdder();
    private final LongAdder ledgersTrimmed = new LongAdder();
    private final LongAdder persistFailures = new LongAdder();
    private final LongAdder persistNanos = new LongAdder();
    /** Persists per bucket (not cumulative); one more than {@link #PERSIST_BUCKETS} for +Inf. */
    private final LongAdder[] persistBuckets = new LongAdder[PERSIST_BUCKETS.length + 1];

    public StorageStats() {
        for (int i = 0; i < persistBuckets.length; i++) {
            persistBuckets[i] = new LongAdder();
        }
    }

    void rolledOver() {
        rollovers.increment();
    }

    void trimmed(int ledgers) {
        ledgersTrimmed.add(ledgers);
    }

    /** A cursor's state was written ({@code ok}) or failed to be, after {@code nanos}. */
    public void cursorPersisted(long nanos, boolean ok) {
        if (!ok) {
            persistFailures.increment();
            return;
        }
        persistNanos.add(nanos);
        double seconds = nanos / 1e9;
        int i = 0;
        while (i < PERSIST_BUCKETS.length && seconds > PERSIST_BUCKETS[i]) {
            i++;
        }
        persistBuckets[i].increment();
    }

    /** Ledgers closed for a new one (size, entries or age reached), since the broker started. */
    public long rollovers() {
        return rollovers.sum();
    }

    /** Ledgers deleted because every subscription had consumed them and retention no longer kept them. */
    public long ledgersTrimmed() {
        return ledgersTrimmed.sum();
    }

    /** Cursor writes that failed (they are retried). */
    public long persistFailures() {
        return persistFailures.sum();
    }

    /** Seconds all successful cursor writes took together. */
    public double persistSeconds() {
        return persistNanos.sum() / 1e9;
    }

    /** Successful cursor writes per latency bucket, cumulative, the last being all of them (+Inf). */
    public long[] persistCumulativeBuckets() {
        long[] out = new long[persistBuckets.length];
        long sum = 0;
        for (int i = 0; i < persistBuckets.length; i++) {
            sum += persistBuckets[i].sum();
            out[i] = sum;
        }
        return out;
    }
}
