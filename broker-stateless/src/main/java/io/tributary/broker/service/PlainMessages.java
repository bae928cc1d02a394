package io.tributary.broker.service;

import com.google.protobuf.CodedOutputStream;
import io.tributary.api.v1.BatchHeader;
import io.tributary.api.v1.CompressionType;
import io.tributary.api.v1.EntryBatch;
import io.tributary.api.v1.ErrorReason;
import io.tributary.api.v1.PlainMessage;
import io.tributary.api.v1.SingleMessage;
import io.tributary.protocol.EntryCodec;
import io.tributary.protocol.TributaryException;
import java.util.ArrayList;
import java.util.List;

/**
 * Plain messages ({@code Send}, and {@code PublishMessages} on a Publish stream) turned into the
 * stored entry format by the broker, the way the Java SDK's producer encodes a batch: one
 * {@link EntryBatch}, uncompressed, each message carrying its sequence id, the header carrying the
 * key every message shares (for Key_Shared routing) and the latest delivery time of its messages
 * (dispatch holds a whole entry until then). Sizes are bounded before anything is encoded.
 */
public final class PlainMessages {
    /** The most bytes a sequence id field adds to a message (tag and a 10-byte varint). */
    static final int MAX_SEQUENCE_FIELD = 1 + 10;

    private PlainMessages() {}

    /**
     * Refuses an empty request, or one with more messages than {@code max}, with INVALID_REQUEST,
     * before anything is sized by the count.
     */
    public static void checkCount(int count, int max, String what) {
        if (count == 0) {
            throw new TributaryException(ErrorReason.INVALID_REQUEST, what + " carries no message; it needs at least one");
        }
        if (count > max) {
            throw new TributaryException(ErrorReason.INVALID_REQUEST, what + " carries " + count
                    + " messages, over the limit of " + max + " (broker.maxSendMessages); send them in several requests");
        }
    }

    /**
     * The message as it is stored, without its sequence id; a relative delivery time counts from
     * {@code nowMs}. Refuses a negative delivery time or delay with INVALID_REQUEST naming message
     * {@code index}.
     */
    public static SingleMessage toSingle(PlainMessage m, int index, long nowMs) {
        SingleMessage.Builder b = SingleMessage.newBuilder().setValue(m.getValue()).putAllProperties(m.getPropertiesMap())
                .setEventTimeMs(m.getEventTimeMs());
        if (m.hasKey()) {
            b.setKey(m.getKey()).setHasKey(true);
        }
        switch (m.getDeliveryCase()) {
            case DELIVER_AT_MS -> {
                if (m.getDeliverAtMs() < 0) {
                    throw new TributaryException(ErrorReason.INVALID_REQUEST, "message " + index
                            + ": deliver_at_ms must not be negative, was " + m.getDeliverAtMs());
                }
                b.setDeliverAtMs(m.getDeliverAtMs());
            }
            case DELIVER_AFTER_MS -> {
                long after = m.getDeliverAfterMs();
                if (after < 0) {
                    throw new TributaryException(ErrorReason.INVALID_REQUEST, "message " + index
                            + ": deliver_after_ms must not be negative, was " + after);
                }
                b.setDeliverAtMs(after > Long.MAX_VALUE - nowMs ? Long.MAX_VALUE : nowMs + after);
            }
            default -> { }
        }
        return b.build();
    }

    /** The bytes a message takes in an entry's message list at most (its sequence id counted at its largest). */
    static int sizeInList(SingleMessage m) {
        int size = m.getSerializedSize() + MAX_SEQUENCE_FIELD;
        return 1 + CodedOutputStream.computeUInt32SizeNoTag(size) + size;
    }

    /**
     * An upper bound of what an entry of {@code producerName} holds besides its messages: the header
     * at its largest (a common {@code key} included, null for none) and the framing.
     */
    static int overhead(String producerName, String key) {
        BatchHeader worst = BatchHeader.newBuilder().setProducerName(producerName).setFirstSequenceId(-1)
                .setMessageCount(-1).setCompressionValue(-1).setUncompressedSize(-1).setPublishTimeMs(-1)
                .setHasKey(true).setKey(key == null ? "" : key).setDeliverAtMs(-1).build();
        int header = worst.getSerializedSize();
        return 1 + CodedOutputStream.computeUInt32SizeNoTag(header) + header + 1 + 5;
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

    /** An upper bound of the size of the entry {@link #encode} makes of {@code messages}. */
    public static long entrySizeBound(String producerName, List<SingleMessage> messages) {
        long size = overhead(producerName, commonKey(messages));
        for (SingleMessage m : messages) {
            size += sizeInList(m);
        }
        return size;
    }

    /** One entry of {@code messages}, the i-th numbered {@code firstSequenceId + i}. */
    public static byte[] encode(String producerName, long firstSequenceId, List<SingleMessage> messages, long publishTimeMs) {
        List<SingleMessage> numbered = new ArrayList<>(messages.size());
        long deliverAt = 0;
        for (int i = 0; i < messages.size(); i++) {
            SingleMessage m = messages.get(i);
            numbered.add(m.toBuilder().setSequenceId(firstSequenceId + i).build());
            deliverAt = Math.max(deliverAt, m.getDeliverAtMs());
        }
        EntryCodec.Payload payload = EntryCodec.payload(numbered, CompressionType.COMPRESSION_NONE);
        BatchHeader.Builder header = BatchHeader.newBuilder().setProducerName(producerName)
                .setFirstSequenceId(firstSequenceId).setMessageCount(messages.size())
                .setCompression(payload.compression()).setUncompressedSize(payload.uncompressedSize())
                .setPublishTimeMs(publishTimeMs).setDeliverAtMs(deliverAt);
        String key = commonKey(messages);
        if (key != null) {
            header.setKey(key).setHasKey(true);
        }
        return EntryBatch.newBuilder().setHeader(header).setPayload(payload.bytes()).build().toByteArray();
    }
}
