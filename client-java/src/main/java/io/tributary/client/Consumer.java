package io.tributary.client;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
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
     * Waits for a batch of messages as {@link ConsumerBuilder#batchReceivePolicy} says: until
     * the receiver queue holds the policy's maximum of messages (or of bytes), or until its
     * timeout, and returns what came by then, possibly nothing. Messages of several topics or
     * partitions come in one batch.
     *
     * @throws TributaryClientException if the consumer has a {@link MessageListener}, or is closed
     */
    Messages<T> batchReceive() throws TributaryClientException;

    /** {@link #batchReceive()} without blocking the caller. Cancelling the future gives up the request. */
    CompletableFuture<Messages<T>> batchReceiveAsync();

    /**
     * Acknowledges one message and waits for the broker to confirm it. An individual
     * acknowledgement of a message the broker already counts as acknowledged fails with
     * {@link TributaryClientException.AlreadyAcknowledgedException}.
     */
    void acknowledge(Message<?> message) throws TributaryClientException;

    /**
     * Acknowledges one message by id and waits for the broker to confirm it. On a consumer of
     * several topics or partitions the id is placed by its partition index, or by the messages
     * received from its ledger (ledger ids are unique in a cluster); an id it cannot place fails
     * with {@link TributaryClientException.InvalidMessageIdException}: acknowledge the
     * {@link Message} then.
     */
    void acknowledge(MessageId messageId) throws TributaryClientException;

    /**
     * Acknowledges one message; the future completes when the broker confirms. The
     * acknowledgement may wait up to {@link ConsumerBuilder#acknowledgmentGroupTime} to travel
     * with others, which changes what it reports (see there).
     */
    CompletableFuture<Void> acknowledgeAsync(MessageId messageId);

    /**
     * Acknowledges one message; the future completes when the broker confirms. The
     * acknowledgement may wait up to {@link ConsumerBuilder#acknowledgmentGroupTime} to travel
     * with others, which changes what it reports (see there).
     */
    default CompletableFuture<Void> acknowledgeAsync(Message<?> message) {
        return acknowledgeAsync(message.getMessageId());
    }

    /**
     * Acknowledges messages, e.g. those of a {@link #batchReceive()}, in one request per topic
     * (or partition), and waits for the broker. Fails if the broker refused any of them; the
     * others are acknowledged nevertheless.
     */
    void acknowledge(Messages<?> messages) throws TributaryClientException;

    /** {@link #acknowledge(Messages)} without blocking the caller. */
    CompletableFuture<Void> acknowledgeAsync(Messages<?> messages);

    /**
     * Acknowledges every message up to and including this one and waits for the broker.
     * Refused with {@link TributaryClientException.NotAllowedException} on Shared and
     * Key_Shared subscriptions. On a consumer of several topics or partitions it covers the
     * messages of the id's own topic (partition) only.
     */
    void acknowledgeCumulative(MessageId messageId) throws TributaryClientException;

    /** {@link #acknowledgeCumulative(MessageId)} without blocking the caller. */
    CompletableFuture<Void> acknowledgeCumulativeAsync(MessageId messageId);

    /**
     * Acknowledges every message of the message's topic (or partition) up to and including this
     * one, and waits for the broker, as {@link #acknowledgeCumulative(MessageId)} does. The
     * message names its own topic, so on a consumer of several topics or partitions it is always
     * placed, where an id alone may not be.
     */
    default void acknowledgeCumulative(Message<?> message) throws TributaryClientException {
        acknowledgeCumulative(Objects.requireNonNull(message, "message").getMessageId());
    }

    /** {@link #acknowledgeCumulative(Message)} without blocking the caller. */
    default CompletableFuture<Void> acknowledgeCumulativeAsync(Message<?> message) {
        return acknowledgeCumulativeAsync(Objects.requireNonNull(message, "message").getMessageId());
    }

    /**
     * Acknowledges messages by id and waits for the broker to confirm them all, one request per
     * topic (or partition); each id is placed as for {@link #acknowledge(MessageId)}. Fails if any
     * of them fails.
     */
    default void acknowledge(List<MessageId> messageIds) throws TributaryClientException {
        try {
            acknowledgeAsync(messageIds).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TributaryClientException("interrupted while waiting", e);
        } catch (ExecutionException e) {
            throw TributaryClientException.from(e.getCause());
        }
    }

    /** {@link #acknowledge(List)} without blocking the caller. */
    default CompletableFuture<Void> acknowledgeAsync(List<MessageId> messageIds) {
        Objects.requireNonNull(messageIds, "messageIds");
        return CompletableFuture.allOf(messageIds.stream().map(this::acknowledgeAsync)
                .toArray(CompletableFuture<?>[]::new));
    }

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
     * {@link #negativeAcknowledge(Message)}, saying why: the reason (at most 1,024 bytes of UTF-8)
     * comes back with the message's next delivery ({@link Message#getLastFailureReason()}) and goes
     * into its dead-letter copy ({@link DeadLetterPolicy#DLQ_FAILURE_REASON}), where an operator sees
     * it ({@code admin deadletters peek}).
     *
     * @throws IllegalArgumentException if the reason is longer than 1,024 bytes of UTF-8
     */
    void negativeAcknowledge(Message<?> message, String reason);

    /** {@link #negativeAcknowledge(Message, String)} by id. */
    void negativeAcknowledge(MessageId messageId, String reason);

    /** {@link #negativeAcknowledge(Message)} for each message of a batch, for example one from {@link #batchReceive()}. */
    default void negativeAcknowledge(Messages<?> messages) {
        for (Message<?> m : Objects.requireNonNull(messages, "messages")) {
            negativeAcknowledge(m);
        }
    }

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
     * With retry enabled, only the main topic's subscription moves. On a consumer of several
     * topics or partitions, {@code earliest} and {@code latest} move all of them, and any other
     * id only the topic (partition) it belongs to, as told by the id's partition index or by the
     * messages received from its ledger; an id it cannot place fails with
     * {@link TributaryClientException.InvalidMessageIdException}. If one topic refuses, the
     * others may have moved.
     *
     * @throws TributaryClientException.PositionOutOfRangeException if the id is past the end of the topic
     * @throws TributaryClientException.InvalidMessageIdException if the id is not one of the topic's
     */
    void seek(MessageId messageId) throws TributaryClientException;

    /** {@link #seek(MessageId)} without blocking the caller. */
    CompletableFuture<Void> seekAsync(MessageId messageId);

    /**
     * Moves the subscription to the first message published at or after this time (epoch ms), on
     * every topic (and partition) the consumer reads.
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

    /** {@link #close()} without blocking the caller. */
    CompletableFuture<Void> closeAsync();

    /**
     * The canonical topic name, {@code tenant/namespace/topic}: for a partitioned topic its own
     * name (each message's {@link Message#getTopicName()} names its partition); for several
     * topics their names joined by commas; for a pattern subscription the pattern.
     */
    String getTopic();

    /** The subscription name. */
    String getSubscription();

    /** The consumer name, as given or as assigned by the broker. */
    String getConsumerName();

    /** Whether every stream of the consumer is connected now (false while one reconnects). */
    boolean isConnected();
}
