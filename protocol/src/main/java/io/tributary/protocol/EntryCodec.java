package io.tributary.protocol;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import io.tributary.api.v1.BatchHeader;
import io.tributary.api.v1.CompressionType;
import io.tributary.api.v1.EntryBatch;
import io.tributary.api.v1.ErrorReason;
import io.tributary.api.v1.MessageList;
import io.tributary.api.v1.SingleMessage;
import java.io.IOException;
import java.util.List;

/**
 * Encodes a producer batch into the bytes of one stored entry and decodes it back: the one
 * definition of the entry format in Java. The producer encodes once; the broker stores the bytes
 * as they are; consumers (the SDK, or the broker for unary Receive) decode, decompressing the
 * payload with the codec its header names ({@link PayloadCompression}).
 */
public final class EntryCodec {
    private EntryCodec() {}

    /**
     * An entry's payload as it is stored, with the header fields that describe it.
     *
     * @param bytes the serialized {@link MessageList}, compressed with {@code compression}
     * @param compression the codec actually used
     * @param uncompressedSize the size of the serialized {@link MessageList}
     */
    public record Payload(ByteString bytes, CompressionType compression, int uncompressedSize) {}

    /**
     * The payload of {@code messages} compressed with {@code compression}. A batch that the codec
     * does not make smaller (small or random data) is stored uncompressed instead, so that an
     * entry is never larger than its messages plus the header, and readers skip the work.
     */
    public static Payload payload(List<SingleMessage> messages, CompressionType compression) {
        ByteString plain = MessageList.newBuilder().addAllMessages(messages).build().toByteString();
        if (compression != CompressionType.COMPRESSION_NONE) {
            ByteString packed = PayloadCompression.compress(compression, plain);
            if (packed.size() < plain.size()) {
                return new Payload(packed, compression, plain.size());
            }
        }
        return new Payload(plain, CompressionType.COMPRESSION_NONE, plain.size());
    }

    /** Encodes messages (uncompressed) into one entry; the first carries {@code firstSequenceId}. */
    public static ByteString encode(String producerName, String schema, long firstSequenceId,
                                    List<SingleMessage> messages, long publishTimeMs) {
        return encode(producerName, schema, firstSequenceId, messages, publishTimeMs, CompressionType.COMPRESSION_NONE);
    }

    /** Encodes messages into one entry whose payload is compressed with {@code compression} (see {@link #payload}). */
    public static ByteString encode(String producerName, String schema, long firstSequenceId,
                                    List<SingleMessage> messages, long publishTimeMs, CompressionType compression) {
        Payload payload = payload(messages, compression);
        BatchHeader header = BatchHeader.newBuilder()
                .setProducerName(producerName == null ? "" : producerName)
                .setFirstSequenceId(firstSequenceId)
                .setMessageCount(messages.size())
                .setCompression(payload.compression())
                .setUncompressedSize(payload.uncompressedSize())
                .setPublishTimeMs(publishTimeMs)
                .setSchema(schema == null ? "" : schema)
                .build();
        return EntryBatch.newBuilder().setHeader(header).setPayload(payload.bytes()).build().toByteString();
    }

    /** A decoded entry: its header and its messages in batch order. */
    public record Decoded(BatchHeader header, List<SingleMessage> messages) {}

    /**
     * Decodes an entry, decompressing its payload; fails with INVALID_REQUEST if the bytes are not
     * an entry, use a compression this version does not know, or do not decompress cleanly.
     */
    public static Decoded decode(ByteString entry) {
        return decode(entry, PayloadCompression.MAX_UNCOMPRESSED_SIZE);
    }

    /**
     * Decodes an entry whose payload may take at most {@code maxUncompressedSize} bytes once
     * decompressed (MESSAGE_TOO_LARGE if its header announces more); otherwise as {@link #decode(ByteString)}.
     */
    public static Decoded decode(ByteString entry, int maxUncompressedSize) {
        EntryBatch batch;
        try {
            batch = EntryBatch.parseFrom(aliasing(entry));
        } catch (IOException e) {
            throw new TributaryException(ErrorReason.INVALID_REQUEST, "entry is not a valid batch: " + e.getMessage());
        }
        BatchHeader h = batch.getHeader();
        ByteString payload = PayloadCompression.decompress(h.getCompressionValue(), batch.getPayload(),
                h.getUncompressedSize(), maxUncompressedSize);
        try {
            return new Decoded(h, MessageList.parseFrom(aliasing(payload)).getMessagesList());
        } catch (IOException e) {
            throw new TributaryException(ErrorReason.INVALID_REQUEST, "entry is not a valid batch: " + e.getMessage());
        }
    }

    public static Decoded decode(byte[] entry) {
        return decode(ByteString.copyFrom(entry));
    }

    /**
     * The header of a stored entry, read without touching its (possibly large, compressed)
     * payload; the default header if the bytes hold none or are not an entry.
     */
    public static BatchHeader header(byte[] entry) {
        return header(CodedInputStream.newInstance(entry));
    }

    /** {@link #header(byte[])} of an entry still in a {@link ByteString}, without copying it. */
    public static BatchHeader header(ByteString entry) {
        return header(entry.newCodedInput());
    }

    private static BatchHeader header(CodedInputStream in) {
        try {
            while (true) {
                int tag = in.readTag();
                if (tag == 0) {
                    return BatchHeader.getDefaultInstance();
                }
                if (WireFormat.getTagFieldNumber(tag) == EntryBatch.HEADER_FIELD_NUMBER) {
                    return BatchHeader.parseFrom(in.readBytes());
                }
                in.skipField(tag);
            }
        } catch (IOException e) {
            return BatchHeader.getDefaultInstance();
        }
    }

    /**
     * Checks a batch a producer publishes against the stream it comes on, before anything is sized by
     * it: the header must name the stream's producer and the batch's first sequence id, and its
     * message count must be at least 1 and exactly the messages the payload holds (counted after
     * decompressing, bounded by {@link PayloadCompression#MAX_UNCOMPRESSED_SIZE}). The broker stores
     * the header as it is and trusts it later (deduplication rebuilt after a takeover, batch sizes of
     * acknowledgements), so a forged header must never be stored.
     *
     * @return null if the batch may be stored, else why not (an INVALID_REQUEST)
     */
    public static String checkPublished(ByteString entry, String producerName, long firstSequenceId, int messageCount) {
        if (firstSequenceId < 0) {
            return "sequence id " + firstSequenceId + " is negative";
        }
        if (messageCount < 1) {
            return "message_count must be at least 1, was " + messageCount;
        }
        if (firstSequenceId > Long.MAX_VALUE - messageCount) {
            return "sequence id " + firstSequenceId + " with " + messageCount + " messages overflows";
        }
        EntryBatch batch;
        try {
            batch = EntryBatch.parseFrom(aliasing(entry));
        } catch (IOException e) {
            return "entry is not a valid batch: " + e.getMessage();
        }
        if (!batch.hasHeader()) {
            return "entry has no header";
        }
        BatchHeader h = batch.getHeader();
        if (!h.getProducerName().equals(producerName)) {
            return "the entry's header names producer '" + h.getProducerName() + "', but this stream's producer is '"
                    + producerName + "'";
        }
        if (h.getFirstSequenceId() != firstSequenceId) {
            return "the entry's header starts at sequence id " + h.getFirstSequenceId() + ", the batch at " + firstSequenceId;
        }
        if (h.getMessageCount() != messageCount) {
            return "the entry's header counts " + h.getMessageCount() + " messages, the batch " + messageCount;
        }
        int real;
        try {
            real = countMessages(PayloadCompression.decompress(h.getCompressionValue(), batch.getPayload(),
                    h.getUncompressedSize()));
        } catch (TributaryException e) {
            return e.getMessage();
        }
        if (real < 0) {
            return "the entry's payload is not a valid message list";
        }
        if (real != messageCount) {
            return "the batch announces " + messageCount + " messages but holds " + real;
        }
        return null;
    }

    /**
     * A reader of {@code bytes} whose bytes fields share them instead of copying: a ByteString is
     * immutable, so what is parsed from it may point into it (and keeps it alive as long as it lives).
     */
    private static CodedInputStream aliasing(ByteString bytes) {
        CodedInputStream in = bytes.newCodedInput();
        in.enableAliasing(true);
        return in;
    }

    /** The messages of a serialized {@link MessageList}, counted without parsing them; -1 if it is malformed. */
    static int countMessages(ByteString messageList) {
        try {
            CodedInputStream in = messageList.newCodedInput();
            int n = 0;
            while (true) {
                int tag = in.readTag();
                if (tag == 0) {
                    return n;
                }
                if (WireFormat.getTagFieldNumber(tag) == MessageList.MESSAGES_FIELD_NUMBER
                        && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                    n++;
                }
                if (!in.skipField(tag)) {
                    return -1; // an end-group tag where none was opened
                }
            }
        } catch (IOException e) {
            return -1;
        }
    }

    /** Messages in a stored entry; at least 1, so that a malformed entry still counts as one. */
    public static int messageCount(byte[] entry) {
        return Math.max(1, header(entry).getMessageCount());
    }
}
