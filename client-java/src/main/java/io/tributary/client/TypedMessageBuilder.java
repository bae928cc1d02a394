package io.tributary.client;

import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * One message with its metadata, made by {@link Producer#newMessage()}. Not thread-safe; send it once.
 *
 * @param <T> the value type
 */
public interface TypedMessageBuilder<T> {

    /** The key: Key_Shared subscriptions route on it. */
    TypedMessageBuilder<T> key(String key);

    TypedMessageBuilder<T> value(T value);

    TypedMessageBuilder<T> property(String name, String value);

    TypedMessageBuilder<T> properties(Map<String, String> properties);

    /** When the event happened, in epoch milliseconds; 0 (the default) means unset. */
    TypedMessageBuilder<T> eventTime(long timestampMs);

    /**
     * An explicit sequence id instead of the producer's next one. The broker drops a message
     * whose sequence id is not above the highest one stored for this producer name.
     */
    TypedMessageBuilder<T> sequenceId(long sequenceId);

    MessageId send() throws TributaryClientException;

    CompletableFuture<MessageId> sendAsync();
}
