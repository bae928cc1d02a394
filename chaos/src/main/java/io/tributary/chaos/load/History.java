package io.tributary.chaos.load;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/** Everything the workload did to every message, by identity (producer, sequence). */
public final class History {
    private final Map<String, MessageRecord> records = new ConcurrentHashMap<>();
    private final AtomicLong deliveryOrder = new AtomicLong();
    private final AtomicLong unknownDeliveries = new AtomicLong();

    static String id(String producer, long sequence) {
        return producer + "#" + sequence;
    }

    /** A new message about to be sent. */
    public MessageRecord newMessage(String producer, long sequence, String topic, String key) {
        MessageRecord r = new MessageRecord(producer, sequence, topic, key);
        records.put(id(producer, sequence), r);
        return r;
    }

    /**
     * Records that a consumer got a message carrying {@code properties}; a message without the
     * chaos identity (not sent by the workload) is only counted.
     */
    public void delivered(Map<String, String> properties, String subscription, String consumer, String topic,
            String messageId, int redeliveryCount) {
        String producer = properties.get(MessageRecord.PRODUCER);
        String sequence = properties.get(MessageRecord.SEQUENCE);
        MessageRecord r = producer == null || sequence == null ? null : records.get(producer + "#" + sequence);
        if (r == null) {
            // sent by something else, or its record not made yet (cannot happen: made before the send)
            unknownDeliveries.incrementAndGet();
            return;
        }
        r.delivered(new Delivery(subscription, consumer, topic, messageId, System.currentTimeMillis(),
                redeliveryCount, deliveryOrder.incrementAndGet()));
    }

    /** Deliveries of messages the workload did not send (should stay 0). */
    public long unknownDeliveries() {
        return unknownDeliveries.get();
    }

    /** Every message's history now, by producer then sequence. */
    public List<MessageRecord.Snapshot> snapshot() {
        List<MessageRecord.Snapshot> all = new ArrayList<>();
        for (MessageRecord r : records.values()) {
            all.add(r.snapshot());
        }
        all.sort(Comparator.comparing(MessageRecord.Snapshot::producer).thenComparingLong(MessageRecord.Snapshot::sequence));
        return all;
    }

    public int size() {
        return records.size();
    }
}
