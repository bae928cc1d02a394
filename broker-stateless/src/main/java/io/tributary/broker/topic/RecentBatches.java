package io.tributary.broker.topic;

import io.tributary.storage.log.Position;

/**
 * Where one producer's most recent batches were stored, by sequence id (the topic uses each batch's
 * last): a ring of
 * {@code capacity} batches in three primitive arrays (24 bytes a batch). Sequence ids only grow,
 * so a lookup is a binary search. Not thread-safe: a topic uses it from its own thread.
 */
final class RecentBatches {
    private final long[] firstSequence;
    private final long[] ledger;
    private final long[] entry;
    private int start;
    private int size;

    RecentBatches(int capacity) {
        firstSequence = new long[capacity];
        ledger = new long[capacity];
        entry = new long[capacity];
    }

    /** Records a stored batch; sequence ids must be higher than any recorded before (else ignored). */
    void add(long firstSequenceId, Position p) {
        if (size > 0 && firstSequenceId <= firstSequence[index(size - 1)]) {
            return;
        }
        int i;
        if (size < firstSequence.length) {
            i = index(size++);
        } else {
            i = start;
            start = (start + 1) % firstSequence.length;
        }
        firstSequence[i] = firstSequenceId;
        ledger[i] = p.ledgerId();
        entry[i] = p.entryId();
    }

    /** Where the batch starting at this sequence id was stored; null if it is not among the recent ones. */
    Position find(long firstSequenceId) {
        int lo = 0;
        int hi = size - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            long s = firstSequence[index(mid)];
            if (s < firstSequenceId) {
                lo = mid + 1;
            } else if (s > firstSequenceId) {
                hi = mid - 1;
            } else {
                return new Position(ledger[index(mid)], entry[index(mid)]);
            }
        }
        return null;
    }

    private int index(int logical) {
        return (start + logical) % firstSequence.length;
    }
}
