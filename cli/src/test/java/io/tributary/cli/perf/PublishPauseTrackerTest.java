package io.tributary.cli.perf;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PublishPauseTrackerTest {
    private static final long MS = 1_000_000L;

    private final PublishPauseTracker tracker = new PublishPauseTracker(10 * MS);

    @Test
    void steadyAcksMakeNoPause() {
        for (int i = 0; i < 1000; i++) {
            tracker.onSend(i * MS);
            tracker.onAck(i * MS + MS / 2);
        }
        PublishPauseTracker.Snapshot s = tracker.finish(1000 * MS);
        assertThat(s.longestNanos()).isEqualTo(MS / 2);
        assertThat(s.gapsOverThreshold()).isZero();
        assertThat(s.longestOpen()).isFalse();
    }

    @Test
    void gapBetweenAcksWhileMessagesArePendingIsAPause() {
        tracker.onSend(0);
        tracker.onSend(1 * MS);
        tracker.onSend(2 * MS);
        tracker.onAck(3 * MS);          // window 0..3 ms
        tracker.onSend(4 * MS);
        tracker.onAck(250 * MS);        // 247 ms with messages outstanding and no ack
        tracker.onAck(251 * MS);
        tracker.onAck(252 * MS);

        PublishPauseTracker.Snapshot s = tracker.finish(300 * MS);
        assertThat(s.longestNanos()).isEqualTo(247 * MS);
        assertThat(s.longestStartNanos()).isEqualTo(3 * MS);
        assertThat(s.gapsOverThreshold()).isEqualTo(1);
        assertThat(s.gapMaxNanos()).isBetween(246 * MS, 248 * MS);
        assertThat(s.outstanding()).isZero();
    }

    @Test
    void idleTimeWithNothingPendingIsNotAPause() {
        tracker.onSend(0);
        tracker.onAck(1 * MS);
        // nothing outstanding for 5 s, e.g. a slow rate or the application pausing
        tracker.onSend(5_000 * MS);
        tracker.onAck(5_002 * MS);

        PublishPauseTracker.Snapshot s = tracker.finish(6_000 * MS);
        assertThat(s.longestNanos()).isEqualTo(2 * MS);
        assertThat(s.gapsOverThreshold()).isZero();
    }

    @Test
    void aWindowStartsAtTheSendWhenNothingWasOutstanding() {
        tracker.onSend(0);
        tracker.onAck(1 * MS);
        tracker.onSend(100 * MS);
        tracker.onAck(150 * MS);        // 50 ms, not 149 ms: nothing was outstanding from 1 to 100 ms

        assertThat(tracker.finish(200 * MS).longestNanos()).isEqualTo(50 * MS);
    }

    @Test
    void gapsOverTheThresholdFormADistribution() {
        long t = 0;
        long[] gapsMs = {5, 20, 30, 40, 500};
        tracker.onSend(t);
        for (long g : gapsMs) {
            tracker.onSend(t);          // one more outstanding, so the ack below leaves one pending
            t += g * MS;
            tracker.onAck(t);
        }
        PublishPauseTracker.Snapshot s = tracker.finish(t);
        assertThat(s.gapsOverThreshold()).isEqualTo(4);
        assertThat(s.longestNanos()).isEqualTo(500 * MS);
        assertThat(s.gapP50Nanos()).isBetween(29 * MS, 31 * MS);
        assertThat(s.gapP99Nanos()).isBetween(499 * MS, 501 * MS);
        // the last ack left one message outstanding; finish at the same instant closes a zero gap
        assertThat(s.outstanding()).isEqualTo(1);
    }

    @Test
    void aStallStillOpenAtTheEndCounts() {
        tracker.onSend(0);
        tracker.onSend(1 * MS);
        tracker.onAck(2 * MS);
        // the broker stops answering; the run is interrupted 3 s later
        PublishPauseTracker.Snapshot s = tracker.finish(3_002 * MS);
        assertThat(s.longestNanos()).isEqualTo(3_000 * MS);
        assertThat(s.longestOpen()).isTrue();
        assertThat(s.outstanding()).isEqualTo(1);
        // finishing again changes nothing
        assertThat(tracker.finish(9_000 * MS).longestNanos()).isEqualTo(3_000 * MS);
    }

    @Test
    void aStallEndingInFailuresCountsAsAPause() {
        tracker.onSend(0);
        tracker.onSend(0);
        tracker.onAck(1 * MS);
        tracker.onFailure(30_001 * MS); // send timeout: the last outstanding message fails
        tracker.onSend(30_002 * MS);
        tracker.onAck(30_003 * MS);

        PublishPauseTracker.Snapshot s = tracker.finish(30_010 * MS);
        assertThat(s.longestNanos()).isEqualTo(30_000 * MS);
        assertThat(s.longestOpen()).isFalse();
        assertThat(s.gapsOverThreshold()).isEqualTo(1);
    }

    @Test
    void aFailureWhileOthersArePendingDoesNotEndThePause() {
        tracker.onSend(0);
        tracker.onSend(0);
        tracker.onFailure(100 * MS);
        tracker.onAck(200 * MS);

        assertThat(tracker.finish(300 * MS).longestNanos()).isEqualTo(200 * MS);
    }

    @Test
    void outOfOrderTimestampsFromCallbackThreadsNeverMakeNegativeGaps() {
        tracker.onSend(0);
        tracker.onSend(0);
        tracker.onSend(0);
        tracker.onAck(10 * MS);
        tracker.onAck(9 * MS);          // taken earlier on another thread, recorded later
        tracker.onAck(12 * MS);         // measured from 10 ms, not from 9 ms

        PublishPauseTracker.Snapshot s = tracker.finish(20 * MS);
        assertThat(s.longestNanos()).isEqualTo(10 * MS);
        assertThat(tracker.snapshot().gapsOverThreshold()).isZero();
    }

    @Test
    void answersWithoutSendsAreIgnored() {
        tracker.onAck(5 * MS);
        tracker.onFailure(6 * MS);
        tracker.onSend(10 * MS);
        tracker.onAck(11 * MS);

        PublishPauseTracker.Snapshot s = tracker.finish(20 * MS);
        assertThat(s.longestNanos()).isEqualTo(1 * MS);
        assertThat(s.outstanding()).isZero();
    }

    @Test
    void warmUpGapsAreIgnored() {
        tracker.ignoreGapsEndingBefore(1_000 * MS);
        tracker.onSend(0);
        tracker.onAck(800 * MS);        // first batch: connection set-up, JIT; inside the warm-up
        tracker.onSend(1_000 * MS);
        tracker.onAck(1_030 * MS);

        PublishPauseTracker.Snapshot s = tracker.finish(2_000 * MS);
        assertThat(s.longestNanos()).isEqualTo(30 * MS);
        assertThat(s.gapsOverThreshold()).isEqualTo(1);
    }

    @Test
    void intervalMaximumResetsAndIncludesAnOpenWindow() {
        tracker.onSend(0);
        tracker.onSend(0);
        tracker.onAck(40 * MS);
        assertThat(tracker.takeIntervalMax(50 * MS)).isEqualTo(40 * MS);
        // one still outstanding since 40 ms
        assertThat(tracker.takeIntervalMax(140 * MS)).isEqualTo(100 * MS);
        tracker.onAck(141 * MS);
        assertThat(tracker.takeIntervalMax(200 * MS)).isEqualTo(101 * MS);
        assertThat(tracker.takeIntervalMax(300 * MS)).isZero();
    }
}
