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

    /**
     * Sends a message and waits until it is stored. Retriable failures (a lost connection, a topic
     * moving between brokers) are retried inside the producer until the send timeout; any other
     * failure is thrown at once with the broker's reason.
     */
    MessageId send(T value) throws TributaryClientException;

    /**
     * Sends a message. Blocks only while the pending queue or the client's memory limit is full
     * and {@code blockIfQueueFull} is set (so, in that mode, do not call it from a callback of
     * another send: the answers that would make room arrive on the thread it blocks). The future
     * completes with the message's id once the broker stored it, or fails with a
     * {@link TributaryClientException}, after the same retries as {@link #send}.
     *
     * <p><b>Fire-and-forget</b>: calling this and ignoring the future is supported and is the
     * fastest way to send. The message is still batched, retried and deduplicated like any other,
     * and {@link #flush()} and {@link #close()} still wait for it; but a failure then shows only in
     * {@link #getStats()} ({@link ProducerStats#getSendFailures()}) and in the log (a warning per
     * failed batch, at most one a second).
     */
    CompletableFuture<MessageId> sendAsync(T value);

    /** A message with a key, properties, event time or explicit sequence id. */
    TypedMessageBuilder<T> newMessage();

    /**
     * A message of a transaction: stored when sent, visible once the transaction commits (never if it rolls
     * back). Its send completes when it is stored, with no message id ({@link MessageId#earliest}): a message has
     * its id only once its transaction commits. Sent through the service URL (the proxy) in either connection mode.
     */
    TypedMessageBuilder<T> newMessage(Transaction transaction);

    /**
     * Sends the batch being filled at once and waits until every message sent before is answered
     * (stored, or failed: a failure is reported through the message's own future, not here).
     */
    void flush() throws TributaryClientException;

    /** {@link #flush()} without blocking the caller. */
    CompletableFuture<Void> flushAsync();

    /** The canonical topic name, {@code tenant/namespace/topic}. */
    String getTopic();

    /** The producer name, as given or as assigned by the broker. */
    String getProducerName();

    /** The highest sequence id the broker acknowledged, -1 if none. */
    long getLastSequenceId();

    /**
     * Refuses new sends, sends the batch being filled, waits until every pending message is
     * answered (stored, failed, or timed out after the send timeout), then closes the stream.
     */
    @Override
    void close() throws TributaryClientException;

    /** {@link #close()} without blocking the caller. */
    CompletableFuture<Void> closeAsync();

    /** Whether the producer has a stream to the broker now (false while it reconnects). */
    boolean isConnected();

    /**
     * A snapshot of what the producer did since it was created: messages and bytes sent, acks,
     * failures, pending messages and the send latency. Cheap enough to call every second.
     */
    ProducerStats getStats();
}
