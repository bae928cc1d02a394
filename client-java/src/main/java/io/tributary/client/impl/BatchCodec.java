package io.tributary.client.impl;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnsafeByteOperations;
import com.google.protobuf.WireFormat;
import io.tributary.api.v1.BatchHeader;
import io.tributary.api.v1.EntryBatch;
import io.tributary.api.v1.MessageBatch;
import io.tributary.api.v1.MessageList;
import io.tributary.api.v1.SingleMessage;
import io.tributary.client.MessageId;
import io.tributary.client.Schema;
import io.tributary.protocol.PayloadCompression;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The entry format: a producer batch is one {@link EntryBatch} whose payload is a serialized
 * {@link MessageList}, compressed with the codec its header names. The producer encodes it once,
 * the broker stores it as is, and the consumer unpacks it into messages.
 *
 * <p>This is the client's side of the format (sizing a batch, encoding its header, unpacking
 * into {@link MessageImpl}s); the bytes themselves are {@link io.tributary.protocol.EntryCodec}'s,
 * shared with the broker.
 */
public final class BatchCodec {

    /** A varint of a negative number takes the most room, so -1 stands for any value. */
    private static final long WORST_LONG = -1L;
    private static final int WORST_INT = -1;

    private BatchCodec() {}

    /** The bytes a message takes inside a {@link MessageList}: its tag, its length, its body. */
    public static int sizeInList(SingleMessage message) {
        int size = message.getSerializedSize();
        return 1 + CodedOutputStream.computeUInt32SizeNoTag(size) + size;
    }

    /** How many bytes a sequence id may add to a message that was measured without one. */
    public static int maxSequenceIdSize() {
        return 1 + CodedOutputStream.computeInt64SizeNoTag(WORST_LONG);
    }

    /**
     * An upper bound for what an entry holds besides its messages (the header and the framing),
     * so that {@code overhead + sum(sizeInList)} bounds the entry's size.
     */
    public static int overhead(String producerName, String schema) {
        BatchHeader worst = BatchHeader.newBuilder()
                .setProducerName(producerName == null ? "" : producerName)
                .setFirstSequenceId(WORST_LONG)
                .setMessageCount(WORST_INT)
                .setCompressionValue(WORST_INT)
                .setUncompressedSize(WORST_INT)
                .setPublishTimeMs(WORST_LONG)
                .setSchema(schema == null ? "" : schema)
                .setHasKey(true)
                .setDeliverAtMs(WORST_LONG)
                .build();
        int header = worst.getSerializedSize();
        // header field, then the payload field's tag and a length of up to 5 bytes
        return 1 + CodedOutputStream.computeUInt32SizeNoTag(header) + header + 1 + 5;
    }

    /**
     * What a batch key adds to the header beyond {@link #overhead}: the key field itself
     * ({@code has_key} is already counted there). 0 for no key.
     */
    public static int keyFieldSize(String key) {
        return key == null ? 0 : CodedOutputStream.computeStringSize(BatchHeader.KEY_FIELD_NUMBER, key);
    }

    /** Encodes a batch; the messages carry their own sequence ids, the first being {@code firstSequenceId}. */
    public static ByteString encode(String producerName, String schema, long firstSequenceId,
                                    List<SingleMessage> messages, long publishTimeMs) {
        return encode(producerName, schema, firstSequenceId, messages, publishTimeMs, false);
    }

    /**
     * Encodes a batch as {@link #encode(String, String, long, List, long)} does, and fills in the
     * header fields read by the broker's dispatchers: the key shared by every message (when
     * {@code withKey} and there is one) and the latest delivery time of the messages.
     */
    public static ByteString encode(String producerName, String schema, long firstSequenceId,
                                    List<SingleMessage> messages, long publishTimeMs, boolean withKey) {
        return encode(producerName, schema, firstSequenceId, messages, publishTimeMs, withKey,
                io.tributary.api.v1.CompressionType.COMPRESSION_NONE);
    }

    /**
     * Encodes a batch as {@link #encode(String, String, long, List, long, boolean)} does, with the
     * payload compressed by {@code compression}; a batch that the codec does not make smaller is
     * stored uncompressed ({@link io.tributary.protocol.EntryCodec#payload}), so the entry never
     * exceeds {@link #overhead} plus its messages.
     */
    public static ByteString encode(String producerName, String schema, long firstSequenceId,
                                    List<SingleMessage> messages, long publishTimeMs, boolean withKey,
                                    io.tributary.api.v1.CompressionType compression) {
        io.tributary.protocol.EntryCodec.Payload payload = io.tributary.protocol.EntryCodec.payload(messages, compression);
        String key = withKey ? commonKey(messages) : null;
        long deliverAt = 0;
        for (SingleMessage m : messages) {
            deliverAt = Math.max(deliverAt, m.getDeliverAtMs());
        }
        return entry(producerName, schema, firstSequenceId, messages.size(), payload, publishTimeMs, key, deliverAt);
    }

    /**
     * A message serialised once, without its sequence id, as the producer holds it from
     * {@code sendAsync} until its batch is encoded; with the fields the batch header needs.
     *
     * @param key the message's key, null if it has none
     */
    public record Serialized(ByteString body, String key, long deliverAtMs) {
        /** Serialises {@code message}, which carries no sequence id. */
        public static Serialized of(SingleMessage message) {
            return new Serialized(message.toByteString(), message.getHasKey() ? message.getKey() : null,
                    message.getDeliverAtMs());
        }
    }

    /** What {@link #sizeInList(SingleMessage)} says of the message once it carries {@code sequenceId}. */
    public static int sizeInList(Serialized message, long sequenceId) {
        int size = message.body().size() + sequenceIdFieldSize(sequenceId);
        return 1 + CodedOutputStream.computeUInt32SizeNoTag(size) + size;
    }

    /** The bytes the sequence id field adds to a message; none for 0, which proto3 leaves out. */
    private static int sequenceIdFieldSize(long sequenceId) {
        return sequenceId == 0 ? 0 : CodedOutputStream.computeInt64Size(SingleMessage.SEQUENCE_ID_FIELD_NUMBER, sequenceId);
    }

    /**
     * Encodes a batch of serialised messages, the i-th carrying sequence id
     * {@code firstSequenceId + i}, into the same entry {@link #encode(String, String, long, List,
     * long, boolean, io.tributary.api.v1.CompressionType) encode} with {@code withKey} makes of the
     * numbered messages. The bodies are copied as they are and each message's sequence id field is
     * appended after them (protobuf takes fields in any order), so no message is built or
     * serialised again.
     */
    public static ByteString encodeSerialized(String producerName, String schema, long firstSequenceId,
                                              List<Serialized> messages, long publishTimeMs,
                                              io.tributary.api.v1.CompressionType compression) {
        int total = 0;
        String key = null;
        boolean sameKey = true;
        long deliverAt = 0;
        for (int i = 0; i < messages.size(); i++) {
            Serialized m = messages.get(i);
            total += sizeInList(m, firstSequenceId + i);
            if (m.key() == null || (key != null && !key.equals(m.key()))) {
                sameKey = false;
            }
            key = m.key();
            deliverAt = Math.max(deliverAt, m.deliverAtMs());
        }
        String commonKey = sameKey && !messages.isEmpty() ? key : null;
        if (compression == io.tributary.api.v1.CompressionType.COMPRESSION_NONE) {
            // the messages go straight into the entry, behind its header: one copy of each body
            BatchHeader header = header(producerName, schema, firstSequenceId, messages.size(),
                    io.tributary.api.v1.CompressionType.COMPRESSION_NONE, total, publishTimeMs, commonKey, deliverAt);
            int headerSize = header.getSerializedSize();
            byte[] entry = new byte[CodedOutputStream.computeTagSize(EntryBatch.HEADER_FIELD_NUMBER)
                    + CodedOutputStream.computeUInt32SizeNoTag(headerSize) + headerSize
                    + CodedOutputStream.computeTagSize(EntryBatch.PAYLOAD_FIELD_NUMBER)
                    + CodedOutputStream.computeUInt32SizeNoTag(total) + total];
            CodedOutputStream out = CodedOutputStream.newInstance(entry);
            try {
                out.writeMessage(EntryBatch.HEADER_FIELD_NUMBER, header);
                out.writeTag(EntryBatch.PAYLOAD_FIELD_NUMBER, WireFormat.WIRETYPE_LENGTH_DELIMITED);
                out.writeUInt32NoTag(total);
                writeMessages(out, firstSequenceId, messages);
                out.checkNoSpaceLeft();
            } catch (java.io.IOException e) {
                throw new IllegalStateException("a batch did not fit the bytes measured for it", e);
            }
            return UnsafeByteOperations.unsafeWrap(entry);
        }
        byte[] bytes = new byte[total];
        CodedOutputStream out = CodedOutputStream.newInstance(bytes);
        try {
            writeMessages(out, firstSequenceId, messages);
            out.checkNoSpaceLeft();
        } catch (java.io.IOException e) {
            throw new IllegalStateException("a batch did not fit the bytes measured for it", e);
        }
        ByteString plain = UnsafeByteOperations.unsafeWrap(bytes);
        io.tributary.protocol.EntryCodec.Payload payload =
                new io.tributary.protocol.EntryCodec.Payload(plain, io.tributary.api.v1.CompressionType.COMPRESSION_NONE, total);
        // the same rule as protocol's EntryCodec.payload: keep it only if it is smaller
        ByteString packed = PayloadCompression.compress(compression, plain);
        if (packed.size() < plain.size()) {
            payload = new io.tributary.protocol.EntryCodec.Payload(packed, compression, total);
        }
        return entry(producerName, schema, firstSequenceId, messages.size(), payload, publishTimeMs, commonKey, deliverAt);
    }

    /** The messages as a MessageList's fields, each body as it is with its sequence id appended. */
    private static void writeMessages(CodedOutputStream out, long firstSequenceId, List<Serialized> messages)
            throws java.io.IOException {
        for (int i = 0; i < messages.size(); i++) {
            Serialized m = messages.get(i);
            long seq = firstSequenceId + i;
            out.writeTag(MessageList.MESSAGES_FIELD_NUMBER, WireFormat.WIRETYPE_LENGTH_DELIMITED);
            out.writeUInt32NoTag(m.body().size() + sequenceIdFieldSize(seq));
            out.writeRawBytes(m.body());
            if (seq != 0) {
                out.writeInt64(SingleMessage.SEQUENCE_ID_FIELD_NUMBER, seq);
            }
        }
    }

    private static ByteString entry(String producerName, String schema, long firstSequenceId, int count,
                                    io.tributary.protocol.EntryCodec.Payload payload, long publishTimeMs, String key,
                                    long deliverAt) {
        BatchHeader header = header(producerName, schema, firstSequenceId, count, payload.compression(),
                payload.uncompressedSize(), publishTimeMs, key, deliverAt);
        return EntryBatch.newBuilder().setHeader(header).setPayload(payload.bytes()).build().toByteString();
    }

    private static BatchHeader header(String producerName, String schema, long firstSequenceId, int count,
                                      io.tributary.api.v1.CompressionType compression, int uncompressedSize,
                                      long publishTimeMs, String key, long deliverAt) {
        BatchHeader.Builder header = BatchHeader.newBuilder()
                .setProducerName(producerName == null ? "" : producerName)
                .setFirstSequenceId(firstSequenceId)
                .setMessageCount(count)
                .setCompression(compression)
                .setUncompressedSize(uncompressedSize)
                .setPublishTimeMs(publishTimeMs)
                .setSchema(schema == null ? "" : schema);
        if (key != null) {
            header.setKey(key).setHasKey(true);
        }
        return header.setDeliverAtMs(deliverAt).build();
    }

    /** The wire form of a producer's compression setting. */
    public static io.tributary.api.v1.CompressionType toProto(io.tributary.client.CompressionType type) {
        switch (type) {
            case LZ4:
                return io.tributary.api.v1.CompressionType.COMPRESSION_LZ4;
            case ZSTD:
                return io.tributary.api.v1.CompressionType.COMPRESSION_ZSTD;
            case SNAPPY:
                return io.tributary.api.v1.CompressionType.COMPRESSION_SNAPPY;
            case NONE:
                return io.tributary.api.v1.CompressionType.COMPRESSION_NONE;
            default:
                throw new IllegalArgumentException("unknown compression " + type);
        }
    }

    /** The key every message has, or null if one has none or they differ. */
    static String commonKey(List<SingleMessage> messages) {
        String key = null;
        for (SingleMessage m : messages) {
            if (!m.getHasKey() || (key != null && !key.equals(m.getKey()))) {
                return null;
            }
            key = m.getKey();
        }
        return key;
    }

    /**
     * Decodes an entry, decompressing its payload.
     *
     * @throws InvalidProtocolBufferException if the bytes are not an entry, use a compression this
     *         client does not know, or do not decompress to what the header announces
     */
    public static io.tributary.protocol.EntryCodec.Decoded decode(ByteString entry) throws InvalidProtocolBufferException {
        try {
            return io.tributary.protocol.EntryCodec.decode(entry);
        } catch (io.tributary.protocol.TributaryException e) {
            throw new InvalidProtocolBufferException(e.getMessage());
        }
    }

    /** The messages of a delivered entry, and how many of them were skipped as already acknowledged. */
    public record Unpacked<T>(List<MessageImpl<T>> messages, int skipped, int batchSize) {}

    /**
     * Unpacks a delivered entry into messages, leaving out the batch indexes the broker lists
     * as acknowledged.
     *
     * @param topicPartition the partition index of the consumer's topic, -1 if it is not a partition
     */
    public static <T> Unpacked<T> unpack(String topic, int topicPartition, MessageBatch batch, Schema<T> schema)
            throws InvalidProtocolBufferException {
        io.tributary.protocol.EntryCodec.Decoded decoded = decode(batch.getEntry());
        List<SingleMessage> singles = decoded.messages();
        io.tributary.api.v1.MessageId id = batch.getMessageId();
        int batchSize = id.getBatchSize() > 0 ? id.getBatchSize() : singles.size();
        int partition = partitionOf(id.getPartition(), topicPartition);
        Set<Integer> acked = batch.getAckedIndexesCount() == 0 ? Set.of() : new HashSet<>(batch.getAckedIndexesList());
        List<MessageImpl<T>> out = new ArrayList<>(singles.size());
        int skipped = 0;
        for (int i = 0; i < singles.size(); i++) {
            if (acked.contains(i)) {
                skipped++;
                continue;
            }
            MessageId mid = new MessageId(id.getLedgerId(), id.getEntryId(), i, partition, batchSize);
            out.add(new MessageImpl<>(topic, mid, singles.get(i), decoded.header(), batch.getRedeliveryCount(),
                    batch.getLastFailureReason(), batch.getFirstDeliveryMs(), schema));
        }
        // permits are charged per message of the entry, so a short entry still frees its whole size
        skipped += Math.max(0, batchSize - singles.size());
        return new Unpacked<>(out, skipped, batchSize);
    }

    /**
     * The partition of an id learned from the broker. A partition's own name tells its index, and
     * that wins (the broker's publish acknowledgements say -1 whatever the topic). Otherwise the
     * protocol says -1 for a topic that is not partitioned, but proto3 cannot tell an unset 0
     * from partition 0, so a 0 is taken from the topic's own name instead.
     */
    public static int partitionOf(int fromBroker, int topicPartition) {
        if (topicPartition >= 0) {
            return topicPartition;
        }
        return fromBroker != 0 ? fromBroker : topicPartition;
    }

    /** The protocol form of an id, as acks carry it. */
    public static io.tributary.api.v1.MessageId toProto(MessageId id) {
        return io.tributary.api.v1.MessageId.newBuilder()
                .setLedgerId(id.getLedgerId())
                .setEntryId(id.getEntryId())
                .setBatchIndex(id.getBatchIndex())
                .setPartition(id.getPartition())
                .setBatchSize(id.getBatchSize())
                .build();
    }
}
