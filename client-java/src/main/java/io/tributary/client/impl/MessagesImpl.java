package io.tributary.client.impl;

import io.tributary.client.Message;
import io.tributary.client.Messages;
import java.util.Iterator;
import java.util.List;

/** The messages of one batch receive. */
public final class MessagesImpl<T> implements Messages<T> {
    private final List<Message<T>> messages;

    public MessagesImpl(List<Message<T>> messages) {
        this.messages = List.copyOf(messages);
    }

    @Override
    public int size() {
        return messages.size();
    }

    @Override
    public Iterator<Message<T>> iterator() {
        return messages.iterator();
    }

    @Override
    public String toString() {
        return "Messages{size=" + messages.size() + "}";
    }
}
