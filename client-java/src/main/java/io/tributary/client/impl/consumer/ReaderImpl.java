package io.tributary.client.impl.consumer;

import io.tributary.client.Message;
import io.tributary.client.MessageId;
import io.tributary.client.Reader;
import io.tributary.client.TributaryClientException;
import io.tributary.client.impl.Futures;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** A reader: a {@link ConsumerImpl} in reader mode, with only the reading half of its API. */
final class ReaderImpl<T> implements Reader<T> {
    private final ConsumerImpl<T> consumer;

    ReaderImpl(ConsumerImpl<T> consumer) {
        this.consumer = consumer;
    }

    @Override
    public Message<T> readNext() throws TributaryClientException {
        return consumer.receive();
    }

    @Override
    public Message<T> readNext(long timeout, TimeUnit unit) throws TributaryClientException {
        return consumer.receive(timeout, unit);
    }

    @Override
    public CompletableFuture<Message<T>> readNextAsync() {
        return consumer.receiveAsync();
    }

    @Override
    public void seek(MessageId messageId) throws TributaryClientException {
        consumer.seek(messageId);
    }

    @Override
    public CompletableFuture<Void> seekAsync(MessageId messageId) {
        return consumer.seekAsync(messageId);
    }

    @Override
    public void seek(long publishTimeMs) throws TributaryClientException {
        consumer.seek(publishTimeMs);
    }

    @Override
    public CompletableFuture<Void> seekAsync(long publishTimeMs) {
        return consumer.seekAsync(publishTimeMs);
    }

    @Override
    public boolean hasMessageAvailable() throws TributaryClientException {
        return Futures.await(consumer.hasMessageAvailableAsync());
    }

    @Override
    public CompletableFuture<Boolean> hasMessageAvailableAsync() {
        return consumer.hasMessageAvailableAsync();
    }

    @Override
    public String getTopic() {
        return consumer.getTopic();
    }

    @Override
    public boolean isConnected() {
        return consumer.isConnected();
    }

    @Override
    public void close() throws TributaryClientException {
        consumer.close();
    }

    @Override
    public CompletableFuture<Void> closeAsync() {
        return consumer.closeAsync();
    }

    @Override
    public String toString() {
        return consumer.toString();
    }
}
