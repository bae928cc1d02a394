package io.tributary.client.impl.consumer;

import io.tributary.api.v1.InitialPosition;
import io.tributary.api.v1.SubscribeOpen;
import io.tributary.client.MessageId;
import io.tributary.client.impl.BatchCodec;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Where a reader stands on its one topic: where its next stream starts, what that stream must
 * not hand out again, and the last message handed out. A reader's cursor is non-durable and
 * dies with its stream, so every stream opens a fresh one at this position.
 *
 * <p>Guarded by the consumer's lock ({@link ConsumerImpl#lock}), like the rest of its state.
 */
final class ReaderPosition {
    /** Where the next stream starts: this id (then {@link #startPosition} is unused), or else a position. */
    private MessageId startId;
    private boolean startInclusive;
    private InitialPosition startPosition;
    /** A publish time to seek to once the stream opened (SubscribeOpen cannot start at a time); -1 if none. */
    private long startTimeMs = -1;
    /** What the current stream hands out again and must be dropped: up to this id. */
    private MessageId skipThrough;
    private boolean skipInclusive;
    private MessageId lastHanded;
    /** The name of the current stream's cursor. */
    private String cursorName;

    ReaderPosition(MessageId start, boolean inclusive) {
        if (start.equals(MessageId.earliest)) {
            startPosition = InitialPosition.EARLIEST;
        } else if (start.equals(MessageId.latest)) {
            startPosition = InitialPosition.LATEST;
        } else {
            startId = start;
            startInclusive = inclusive;
        }
    }

    /** Fills a new stream's open request: a fresh cursor name, starting where the reader stands. */
    void open(SubscribeOpen.Builder open, String namePrefix) {
        // a fresh name each time: the broker may not have noticed yet that the last stream is gone
        cursorName = namePrefix + "-" + Long.toHexString(ThreadLocalRandom.current().nextLong());
        open.setSubscription(cursorName)
                .setType(io.tributary.api.v1.SubscriptionType.EXCLUSIVE)
                .setNonDurable(true);
        lastHanded = null;
        if (startId != null) {
            open.setStartMessageId(BatchCodec.toProto(startId)).setStartInclusive(startInclusive);
            skipThrough = startId;
            skipInclusive = startInclusive;
        } else {
            open.setInitialPosition(startPosition);
            skipThrough = null;
        }
    }

    /** The current stream's cursor name. */
    String cursorName() {
        return cursorName;
    }

    /** The publish time the new stream must seek to, or -1. */
    long pendingStartTime() {
        return startId == null ? startTimeMs : -1;
    }

    /**
     * Whether a message that arrived is one the reader handed out already (a stream restarts at
     * an entry, and the entry's earlier messages come again).
     */
    boolean handedAlready(MessageId id) {
        if (skipThrough == null) {
            return false;
        }
        int c = compareInTopic(id, skipThrough);
        if (c < 0 || (c == 0 && !skipInclusive)) {
            return true;
        }
        skipThrough = null;
        return false;
    }

    /** A message went to the application: a new stream starts after it. */
    void handedOut(MessageId id) {
        startId = id;
        startInclusive = false;
        startTimeMs = -1;
        lastHanded = id;
    }

    /** A message handed out came back to the queue (its receive was cancelled): a new stream starts at it again. */
    void untaken(MessageId id) {
        if (id.equals(startId)) {
            startInclusive = true;
        }
    }

    /** The last message handed out on this stream, to acknowledge on the broker with the next Flow; may be null. */
    MessageId lastHanded() {
        return lastHanded;
    }

    /** A seek was answered: what the stream hands out from now on is new. */
    void forgetHanded() {
        lastHanded = null;
    }

    /** After a seek to the earliest or latest message. */
    void movedTo(InitialPosition position) {
        startId = null;
        startPosition = position;
        skipThrough = null;
        startTimeMs = -1;
    }

    /** After a seek to an id: the reader reads from it, inclusive. */
    void movedTo(MessageId id) {
        startId = id;
        startInclusive = true;
        skipThrough = id;
        skipInclusive = true;
        startTimeMs = -1;
    }

    /** After a seek to a publish time. */
    void movedToTime(long publishTimeMs) {
        startId = null;
        skipThrough = null;
        startTimeMs = publishTimeMs;
    }

    /** The last message handed out (exclusive), or the start id; null when the reader stands at a position or time. */
    MessageId position() {
        return startId;
    }

    boolean positionInclusive() {
        return startInclusive;
    }

    /** Orders ids of one topic by ledger, entry and batch index (the partition is the topic's). */
    static int compareInTopic(MessageId a, MessageId b) {
        int c = Long.compare(a.getLedgerId(), b.getLedgerId());
        if (c == 0) {
            c = Long.compare(a.getEntryId(), b.getEntryId());
        }
        if (c == 0) {
            c = Integer.compare(a.getBatchIndex(), b.getBatchIndex());
        }
        return c;
    }
}
