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

    /**
     * Acknowledges one message and waits for the broker to confirm it. An individual
     * acknowledgement of a message the broker already counts as acknowledged fails with
     * {@link TributaryClientException.AlreadyAcknowledgedException}.
     */
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

    /**
     * Asks the broker to deliver the message again, possibly to another consumer, after the
     * consumer's {@link ConsumerBuilder#negativeAckRedeliveryDelay negative-ack redelivery delay}.
     * With a {@link DeadLetterPolicy}, a message whose redelivery count reached the maximum goes
     * to the dead-letter topic instead. Without a connection nothing is sent: the broker
     * delivers every unacknowledged message again after the reconnect anyway.
     */
    void negativeAcknowledge(Message<?> message);

    /** {@link #negativeAcknowledge(Message)} by id (the dead-letter rule needs the message to have come from this consumer). */
    void negativeAcknowledge(MessageId messageId);

    /**
     * Publishes a copy of the message to the retry topic, to be delivered again after
     * {@code delay}, and then acknowledges the original (on the topic it came from). The copy
     * carries the properties {@link DeadLetterPolicy#RECONSUME_TIMES} (one more than the
     * original's), {@link DeadLetterPolicy#REAL_TOPIC} and {@link DeadLetterPolicy#ORIGIN_MESSAGE_ID}.
     * When the count would exceed the dead-letter policy's maxRedeliverCount, the message goes to
     * the dead-letter topic instead. Waits until the original is acknowledged.
     *
     * @throws IllegalStateException if the consumer was not built with {@link ConsumerBuilder#enableRetry(boolean)}
     * @throws IllegalArgumentException if the delay is negative
     */
    void reconsumeLater(Message<?> message, long delay, TimeUnit unit) throws TributaryClientException;

    /** {@link #reconsumeLater(Message, long, TimeUnit)} with a {@link Duration}. */
    void reconsumeLater(Message<?> message, Duration delay) throws TributaryClientException;

    /**
     * {@link #reconsumeLater(Message, long, TimeUnit)} without blocking the caller; the future
     * completes once the original is acknowledged.
     *
     * @throws IllegalStateException if the consumer was not built with {@link ConsumerBuilder#enableRetry(boolean)}
     * @throws IllegalArgumentException if the delay is negative
     */
    CompletableFuture<Void> reconsumeLaterAsync(Message<?> message, long delay, TimeUnit unit);

    /**
     * Moves the subscription: every consumer of it starts again at {@code messageId} (the whole
     * entry holding it), at the first stored message for {@link MessageId#earliest}, or at the
     * next one published for {@link MessageId#latest}. Messages prefetched before are dropped.
     * With retry enabled, only the main topic's subscription moves.
     *
     * @throws TributaryClientException.PositionOutOfRangeException if the id is past the end of the topic
     * @throws TributaryClientException.InvalidMessageIdException if the id is not one of the topic's
     */
    void seek(MessageId messageId) throws TributaryClientException;

    /** {@link #seek(MessageId)} without blocking the caller. */
    CompletableFuture<Void> seekAsync(MessageId messageId);

    /**
     * Moves the subscription to the first message published at or after this time (epoch ms).
     *
     * @throws IllegalArgumentException if the time is negative
     */
    void seek(long publishTimeMs) throws TributaryClientException;

    /** {@link #seek(long)} without blocking the caller. */
    CompletableFuture<Void> seekAsync(long publishTimeMs);

    /**
     * The id of the last message stored in the topic (the last message of its last batch), asked
     * of the topic's owner; {@link MessageId#earliest} if the topic holds no message. Compare it
     * with a received message's id to tell how far behind the consumer is.
     *
     * @throws UnsupportedOperationException for a consumer of several topics, which has no single last id
     */
    default MessageId getLastMessageId() throws TributaryClientException {
        throw new UnsupportedOperationException("a consumer of several topics has no single last message id");
    }

    /**
     * {@link #getLastMessageId()} without blocking the caller.
     *
     * @throws UnsupportedOperationException for a consumer of several topics, which has no single last id
     */
    default CompletableFuture<MessageId> getLastMessageIdAsync() {
        throw new UnsupportedOperationException("a consumer of several topics has no single last message id");
    }

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
