package io.tributary.broker.metrics;

/**
 * A counter with a rate over the last few seconds, for stats. Events are counted into one-second
 * buckets; the rate is the average of the last {@link #WINDOW} complete seconds. Thread-safe.
 */
public final class Rate {
    static final int WINDOW = 5;

    private final long[] buckets = new long[WINDOW + 1];
    private long bucketSecond;
    private long total;

    public synchronized void record(long n) {
        roll(System.currentTimeMillis() / 1000);
        buckets[(int) (bucketSecond % buckets.length)] += n;
        total += n;
    }

    public synchronized long total() {
        return total;
    }

    /** Events per second over the last {@link #WINDOW} complete seconds. */
    public synchronized double perSecond() {
        long now = System.currentTimeMillis() / 1000;
        roll(now);
        long sum = 0;
        for (int i = 1; i <= WINDOW; i++) {
            sum += buckets[(int) ((now - i) % buckets.length)];
        }
        return sum / (double) WINDOW;
    }

    private void roll(long second) {
        if (second <= bucketSecond) {
            return;
        }
        long steps = Math.min(buckets.length, second - bucketSecond);
        for (long s = 1; s <= steps; s++) {
            buckets[(int) ((bucketSecond + s) % buckets.length)] = 0;
        }
        bucketSecond = second;
    }
}
