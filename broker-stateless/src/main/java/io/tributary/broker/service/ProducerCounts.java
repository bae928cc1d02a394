package io.tributary.broker.service;

import java.util.concurrent.ConcurrentHashMap;

/**
 * Live producers per topic on this broker, against {@code broker.maxProducersPerTopic}: each
 * producer takes its topic's memory (dedup state, pending appends, a stream), so a topic takes only
 * so many. Thread-safe; a topic without producers has no entry.
 */
final class ProducerCounts {
    private final int max;
    private final ConcurrentHashMap<String, Integer> counts = new ConcurrentHashMap<>();

    ProducerCounts(int max) {
        this.max = max;
    }

    int max() {
        return max;
    }

    /** Counts one more producer on {@code topic}; false (and nothing counted) if it already has the maximum. */
    boolean tryAdd(String topic) {
        boolean[] added = new boolean[1];
        counts.compute(topic, (k, n) -> {
            int now = n == null ? 0 : n;
            if (now >= max) {
                return n;
            }
            added[0] = true;
            return now + 1;
        });
        return added[0];
    }

    /** A producer counted by {@link #tryAdd} ended. */
    void remove(String topic) {
        counts.computeIfPresent(topic, (k, n) -> n <= 1 ? null : n - 1);
    }
}
