package io.tributary.storage.log;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CacheBudgetTest {

    private static byte[] bytes(int n) {
        return new byte[n];
    }

    @Test
    void theOldestEntryOfAnyLogIsEvictedFirst() {
        CacheBudget budget = new CacheBudget(30);
        TailCache a = new TailCache(budget);
        TailCache b = new TailCache(budget);
        a.put(new Position(1, 0), bytes(10));
        b.put(new Position(2, 0), bytes(10));
        a.put(new Position(1, 1), bytes(10));
        assertThat(budget.usedBytes()).isEqualTo(30);

        b.put(new Position(2, 1), bytes(10));

        assertThat(budget.usedBytes()).isEqualTo(30);
        assertThat(a.get(new Position(1, 0))).isNull();
        assertThat(b.get(new Position(2, 0))).isNotNull();
        assertThat(a.get(new Position(1, 1))).isNotNull();
        assertThat(b.get(new Position(2, 1))).isNotNull();
    }

    @Test
    void entriesThatLeaveTheirCacheGiveTheirBytesBack() {
        CacheBudget budget = new CacheBudget(1000);
        TailCache a = new TailCache(budget);
        TailCache b = new TailCache(budget);
        a.put(new Position(1, 0), bytes(100));
        a.put(new Position(1, 1), bytes(100));
        a.put(new Position(3, 0), bytes(100));
        b.put(new Position(2, 0), bytes(100));

        a.forgetLedger(1);
        assertThat(budget.usedBytes()).isEqualTo(200);
        b.clear();
        assertThat(budget.usedBytes()).isEqualTo(100);
        a.clear();
        assertThat(budget.usedBytes()).isZero();
    }

    @Test
    void staleChargesDoNotStopEvictingTheEntriesStillCached() {
        CacheBudget budget = new CacheBudget(50);
        // logs that come and go leave charges of entries no longer cached
        for (int i = 0; i < 10_000; i++) {
            TailCache gone = new TailCache(budget);
            gone.put(new Position(i, 0), bytes(1));
            gone.clear();
        }
        assertThat(budget.usedBytes()).isZero();
        TailCache live = new TailCache(budget);
        for (int e = 0; e < 20; e++) {
            live.put(new Position(100_000, e), bytes(10));
            assertThat(budget.usedBytes()).isLessThanOrEqualTo(50);
        }
        assertThat(live.get(new Position(100_000, 19))).isNotNull();
        assertThat(live.get(new Position(100_000, 14))).isNull();
    }

    @Test
    void aZeroBudgetCachesNothing() {
        CacheBudget budget = new CacheBudget(0);
        TailCache a = new TailCache(budget);
        a.put(new Position(1, 0), bytes(10));
        assertThat(a.get(new Position(1, 0))).isNull();
        assertThat(budget.usedBytes()).isZero();
    }
}
