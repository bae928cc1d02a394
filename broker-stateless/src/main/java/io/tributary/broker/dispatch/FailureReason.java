package io.tributary.broker.dispatch;

import java.nio.charset.StandardCharsets;

/**
 * The reason a consumer gives with a negative acknowledgement (NegativeAck.reason,
 * NegativeAcknowledgeRequest.reason): for people, carried to the message's next delivery and into
 * its dead-letter copy. At most {@link #MAX_BYTES} bytes of UTF-8.
 */
public final class FailureReason {
    public static final int MAX_BYTES = 1024;

    private FailureReason() {}

    /** Why {@code reason} is refused (too long), or null if it is fine (null: none given). */
    public static String problem(String reason) {
        if (reason == null || reason.length() * 3 <= MAX_BYTES) {
            return null;
        }
        int bytes = reason.getBytes(StandardCharsets.UTF_8).length;
        return bytes <= MAX_BYTES ? null
                : "reason must be at most " + MAX_BYTES + " bytes of UTF-8, was " + bytes + " bytes";
    }
}
