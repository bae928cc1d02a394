package io.tributary.chaos.load;

import java.time.Duration;
import java.util.SplittableRandom;

/**
 * STAND-IN for h10-g's load plan (same signatures): the lead replaces this file with theirs at merge.
 * A few named producers on a few topics.
 */
public record LoadPlan(long seed, long durationMillis, int topics, int messagesPerSecond) {
    public static LoadPlan fromSeed(long seed, Duration duration) {
        SplittableRandom rnd = new SplittableRandom(seed);
        return new LoadPlan(seed, duration.toMillis(), 2 + rnd.nextInt(3), 20 + rnd.nextInt(30));
    }
}
