package io.tributary.client;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Reads a topic from a chosen position without a durable subscription: nothing it reads is
 * remembered by the broker, and nothing stops the broker from deleting what it has not read yet.
 * Thread-safe.
 *
 * <p>Under the hood a reader is an Exclusive, non-durable subscription with a random name. It
 * acknowledges cumulatively, up to what it has handed out, whenever it grants the broker more
 * permits, so that the broker can forget delivered entries; this moves no durable state. After a
 * lost connection it subscribes again just after the last message it handed out, so the
 * application sees neither duplicates nor gaps (a reader that started at
 * {@link MessageId#latest} and has handed out nothing starts at the then latest position again).
 *
 * @param <T> the value type
 */
public interface Reader<T> extends AutoCloseable {

    /** Waits for the next message. */
    Message<T> readNext() throws TributaryClientException;

    /** Waits at most {@code timeout} for the next message; null if none came. */
    Message<T> readNext(long timeout, TimeUnit unit) throws TributaryClientException;

    /** The next message, when there is one. Cancelling the future gives up the request. */
    CompletableFuture<Message<T>> readNextAsync();

    /**
     * Moves the reader: the next message is {@code messageId} itself, or the first stored
     * message for {@link MessageId#earliest}, or the next one published for
     * {@link MessageId#latest}. Messages prefetched before are dropped.
     *
     * @throws TributaryClientException.PositionOutOfRangeException if the id is past the end of the topic
     * @throws TributaryClientException.InvalidMessageIdException if the id is not one of the topic's
     */
    void seek(MessageId messageId) throws TributaryClientException;

    /** {@link #seek(MessageId)} without blocking the caller. */
    CompletableFuture<Void> seekAsync(MessageId messageId);

    /**
     * Moves the reader to the first message published at or after this time (epoch ms).
     *
     * @throws IllegalArgumentException if the time is negative
     */
    void seek(long publishTimeMs) throws TributaryClientException;

    /** {@link #seek(long)} without blocking the caller. */
    CompletableFuture<Void> seekAsync(long publishTimeMs);

    /**
     * Whether a message after the reader's position is stored, so that {@link #readNext()} would
     * return without waiting for a new publish: true at once when a message is already
     * prefetched, else the topic's last message id is asked of its owner and compared with the
     * reader's position (inside a batch too). False for an empty topic, after everything was
     * read, and for a reader started at {@link MessageId#latest} until something is published.
     * The typical loop reads a topic to its current end:
     *
     * <pre>{@code
     * while (reader.hasMessageAvailable()) {
     *     Message<String> m = reader.readNext();
     *     ...
     * }
     * }</pre>
     *
     * @throws TributaryClientException.TimeoutException if the owner did not answer within the
     *         operation timeout (retriable failures are retried until then)
     */
    boolean hasMessageAvailable() throws TributaryClientException;

    /** {@link #hasMessageAvailable()} without blocking the caller. */
    CompletableFuture<Boolean> hasMessageAvailableAsync();

    /** The canonical topic name, {@code tenant/namespace/topic}. */
    String getTopic();

    /** Whether the reader has a live stream to the topic now (false while it reconnects). */
    boolean isConnected();

    /** Closes the stream; the broker drops the reader's cursor. */
    @Override
    void close() throws TributaryClientException;

    /** {@link #close()} without blocking the caller. */
    CompletableFuture<Void> closeAsync();
}
