package io.tributary.broker.dispatch;

import io.tributary.api.v1.ErrorDetail;
import io.tributary.api.v1.ErrorReason;
import io.tributary.api.v1.MessageId;
import io.tributary.protocol.EntryCodec;
import io.tributary.protocol.ErrorReasons;
import io.tributary.storage.cursor.ManagedCursor;
import io.tributary.storage.log.LogEntry;
import io.tributary.storage.log.LogReader;
import io.tributary.storage.log.Position;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Checks a message id that a client acknowledges (or gives back) against the entry it names,
 * before anything is sized by its numbers: the position must be a stored entry of the topic (at or
 * before its last confirmed entry, at or after its first stored one), and a batch size must be the
 * entry's real message count (from the header the broker wrote), with the batch index within it.
 * A batch size of 0 is an id whose size the client did not know: it names the whole entry.
 * Runs on the topic's executor.
 */
final class AckValidator {
    /** A message count not known without reading the entry. */
    static final int UNKNOWN = 0;
    /** The entry is not in the log (any more). */
    static final int NOT_STORED = -1;
    /** Reading the entry failed. */
    static final int READ_FAILED = -2;

    /**
     * What to do with an acknowledged id.
     *
     * @param position     the entry the id names
     * @param refused      why the id is refused; null if it is not
     * @param acknowledged the entry was acknowledged already (nothing to apply)
     * @param wholeEntry   the id names the whole entry (one message, or a size the client did not know)
     * @param needsEntry   the entry's message count is needed and unknown: read it and check again
     */
    record Verdict(Position position, ErrorDetail refused, boolean acknowledged, boolean wholeEntry, boolean needsEntry) {}

    private final SubscriptionContext context;
    private final ManagedCursor cursor;

    AckValidator(SubscriptionContext context, ManagedCursor cursor) {
        this.context = context;
        this.cursor = cursor;
    }

    /**
     * Checks {@code id} given the message count of its entry: a count the subscription holds,
     * or one {@link #readMessageCount} returned, or {@link #UNKNOWN}.
     */
    Verdict check(MessageId id, int messageCount) {
        Position p = new Position(id.getLedgerId(), id.getEntryId());
        ErrorDetail bad = checkPosition(id);
        if (bad != null) {
            return refuse(p, bad);
        }
        if (cursor.isAcknowledged(p)) {
            return new Verdict(p, null, true, true, false);
        }
        if (p.isBefore(context.log().firstPosition())) {
            return refuse(p, invalid(id, "is before the first entry the topic still stores ("
                    + context.log().firstPosition() + ") and was not acknowledged"));
        }
        if (id.getBatchSize() == 0) {
            return new Verdict(p, null, false, true, false);
        }
        if (messageCount == UNKNOWN) {
            return new Verdict(p, null, false, false, true);
        }
        if (messageCount == NOT_STORED) {
            return refuse(p, invalid(id, "names no entry the topic stores"));
        }
        if (messageCount == READ_FAILED) {
            return refuse(p, ErrorReasons.detail(ErrorReason.SERVICE_NOT_READY, "message " + idText(id) + " of "
                    + context.topic() + ": its entry could not be read to check the acknowledgement; try again"));
        }
        if (id.getBatchSize() != messageCount) {
            return refuse(p, invalid(id, "says its batch holds " + id.getBatchSize() + " messages, but the entry holds "
                    + messageCount));
        }
        if (messageCount > ManagedCursor.MAX_BATCH_MESSAGES && id.getBatchSize() > 1) {
            return refuse(p, invalid(id, "names a message of an entry of " + messageCount + " messages, more than single"
                    + " messages can be acknowledged of (" + ManagedCursor.MAX_BATCH_MESSAGES + "); acknowledge the whole"
                    + " entry (batch size 0)"));
        }
        return new Verdict(p, null, false, messageCount == 1, false);
    }

    /**
     * What needs no entry: a position that can be of a stored entry of the topic, and a batch
     * index within the batch size the id states. Null if the id passes.
     */
    ErrorDetail checkPosition(MessageId id) {
        if (id.getBatchSize() < 0) {
            return invalid(id, "has a negative batch size");
        }
        if (id.getBatchSize() > 0 && (id.getBatchIndex() < 0 || id.getBatchIndex() >= id.getBatchSize())) {
            return invalid(id, "has batch index " + id.getBatchIndex() + ", outside its batch of " + id.getBatchSize()
                    + " messages");
        }
        return context.messageIds().check(new Position(id.getLedgerId(), id.getEntryId()));
    }

    /** Reads the message count of the entry at {@code p} (from its header); {@link #NOT_STORED} or {@link #READ_FAILED} else. */
    CompletableFuture<Integer> readMessageCount(Position p) {
        LogReader log = context.log();
        return log.readAsync(p, 1).handle((List<LogEntry> entries, Throwable err) -> {
            if (err != null) {
                return READ_FAILED;
            }
            if (entries.isEmpty() || !entries.get(0).position().equals(p)) {
                return NOT_STORED;
            }
            return EntryCodec.messageCount(entries.get(0).data());
        });
    }

    private static Verdict refuse(Position p, ErrorDetail why) {
        return new Verdict(p, why, false, false, false);
    }

    private ErrorDetail invalid(MessageId id, String why) {
        return ErrorReasons.detail(ErrorReason.INVALID_MESSAGE_ID, "message id " + idText(id) + " of topic "
                + context.topic() + " " + why);
    }

    private static String idText(MessageId id) {
        return id.getLedgerId() + ":" + id.getEntryId() + ":" + id.getBatchIndex() + "/" + id.getBatchSize();
    }
}
