package io.tributary.broker.transaction;

import io.tributary.api.v1.PlainMessage;
import io.tributary.api.v1.TransactionCheck;
import io.tributary.api.v1.TransactionMessage;
import io.tributary.api.v1.TransactionResolution;
import io.tributary.api.v1.TransactionState;
import io.tributary.internal.v1.TransactionMessages;
import io.tributary.storage.log.Position;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/** One transaction not yet finished, as its coordinator holds it (on the log's thread). */
final class Txn {
    /** At most this many messages and bytes of values go into a check. */
    static final int CHECK_MESSAGES = 16;
    static final int CHECK_BYTES = 1 << 20;

    final String id;
    final long begunMs;
    final long timeoutMs;
    final Map<String, String> properties;
    final String role;
    String group;
    /** Its records' positions, acknowledged once it finished. */
    final List<Position> records = new ArrayList<>();
    /** Messages by topic, in the order sent. */
    final Map<String, List<PlainMessage>> byTopic = new LinkedHashMap<>();
    /**
     * The highest sequence id stored per topic and producer name, for de-duplicating a Send sent again (the
     * partitions of a partitioned producer share its name, each with sequence ids of its own).
     */
    final Map<String, Long> sequences = new LinkedHashMap<>();
    int messages;
    long bytes;
    TransactionResolution decision = TransactionResolution.TRANSACTION_RESOLUTION_UNSPECIFIED;
    String decidedBy;
    long firstApplySequence;
    Position decisionRecord;
    /** Completes once the decision is durable. */
    CompletableFuture<Void> decided;
    /** Completes once the decision is applied on every topic (at once after a rollback's decision). */
    final CompletableFuture<Void> applied = new CompletableFuture<>();
    int checks;
    long nextCheckMs;

    Txn(String id, long begunMs, long timeoutMs, Map<String, String> properties, String group, String role) {
        this.id = id;
        this.begunMs = begunMs;
        this.timeoutMs = timeoutMs;
        this.properties = properties;
        this.group = group;
        this.role = role;
        this.nextCheckMs = begunMs + timeoutMs;
    }

    boolean isOpen() {
        return decision == TransactionResolution.TRANSACTION_RESOLUTION_UNSPECIFIED;
    }

    TransactionState state() {
        return switch (decision) {
            case TRANSACTION_RESOLUTION_COMMIT -> TransactionState.TRANSACTION_STATE_COMMITTED;
            case TRANSACTION_RESOLUTION_ROLLBACK -> TransactionState.TRANSACTION_STATE_ROLLED_BACK;
            default -> TransactionState.TRANSACTION_STATE_OPEN;
        };
    }

    /** Adds a Send's messages (in the order sent); returns their bytes. */
    long add(TransactionMessages m) {
        List<PlainMessage> list = byTopic.computeIfAbsent(m.getTopic(), k -> new ArrayList<>());
        long added = 0;
        for (PlainMessage pm : m.getMessagesList()) {
            list.add(pm);
            added += pm.getSerializedSize();
        }
        messages += m.getMessagesCount();
        bytes += added;
        if (m.getFirstSequenceId() >= 0 && !m.getProducerName().isEmpty()) {
            sequences.put(sequenceKey(m.getTopic(), m.getProducerName()), m.getFirstSequenceId() + m.getMessagesCount() - 1);
        }
        if (group.isEmpty() && !m.getProducerGroup().isEmpty()) {
            group = m.getProducerGroup();
        }
        return added;
    }

    /** What a check-back asks: its id, properties, topics, and its first messages (bounded). */
    TransactionCheck check() {
        TransactionCheck.Builder c = TransactionCheck.newBuilder().setTransactionId(id).putAllProperties(properties)
                .addAllTopics(byTopic.keySet()).setBegunMs(begunMs).setCheckNumber(checks);
        long valueBytes = 0;
        for (Map.Entry<String, List<PlainMessage>> e : byTopic.entrySet()) {
            for (PlainMessage m : e.getValue()) {
                if (c.getMessagesCount() == CHECK_MESSAGES || valueBytes + m.getValue().size() > CHECK_BYTES) {
                    return c.build();
                }
                valueBytes += m.getValue().size();
                c.addMessages(TransactionMessage.newBuilder().setTopic(e.getKey()).setMessage(m));
            }
        }
        return c.build();
    }

    /** Whose sequence ids: a producer name's on one topic. */
    static String sequenceKey(String topic, String producerName) {
        return topic + '\n' + producerName;
    }
}
