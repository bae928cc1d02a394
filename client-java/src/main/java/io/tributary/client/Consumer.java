package io.tributary.client;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Receives messages of one subscription. Thread-safe. Messages are prefetched into a bounded
 * receiver queue; after a retriable connection failure the consumer reconnects, drops what it
 * had prefetched and gets the unacknowledged messages again.
 *
 * <p>Futures are completed on the client's I/O or timer threads: callbacks attached to them
 * must not block.
 *
 * @param <T> the value type
 */
public interface Consumer<T> extends AutoCloseable {

    /** Waits for the next message. */
    Message<T> receive() throws TributaryClientException;

    /** Waits at most {@code timeout} for the next message; null if none came. */
    Message<T> receive(long timeout, TimeUnit unit) throws TributaryClientException;

    /** Waits at most {@code timeout} for the next message; null if none came. */
    Message<T> receive(Duration timeout) throws TributaryClientException;

    /** The next message, when there is one. Cancelling the future gives up the request. */
    CompletableFuture<Message<T>> receiveAsync();

    /** Acknowledges one message and waits for the broker to confirm it. */
    void acknowledge(Message<?> message) throws TributaryClientException;

    /** Acknowledges one message and waits for the broker to confirm it. */
    void acknowledge(MessageId messageId) throws TributaryClientException;

    /** Acknowledges one message; the future completes when the broker confirms. */
    CompletableFuture<Void> acknowledgeAsync(MessageId messageId);

    /** Acknowledges one message; the future completes when the broker confirms. */
    default CompletableFuture<Void> acknowledgeAsync(Message<?> message) {
        return acknowledgeAsync(message.getMessageId());
    }

    /**
     * Acknowledges every message up to and including this one and waits for the broker.
     * Refused with {@link TributaryClientException.NotAllowedException} on Shared and
     * Key_Shared subscriptions.
     */
    void acknowledgeCumulative(MessageId messageId) throws TributaryClientException;

    /** {@link #acknowledgeCumulative(MessageId)} without blocking the caller. */
    CompletableFuture<Void> acknowledgeCumulativeAsync(MessageId messageId);

    /** Asks the broker to deliver the message again, possibly to another consumer. */
    void negativeAcknowledge(Message<?> message);

    /** Asks the broker to deliver the message again, possibly to another consumer. */
    void negativeAcknowledge(MessageId messageId);

    /** Closes the stream; the subscription stays. Pending receives fail with AlreadyClosedException. */
    @Override
    void close() throws TributaryClientException;

    CompletableFuture<Void> closeAsync();

    /** The canonical topic name, {@code tenant/namespace/topic}. */
    String getTopic();

    String getSubscription();

    /** The consumer name, as given or as assigned by the broker. */
    String getConsumerName();

    boolean isConnected();
}
