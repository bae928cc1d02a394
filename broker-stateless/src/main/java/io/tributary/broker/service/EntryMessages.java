package io.tributary.broker.service;

import com.google.protobuf.UnsafeByteOperations;
import io.tributary.api.v1.BatchHeader;
import io.tributary.api.v1.MessageId;
import io.tributary.api.v1.ReceivedMessage;
import io.tributary.api.v1.SingleMessage;
import io.tributary.protocol.EntryCodec;
import io.tributary.storage.log.Position;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * Turns one stored entry into the plain messages a client receives without the entry format
 * (unary Receive, and a decoded Subscribe stream): decompressed, split from its batch, its
 * acknowledged batch indexes skipped. The one place that conversion is made.
 */
final class EntryMessages {
    private EntryMessages() {}

    /**
     * What this delivery of the entry carries besides its messages.
     *
     * @param redeliveryCount   how many times it was delivered again
     * @param lastFailureReason the reason of its last negative acknowledgement ("" if none)
     * @param firstDeliveryMs   when the subscription first delivered it, on a redelivery (0 if not known)
     */
    record Delivery(int redeliveryCount, String lastFailureReason, long firstDeliveryMs) {}

    /**
     * The entry's messages not acknowledged yet, in batch order. Decompressing never allocates
     * more than {@code maxEntrySize} bytes, whatever the entry's header claims.
     *
     * @param receipt the delivery's receipt (unary Receive), or null (a stream)
     * @throws io.tributary.protocol.TributaryException if the entry cannot be decoded
     */
    static List<ReceivedMessage> decode(Position position, byte[] entry, int partition, Delivery delivery,
                                        BitSet ackedIndexes, int maxEntrySize, String receipt) {
        int redeliveryCount = delivery.redeliveryCount();
        EntryCodec.Decoded d = EntryCodec.decode(UnsafeByteOperations.unsafeWrap(entry), maxEntrySize);
        BatchHeader h = d.header();
        List<SingleMessage> ms = d.messages();
        List<ReceivedMessage> out = new ArrayList<>(ms.size());
        for (int i = 0; i < ms.size(); i++) {
            if (ackedIndexes.get(i)) {
                continue;
            }
            SingleMessage m = ms.get(i);
            ReceivedMessage.Builder b = ReceivedMessage.newBuilder()
                    .setMessageId(MessageId.newBuilder().setLedgerId(position.ledgerId()).setEntryId(position.entryId())
                            .setBatchIndex(i).setBatchSize(ms.size()).setPartition(partition))
                    .setValue(m.getValue())
                    .setKey(m.getKey())
                    .putAllProperties(m.getPropertiesMap())
                    .setPublishTimeMs(h.getPublishTimeMs())
                    .setEventTimeMs(m.getEventTimeMs())
                    .setProducerName(h.getProducerName())
                    .setSequenceId(h.getFirstSequenceId() + i)
                    .setRedeliveryCount(redeliveryCount)
                    .setLastFailureReason(delivery.lastFailureReason())
                    .setFirstDeliveryMs(delivery.firstDeliveryMs());
            long deliverAt = m.getDeliverAtMs() != 0 ? m.getDeliverAtMs() : h.getDeliverAtMs();
            if (deliverAt != 0) {
                b.setDeliverAtMs(deliverAt);
            }
            if (receipt != null) {
                b.setReceipt(receipt);
            }
            out.add(b.build());
        }
        return out;
    }
}
