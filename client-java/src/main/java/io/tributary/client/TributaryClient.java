package io.tributary.client;

import io.tributary.client.impl.ClientBuilderImpl;
import java.util.concurrent.CompletableFuture;

/**
 * A connection to a Tributary cluster (through its gRPC proxy) from which producers,
 * consumers and readers are made. It owns one gRPC channel and a small timer thread pool shared by all of
 * them, so one client per process and cluster is the intended use. Thread-safe.
 *
 * <pre>{@code
 * try (TributaryClient client = TributaryClient.builder().serviceUrl("localhost:6650").build();
 *      Producer<String> producer = client.newProducer(Schema.STRING).topic("t/ns/orders").create()) {
 *     producer.send("hello");
 * }
 * }</pre>
 *
 * <p>A secured cluster takes a token and TLS: {@link ClientBuilder#authentication(Authentication)}
 * and {@link ClientBuilder#tls(TlsOptions)}.
 */
public interface TributaryClient extends AutoCloseable {

    /** A builder with the defaults: {@code localhost:6650}, operation timeout 30 s. */
    static ClientBuilder builder() {
        return new ClientBuilderImpl();
    }

    /** A builder for a producer of values encoded with {@code schema}. */
    <T> ProducerBuilder<T> newProducer(Schema<T> schema);

    /** A builder for a producer of raw bytes. */
    default ProducerBuilder<byte[]> newProducer() {
        return newProducer(Schema.BYTES);
    }

    /** A builder for a consumer of values decoded with {@code schema}. */
    <T> ConsumerBuilder<T> newConsumer(Schema<T> schema);

    /** A builder for a consumer of raw bytes. */
    default ConsumerBuilder<byte[]> newConsumer() {
        return newConsumer(Schema.BYTES);
    }

    /** A builder for a reader of values decoded with {@code schema}. */
    <T> ReaderBuilder<T> newReader(Schema<T> schema);

    /** Begins a transaction: messages sent in it stay invisible until it commits ({@link Transaction}). */
    TransactionBuilder newTransaction();

    /** A builder for a reader of raw bytes. */
    default ReaderBuilder<byte[]> newReader() {
        return newReader(Schema.BYTES);
    }

    /**
     * Closes every producer (waiting for their pending sends), consumer and reader made by this
     * client, then the channel and the timer threads.
     */
    @Override
    void close() throws TributaryClientException;

    /** {@link #close()} without blocking the caller. */
    CompletableFuture<Void> closeAsync();

    /** Whether {@link #close()} was called. */
    boolean isClosed();
}
