package io.tributary.broker.loadmanager;

import io.tributary.internal.v1.BundleLoad;
import io.tributary.internal.v1.LoadReport;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The load manager's decisions as pure functions of the brokers' load reports, so every rule can be
 * tested on its own. A broker's load is its message rate in plus out (msg/s).
 *
 * <p>Rules (docs/load-balancing.md): a new bundle goes to the broker with the least load, ties broken
 * by fewer bundles; a broker whose load exceeds the average by the overload threshold sheds bundles to
 * the least loaded brokers, so an idle broker beside loaded ones receives load although no absolute
 * limit is crossed; a bundle is moved only if that narrows the gap between the two brokers, never
 * within the grace period after its last move, and never back to the broker it came from; one cycle
 * moves at most a bounded share of the total load and a bounded number of bundles.
 */
public final class BalancingPolicy {
    private BalancingPolicy() {}

    /** A decision to move one bundle. */
    public record Move(String namespace, String bundle, String from, String to, double load, String reason) {}

    /** A decision to split one bundle. */
    public record Split(String namespace, String bundle, String owner, String reason) {}

    public static double brokerLoad(LoadReport r) {
        return r.getMsgRateIn() + r.getMsgRateOut();
    }

    public static double bundleLoad(BundleLoad b) {
        return b.getMsgRateIn() + b.getMsgRateOut();
    }

    /**
     * The broker a new bundle should go to: the least loaded one that is not draining nor excluded,
     * counting bundles just assigned to it (which its report does not show yet) as load.
     */
    public static Optional<String> leastLoaded(Collection<LoadReport> reports, Map<String, Integer> recentlyAssigned,
                                               Set<String> exclude) {
        return reports.stream()
                .filter(r -> !r.getDraining() && !exclude.contains(r.getBrokerId()))
                .min(Comparator.<LoadReport>comparingDouble(BalancingPolicy::brokerLoad)
                        .thenComparingInt(r -> r.getBundlesCount() + recentlyAssigned.getOrDefault(r.getBrokerId(), 0))
                        .thenComparing(LoadReport::getBrokerId))
                .map(LoadReport::getBrokerId);
    }

    /** The bundles to move now so that overloaded brokers come back towards the average. */
    public static List<Move> shed(Collection<LoadReport> reports, LoadBalancerConfig config, long nowMs) {
        List<LoadReport> active = reports.stream().filter(r -> !r.getDraining()).toList();
        List<Move> moves = new ArrayList<>();
        if (active.size() < 2) {
            return moves;
        }
        double total = active.stream().mapToDouble(BalancingPolicy::brokerLoad).sum();
        if (total < config.minRateToBalance()) {
            return moves;
        }
        double average = total / active.size();
        double limit = average * (1 + config.overloadThreshold());
        double budget = total * config.maxMoveShare();
        Map<String, Double> projected = new HashMap<>();
        active.forEach(r -> projected.put(r.getBrokerId(), brokerLoad(r)));

        List<LoadReport> overloaded = active.stream().filter(r -> brokerLoad(r) > limit)
                .sorted(Comparator.comparingDouble(BalancingPolicy::brokerLoad).reversed()).toList();
        for (LoadReport source : overloaded) {
            List<BundleLoad> candidates = source.getBundlesList().stream()
                    .filter(b -> bundleLoad(b) > 0)
                    .filter(b -> nowMs - b.getOwnedSinceMs() >= config.gracePeriod().toMillis())
                    .sorted(Comparator.comparingDouble(BalancingPolicy::bundleLoad).reversed())
                    .toList();
            for (BundleLoad b : candidates) {
                double bundleLoad = bundleLoad(b);
                if (projected.get(source.getBrokerId()) <= limit || moves.size() >= config.maxMovesPerCycle()) {
                    break;
                }
                if (bundleLoad > budget) {
                    continue;
                }
                Optional<String> target = projected.entrySet().stream()
                        .filter(e -> !e.getKey().equals(source.getBrokerId()))
                        .filter(e -> !e.getKey().equals(b.getPreviousBrokerId()))
                        .min(Map.Entry.<String, Double>comparingByValue().thenComparing(Map.Entry.comparingByKey()))
                        .map(Map.Entry::getKey);
                if (target.isEmpty()) {
                    continue;
                }
                double src = projected.get(source.getBrokerId());
                double dst = projected.get(target.get());
                // only a move that narrows the gap helps; a bundle larger than the gap just moves the hot spot
                if (bundleLoad >= src - dst) {
                    continue;
                }
                moves.add(new Move(b.getNamespace(), b.getBundle(), source.getBrokerId(), target.get(), bundleLoad,
                        String.format("shed: %s carries %.0f msg/s, cluster average %.0f, limit %.0f",
                                source.getBrokerId(), brokerLoad(source), average, limit)));
                projected.put(source.getBrokerId(), src - bundleLoad);
                projected.put(target.get(), dst + bundleLoad);
                budget -= bundleLoad;
            }
        }
        return moves;
    }

    /** Bundles too hot or too crowded to stay whole. */
    public static List<Split> splits(Collection<LoadReport> reports, LoadBalancerConfig config,
                                     Map<String, Integer> bundlesPerNamespace) {
        List<Split> out = new ArrayList<>();
        Map<String, Integer> counts = new HashMap<>(bundlesPerNamespace);
        for (LoadReport r : reports) {
            for (BundleLoad b : r.getBundlesList()) {
                String reason = null;
                if (b.getTopics() > config.splitTopicThreshold()) {
                    reason = "topics: " + b.getTopics() + " > " + config.splitTopicThreshold();
                } else if (bundleLoad(b) > config.splitRateThreshold()) {
                    reason = String.format("rate: %.0f msg/s > %.0f", bundleLoad(b), config.splitRateThreshold());
                }
                if (reason == null || counts.getOrDefault(b.getNamespace(), 0) >= config.maxBundlesPerNamespace()) {
                    continue;
                }
                counts.merge(b.getNamespace(), 1, Integer::sum);
                out.add(new Split(b.getNamespace(), b.getBundle(), r.getBrokerId(), reason));
            }
        }
        return out;
    }
}
