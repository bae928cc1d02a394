package io.tributary.client.admin;

import io.tributary.client.Authentication;
import io.tributary.client.TlsOptions;
import io.tributary.client.TributaryClientException;
import java.time.Duration;

/** Configures and builds a {@link TributaryAdmin}. Not thread-safe. */
public interface TributaryAdminBuilder {

    /**
     * The proxy (or broker) endpoint as {@code host:port}; {@code tributary://host:port} and
     * {@code grpc://host:port} are accepted too, and {@code tls://host:port} or
     * {@code grpc+tls://host:port} connect with TLS. Default {@code localhost:6650}.
     */
    TributaryAdminBuilder serviceUrl(String serviceUrl);

    /** How the admin client authenticates, as for {@link io.tributary.client.ClientBuilder#authentication}. Default none. */
    TributaryAdminBuilder authentication(Authentication authentication);

    /** TLS to the cluster, as for {@link io.tributary.client.ClientBuilder#tls}. Default plaintext. */
    TributaryAdminBuilder tls(TlsOptions tls);

    /**
     * How long one operation may take, retries included, before it fails with
     * {@link TributaryClientException.TimeoutException}. Default 30 s.
     *
     * @throws IllegalArgumentException if the timeout is not positive
     */
    TributaryAdminBuilder operationTimeout(Duration timeout);

    /**
     * Builds the admin client; it connects lazily, on the first call.
     *
     * @throws TributaryClientException with reason {@code INVALID_REQUEST} if the service URL is malformed
     *         or the TLS files cannot be read
     */
    TributaryAdmin build() throws TributaryClientException;
}
