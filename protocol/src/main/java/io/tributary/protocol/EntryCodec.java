package io.tributary.protocol;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.tributary.api.v1.BatchHeader;
import io.tributary.api.v1.CompressionType;
import io.tributary.api.v1.EntryBatch;
import io.tributary.api.v1.ErrorReason;
import io.tributary.api.v1.MessageList;
import io.tributary.api.v1.SingleMessage;
import java.util.List;

/**
 * Encodes a producer batch into the bytes of one stored entry and decodes it back: the one
 * definition of the entry format in Java. The producer encodes once; the broker stores the bytes
 * as they are; consumers (the SDK, or the broker for unary Receive) decode.
 */
public final class EntryCodec {
    private EntryCodec() {}

    /** Encodes messages (uncompressed) into one entry; the first carries {@code firstSequenceId}. */
    public static ByteString encode(String producerName, String schema, long firstSequenceId,
                                    List<SingleMessage> messages, long publishTimeMs) {
        ByteString payload = MessageList.newBuilder().addAllMessages(messages).build().toByteString();
        BatchHeader header = BatchHeader.newBuilder()
                .setProducerName(producerName == null ? "" : producerName)
                .setFirstSequenceId(firstSequenceId)
                .setMessageCount(messages.size())
                .setCompression(CompressionType.COMPRESSION_NONE)
                .setUncompressedSize(payload.size())
                .setPublishTimeMs(publishTimeMs)
                .setSchema(schema == null ? "" : schema)
                .build();
        return EntryBatch.newBuilder().setHeader(header).setPayload(payload).build().toByteString();
    }

    /** A decoded entry: its header and its messages in batch order. */
    public record Decoded(BatchHeader header, List<SingleMessage> messages) {}

    /**
     * Decodes an entry; fails with INVALID_REQUEST if the bytes are not an entry or use a
     * compression this version does not read.
     */
    public static Decoded decode(ByteString entry) {
        try {
            EntryBatch batch = EntryBatch.parseFrom(entry);
            BatchHeader h = batch.getHeader();
            if (h.getCompression() != CompressionType.COMPRESSION_NONE) {
                throw new TributaryException(ErrorReason.INVALID_REQUEST, "entry compressed with "
                        + h.getCompression() + ", which this version cannot decode");
            }
            return new Decoded(h, MessageList.parseFrom(batch.getPayload()).getMessagesList());
        } catch (InvalidProtocolBufferException e) {
            throw new TributaryException(ErrorReason.INVALID_REQUEST, "entry is not a valid batch: " + e.getMessage());
        }
    }

    public static Decoded decode(byte[] entry) {
        return decode(ByteString.copyFrom(entry));
    }
}
