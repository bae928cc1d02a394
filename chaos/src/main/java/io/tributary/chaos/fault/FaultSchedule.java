package io.tributary.chaos.fault;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.tributary.chaos.cluster.Topology;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The faults of one run, generated from a seed: the same seed, duration and topology give the same schedule.
 *
 * <p>Faults come one after another, never overlapping: the cluster is sized to survive one fault of each kind
 * (one of three ZooKeeper members, one of four bookies under ensemble 3, one of three brokers, one of two
 * proxies), not two. The first faults of every run are a seeded order of the faults that exercise the
 * storage and ownership paths most (a bookie kill or blackhole, a broker kill, a broker's session loss), so even a
 * two-minute run covers them; the rest are drawn from every type. The first tenth of the run and its last
 * fifth are fault-free: load starts on a healthy cluster and ends on a healed one.
 *
 * @param seed the seed
 * @param durationMillis the load's duration
 * @param faults in order
 */
public record FaultSchedule(long seed, long durationMillis, List<Fault> faults) {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public FaultSchedule {
        faults = List.copyOf(faults);
    }

    /** The schedule of {@code seed} for a run of {@code duration} on {@code topology}. */
    public static FaultSchedule generate(long seed, Duration duration, Topology topology) {
        // a stream of its own: the load plan draws from the same seed without shifting the faults
        SplittableRandom rnd = new SplittableRandom(seed ^ 0x5DEECE66DL);
        long total = duration.toMillis();
        long t = Math.max(10_000, total / 10);
        long end = quietFromMillis(total);
        long session = topology.zkSessionTimeout().toMillis();
        List<FaultType> first = new ArrayList<>(List.of(
                rnd.nextBoolean() ? FaultType.BOOKIE_KILL : FaultType.BOOKIE_BLACKHOLE,
                FaultType.BROKER_KILL,
                rnd.nextBoolean() ? FaultType.BROKER_SESSION_EXPIRY : FaultType.BROKER_PAUSE));
        shuffle(first, rnd);
        FaultType[] all = FaultType.values();
        List<Fault> faults = new ArrayList<>();
        while (t < end) {
            FaultType type = faults.size() < first.size() ? first.get(faults.size()) : all[rnd.nextInt(all.length)];
            long length = length(type, session, rnd);
            if (t + length > end && !faults.isEmpty()) {
                break;
            }
            long delay = type == FaultType.BOOKIE_LINK_DELAY ? 20 + rnd.nextInt(200) : 0;
            faults.add(new Fault(faults.size(), type, target(type, topology, rnd), t, length, delay, rnd.nextLong() & Long.MAX_VALUE));
            // a gap for the cluster to settle: restarts and failovers take a while on a small machine
            t += length + 3_000 + rnd.nextInt(7_000);
        }
        return new FaultSchedule(seed, total, faults);
    }

    private static long length(FaultType type, long session, SplittableRandom rnd) {
        switch (type) {
            case BROKER_PAUSE:
            case BOOKIE_PAUSE:
            case BROKER_SESSION_EXPIRY:
                // past the session timeout, so ZooKeeper gives up on it
                return session + 2_000 + rnd.nextInt(4_000);
            case BUNDLE_UNLOAD:
            case BUNDLE_SPLIT:
            case BROKER_LINK_RESET:
                return 0;
            case BROKER_DRAIN:
                return 3_000 + rnd.nextInt(5_000);
            case BROKER_ZK_BLACKHOLE:
                return 3_000 + rnd.nextInt(8_000);
            default:
                return 5_000 + rnd.nextInt(10_000);
        }
    }

    private static String target(FaultType type, Topology t, SplittableRandom rnd) {
        switch (type.targetKind()) {
            case "broker":
                return "broker-" + (1 + rnd.nextInt(t.brokers()));
            case "bookie":
                return "bookie-" + (1 + rnd.nextInt(t.bookies()));
            case "proxy":
                return "proxy-" + (1 + rnd.nextInt(t.proxies()));
            case "zookeeper":
                return "zookeeper-" + (1 + rnd.nextInt(t.zookeepers()));
            case "relay":
                return "broker-" + (1 + rnd.nextInt(t.brokers())) + "-zk-" + (1 + rnd.nextInt(t.zookeepers()));
            default:
                return type.targetKind();
        }
    }

    private static <T> void shuffle(List<T> list, SplittableRandom rnd) {
        for (int i = list.size() - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            T tmp = list.get(i);
            list.set(i, list.get(j));
            list.set(j, tmp);
        }
    }

    /** From when on a run of {@code totalMillis} injects no fault: its last fifth, at least 15 s. */
    public static long quietFromMillis(long totalMillis) {
        return totalMillis - Math.max(15_000, totalMillis / 5);
    }

    /** How many faults every schedule starts with, whatever else it holds (see the class comment). */
    public static final int GUARANTEED_FAULTS = 3;

    /** How many faults of {@code type} the schedule holds. */
    public long count(FaultType type) {
        return faults.stream().filter(f -> f.type() == type).count();
    }

    public String toJson() {
        try {
            return JSON.writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
