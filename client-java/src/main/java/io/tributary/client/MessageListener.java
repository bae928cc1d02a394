package io.tributary.client;

/**
 * Receives a consumer's messages as they come, instead of {@link Consumer#receive()}; set with
 * {@link ConsumerBuilder#messageListener(MessageListener)}.
 *
 * <p>Each consumer with a listener has a thread of its own that calls {@link #received}: one
 * message at a time, in the order the consumer's receiver queue got them (per topic or
 * partition: the order stored). The next message is handed over only when the call returns, and
 * the broker is granted more messages only as the listener takes them, so a slow listener slows
 * the delivery down instead of filling memory. A listener may block (it holds up only its own
 * consumer) and may call the consumer, e.g. to acknowledge or close it.
 *
 * @param <T> the value type
 */
@FunctionalInterface
public interface MessageListener<T> {

    /**
     * One message. The listener acknowledges it (or not) itself. An exception thrown here is
     * logged and the next message follows; the message stays unacknowledged, so it comes back
     * only through {@link Consumer#negativeAcknowledge}, the ack timeout, or a reconnect.
     */
    void received(Consumer<T> consumer, Message<T> msg);
}
