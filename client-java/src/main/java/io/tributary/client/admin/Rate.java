package io.tributary.client.admin;

/**
 * A rate limit of a namespace policy: messages and bytes per second, each 0 for no limit on it.
 *
 * @param messagesPerSecond at most this many messages a second; 0: no limit
 * @param bytesPerSecond    at most this many bytes a second; 0: no limit
 */
public record Rate(long messagesPerSecond, long bytesPerSecond) {

    /** @throws IllegalArgumentException if either is negative */
    public Rate {
        if (messagesPerSecond < 0 || bytesPerSecond < 0) {
            throw new IllegalArgumentException("a rate must be >= 0 messages and bytes per second (0: no limit), was "
                    + messagesPerSecond + " messages, " + bytesPerSecond + " bytes");
        }
    }
}
