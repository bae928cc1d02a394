package io.tributary.client;

import java.util.List;
import java.util.Map;

/**
 * A transaction the broker asks about ({@link TransactionChecker}).
 *
 * @param id          its id ({@link Transaction#id()})
 * @param properties  the properties it was begun with
 * @param topics      the topics it has messages for
 * @param begunAtMs   when it began (epoch ms)
 * @param checkNumber 1 for the first check of this transaction, then 2, 3, ...
 * @param messages    its first messages (at most 16 and 1 MiB of values)
 */
public record TransactionCheck(String id, Map<String, String> properties, List<String> topics, long begunAtMs,
                               int checkNumber, List<Message> messages) {

    /** One of the transaction's messages as it was sent. */
    public record Message(String topic, String key, Map<String, String> properties, byte[] value) {}
}
