package io.tributary.client;

import com.google.protobuf.InvalidProtocolBufferException;
import java.io.Serializable;

/**
 * Where a message is stored: the ledger and entry of its batch, its index inside the batch and,
 * for a partition of a partitioned topic, the partition (-1 otherwise). The batch size travels
 * along so that single messages of a batch can be acknowledged, but it takes no part in
 * equality and ordering: the same message is the same id however it was learned.
 *
 * <p>Immutable and thread-safe.
 */
public final class MessageId implements Comparable<MessageId>, Serializable {

    private static final long serialVersionUID = 1L;

    /** Before every stored message. */
    public static final MessageId earliest = new MessageId(-1, -1, -1, -1, 0);

    /** After every stored message. */
    public static final MessageId latest = new MessageId(Long.MAX_VALUE, Long.MAX_VALUE, -1, -1, 0);

    private final long ledgerId;
    private final long entryId;
    private final int batchIndex;
    private final int partition;
    private final int batchSize;

    /** An id from its parts; -1 partition for a plain topic, batch size 0 when unknown. */
    public MessageId(long ledgerId, long entryId, int batchIndex, int partition, int batchSize) {
        this.ledgerId = ledgerId;
        this.entryId = entryId;
        this.batchIndex = batchIndex;
        this.partition = partition;
        this.batchSize = batchSize;
    }

    /** An id on a topic that is not partitioned, with the batch size unknown. */
    public static MessageId of(long ledgerId, long entryId, int batchIndex) {
        return new MessageId(ledgerId, entryId, batchIndex, -1, 0);
    }

    /** The BookKeeper ledger holding the entry. */
    public long getLedgerId() {
        return ledgerId;
    }

    /** The entry in the ledger: one producer batch. */
    public long getEntryId() {
        return entryId;
    }

    /** The message's index in its batch. */
    public int getBatchIndex() {
        return batchIndex;
    }

    /** The partition index, -1 for a topic that is not partitioned. */
    public int getPartition() {
        return partition;
    }

    /** How many messages the batch holds, 0 if unknown. */
    public int getBatchSize() {
        return batchSize;
    }

    /** The id as the protocol's {@code tributary.v1.MessageId}, batch size included. */
    public byte[] toByteArray() {
        return io.tributary.api.v1.MessageId.newBuilder()
                .setLedgerId(ledgerId)
                .setEntryId(entryId)
                .setBatchIndex(batchIndex)
                .setPartition(partition)
                .setBatchSize(batchSize)
                .build()
                .toByteArray();
    }

    /**
     * Reads an id written by {@link #toByteArray()}.
     *
     * @throws IllegalArgumentException if the bytes are not a serialized id
     */
    public static MessageId fromByteArray(byte[] bytes) {
        if (bytes == null) {
            throw new IllegalArgumentException("no bytes");
        }
        try {
            io.tributary.api.v1.MessageId p = io.tributary.api.v1.MessageId.parseFrom(bytes);
            return new MessageId(p.getLedgerId(), p.getEntryId(), p.getBatchIndex(), p.getPartition(),
                    p.getBatchSize());
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalArgumentException("not a serialized message id", e);
        }
    }

    /**
     * Reads {@code ledger:entry:batchIndex[:partition]}, the form of {@link #toString()}. The
     * batch size is not part of the text and comes back as 0.
     *
     * @throws IllegalArgumentException if the text is not in that form
     */
    public static MessageId fromString(String text) {
        if (text == null) {
            throw new IllegalArgumentException("no message id");
        }
        String[] parts = text.trim().split(":", -1);
        if (parts.length != 3 && parts.length != 4) {
            throw new IllegalArgumentException("'" + text + "' is not ledger:entry:batchIndex[:partition]");
        }
        try {
            long ledger = Long.parseLong(parts[0]);
            long entry = Long.parseLong(parts[1]);
            int index = Integer.parseInt(parts[2]);
            int partition = parts.length == 4 ? Integer.parseInt(parts[3]) : -1;
            return new MessageId(ledger, entry, index, partition, 0);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' is not ledger:entry:batchIndex[:partition]", e);
        }
    }

    @Override
    public int compareTo(MessageId o) {
        int c = Long.compare(ledgerId, o.ledgerId);
        if (c == 0) {
            c = Long.compare(entryId, o.entryId);
        }
        if (c == 0) {
            c = Integer.compare(batchIndex, o.batchIndex);
        }
        if (c == 0) {
            c = Integer.compare(partition, o.partition);
        }
        return c;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof MessageId)) {
            return false;
        }
        MessageId m = (MessageId) o;
        return ledgerId == m.ledgerId && entryId == m.entryId && batchIndex == m.batchIndex
                && partition == m.partition;
    }

    @Override
    public int hashCode() {
        int h = Long.hashCode(ledgerId);
        h = 31 * h + Long.hashCode(entryId);
        h = 31 * h + batchIndex;
        return 31 * h + partition;
    }

    /** {@code ledger:entry:batchIndex}, with {@code :partition} appended for a partition. */
    @Override
    public String toString() {
        String s = ledgerId + ":" + entryId + ":" + batchIndex;
        return partition >= 0 ? s + ":" + partition : s;
    }
}
