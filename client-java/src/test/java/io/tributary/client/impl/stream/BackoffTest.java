package io.tributary.client.impl.stream;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class BackoffTest {

    @Test
    void growsFromTheInitialDelayToTheMaximumWithJitter() {
        Backoff b = new Backoff();
        long step = Backoff.INITIAL_MS;
        for (int i = 0; i < 30; i++) {
            long d = b.nextDelayMs();
            long expected = Math.min(step, Backoff.MAX_MS);
            assertThat(d).as("attempt %d", i).isBetween(expected / 2, expected);
            step *= 2;
        }
        assertThat(b.nextDelayMs()).isLessThanOrEqualTo(Backoff.MAX_MS);
    }

    @Test
    void resetStartsOver() {
        Backoff b = new Backoff();
        for (int i = 0; i < 10; i++) {
            b.nextDelayMs();
        }
        b.reset();
        assertThat(b.attempts()).isZero();
        assertThat(b.nextDelayMs()).isBetween(Backoff.INITIAL_MS / 2, Backoff.INITIAL_MS);
    }

    @org.junit.jupiter.api.Test
    void aNamedNewOwnerIsTriedAtOnceThenBackoffResumes() {
        Backoff b = new Backoff(100, 5000);
        io.tributary.api.v1.ErrorDetail moved = io.tributary.api.v1.ErrorDetail.newBuilder()
                .setReason(io.tributary.api.v1.ErrorReason.NOT_OWNER).setOwnerAddress("127.0.0.1:6651").build();
        org.assertj.core.api.Assertions.assertThat(b.nextDelayMs(moved)).isZero();
        org.assertj.core.api.Assertions.assertThat(b.nextDelayMs(moved)).isGreaterThanOrEqualTo(50);
        b.reset();
        io.tributary.api.v1.ErrorDetail unavailable = io.tributary.api.v1.ErrorDetail.newBuilder()
                .setReason(io.tributary.api.v1.ErrorReason.BROKER_UNAVAILABLE).build();
        org.assertj.core.api.Assertions.assertThat(b.nextDelayMs(unavailable)).isGreaterThanOrEqualTo(50);
    }
}
