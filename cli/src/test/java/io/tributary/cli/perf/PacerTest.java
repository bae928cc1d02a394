package io.tributary.cli.perf;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PacerTest {

    @Test
    void messagesAreDueAtFixedIntervalsFromTheStart() {
        Pacer p = new Pacer(4_000, 1_000_000_000L);
        assertThat(p.nextDueNanos()).isEqualTo(1_000_000_000L);
    }

    @Test
    void overdueMessagesAreSentAtOnceAndTheDeadlineStopsThem() {
        long start = System.nanoTime() - 1_000_000_000L;   // 1 s ago: 1,000 messages at 1,000/s are overdue
        Pacer p = new Pacer(1_000, start);
        long deadline = start + 1_000_000_000L;             // the 1,000th message is due at the deadline
        int sent = 0;
        while (p.awaitNext(() -> false, deadline)) {
            sent++;
        }
        assertThat(sent).isEqualTo(1_000);
        assertThat(p.nextDueNanos()).isEqualTo(deadline);
    }

    @Test
    void stopEndsTheWait() {
        Pacer p = new Pacer(0.001, System.nanoTime() + 3_600_000_000_000L);   // first message due in an hour
        assertThat(p.awaitNext(() -> true, 0)).isFalse();
    }
}
