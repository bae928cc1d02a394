package io.tributary.client;

import java.util.concurrent.CompletableFuture;

/**
 * Configures and creates a {@link Reader}. Not thread-safe.
 *
 * @param <T> the value type
 */
public interface ReaderBuilder<T> {

    /** The topic, {@code tenant/namespace/topic}. Required. */
    ReaderBuilder<T> topic(String topic);

    /**
     * Where to start: {@link MessageId#earliest} (the first stored message),
     * {@link MessageId#latest} (the next message published) or the id of a message, the reader
     * then starting just after it (or at it, with {@link #startMessageIdInclusive()}). Required.
     */
    ReaderBuilder<T> startMessageId(MessageId messageId);

    /** Start at the given start message itself rather than after it. */
    ReaderBuilder<T> startMessageIdInclusive();

    /** A name for the reader's consumer, as shown in the broker's stats; by default the broker assigns one. */
    ReaderBuilder<T> readerName(String name);

    /** How many messages may wait in the client, prefetched. Default 1000. */
    ReaderBuilder<T> receiverQueueSize(int size);

    /** Creates the reader, waiting at most the client's operation timeout. */
    Reader<T> create() throws TributaryClientException;

    /** {@link #create()} without blocking the caller. */
    CompletableFuture<Reader<T>> createAsync();
}
