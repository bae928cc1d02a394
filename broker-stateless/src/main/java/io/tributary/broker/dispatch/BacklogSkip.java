package io.tributary.broker.dispatch;

import io.tributary.protocol.EntryCodec;
import io.tributary.storage.cursor.ManagedCursor;
import io.tributary.storage.log.LogEntry;
import io.tributary.storage.log.LogReader;
import io.tributary.storage.log.Position;
import java.util.BitSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.BooleanSupplier;

/**
 * The admin's skip of a subscription: acknowledges its first unacknowledged messages, counting
 * every message of a batch, by reading the entries from the first unacknowledged one on. Of a
 * batch that holds more messages than are left to skip, the first unacknowledged indexes are
 * acknowledged. Runs on the topic's executor, one read at a time.
 */
final class BacklogSkip {
    /** Acknowledges a whole entry through the subscription, so that nothing delivers it any more. */
    @FunctionalInterface
    interface EntryAcknowledger {
        void acknowledge(Position p);
    }

    private final LogReader log;
    private final ManagedCursor cursor;
    private final Executor executor;
    private final int batchSize;
    private final EntryAcknowledger ackEntry;
    private final BooleanSupplier closed;

    BacklogSkip(SubscriptionContext context, ManagedCursor cursor, EntryAcknowledger ackEntry, BooleanSupplier closed) {
        this.log = context.log();
        this.cursor = cursor;
        this.executor = context.executor();
        this.batchSize = context.dispatchBatchSize();
        this.ackEntry = ackEntry;
        this.closed = closed;
    }

    /** Completes with the number of messages skipped: fewer than asked when the backlog held fewer. */
    CompletableFuture<Long> skip(long messages) {
        CompletableFuture<Long> skipped = new CompletableFuture<>();
        skipFrom(cursor.firstUnacknowledged(), messages, 0, skipped);
        return skipped;
    }

    /** One step: reads entries from {@code from} and acknowledges up to {@code left} messages. */
    private void skipFrom(Position from, long left, long skipped, CompletableFuture<Long> result) {
        if (left <= 0 || closed.getAsBoolean() || from.isAfter(log.lastConfirmed())) {
            result.complete(skipped);
            return;
        }
        // every unacknowledged entry holds at least one unacknowledged message
        int n = (int) Math.min(batchSize, left);
        log.readAsync(from, n).whenCompleteAsync((entries, err) -> {
            if (err != null) {
                result.completeExceptionally(err);
                return;
            }
            if (entries.isEmpty()) {
                result.complete(skipped);
                return;
            }
            long stillToSkip = left;
            long done = skipped;
            Position next = from;
            for (LogEntry e : entries) {
                Position p = e.position();
                next = log.nextPosition(p);
                if (cursor.isAcknowledged(p)) {
                    continue;
                }
                int size = EntryCodec.messageCount(e.data());
                BitSet acked = cursor.acknowledgedIndexes(p);
                int open = size - acked.cardinality();
                // an entry claiming more messages than index acknowledgements cover is skipped whole
                if (open <= stillToSkip || size > ManagedCursor.MAX_BATCH_MESSAGES) {
                    ackEntry.acknowledge(p);
                    long counted = Math.min(open, stillToSkip);
                    stillToSkip -= counted;
                    done += counted;
                } else {
                    for (int i = acked.nextClearBit(0); stillToSkip > 0 && i < size; i = acked.nextClearBit(i + 1)) {
                        cursor.acknowledgeIndex(p, i, size);
                        stillToSkip--;
                        done++;
                    }
                }
                if (stillToSkip == 0) {
                    break;
                }
            }
            skipFrom(next, stillToSkip, done, result);
        }, executor);
    }
}
