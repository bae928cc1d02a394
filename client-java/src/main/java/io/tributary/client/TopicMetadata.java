package io.tributary.client;

/** What a {@link MessageRouter} knows of the topic it routes for. */
public interface TopicMetadata {

    /** How many partitions the topic has; partitions are numbered 0 to {@code numPartitions() - 1}. */
    int numPartitions();
}
