package io.tributary.broker.loadmanager;

import io.tributary.broker.namespace.Bundle;
import io.tributary.internal.v1.BundleLoad;
import io.tributary.internal.v1.LoadReport;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Bundles the leader gave to a broker that the broker's load report does not list yet. The leader
 * counts them as that broker's bundles, so that several assignments between two reports spread
 * over the brokers instead of all going to the one that looked emptiest at the last report.
 *
 * <p>An entry ends when a report lists the bundle, or after {@code expiryMs} (the broker never
 * reported it, for example because it lost the bundle again).
 */
final class UnreportedAssignments {
    private record Key(String brokerId, String namespace, String bundle) {
    }

    private final long expiryMs;
    private final Map<Key, Long> assignedAtMs = new ConcurrentHashMap<>();

    UnreportedAssignments(long expiryMs) {
        this.expiryMs = expiryMs;
    }

    void add(String brokerId, Bundle bundle, long nowMs) {
        assignedAtMs.put(new Key(brokerId, bundle.namespace(), bundle.name()), nowMs);
    }

    /** Per broker, how many of its assignments its report does not show; forgets reported and expired ones. */
    Map<String, Integer> counts(Collection<LoadReport> reports, long nowMs) {
        Map<String, LoadReport> byBroker = new HashMap<>();
        reports.forEach(r -> byBroker.put(r.getBrokerId(), r));
        Map<String, Integer> counts = new HashMap<>();
        assignedAtMs.entrySet().removeIf(e -> {
            Key k = e.getKey();
            LoadReport report = byBroker.get(k.brokerId());
            boolean done = nowMs - e.getValue() > expiryMs || report != null && lists(report, k);
            if (!done) {
                counts.merge(k.brokerId(), 1, Integer::sum);
            }
            return done;
        });
        return counts;
    }

    private static boolean lists(LoadReport report, Key k) {
        for (BundleLoad b : report.getBundlesList()) {
            if (b.getBundle().equals(k.bundle()) && b.getNamespace().equals(k.namespace())) {
                return true;
            }
        }
        return false;
    }
}
