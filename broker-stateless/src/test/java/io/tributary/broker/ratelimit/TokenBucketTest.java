package io.tributary.broker.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.api.v1.Rate;
import org.junit.jupiter.api.Test;

class TokenBucketTest {

    private static Rate rate(long messages, long bytes) {
        return Rate.newBuilder().setMessagesPerSecond(messages).setBytesPerSecond(bytes).build();
    }

    @Test
    void noRateNeverHoldsBack() {
        TokenBucket b = new TokenBucket();
        b.charge(1_000_000, 1L << 40);
        assertThat(b.limits()).isFalse();
        assertThat(b.nanosUntilPositive()).isZero();
        assertThat(b.messagesAvailable()).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void chargeBelowZeroHoldsBackForTheDebtAtTheRate() {
        TokenBucket b = new TokenBucket();
        b.setRate(rate(1_000, 0));
        assertThat(b.nanosUntilPositive()).as("a new bucket is empty, not negative").isZero();
        b.charge(500, 1);
        long wait = b.nanosUntilPositive();
        // 500 messages at 1,000/s: about half a second (less the little time since the charge)
        assertThat(wait).isBetween(400_000_000L, 500_000_000L);
        assertThat(b.messagesAvailable()).isLessThan(0);
    }

    @Test
    void theSlowerOfMessagesAndBytesDecides() {
        TokenBucket b = new TokenBucket();
        b.setRate(rate(1_000, 100));
        b.charge(1, 200); // 200 bytes at 100 B/s: about two seconds
        assertThat(b.nanosUntilPositive()).isBetween(1_900_000_000L, 2_000_000_000L);
    }

    @Test
    void capacityIsOneSecondAndARateChangeKeepsAtMostTheNewCapacity() {
        TokenBucket b = new TokenBucket();
        b.setRate(rate(1_000, 0));
        b.charge(-5_000, 0); // as if it had idled: the refill caps it
        b.charge(0, 0);
        assertThat(b.messagesAvailable()).isLessThanOrEqualTo(1_000);
        b.setRate(rate(10, 0));
        assertThat(b.messagesAvailable()).isLessThanOrEqualTo(10);
        b.setRate(rate(0, 0));
        assertThat(b.limits()).isFalse();
    }

    @Test
    void namespaceShareScalesTheLimit() {
        double[] share = {0.5};
        NamespaceRates rates = new NamespaceRates(ns -> share[0], null);
        NamespaceRates.Shared s = rates.of("a/b");
        s.limit(rate(2_000, 0));
        assertThat(s.enforced()).isEqualTo(rate(1_000, 0));
        share[0] = 1;
        rates.refresh();
        assertThat(s.enforced()).isEqualTo(rate(2_000, 0));
        assertThat(rates.of("a/b")).isSameAs(s);
    }
}
