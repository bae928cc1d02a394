package io.tributary.client;

import java.time.Duration;

/** Configures and builds a {@link TributaryClient}. Not thread-safe. */
public interface ClientBuilder {

    /**
     * The proxy (or broker) endpoint as {@code host:port}; {@code tributary://host:port} and
     * {@code grpc://host:port} are accepted too, and {@code tls://host:port} or
     * {@code grpc+tls://host:port} connect with TLS (trusting the JDK's CAs unless
     * {@link #tls(TlsOptions)} says otherwise). Default {@code localhost:6650}.
     */
    ClientBuilder serviceUrl(String serviceUrl);

    /**
     * How the client authenticates: a token sent on every call, renewed before it expires. Default
     * none.
     *
     * @see Authentication
     */
    ClientBuilder authentication(Authentication authentication);

    /**
     * Connects with TLS: verifies the server against the given CA certificates and, for mutual TLS,
     * presents a client certificate. Default: plaintext, unless the service URL has a TLS scheme.
     * The files are read when the client is built (files that cannot be read fail the build with
     * reason {@code INVALID_REQUEST}) and again when they change, for the next connection.
     */
    ClientBuilder tls(TlsOptions tls);

    /**
     * How long producer creation, subscription and acknowledgements may take before they
     * fail with {@link TributaryClientException.TimeoutException}. Default 30 s.
     */
    ClientBuilder operationTimeout(Duration timeout);

    /**
     * Bounds the memory that all producers of this client may hold for messages not yet
     * acknowledged by the broker: the bytes of each message (value, key and properties, before
     * compression) count from {@code sendAsync} until the broker answers it, or it fails or times
     * out. When the bound is reached, a producer built with {@code blockIfQueueFull(true)} (the
     * default) blocks in {@code send}/{@code sendAsync} until memory is released; otherwise the
     * send fails at once with {@link TributaryClientException.MemoryBufferIsFullException}. This
     * bound is shared, while {@link ProducerBuilder#maxPendingMessages(int)} bounds each producer
     * by message count; both apply. A single message larger than the bound is accepted when
     * nothing else is pending. Default 64 MiB; 0 means unlimited.
     *
     * @param bytes the bound in bytes, 0 for none
     * @throws IllegalArgumentException if {@code bytes} is negative
     */
    ClientBuilder memoryLimit(long bytes);

    /**
     * Whether producers and consumers connect through the service URL ({@link ConnectionMode#PROXY},
     * the default for now) or straight to the broker that owns each topic
     * ({@link ConnectionMode#DIRECT}, which falls back to the service URL for a topic whose owner
     * cannot be reached from here). See {@link ConnectionMode}.
     */
    ClientBuilder connectionMode(ConnectionMode mode);

    /** Builds the client. The channel connects lazily, on the first producer or consumer. */
    TributaryClient build() throws TributaryClientException;
}
