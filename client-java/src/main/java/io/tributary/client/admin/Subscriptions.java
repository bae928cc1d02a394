package io.tributary.client.admin;

import io.tributary.client.MessageId;
import io.tributary.client.TributaryClientException;
import io.tributary.client.impl.Futures;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The durable subscriptions of a topic. On a partitioned topic every operation but
 * {@link #skip} applies to the subscription on each partition, and fails with
 * {@link TributaryClientException.SubscriptionNotFoundException} only when no partition has it.
 *
 * <p>Moving a subscription (reset, skip, clear backlog) disconnects its consumers with a
 * retriable reason: the SDK drops what they prefetched, subscribes again and receives from the
 * new position, so no consumer works on a message the operation skipped.
 */
public interface Subscriptions {

    /**
     * The subscriptions of a topic, sorted (of all partitions of a partitioned topic).
     *
     * @throws TributaryClientException.TopicNotFoundException if it does not exist
     */
    default List<String> list(String topic) throws TributaryClientException {
        return Futures.await(listAsync(topic));
    }

    /** {@link #list(String)} without blocking the caller. */
    CompletableFuture<List<String>> listAsync(String topic);

    /**
     * Moves the subscription so that {@code messageId} (the whole entry holding it) is the next
     * message delivered; {@link MessageId#earliest} is the first stored message and
     * {@link MessageId#latest} the end (which clears the backlog). On a partitioned topic an
     * actual id moves only the partition it names.
     *
     * @throws TributaryClientException.SubscriptionNotFoundException if the subscription does not exist
     * @throws TributaryClientException.PositionOutOfRangeException if the id is past the end of the topic
     * @throws TributaryClientException.InvalidMessageIdException if the id is not one of the topic's
     * @throws TributaryClientException.NotAllowedException for an id without a partition on a partitioned topic
     */
    default void reset(String topic, String subscription, MessageId messageId) throws TributaryClientException {
        Futures.await(resetAsync(topic, subscription, messageId));
    }

    /** {@link #reset(String, String, MessageId)} without blocking the caller. */
    CompletableFuture<Void> resetAsync(String topic, String subscription, MessageId messageId);

    /**
     * Moves the subscription to the first message published at or after {@code publishTimeMs}
     * (epoch milliseconds); the end if there is none.
     *
     * @throws IllegalArgumentException if the time is negative
     * @throws TributaryClientException.SubscriptionNotFoundException if the subscription does not exist
     */
    default void reset(String topic, String subscription, long publishTimeMs) throws TributaryClientException {
        Futures.await(resetAsync(topic, subscription, publishTimeMs));
    }

    /**
     * {@link #reset(String, String, long)} without blocking the caller.
     *
     * @throws IllegalArgumentException if the time is negative
     */
    CompletableFuture<Void> resetAsync(String topic, String subscription, long publishTimeMs);

    /**
     * Acknowledges the first {@code messages} unacknowledged messages of the subscription, in
     * the topic's order: messages, not entries, so of a batch only as many as are left to skip
     * are acknowledged. Returns how many were skipped: fewer than asked when the backlog held
     * fewer. Works on a topic that is not partitioned or on one partition ({@code t-partition-2});
     * a partitioned topic has no order across its partitions that would say which N come first.
     *
     * @throws IllegalArgumentException if {@code messages} is not positive
     * @throws TributaryClientException.SubscriptionNotFoundException if the subscription does not exist
     * @throws TributaryClientException.NotAllowedException on a partitioned topic
     */
    default long skip(String topic, String subscription, long messages) throws TributaryClientException {
        return Futures.await(skipAsync(topic, subscription, messages));
    }

    /**
     * {@link #skip(String, String, long)} without blocking the caller.
     *
     * @throws IllegalArgumentException if {@code messages} is not positive
     */
    CompletableFuture<Long> skipAsync(String topic, String subscription, long messages);

    /**
     * Acknowledges everything the subscription has not consumed yet: a reset to
     * {@link MessageId#latest}.
     *
     * @throws TributaryClientException.SubscriptionNotFoundException if the subscription does not exist
     */
    default void clearBacklog(String topic, String subscription) throws TributaryClientException {
        Futures.await(clearBacklogAsync(topic, subscription));
    }

    /** {@link #clearBacklog(String, String)} without blocking the caller. */
    CompletableFuture<Void> clearBacklogAsync(String topic, String subscription);

    /**
     * Deletes a subscription that has no consumers, with its stored position.
     *
     * @throws TributaryClientException.SubscriptionNotFoundException if it does not exist
     * @throws TributaryClientException.ConsumerBusyException if consumers are connected
     */
    default void delete(String topic, String subscription) throws TributaryClientException {
        Futures.await(deleteAsync(topic, subscription, false));
    }

    /**
     * Deletes a subscription; with {@code force}, its consumers are disconnected first (they get
     * {@link TributaryClientException.SubscriptionNotFoundException}).
     *
     * @throws TributaryClientException.SubscriptionNotFoundException if it does not exist
     * @throws TributaryClientException.ConsumerBusyException if consumers are connected and not {@code force}
     */
    default void delete(String topic, String subscription, boolean force) throws TributaryClientException {
        Futures.await(deleteAsync(topic, subscription, force));
    }

    /** {@link #delete(String, String, boolean)} without blocking the caller. */
    CompletableFuture<Void> deleteAsync(String topic, String subscription, boolean force);
}
