package io.tributary.broker.topic;

import io.tributary.storage.log.Position;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * How a topic stores plain messages ({@code Send}, and a Publish stream's plain messages): which of them are
 * new under their producer name's sequence ids, how they are numbered, then one entry through the topic's own
 * append. Runs on the topic's executor.
 */
public final class PlainPublish {
    /**
     * The result of one publish of plain messages ({@link Topic#publishPlain}).
     *
     * @param position where the stored messages are; null when none was stored
     * @param firstSequenceId the sequence id of the first of the {@code count} messages (given, or numbered here)
     * @param skipped how many leading messages had been stored before (duplicates) and were not stored again;
     *                the others were stored in one entry, in order
     */
    public record Result(Position position, long firstSequenceId, int skipped) {}

    /** Encodes plain messages into one entry once the topic knows which to store and how they are numbered. */
    @FunctionalInterface
    public interface Entry {
        /** The entry of the messages from index {@code skip} on, the first of them numbered {@code firstSequenceId}. */
        byte[] encode(long firstSequenceId, int skip);
    }

    /** The topic's append of a new entry under a producer name's sequence ids {@code first..lastEnd}. */
    @FunctionalInterface
    interface Append {
        void append(String producerName, long first, long lastEnd, int count, byte[] entry,
                    CompletableFuture<Topic.PublishResult> result);
    }

    private final Deduplication dedup;
    private final Append append;
    private final Consumer<Runnable> onExecutor;

    PlainPublish(Deduplication dedup, Append append, Consumer<Runnable> onExecutor) {
        this.dedup = dedup;
        this.append = append;
        this.onExecutor = onExecutor;
    }

    /** See {@link Topic#publishPlain}; admitted by the topic already. */
    void publishNow(String producerName, long firstSequenceId, int count, Entry encode, CompletableFuture<Result> result) {
        long mark = dedup.pushedMark(producerName);
        if (firstSequenceId < 0) {
            appendPlain(producerName, mark + 1, count, 0, encode, result);
        } else if (firstSequenceId > mark || !dedup.enabled()) {
            appendPlain(producerName, firstSequenceId, count, 0, encode, result);
        } else if (!dedup.settled(producerName)) {
            // some of these ids are in flight: decide once that append is stored or failed
            dedup.inFlight(producerName).thenRun(() -> onExecutor.accept(
                    () -> publishNow(producerName, firstSequenceId, count, encode, result)));
        } else {
            int skip = (int) Math.min(count, mark - firstSequenceId + 1);
            if (skip == count) {
                result.complete(new Result(null, firstSequenceId, count));
            } else {
                appendPlain(producerName, firstSequenceId + skip, count - skip, skip, encode, result);
            }
        }
    }

    private void appendPlain(String producerName, long first, int count, int skip, Entry encode,
                             CompletableFuture<Result> result) {
        byte[] entry;
        try {
            entry = encode.encode(first, skip);
        } catch (RuntimeException e) {
            result.completeExceptionally(e);
            return;
        }
        CompletableFuture<Topic.PublishResult> stored = new CompletableFuture<>();
        append.append(producerName, first, first + count - 1, count, entry, stored);
        stored.whenComplete((r, e) -> {
            if (e != null) {
                result.completeExceptionally(e);
            } else {
                result.complete(new Result(r.position(), first - skip, skip));
            }
        });
    }
}
