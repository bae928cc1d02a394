package io.tributary.client;

/**
 * Where the client opens its producers' and consumers' streams: through the service URL (normally
 * the gRPC proxy), or straight to the broker that owns each topic. Set with
 * {@link ClientBuilder#connectionMode(ConnectionMode)}.
 */
public enum ConnectionMode {
    /**
     * Every call goes to the service URL, which forwards each stream to the topic's owner: one
     * connection, works from anywhere the service URL is reachable. The default for now (the test
     * suite runs every client through the proxy, so this path stays the exercised one).
     */
    PROXY,
    /**
     * Each Publish and Subscribe stream looks its topic up through the service URL and opens on a
     * connection to the owning broker's advertised address (pooled by address, with the same TLS
     * and token as the service URL's). A stream refused as NOT_OWNER / BUNDLE_MOVING follows the
     * new owner's address; one whose broker is gone looks the topic up again. If a looked-up
     * address cannot be reached at all (a client outside the cluster), the stream falls back to
     * the service URL for that topic. Lookups, partition counts and the unary calls still go
     * through the service URL.
     */
    DIRECT
}
