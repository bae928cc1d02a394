package io.tributary.client.impl;

import io.tributary.client.Authentication;
import io.tributary.client.ClientBuilder;
import io.tributary.client.ConnectionMode;
import io.tributary.client.TlsOptions;
import io.tributary.client.TributaryClient;
import io.tributary.client.TributaryClientException;
import io.tributary.api.v1.ErrorReason;
import java.time.Duration;
import java.util.Objects;

/** Collects the client's settings. */
public final class ClientBuilderImpl implements ClientBuilder {
    public static final String DEFAULT_SERVICE_URL = "localhost:6650";
    public static final Duration DEFAULT_OPERATION_TIMEOUT = Duration.ofSeconds(30);
    static final long DEFAULT_MEMORY_LIMIT = 64L * 1024 * 1024;

    private String serviceUrl = DEFAULT_SERVICE_URL;
    private Duration operationTimeout = DEFAULT_OPERATION_TIMEOUT;
    private long memoryLimit = DEFAULT_MEMORY_LIMIT;
    private Authentication authentication;
    private TlsOptions tls;
    private ConnectionMode connectionMode = ConnectionMode.PROXY;

    @Override
    public ClientBuilder serviceUrl(String serviceUrl) {
        this.serviceUrl = Objects.requireNonNull(serviceUrl, "serviceUrl");
        return this;
    }

    @Override
    public ClientBuilder authentication(Authentication authentication) {
        this.authentication = Objects.requireNonNull(authentication, "authentication");
        return this;
    }

    @Override
    public ClientBuilder tls(TlsOptions tls) {
        this.tls = Objects.requireNonNull(tls, "tls");
        return this;
    }

    @Override
    public ClientBuilder operationTimeout(Duration timeout) {
        this.operationTimeout = checkedTimeout(timeout);
        return this;
    }

    /** An operation timeout as given, if it is positive; the client's and the admin client's rule. */
    public static Duration checkedTimeout(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("the operation timeout must be positive, was " + timeout);
        }
        return timeout;
    }

    @Override
    public ClientBuilder memoryLimit(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("memoryLimit must be 0 (unlimited) or a positive number of bytes, was "
                    + bytes);
        }
        this.memoryLimit = bytes;
        return this;
    }

    @Override
    public ClientBuilder connectionMode(ConnectionMode mode) {
        this.connectionMode = Objects.requireNonNull(mode, "mode");
        return this;
    }

    @Override
    public TributaryClient build() throws TributaryClientException {
        return new TributaryClientImpl(target(serviceUrl), operationTimeout, memoryLimit,
                ClientChannels.security(serviceUrl, tls, authentication), connectionMode);
    }

    private static final String[] TLS_SCHEMES = {"tls://", "grpc+tls://", "tributary+tls://"};
    private static final String[] SCHEMES = {"tributary://", "grpc://", "tls://", "grpc+tls://", "tributary+tls://"};

    /** Whether a service URL asks for TLS by its scheme ({@code tls://}, {@code grpc+tls://}). */
    public static boolean hasTlsScheme(String serviceUrl) {
        String s = serviceUrl.trim();
        for (String scheme : TLS_SCHEMES) {
            if (s.regionMatches(true, 0, scheme, 0, scheme.length())) {
                return true;
            }
        }
        return false;
    }

    /**
     * The {@code host:port} of a service URL. Our own schemes are dropped because gRPC would
     * take them for name resolvers it does not know.
     */
    public static String target(String serviceUrl) throws TributaryClientException {
        String s = serviceUrl.trim();
        for (String scheme : SCHEMES) {
            if (s.regionMatches(true, 0, scheme, 0, scheme.length())) {
                s = s.substring(scheme.length());
                break;
            }
        }
        while (s.endsWith("/")) {
            s = s.substring(0, s.length() - 1);
        }
        int colon = s.lastIndexOf(':');
        if (s.isEmpty() || s.contains("/") || colon <= 0 || colon == s.length() - 1) {
            throw invalid(serviceUrl);
        }
        try {
            int port = Integer.parseInt(s.substring(colon + 1));
            if (port <= 0 || port > 65535) {
                throw invalid(serviceUrl);
            }
        } catch (NumberFormatException e) {
            throw invalid(serviceUrl);
        }
        return s;
    }

    private static TributaryClientException invalid(String url) {
        return new TributaryClientException(ErrorReason.INVALID_REQUEST,
                "invalid service URL '" + url + "': expected host:port, tributary://host:port, grpc://host:port, "
                        + "tls://host:port or grpc+tls://host:port",
                null);
    }
}
