package io.tributary.broker.transaction;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnsafeByteOperations;
import io.tributary.api.v1.CompressionType;
import io.tributary.api.v1.EntryBatch;
import io.tributary.api.v1.MessageList;
import io.tributary.api.v1.SingleMessage;
import io.tributary.broker.service.PlainMessages;
import io.tributary.internal.v1.TransactionRecord;
import io.tributary.protocol.TributaryException;
import io.tributary.storage.log.Position;
import java.util.List;

/**
 * How a coordinator's records are stored: each record is the single message of an ordinary entry of the
 * transaction log, so the log is a topic like any other (its size, retention and tools work on it), and a
 * transaction's id is the position of its begin record.
 */
final class TransactionRecords {
    /** The producer name the coordinator appends its records under (never a client's: see {@link #isReserved}). */
    static final String PRODUCER = "__transactions-coordinator";
    /** The producer name a commit's messages are stored under on each topic (de-duplicated, so stored once). */
    static final String APPLY_PRODUCER = "__transactions-0";
    private static final String ID_PREFIX = "txn-";

    private TransactionRecords() {}

    static byte[] encode(TransactionRecord record, long firstSequenceId, long nowMs) {
        SingleMessage m = SingleMessage.newBuilder().setValue(UnsafeByteOperations.unsafeWrap(record.toByteArray())).build();
        return PlainMessages.encode(PRODUCER, firstSequenceId, List.of(m), nowMs);
    }

    /** The record an entry of the transaction log holds. */
    static TransactionRecord decode(byte[] entry) throws InvalidProtocolBufferException {
        EntryBatch batch = EntryBatch.parseFrom(entry);
        if (batch.getHeader().getCompression() != CompressionType.COMPRESSION_NONE) {
            throw new InvalidProtocolBufferException("a transaction log entry is never compressed");
        }
        MessageList list = MessageList.parseFrom(batch.getPayload());
        if (list.getMessagesCount() != 1) {
            throw new InvalidProtocolBufferException("a transaction log entry holds one record, not " + list.getMessagesCount());
        }
        return TransactionRecord.parseFrom(list.getMessages(0).getValue());
    }

    static String id(Position begin) {
        return ID_PREFIX + begin.ledgerId() + "-" + begin.entryId();
    }

    /** Checks an id's form (it names a begin record's position); INVALID_REQUEST if it cannot be one. */
    static String checkId(String id) {
        if (!id.startsWith(ID_PREFIX) || id.length() > 64) {
            throw new TributaryException(io.tributary.api.v1.ErrorReason.INVALID_REQUEST, "transaction id '"
                    + (id.length() > 64 ? id.substring(0, 64) + "..." : id) + "' is malformed: ids look like txn-<n>-<n>,"
                    + " as BeginTransaction answers them");
        }
        String[] parts = id.substring(ID_PREFIX.length()).split("-", -1);
        if (parts.length != 2 || !parts[0].matches("[0-9]{1,19}") || !parts[1].matches("[0-9]{1,19}")) {
            throw new TributaryException(io.tributary.api.v1.ErrorReason.INVALID_REQUEST, "transaction id '" + id
                    + "' is malformed: ids look like txn-<n>-<n>, as BeginTransaction answers them");
        }
        return id;
    }
}
