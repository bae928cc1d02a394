package io.tributary.client;

/** How a producer groups messages into batches (one batch is one stored entry). */
public enum BatchingType {
    /**
     * One open batch: messages join it in the order sent, whatever their key. A batch whose
     * messages all have the same key still carries that key in its header.
     */
    DEFAULT,
    /**
     * One open batch per key (messages without a key share one more), so every batch carries a
     * single key in its header. Key_Shared subscriptions route whole entries by that key: use this
     * type when the topic is consumed through a Key_Shared subscription, or entries that mix keys
     * all go to the consumer of their first key. Order is kept per key, not across keys. The open
     * batches share the triggers of the default type: a batch is sent when it reaches
     * {@link ProducerBuilder#batchingMaxMessages(int)} or {@link ProducerBuilder#batchingMaxBytes(int)},
     * and all open batches are sent when the oldest message waited
     * {@link ProducerBuilder#batchingMaxPublishDelay(java.time.Duration)}, on
     * {@link Producer#flush()} and on {@link Producer#close()}.
     */
    KEY_BASED
}
