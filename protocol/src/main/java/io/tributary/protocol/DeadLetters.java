package io.tributary.protocol;

import java.util.Set;

/**
 * What makes a dead letter, shared by the Java SDK (which writes them) and the broker (which lists,
 * peeks, redrives and purges them): the dead-letter subscription that keeps them, and the properties
 * a dead-letter copy carries besides the original's own.
 */
public final class DeadLetters {
    /** The durable subscription of a dead-letter topic that keeps its messages until they are redriven or purged. */
    public static final String SUBSCRIPTION = "dead-letters";
    /** The end of a dead-letter topic's default name: {@code <topic>-<subscription>-DLQ}. */
    public static final String TOPIC_SUFFIX = "-DLQ";

    /** The topic the message was first published to. */
    public static final String REAL_TOPIC = "REAL_TOPIC";
    /** Its id on that topic. */
    public static final String ORIGIN_MESSAGE_ID = "ORIGIN_MESSAGE_ID";
    /** The subscription whose consumer gave up on it. */
    public static final String DLQ_SUBSCRIPTION = "DLQ_SUBSCRIPTION";
    /** How many times it had been delivered again when the consumer gave up. */
    public static final String DLQ_REDELIVERY_COUNT = "DLQ_REDELIVERY_COUNT";
    /** The reason of its last negative acknowledgement, if one was given. */
    public static final String DLQ_FAILURE_REASON = "DLQ_FAILURE_REASON";
    /** When the subscription first delivered it (epoch ms). */
    public static final String DLQ_FIRST_DELIVERY_MS = "DLQ_FIRST_DELIVERY_MS";
    /** When the consumer received it the last time (epoch ms). */
    public static final String DLQ_LAST_DELIVERY_MS = "DLQ_LAST_DELIVERY_MS";
    /** On a redriven message: its id in the dead-letter topic it was redriven from. */
    public static final String REDRIVEN_FROM = "REDRIVEN_FROM";

    /** The properties that describe the dead letter rather than belong to the message. */
    public static final Set<String> DEAD_LETTER_PROPERTIES = Set.of(DLQ_SUBSCRIPTION, DLQ_REDELIVERY_COUNT,
            DLQ_FAILURE_REASON, DLQ_FIRST_DELIVERY_MS, DLQ_LAST_DELIVERY_MS);

    private DeadLetters() {}
}
