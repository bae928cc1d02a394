package io.tributary.client;

import java.util.Map;

/**
 * A received message. Immutable and thread-safe.
 *
 * @param <T> the value type
 */
public interface Message<T> {

    /**
     * The value, decoded with the consumer's schema. A consumer decodes it before {@code receive}
     * returns the message, so a wrong schema or malformed bytes surface there as a checked
     * exception (see {@link Schema}); here it is then only read.
     */
    T getValue();

    /** The value's bytes (a copy). */
    byte[] getData();

    /** The key, or null if the message has none. */
    String getKey();

    /** Whether the message has a key (an empty key is a key). */
    boolean hasKey();

    /** The properties; an unmodifiable map, empty if none. */
    Map<String, String> getProperties();

    /** One property, or null. */
    String getProperty(String name);

    /** Where the message is stored; acknowledge by it. */
    MessageId getMessageId();

    /** When the producer built the batch, in epoch milliseconds. */
    long getPublishTime();

    /** The event time set by the producer, 0 if unset. */
    long getEventTime();

    /** The name of the producer that sent the message. */
    String getProducerName();

    /** The producer's sequence id of the message. */
    long getSequenceId();

    /** How many times the message was delivered before, as far as the broker knows. */
    int getRedeliveryCount();

    /**
     * On a redelivery, the reason a consumer gave when it last negatively acknowledged the message
     * ({@link Consumer#negativeAcknowledge(Message, String)}); empty if none was given.
     */
    default String getLastFailureReason() {
        return "";
    }

    /**
     * On a redelivery, when the subscription first delivered the message (epoch ms), as far as the
     * broker knows; 0 on a first delivery (it is now) or when not known.
     */
    default long getFirstDeliveryTime() {
        return 0;
    }

    /** The canonical topic name the message was received from. */
    String getTopicName();
}
