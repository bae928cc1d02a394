package io.tributary.client.impl.consumer;

import io.tributary.client.impl.MessageImpl;

/** A prefetched message and the topic subscription it came on. */
final class Queued<T> {
    final MessageImpl<T> message;
    final TopicSubscription<T> stream;
    final int bytes;

    Queued(MessageImpl<T> message, TopicSubscription<T> stream) {
        this.message = message;
        this.stream = stream;
        this.bytes = message.valueSize();
    }
}
