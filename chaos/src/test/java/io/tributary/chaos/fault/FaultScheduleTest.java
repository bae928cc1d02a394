package io.tributary.chaos.fault;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.chaos.cluster.Topology;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class FaultScheduleTest {
    private final Topology topology = Topology.standard();

    @Test
    void theSameSeedGivesTheSameSchedule() {
        FaultSchedule a = FaultSchedule.generate(42, Duration.ofMinutes(5), topology);
        FaultSchedule b = FaultSchedule.generate(42, Duration.ofMinutes(5), topology);
        assertThat(a).isEqualTo(b);
        assertThat(a.toJson()).isEqualTo(b.toJson());
        assertThat(FaultSchedule.generate(43, Duration.ofMinutes(5), topology)).isNotEqualTo(a);
    }

    @Test
    void everyTwoMinuteRunHitsABookieABrokerKillAndABrokerSessionAmongItsFirstFaults() {
        for (long seed = 0; seed < 200; seed++) {
            List<Fault> faults = FaultSchedule.generate(seed, Duration.ofMinutes(2), topology).faults();
            assertThat(faults).as("seed %d", seed).hasSizeGreaterThanOrEqualTo(3);
            List<FaultType> first = faults.subList(0, 3).stream().map(Fault::type).toList();
            assertThat(first).as("seed %d", seed).contains(FaultType.BROKER_KILL)
                    .containsAnyOf(FaultType.BOOKIE_KILL, FaultType.BOOKIE_BLACKHOLE)
                    .containsAnyOf(FaultType.BROKER_SESSION_EXPIRY, FaultType.BROKER_PAUSE);
        }
    }

    @Test
    void faultsNeverOverlapAndLeaveTheEndOfTheRunQuiet() {
        for (long seed = 0; seed < 100; seed++) {
            FaultSchedule s = FaultSchedule.generate(seed, Duration.ofMinutes(30), topology);
            long previousEnd = 0;
            for (Fault f : s.faults()) {
                assertThat(f.startMillis()).isGreaterThanOrEqualTo(previousEnd);
                previousEnd = f.startMillis() + f.durationMillis();
            }
            assertThat(previousEnd).isLessThanOrEqualTo(Duration.ofMinutes(30).toMillis() * 4 / 5);
            assertThat(s.faults().stream().map(Fault::type).distinct().count()).as("a long run sees many kinds").isGreaterThan(8);
        }
    }

    @Test
    void sessionFaultsOutlastTheSessionTimeout() {
        for (long seed = 0; seed < 100; seed++) {
            for (Fault f : FaultSchedule.generate(seed, Duration.ofMinutes(10), topology).faults()) {
                if (f.type() == FaultType.BROKER_PAUSE || f.type() == FaultType.BOOKIE_PAUSE || f.type() == FaultType.BROKER_SESSION_EXPIRY) {
                    assertThat(f.durationMillis()).isGreaterThan(topology.zkSessionTimeout().toMillis());
                }
            }
        }
    }
}
