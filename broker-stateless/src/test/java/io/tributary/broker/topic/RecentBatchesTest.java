package io.tributary.broker.topic;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.storage.log.Position;
import org.junit.jupiter.api.Test;

class RecentBatchesTest {
    @Test
    void findsTheRecentBatchesAndForgetsTheOldest() {
        RecentBatches recent = new RecentBatches(4);
        for (long seq = 0; seq < 60; seq += 10) {
            recent.add(seq, new Position(7, seq / 10));
        }
        // 0 and 10 fell out of the ring of four
        assertThat(recent.find(0)).isNull();
        assertThat(recent.find(10)).isNull();
        assertThat(recent.find(20)).isEqualTo(new Position(7, 2));
        assertThat(recent.find(50)).isEqualTo(new Position(7, 5));
        // only first sequence ids of batches are known
        assertThat(recent.find(25)).isNull();
        assertThat(recent.find(60)).isNull();
    }

    @Test
    void ignoresSequenceIdsThatDoNotGrow() {
        RecentBatches recent = new RecentBatches(4);
        recent.add(5, new Position(1, 1));
        recent.add(5, new Position(2, 2));
        recent.add(3, new Position(3, 3));
        assertThat(recent.find(5)).isEqualTo(new Position(1, 1));
        assertThat(recent.find(3)).isNull();
    }
}
