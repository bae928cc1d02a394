package io.tributary.chaos.load;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The history of one message of the workload, by its identity (producer, sequence): when it was
 * sent, how the send ended, and every delivery. Safe to update from several threads; the checker
 * reads {@link #snapshot()}s.
 */
public final class MessageRecord {
    /** Message properties that carry the identity, so any consumer can match what it gets. */
    public static final String PRODUCER = "chaos.producer";
    public static final String SEQUENCE = "chaos.seq";
    public static final String SENT_AT = "chaos.sent";

    private final String producer;
    private final long sequence;
    private final String topic;
    private final String key;
    private final List<Long> attempts = new ArrayList<>();
    private long ackTimeMs = -1;
    private String ackMessageId;
    private int ackPartition = -1;
    private long failureTimeMs = -1;
    private String failure;
    private final List<Delivery> deliveries = new ArrayList<>();

    public MessageRecord(String producer, long sequence, String topic, String key) {
        this.producer = producer;
        this.sequence = sequence;
        this.topic = topic;
        this.key = key;
    }

    /** The properties a message of this identity carries. */
    public static Map<String, String> identityProperties(String producer, long sequence, long sentAtMs) {
        return Map.of(PRODUCER, producer, SEQUENCE, Long.toString(sequence), SENT_AT, Long.toString(sentAtMs));
    }

    public String producer() {
        return producer;
    }

    public long sequence() {
        return sequence;
    }

    /** The topic it was sent to (a partitioned topic by its own name). */
    public String topic() {
        return topic;
    }

    public String key() {
        return key;
    }

    public synchronized void attempted(long timeMs) {
        attempts.add(timeMs);
    }

    /** The send was confirmed: stored at {@code messageId} (on {@code partition}, -1 for a plain topic). */
    public synchronized void acked(long timeMs, String messageId, int partition) {
        ackTimeMs = timeMs;
        ackMessageId = messageId;
        ackPartition = partition;
    }

    /** The send failed: the message may or may not be stored. */
    public synchronized void failed(long timeMs, String why) {
        failureTimeMs = timeMs;
        failure = why;
    }

    public synchronized void delivered(Delivery delivery) {
        deliveries.add(delivery);
    }

    public synchronized boolean isAcked() {
        return ackMessageId != null;
    }

    /** An immutable copy, also what the report prints for a violating message. */
    public synchronized Snapshot snapshot() {
        return new Snapshot(producer, sequence, topic, key, List.copyOf(attempts), ackTimeMs, ackMessageId,
                ackPartition, failureTimeMs, failure, List.copyOf(deliveries));
    }

    /**
     * A message's history at one moment.
     *
     * @param ackTimeMs -1 unless acknowledged
     * @param ackMessageId null unless acknowledged
     * @param failure null unless the send failed
     */
    public record Snapshot(String producer, long sequence, String topic, String key, List<Long> attempts,
            long ackTimeMs, String ackMessageId, int ackPartition, long failureTimeMs, String failure,
            List<Delivery> deliveries) {
        public boolean acked() {
            return ackMessageId != null;
        }

        /** The same history with one more delivery: for tests that build histories by hand. */
        public Snapshot withDelivery(Delivery d) {
            List<Delivery> more = new ArrayList<>(deliveries);
            more.add(d);
            return new Snapshot(producer, sequence, topic, key, attempts, ackTimeMs, ackMessageId, ackPartition,
                    failureTimeMs, failure, List.copyOf(more));
        }
    }
}
