package io.tributary.client;

/**
 * Told when a consumer of a Failover subscription becomes the active one or a standby, as the
 * broker announces it. Called on the client's I/O threads: do not block.
 */
public interface ConsumerEventListener {

    /** The broker now sends this consumer the subscription's messages. */
    void becameActive(Consumer<?> consumer);

    /** Another consumer is now the active one; this one gets no messages until it takes over. */
    void becameInactive(Consumer<?> consumer);
}
