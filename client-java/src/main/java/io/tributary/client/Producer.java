package io.tributary.client;

import java.util.concurrent.CompletableFuture;

/**
 * Publishes messages to one topic. Thread-safe; messages sent from one thread are stored in the
 * order sent (with {@link BatchingType#KEY_BASED} batching: in the order sent per key). The producer reconnects by itself after retriable failures and resends the
 * messages not yet acknowledged; the broker drops those it had already stored.
 *
 * <p>Futures are completed on the client's I/O or timer threads: callbacks attached to them
 * must not block.
 *
 * @param <T> the value type
 */
public interface Producer<T> extends AutoCloseable {

    /** Sends a message and waits until it is stored. */
    MessageId send(T value) throws TributaryClientException;

    /**
     * Sends a message. Blocks only while the pending queue is full and {@code blockIfQueueFull}
     * is set (so, in that mode, do not call it from a callback of another send: the answers that
     * would make room arrive on the thread it blocks). The future fails with a
     * {@link TributaryClientException}.
     */
    CompletableFuture<MessageId> sendAsync(T value);

    /** A message with a key, properties, event time or explicit sequence id. */
    TypedMessageBuilder<T> newMessage();

    /** Sends the batch being filled at once and waits until every message sent before is answered. */
    void flush() throws TributaryClientException;

    /** {@link #flush()} without blocking the caller. */
    CompletableFuture<Void> flushAsync();

    /** The canonical topic name, {@code tenant/namespace/topic}. */
    String getTopic();

    /** The producer name, as given or as assigned by the broker. */
    String getProducerName();

    /** The highest sequence id the broker acknowledged, -1 if none. */
    long getLastSequenceId();

    /** Refuses new sends, waits for the pending ones, then closes the stream. */
    @Override
    void close() throws TributaryClientException;

    /** {@link #close()} without blocking the caller. */
    CompletableFuture<Void> closeAsync();

    boolean isConnected();
}
