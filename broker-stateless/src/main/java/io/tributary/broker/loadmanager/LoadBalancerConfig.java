package io.tributary.broker.loadmanager;

import com.google.common.base.Preconditions;
import java.time.Duration;

/**
 * How the load manager spreads bundles (see docs/load-balancing.md).
 *
 * @param enabled shed and split automatically (assignment of unowned bundles always runs)
 * @param reportInterval how often each broker publishes its load report
 * @param interval how often the leader looks for bundles to shed or split
 * @param overloadThreshold a broker sheds when its load exceeds the cluster average by this fraction (0.25 = 25%)
 * @param gracePeriod a bundle that changed owner less than this long ago is not moved again, and never
 *                    moved back to the broker it came from within this time
 * @param maxMoveShare one cycle moves at most this share of the cluster's total load
 * @param maxMovesPerCycle one cycle moves at most this many bundles
 * @param minRateToBalance below this total message rate (msg/s) nothing is shed: moving idle bundles is churn
 * @param splitTopicThreshold a bundle with more topics than this is split
 * @param splitRateThreshold a bundle with a higher message rate (in + out, msg/s) than this is split
 * @param maxBundlesPerNamespace splitting stops at this many bundles in a namespace
 */
public record LoadBalancerConfig(
        boolean enabled,
        Duration reportInterval,
        Duration interval,
        double overloadThreshold,
        Duration gracePeriod,
        double maxMoveShare,
        int maxMovesPerCycle,
        double minRateToBalance,
        int splitTopicThreshold,
        double splitRateThreshold,
        int maxBundlesPerNamespace) {

    public static final LoadBalancerConfig DEFAULT = new LoadBalancerConfig(true, Duration.ofSeconds(5),
            Duration.ofSeconds(10), 0.25, Duration.ofSeconds(60), 0.3, 8, 100, 1000, 20_000, 128);

    public LoadBalancerConfig {
        Preconditions.checkArgument(!reportInterval.isNegative() && !reportInterval.isZero(), "broker.loadReportInterval must be positive");
        Preconditions.checkArgument(!interval.isNegative() && !interval.isZero(), "broker.loadBalancerInterval must be positive");
        Preconditions.checkArgument(overloadThreshold > 0, "broker.loadBalancerOverloadThreshold must be > 0");
        Preconditions.checkArgument(!gracePeriod.isNegative(), "broker.loadBalancerGracePeriod must not be negative");
        Preconditions.checkArgument(maxMoveShare > 0 && maxMoveShare <= 1, "broker.loadBalancerMaxMoveShare must be in (0, 1]");
        Preconditions.checkArgument(maxMovesPerCycle >= 1, "broker.loadBalancerMaxMovesPerCycle must be >= 1");
        Preconditions.checkArgument(minRateToBalance >= 0, "broker.loadBalancerMinRate must be >= 0");
        Preconditions.checkArgument(splitTopicThreshold >= 1, "broker.bundleSplitTopicThreshold must be >= 1");
        Preconditions.checkArgument(splitRateThreshold > 0, "broker.bundleSplitRateThreshold must be > 0");
        Preconditions.checkArgument(maxBundlesPerNamespace >= 1, "broker.maxBundlesPerNamespace must be >= 1");
    }
}
