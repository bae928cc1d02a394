package io.tributary.storage.log;

import com.google.common.base.Preconditions;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The memory that the tail caches of all the logs of one {@link ManagedLogFactory} (one broker)
 * share. Every log caches the entries it appends while the total stays within the budget; past
 * it, the oldest cached entries go first, whichever log holds them. So a broker with a few busy
 * topics gives them the whole budget, and a broker with thousands of topics no longer needs
 * thousands of times a per-topic cache.
 *
 * <p>Thread-safe: each log charges from its own executor thread. The accounting is exact per
 * entry (an entry is released exactly once, by whoever removes it from its cache), so the total
 * exceeds the budget at most by the entries being added at that moment.
 */
public final class CacheBudget {
    /** One cached entry, in the order entries were cached: the eviction order. */
    private record Charge(TailCache cache, Position position) {}

    /** Compaction of the eviction queue waits for at least this many stale charges. */
    private static final long COMPACT_AFTER = 4096;

    private final long maxBytes;
    private final AtomicLong used = new AtomicLong();
    private final ConcurrentLinkedQueue<Charge> order = new ConcurrentLinkedQueue<>();
    /** Charges in {@link #order}, and those whose entry already left its cache (trimmed, log closed). */
    private final AtomicLong queued = new AtomicLong();
    private final AtomicLong stale = new AtomicLong();
    /** Reads answered from a cache, reads that had to go to the bookies, entries evicted for the budget. */
    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();
    private final LongAdder evictions = new LongAdder();

    /** @param maxBytes bytes of entries cached by all logs together; 0 caches nothing */
    public CacheBudget(long maxBytes) {
        Preconditions.checkArgument(maxBytes >= 0, "broker.entryCacheSizeBytes must be >= 0, was %s", maxBytes);
        this.maxBytes = maxBytes;
    }

    public long maxBytes() {
        return maxBytes;
    }

    /** Bytes of entries cached now, by all logs together. */
    public long usedBytes() {
        return used.get();
    }

    /** Reads (of a range or one entry) answered from a tail cache, since the broker started. */
    public long hits() {
        return hits.sum();
    }

    /** Reads that found what they asked for not cached, and went to the bookies. */
    public long misses() {
        return misses.sum();
    }

    /** Entries evicted to keep within the budget (not those trimmed or of closed logs). */
    public long evictions() {
        return evictions.sum();
    }

    void recordRead(boolean hit) {
        (hit ? hits : misses).increment();
    }

    boolean enabled() {
        return maxBytes > 0;
    }

    /** Accounts for an entry {@code cache} just added, then evicts the oldest entries of any log while over budget. */
    void charge(TailCache cache, Position p, int bytes) {
        order.add(new Charge(cache, p));
        queued.incrementAndGet();
        long total = used.addAndGet(bytes);
        while (total > maxBytes) {
            Charge oldest = order.poll();
            if (oldest == null) {
                break;
            }
            queued.decrementAndGet();
            int freed = oldest.cache().evict(oldest.position());
            if (freed >= 0) {
                evictions.increment();
                total = used.addAndGet(-freed);
            } else {
                stale.decrementAndGet();
                total = used.get();
            }
        }
        long s = stale.get();
        if (s >= COMPACT_AFTER && s * 2 > queued.get()) {
            compact();
        }
    }

    /** Accounts for an entry that left its cache other than by eviction (its ledger was trimmed, its log closed). */
    void release(int bytes) {
        used.addAndGet(-bytes);
        stale.incrementAndGet();
    }

    /**
     * Drops the charges of entries no longer cached, so that logs that come and go while the total
     * stays under budget do not grow the queue without bound.
     */
    private void compact() {
        stale.set(0);
        order.removeIf(c -> !c.cache().holds(c.position()));
        queued.set(order.size());
    }
}
