package io.tributary.chaos.check;

import io.tributary.chaos.load.LoadPlan;
import io.tributary.chaos.load.MessageRecord;
import io.tributary.client.Consumer;
import io.tributary.client.Message;
import io.tributary.client.MessageId;
import io.tributary.client.SubscriptionInitialPosition;
import io.tributary.client.SubscriptionType;
import io.tributary.client.TributaryClient;
import io.tributary.client.TributaryClientException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Reads a topic's (or partition's) audit subscription from its start to the topic's last stored
 * message. The audit subscription was created before anything was sent and nothing acknowledges
 * on it, so a fresh consumer gets everything stored, in storage order.
 */
final class AuditReader {
    private AuditReader() {}

    /** What one partition holds, and whether the read got to its end before {@code deadlineMs}. */
    record Read(List<StoredMessage> messages, boolean complete) {}

    static Read read(TributaryClient client, String topic, long deadlineMs) throws TributaryClientException {
        List<StoredMessage> stored = new ArrayList<>();
        try (Consumer<byte[]> consumer = client.newConsumer().topic(topic).subscriptionName(LoadPlan.AUDIT)
                .subscriptionType(SubscriptionType.Exclusive).consumerName("chaos-checker")
                .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).receiverQueueSize(1000)
                .subscribe()) {
            MessageId last = consumer.getLastMessageId();
            if (last.getLedgerId() < 0) {
                return new Read(stored, true); // nothing stored (or everything deleted)
            }
            while (System.currentTimeMillis() < deadlineMs) {
                Message<byte[]> m = consumer.receive(1, TimeUnit.SECONDS);
                if (m == null) {
                    continue;
                }
                stored.add(stored(topic, m));
                if (atOrAfter(m.getMessageId(), last)) {
                    return new Read(stored, true);
                }
            }
            return new Read(stored, false);
        }
    }

    static StoredMessage stored(String topic, Message<?> m) {
        MessageId id = m.getMessageId();
        String producer = m.getProperty(MessageRecord.PRODUCER);
        String sequence = m.getProperty(MessageRecord.SEQUENCE);
        long seq = -1;
        if (sequence != null) {
            try {
                seq = Long.parseLong(sequence);
            } catch (NumberFormatException e) {
                producer = null; // not one of ours
            }
        }
        return new StoredMessage(topic, id.getLedgerId() + ":" + id.getEntryId() + ":" + id.getBatchIndex(),
                sequence == null ? null : producer, seq, m.hasKey() ? m.getKey() : null);
    }

    /** Whether {@code id} is the last stored message or beyond it (partitions aside). */
    static boolean atOrAfter(MessageId id, MessageId last) {
        int c = Long.compare(id.getLedgerId(), last.getLedgerId());
        if (c == 0) {
            c = Long.compare(id.getEntryId(), last.getEntryId());
        }
        if (c == 0) {
            c = Integer.compare(Math.max(0, id.getBatchIndex()), Math.max(0, last.getBatchIndex()));
        }
        return c >= 0;
    }
}
