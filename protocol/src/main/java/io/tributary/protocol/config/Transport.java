package io.tributary.protocol.config;

import java.time.Duration;

/**
 * gRPC transport settings every Tributary process agrees on, so that a limit is enforced once, by
 * the process that can answer it precisely, and a frozen peer is noticed within ZooKeeper's
 * session timeout.
 *
 * <p>Message size: the SDK, the proxy and the broker all accept gRPC messages up to
 * {@link #MAX_INBOUND_MESSAGE_SIZE}, well above the broker's maximum message size (5 MiB by
 * default), so an oversized batch reaches the broker's Publish handler and is refused there with
 * {@code MESSAGE_TOO_LARGE} on a stream that stays open, instead of the transport killing the
 * stream with a bare {@code RESOURCE_EXHAUSTED}.
 *
 * <p>Keepalive: clients (the SDK, the proxy towards brokers) ping every {@link #CLIENT_KEEPALIVE_TIME}
 * (gRPC's own floor for clients) and give up on a connection whose ping is not answered within
 * {@link #KEEPALIVE_TIMEOUT}; servers permit pings every {@link #PERMIT_KEEPALIVE_TIME} (a server
 * refusing more frequent pings than its permit closes the connection with {@code too_many_pings}).
 */
public final class Transport {
    /** The largest gRPC message any Tributary process accepts: 16 MiB and room for framing. */
    public static final int MAX_INBOUND_MESSAGE_SIZE = 16 * 1024 * 1024 + 64 * 1024;
    /** How often a client pings a connection with calls open (10 s is gRPC's minimum for clients). */
    public static final Duration CLIENT_KEEPALIVE_TIME = Duration.ofSeconds(10);
    /** A ping not answered within this closes the connection and fails its calls. */
    public static final Duration KEEPALIVE_TIMEOUT = Duration.ofSeconds(5);
    /** Servers accept client pings this often (below every client's interval). */
    public static final Duration PERMIT_KEEPALIVE_TIME = Duration.ofSeconds(5);

    private Transport() {}
}
