package io.tributary.client;

import java.time.Duration;

/** Configures and builds a {@link TributaryClient}. Not thread-safe. */
public interface ClientBuilder {

    /**
     * The proxy (or broker) endpoint as {@code host:port}; {@code tributary://host:port} and
     * {@code grpc://host:port} are accepted too. Default {@code localhost:6650}.
     */
    ClientBuilder serviceUrl(String serviceUrl);

    /**
     * How long producer creation, subscription and acknowledgements may take before they
     * fail with {@link TributaryClientException.TimeoutException}. Default 30 s.
     */
    ClientBuilder operationTimeout(Duration timeout);

    /** Builds the client. The channel connects lazily, on the first producer or consumer. */
    TributaryClient build() throws TributaryClientException;
}
