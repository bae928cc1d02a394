package io.tributary.client;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * One message with its metadata, made by {@link Producer#newMessage()}. Not thread-safe; send it once.
 *
 * @param <T> the value type
 */
public interface TypedMessageBuilder<T> {

    /** The key: Key_Shared subscriptions route on it. */
    TypedMessageBuilder<T> key(String key);

    /** The value, encoded with the producer's schema. Required. */
    TypedMessageBuilder<T> value(T value);

    /** Adds an application property; a later value for the same name wins. */
    TypedMessageBuilder<T> property(String name, String value);

    /** Adds all these application properties. */
    TypedMessageBuilder<T> properties(Map<String, String> properties);

    /** When the event happened, in epoch milliseconds; 0 (the default) means unset. */
    TypedMessageBuilder<T> eventTime(long timestampMs);

    /**
     * An explicit sequence id instead of the producer's next one. The broker drops a message
     * whose sequence id is not above the highest one stored for this producer name; its send then
     * completes with the original's id if the broker still knows where that was stored, and fails
     * with a {@link TributaryClientException} otherwise (never reporting as stored a message whose
     * storage nobody can show).
     */
    TypedMessageBuilder<T> sequenceId(long sequenceId);

    /**
     * Asks the broker not to deliver the message before {@code delay} from now (measured on this
     * machine's clock when this method is called). A delayed message is stored in an entry of its
     * own, whose header carries the delivery time. The broker holds it back on Shared and
     * Key_Shared subscriptions only: Exclusive and Failover subscriptions get it at once, in order.
     *
     * @throws IllegalArgumentException if the delay is negative
     */
    TypedMessageBuilder<T> deliverAfter(long delay, TimeUnit unit);

    /**
     * {@link #deliverAfter(long, TimeUnit)} with a {@link Duration}.
     *
     * @throws IllegalArgumentException if the delay is negative
     */
    TypedMessageBuilder<T> deliverAfter(Duration delay);

    /**
     * Asks the broker not to deliver the message before this time, in epoch milliseconds; a time
     * in the past means at once. Same rules as {@link #deliverAfter(long, TimeUnit)}.
     *
     * @throws IllegalArgumentException if the time is negative
     */
    TypedMessageBuilder<T> deliverAt(long epochMs);

    /** Sends the message and waits until it is stored; see {@link Producer#send}. */
    MessageId send() throws TributaryClientException;

    /** Sends the message; see {@link Producer#sendAsync}. */
    CompletableFuture<MessageId> sendAsync();
}
