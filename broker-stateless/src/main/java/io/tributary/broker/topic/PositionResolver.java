package io.tributary.broker.topic;

import io.tributary.api.v1.ErrorDetail;
import io.tributary.api.v1.ErrorReason;
import io.tributary.api.v1.GetLastMessageIdResponse;
import io.tributary.api.v1.InitialPosition;
import io.tributary.api.v1.MessageId;
import io.tributary.protocol.EntryCodec;
import io.tributary.protocol.ErrorReasons;
import io.tributary.protocol.TopicName;
import io.tributary.protocol.TributaryException;
import io.tributary.storage.cursor.ManagedCursor;
import io.tributary.storage.log.LedgerSummary;
import io.tributary.storage.log.ManagedLog;
import io.tributary.storage.log.Position;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * Turns what clients name (message ids, publish times, earliest/latest) into positions of a topic's
 * log, checks message ids, and answers GetLastMessageId. Owned by the topic's executor.
 */
final class PositionResolver {
    private final TopicName name;
    private final ManagedLog log;
    private final Executor executor;
    /** The last entry this broker appended and its message count, so GetLastMessageId need not read it back. */
    private Position lastAppended;
    private int lastAppendedCount;

    PositionResolver(TopicName name, ManagedLog log, Executor executor) {
        this.name = name;
        this.log = log;
        this.executor = executor;
    }

    /** Records an entry this broker appended, with the message count its producer declared (0: not declared). */
    void appended(Position p, int messageCount) {
        if (lastAppended == null || p.compareTo(lastAppended) > 0) {
            // the count the producer declared (0: not declared, then GetLastMessageId reads the entry)
            lastAppended = messageCount > 0 ? p : null;
            lastAppendedCount = messageCount;
        }
    }

    /** Null if {@code p} can be the position of a message of this topic, else why not. */
    ErrorDetail checkMessageId(Position p) {
        if (p.entryId() < 0 || p.isAfter(log.lastConfirmed())) {
            return ErrorReasons.detail(ErrorReason.INVALID_MESSAGE_ID, "message id " + p + " does not belong to topic "
                    + name + " (its last message is " + log.lastConfirmed() + ")");
        }
        if (log.nextPosition(new Position(p.ledgerId(), p.entryId() - 1)).equals(p)) {
            return null;
        }
        if (p.ledgerId() < log.firstPosition().ledgerId()) {
            return null; // in a ledger deleted after everyone acknowledged it
        }
        return ErrorReasons.detail(ErrorReason.INVALID_MESSAGE_ID, "message id " + p + " does not belong to topic " + name);
    }

    /**
     * Where a seek to {@code id} starts: the id's entry; the first stored entry for an id before it
     * (deleted by retention); the end for the id just after the last message.
     * Throws POSITION_OUT_OF_RANGE past the end and INVALID_MESSAGE_ID for an id of no ledger of the topic.
     */
    Position positionOf(MessageId id) {
        Position p = new Position(id.getLedgerId(), id.getEntryId());
        Position end = log.endPosition();
        if (p.isAfter(end)) {
            throw new TributaryException(ErrorReason.POSITION_OUT_OF_RANGE, "message id " + id.getLedgerId() + ":"
                    + id.getEntryId() + " is past the end of topic " + name + " (its last message is " + log.lastConfirmed() + ")");
        }
        if (p.equals(end)) {
            return end;
        }
        Position first = log.firstPosition();
        if (p.isBefore(first)) {
            return first;
        }
        ErrorDetail invalid = checkMessageId(p);
        if (invalid != null) {
            throw new TributaryException(invalid, null);
        }
        return p;
    }

    /**
     * Checks the batch index and size of {@code id} (a seek target or a reader's start), which
     * {@link #positionOf} resolved to {@code resolved}: the index must be within the size, and a
     * size the client states must be the real message count of the entry (read from its header)
     * when the id names a stored entry; the reader's cursor is sized by it. Fails with
     * INVALID_MESSAGE_ID otherwise.
     */
    CompletableFuture<Void> checkBatch(MessageId id, Position resolved) {
        int size = id.getBatchSize();
        if (size < 0 || size > ManagedCursor.MAX_BATCH_MESSAGES
                || (size > 0 && (id.getBatchIndex() < 0 || id.getBatchIndex() >= size))) {
            return CompletableFuture.failedFuture(new TributaryException(ErrorReason.INVALID_MESSAGE_ID, "message id "
                    + text(id) + " of topic " + name + " has batch index " + id.getBatchIndex() + ", outside its batch of "
                    + size + " messages"));
        }
        if (size == 0 || !resolved.equals(new Position(id.getLedgerId(), id.getEntryId()))
                || resolved.equals(log.endPosition())) {
            return CompletableFuture.completedFuture(null);
        }
        return log.readAsync(resolved, 1).thenAccept(entries -> {
            if (entries.isEmpty() || !entries.get(0).position().equals(resolved)) {
                throw new TributaryException(ErrorReason.INVALID_MESSAGE_ID, "message id " + text(id)
                        + " names no entry topic " + name + " stores");
            }
            int count = EntryCodec.messageCount(entries.get(0).data());
            if (count != size) {
                throw new TributaryException(ErrorReason.INVALID_MESSAGE_ID, "message id " + text(id) + " of topic " + name
                        + " says its batch holds " + size + " messages, but the entry holds " + count);
            }
        });
    }

    /**
     * Where a reader starts: the entry to read first, and (after a message inside a batch) the batch indexes of
     * that entry already behind it, up to {@code ackedUpTo} of {@code batchSize}; -1: none.
     */
    record ReaderStart(Position next, int ackedUpTo, int batchSize) {}

    /**
     * A reader's start from {@code startId} resolved to {@code p} (after it unless {@code inclusive}), or from
     * {@code initial} when there is no id.
     */
    ReaderStart readerStart(MessageId startId, Position p, boolean inclusive, InitialPosition initial) {
        if (startId == null) {
            return new ReaderStart(initial == InitialPosition.EARLIEST ? log.firstPosition() : log.endPosition(), -1, 0);
        }
        boolean sameEntry = p.equals(new Position(startId.getLedgerId(), startId.getEntryId()));
        if (inclusive || p.equals(log.endPosition())) {
            return new ReaderStart(p, -1, 0);
        }
        if (sameEntry && startId.getBatchSize() > 1 && startId.getBatchIndex() < startId.getBatchSize() - 1) {
            // after a message inside a batch: the rest of that batch comes first
            return new ReaderStart(p, startId.getBatchIndex(), startId.getBatchSize());
        }
        return new ReaderStart(log.nextPosition(p), -1, 0);
    }

    private static String text(MessageId id) {
        return id.getLedgerId() + ":" + id.getEntryId() + ":" + id.getBatchIndex() + "/" + id.getBatchSize();
    }

    /** The position a seek target names (runs on the executor; reads the log for a publish time). */
    CompletableFuture<Position> resolve(MessageId id, Long publishTimeMs, InitialPosition position) {
        if (id != null) {
            return CompletableFuture.supplyAsync(() -> positionOf(id), executor)
                    .thenCompose(p -> checkBatch(id, p).thenApply(v -> p));
        }
        if (publishTimeMs != null) {
            if (publishTimeMs < 0) {
                return CompletableFuture.failedFuture(new TributaryException(ErrorReason.INVALID_REQUEST,
                        "a publish time must be >= 0, was " + publishTimeMs));
            }
            return log.findFirst(e -> EntryCodec.header(e).getPublishTimeMs(), publishTimeMs);
        }
        if (position == null) {
            return CompletableFuture.failedFuture(new TributaryException(ErrorReason.INVALID_REQUEST,
                    "a seek needs a message id, a publish time or a position"));
        }
        return CompletableFuture.supplyAsync(() -> position == InitialPosition.EARLIEST ? log.firstPosition() : log.endPosition(), executor);
    }

    /**
     * Completes {@code r} (which may carry a mark-delete position already) with the id of the last
     * stored message: the last message of the last entry, whose batch size is known if this broker
     * appended it and read otherwise; unset when the log holds none. Call on the executor.
     */
    CompletableFuture<GetLastMessageIdResponse> lastMessageId(GetLastMessageIdResponse.Builder r) {
        int partition = name.partitionIndex();
        // a log whose ledgers retention deleted holds nothing, though lastConfirmed still names an entry
        if (log.firstPosition().equals(log.endPosition())) {
            return CompletableFuture.completedFuture(r.build());
        }
        Position last = lastEntry(log.lastConfirmed());
        if (last == null) {
            return CompletableFuture.completedFuture(r.build());
        }
        if (last.equals(lastAppended)) {
            return CompletableFuture.completedFuture(r.setLastMessageId(MessageId.newBuilder()
                    .setLedgerId(last.ledgerId()).setEntryId(last.entryId()).setBatchIndex(lastAppendedCount - 1)
                    .setBatchSize(lastAppendedCount).setPartition(partition)).build());
        }
        // written before this broker served the topic: read its message count
        return log.readAsync(last, 1).thenApply(entries -> {
            if (entries.isEmpty()) {
                return r.build();
            }
            int size = EntryCodec.messageCount(entries.get(0).data());
            return r.setLastMessageId(MessageId.newBuilder().setLedgerId(last.ledgerId()).setEntryId(last.entryId())
                    .setBatchIndex(size - 1).setBatchSize(size).setPartition(partition)).build();
        });
    }

    /**
     * The last stored entry: {@code lastConfirmed}, unless that names the empty open ledger of a log
     * opened here (after a move or restart) before its first append; then the last entry of the ledgers
     * before it, or null if they hold none.
     */
    private Position lastEntry(Position lastConfirmed) {
        if (lastConfirmed.entryId() >= 0) {
            return lastConfirmed;
        }
        Position last = null;
        for (LedgerSummary l : log.ledgers()) {
            if (l.entries() > 0 && l.ledgerId() < lastConfirmed.ledgerId()) {
                last = new Position(l.ledgerId(), l.entries() - 1);
            }
        }
        return last;
    }
}
