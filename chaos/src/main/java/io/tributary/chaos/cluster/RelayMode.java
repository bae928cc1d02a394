package io.tributary.chaos.cluster;

/** What a {@link Relay} does with its link's traffic. */
public enum RelayMode {
    /** Forward both ways. */
    PASS,
    /** Reset every connection, open or new. */
    RESET,
    /** Keep connections, forward nothing. */
    BLACKHOLE,
    /** Forward, each chunk late by the relay's delay. */
    DELAY
}
