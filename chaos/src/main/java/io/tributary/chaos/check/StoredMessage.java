package io.tributary.chaos.check;

/**
 * One message as the audit read found it stored.
 *
 * @param topic the topic or partition, by its own name
 * @param position {@code ledger:entry:batchIndex}
 * @param producer the identity it carries (null when it carries none)
 * @param sequence the sequence it carries (-1 when none)
 * @param key its key, or null
 */
public record StoredMessage(String topic, String position, String producer, long sequence, String key) {
    String identity() {
        return producer + "#" + sequence;
    }
}
