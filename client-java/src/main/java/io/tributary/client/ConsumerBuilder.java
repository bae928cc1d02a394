package io.tributary.client;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Configures and subscribes a {@link Consumer}. Not thread-safe.
 *
 * @param <T> the value type
 */
public interface ConsumerBuilder<T> {

    /**
     * The topic, {@code tenant/namespace/topic}. For a partitioned topic the consumer reads every
     * partition (the client asks the cluster how many there are when subscribing). One of
     * {@code topic}, {@link #topics(List)} and {@link #topicsPattern(Pattern)} is required; it
     * replaces a {@link #topics(List)} set before.
     */
    ConsumerBuilder<T> topic(String topic);

    /**
     * Several topics, read by one consumer under one subscription name into one receiver queue;
     * partitioned topics among them are read on every partition. Duplicates are read once.
     * Replaces a {@link #topic(String)} set before.
     *
     * @throws IllegalArgumentException if the list is empty or holds a null or empty name
     */
    ConsumerBuilder<T> topics(List<String> topics);

    /**
     * Every topic of one namespace whose full name ({@code tenant/namespace/topic}, no
     * {@code persistent://}) matches the regular expression as a whole, now and as topics are
     * created or deleted: the namespace is listed again every
     * {@link #patternAutoDiscoveryPeriod(long, TimeUnit)}. The pattern must begin with the literal
     * namespace, e.g. {@code acme/shop/orders-.*} (a {@code persistent://} prefix is dropped). A partitioned topic matches by its own name and
     * is then read on every partition; a partition whose partitioned topic does not match is read
     * if its own name matches. Not with {@link #topic(String)} or {@link #topics(List)}.
     *
     * @throws IllegalArgumentException if the pattern does not begin with {@code tenant/namespace/}
     */
    ConsumerBuilder<T> topicsPattern(Pattern pattern);

    /**
     * {@link #topicsPattern(Pattern)} from a regular expression.
     *
     * @throws IllegalArgumentException if it is not a valid expression, or does not begin with {@code tenant/namespace/}
     */
    ConsumerBuilder<T> topicsPattern(String regex);

    /**
     * How often a pattern consumer lists its namespace again, to read new matching topics and
     * drop deleted ones. Default 1 minute.
     *
     * @throws IllegalArgumentException if not positive
     */
    ConsumerBuilder<T> patternAutoDiscoveryPeriod(long period, TimeUnit unit);

    /** The subscription; it is created on first use. Required. */
    ConsumerBuilder<T> subscriptionName(String subscription);

    /** Default {@link SubscriptionType#Exclusive}. */
    ConsumerBuilder<T> subscriptionType(SubscriptionType type);

    /** A name for this consumer; by default the broker assigns one. */
    ConsumerBuilder<T> consumerName(String consumerName);

    /**
     * How many messages may wait in the client, prefetched, for the application. Default 1000. A
     * consumer of several topics or partitions shares it out: each is granted
     * {@code size / topics} messages at a time (at least 1), counted when its stream opens; the
     * retry topic gets {@code size} of its own.
     */
    ConsumerBuilder<T> receiverQueueSize(int size);

    /** Where a new subscription starts. Default {@link SubscriptionInitialPosition#Latest}. */
    ConsumerBuilder<T> subscriptionInitialPosition(SubscriptionInitialPosition position);

    /** In Shared subscriptions, lower values are served first. Default 0. */
    ConsumerBuilder<T> priorityLevel(int priority);

    /**
     * How long after {@link Consumer#negativeAcknowledge} the broker delivers the message again.
     * Default 1 minute; 0 means at once.
     *
     * @throws IllegalArgumentException if negative
     */
    ConsumerBuilder<T> negativeAckRedeliveryDelay(long delay, TimeUnit unit);

    /**
     * Messages handed to the application and not acknowledged within this time are asked for
     * again (as a negative acknowledgement with no delay), checked on a timer of about a fifth of
     * the timeout (at most 1 s). Default 0: off. After a reconnect the tracking starts afresh,
     * since the broker delivers every unacknowledged message again anyway.
     *
     * @throws IllegalArgumentException if negative
     */
    ConsumerBuilder<T> ackTimeout(long timeout, TimeUnit unit);

    /**
     * Sends messages redelivered too often to a dead-letter topic; see {@link DeadLetterPolicy}.
     * The default topic names derive from the consumer's topic (for a partitioned topic, its own
     * name, not a partition's; for a list of topics, the first), so a pattern consumer must name
     * its dead-letter (and retry) topics. Default none.
     */
    ConsumerBuilder<T> deadLetterPolicy(DeadLetterPolicy policy);

    /**
     * Enables {@link Consumer#reconsumeLater}: the consumer also subscribes the retry topic
     * ({@link DeadLetterPolicy#getRetryLetterTopic()}) with the same subscription name and type,
     * starting at its earliest message, and feeds both into one receiver queue (the retry topic
     * granted {@link #receiverQueueSize(int)} permits of its own). Retried messages are delayed, and the
     * broker delays delivery on Shared and Key_Shared subscriptions only, so subscribing fails
     * for Exclusive and Failover subscriptions. Without a dead-letter policy, one with
     * maxRedeliverCount 16 and the default topic names applies. Default false.
     *
     * <p>{@link Consumer#acknowledge(Message)} finds a message's topic from the message; an
     * acknowledgement by {@link MessageId} alone finds it from the id's ledger, which is unique in
     * the cluster, as learned from the messages received.
     */
    ConsumerBuilder<T> enableRetry(boolean enable);

    /**
     * Hands every message to {@code listener} on a thread of the consumer's own, one at a time
     * and in order (see {@link MessageListener}); {@link Consumer#receive()} and
     * {@link Consumer#batchReceive()} then fail. The broker's flow control applies as with
     * {@code receive()}: the consumer asks for more messages as the listener takes them. The
     * thread ends when the consumer closes. Default none.
     */
    ConsumerBuilder<T> messageListener(MessageListener<T> listener);

    /**
     * How long {@link Consumer#acknowledgeAsync(Message) acknowledgeAsync} keeps an individual
     * acknowledgement to send it with others of the same topic in one request (at most 1000 per
     * request). Its future still completes only when the broker has applied it, just that much
     * later, and fails if the broker refused that message; but a grouped acknowledgement of a
     * message acknowledged before succeeds instead of failing with
     * {@link TributaryClientException.AlreadyAcknowledgedException} (the broker answers a group
     * as a whole). The blocking {@link Consumer#acknowledge(Message) acknowledge}, cumulative and
     * negative acknowledgements always go at once, on their own; {@link Consumer#close()} sends
     * what waits first. Default 100 ms; 0 sends every acknowledgement on its own.
     *
     * @throws IllegalArgumentException if negative, or between 0 and 1 ms
     */
    ConsumerBuilder<T> acknowledgmentGroupTime(long delay, TimeUnit unit);

    /**
     * When {@link Consumer#batchReceive()} returns. Default {@link BatchReceivePolicy#DEFAULT}
     * (100 messages, 10 MiB, 100 ms). A batch counts as full at the receiver queue size when that
     * is smaller than the policy's message count, since the queue never holds more.
     */
    ConsumerBuilder<T> batchReceivePolicy(BatchReceivePolicy policy);

    /** Told when the consumer becomes the active one of a Failover subscription, or a standby. Default none. */
    ConsumerBuilder<T> consumerEventListener(ConsumerEventListener listener);

    /**
     * Subscribes, waiting at most the client's operation timeout. Throws the mapped exception,
     * e.g. {@link TributaryClientException.TopicNotFoundException} or
     * {@link TributaryClientException.ConsumerBusyException}.
     */
    Consumer<T> subscribe() throws TributaryClientException;

    /** {@link #subscribe()} without blocking the caller; the future fails with a {@link TributaryClientException}. */
    CompletableFuture<Consumer<T>> subscribeAsync();
}
