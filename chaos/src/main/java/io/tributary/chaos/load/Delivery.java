package io.tributary.chaos.load;

/**
 * One hand-over of a message to the application.
 *
 * @param subscription the subscription (or reader) name
 * @param consumer the consumer, reader or poller that got it
 * @param topic the topic or partition it came from
 * @param messageId where it is stored, as {@code ledger:entry:batchIndex}
 * @param timeMs when the application got it
 * @param redeliveryCount what the broker said
 * @param order a number that grows with every delivery of the run: one consumer's deliveries, in
 *     this order, are the order it got them
 */
public record Delivery(String subscription, String consumer, String topic, String messageId, long timeMs,
        int redeliveryCount, long order) {}
