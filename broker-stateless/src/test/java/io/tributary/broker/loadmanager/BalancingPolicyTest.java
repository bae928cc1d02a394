package io.tributary.broker.loadmanager;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.internal.v1.BundleLoad;
import io.tributary.internal.v1.LoadReport;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BalancingPolicyTest {
    static final long NOW = 1_000_000;
    static final LoadBalancerConfig CONFIG = new LoadBalancerConfig(true, Duration.ofSeconds(1), Duration.ofSeconds(2),
            0.25, Duration.ofSeconds(30), 0.3, 8, 100, 1000, 50_000, 128);

    static BundleLoad bundle(String name, double rate, long ownedSinceMs, String previous) {
        return BundleLoad.newBuilder().setNamespace("public/default").setBundle(name).setMsgRateIn(rate)
                .setTopics(1).setOwnedSinceMs(ownedSinceMs).setPreviousBrokerId(previous).build();
    }

    static LoadReport broker(String id, BundleLoad... bundles) {
        double rate = 0;
        for (BundleLoad b : bundles) {
            rate += b.getMsgRateIn() + b.getMsgRateOut();
        }
        return LoadReport.newBuilder().setBrokerId(id).setMsgRateIn(rate).addAllBundles(List.of(bundles)).build();
    }

    static BundleLoad[] evenBundles(int n, double each) {
        BundleLoad[] out = new BundleLoad[n];
        for (int i = 0; i < n; i++) {
            out[i] = bundle("b" + i, each, 0, "");
        }
        return out;
    }

    @Test
    void idleBrokersBesideALoadedOneReceiveLoadWithoutAnyAbsoluteThreshold() {
        // 16 bundles of 100 msg/s on one broker, two new idle brokers: nobody is near any absolute limit
        List<BalancingPolicy.Move> moves = BalancingPolicy.shed(
                List.of(broker("a", evenBundles(16, 100)), broker("b"), broker("c")), CONFIG, NOW);
        assertThat(moves).isNotEmpty();
        assertThat(moves).allMatch(m -> m.from().equals("a"));
        assertThat(moves).extracting(BalancingPolicy.Move::to).contains("b", "c");
    }

    @Test
    void oneCycleMovesAtMostTheConfiguredShareOfTheLoad() {
        List<BalancingPolicy.Move> moves = BalancingPolicy.shed(
                List.of(broker("a", evenBundles(16, 100)), broker("b"), broker("c")), CONFIG, NOW);
        double moved = moves.stream().mapToDouble(BalancingPolicy.Move::load).sum();
        assertThat(moved).isLessThanOrEqualTo(1600 * CONFIG.maxMoveShare());
        assertThat(moves.size()).isLessThanOrEqualTo(CONFIG.maxMovesPerCycle());
    }

    @Test
    void repeatedCyclesConvergeToAFairShare() {
        // apply the moves of each cycle to the reports, as the brokers would report them afterwards
        Map<String, List<BundleLoad>> owned = new java.util.TreeMap<>();
        owned.put("a", new ArrayList<>(List.of(evenBundles(16, 100))));
        owned.put("b", new ArrayList<>());
        owned.put("c", new ArrayList<>());
        long now = NOW;
        for (int cycle = 0; cycle < 10; cycle++) {
            List<LoadReport> reports = owned.entrySet().stream()
                    .map(e -> broker(e.getKey(), e.getValue().toArray(BundleLoad[]::new))).toList();
            for (BalancingPolicy.Move m : BalancingPolicy.shed(reports, CONFIG, now)) {
                BundleLoad b = owned.get(m.from()).stream().filter(x -> x.getBundle().equals(m.bundle())).findFirst().orElseThrow();
                owned.get(m.from()).remove(b);
                owned.get(m.to()).add(b.toBuilder().setOwnedSinceMs(now).setPreviousBrokerId(m.from()).build());
            }
            now += CONFIG.gracePeriod().toMillis() + 1;
        }
        for (List<BundleLoad> bundles : owned.values()) {
            double share = bundles.stream().mapToDouble(BalancingPolicy::bundleLoad).sum() / 1600;
            assertThat(share).isBetween(0.2, 0.45);
        }
    }

    @Test
    void aBundleIsNotMovedWithinTheGracePeriodOfItsLastMove() {
        BundleLoad justMoved = bundle("hot", 1000, NOW - 1000, "x");
        assertThat(BalancingPolicy.shed(List.of(broker("a", justMoved), broker("b")), CONFIG, NOW)).isEmpty();
    }

    @Test
    void aBundleIsNeverShedBackToTheBrokerItCameFrom() {
        BundleLoad fromB = bundle("came-from-b", 300, 0, "b");
        BundleLoad other = bundle("other", 300, 0, "");
        // a budget that does not stand in the way, so only the no-return rule decides
        LoadBalancerConfig unbounded = new LoadBalancerConfig(true, Duration.ofSeconds(1), Duration.ofSeconds(2),
                0.25, Duration.ofSeconds(30), 1.0, 8, 100, 1000, 50_000, 128);
        List<BalancingPolicy.Move> moves = BalancingPolicy.shed(List.of(broker("a", fromB, other), broker("b")), unbounded, NOW);
        assertThat(moves).extracting(BalancingPolicy.Move::bundle).containsExactly("other");
        // with the default budget (30% of 600 msg/s) neither 300 msg/s bundle may move in one cycle
        assertThat(BalancingPolicy.shed(List.of(broker("a", fromB, other), broker("b")), CONFIG, NOW)).isEmpty();
    }

    @Test
    void aBundleLargerThanTheGapIsNotMovedSoTheHotSpotDoesNotJustSwap() {
        // a: one bundle of 1000, b: 200. Moving it would leave b at 1200 and a at 0: worse.
        List<BalancingPolicy.Move> moves = BalancingPolicy.shed(
                List.of(broker("a", bundle("big", 1000, 0, "")), broker("b", bundle("small", 200, 0, ""))), CONFIG, NOW);
        assertThat(moves).isEmpty();
    }

    @Test
    void nothingMovesWhileTheClusterIsNearlyIdleOrBalanced() {
        assertThat(BalancingPolicy.shed(List.of(broker("a", evenBundles(4, 10)), broker("b")), CONFIG, NOW))
                .as("below the minimum rate").isEmpty();
        assertThat(BalancingPolicy.shed(List.of(broker("a", evenBundles(4, 100)), broker("b", evenBundles(4, 95))), CONFIG, NOW))
                .as("balanced").isEmpty();
    }

    @Test
    void drainingBrokersNeitherShedNorReceive() {
        LoadReport draining = broker("d", evenBundles(8, 100)).toBuilder().setDraining(true).build();
        assertThat(BalancingPolicy.shed(List.of(draining, broker("a", evenBundles(8, 100)), broker("b")), CONFIG, NOW))
                .allMatch(m -> !m.from().equals("d") && !m.to().equals("d"));
        assertThat(BalancingPolicy.leastLoaded(List.of(draining.toBuilder().setMsgRateIn(0).build(), broker("a", evenBundles(1, 5))),
                Map.of(), Set.of())).contains("a");
    }

    @Test
    void newBundlesGoToTheLeastLoadedBrokerAndSpreadWhenAllAreIdle() {
        List<LoadReport> idle = List.of(broker("a"), broker("b"), broker("c"));
        assertThat(BalancingPolicy.leastLoaded(idle, Map.of("a", 2, "b", 1), Set.of())).contains("c");
        assertThat(BalancingPolicy.leastLoaded(List.of(broker("a", evenBundles(1, 50)), broker("b", evenBundles(3, 10))),
                Map.of(), Set.of())).contains("b");
        assertThat(BalancingPolicy.leastLoaded(idle, Map.of(), Set.of("a", "b"))).contains("c");
    }

    @Test
    void hotOrCrowdedBundlesAreSplitUpToTheNamespaceLimit() {
        BundleLoad crowded = bundle("crowded", 10, 0, "").toBuilder().setTopics(1500).build();
        BundleLoad hot = bundle("hot", 60_000, 0, "");
        BundleLoad fine = bundle("fine", 100, 0, "");
        assertThat(BalancingPolicy.splits(List.of(broker("a", crowded, hot, fine)), CONFIG, Map.of("public/default", 4)))
                .extracting(BalancingPolicy.Split::bundle).containsExactlyInAnyOrder("crowded", "hot");
        assertThat(BalancingPolicy.splits(List.of(broker("a", crowded, hot)), CONFIG, Map.of("public/default", 128)))
                .as("at the namespace's bundle limit").isEmpty();
    }
}
