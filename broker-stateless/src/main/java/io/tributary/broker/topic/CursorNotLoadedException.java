package io.tributary.broker.topic;

import io.tributary.api.v1.ErrorReason;
import io.tributary.protocol.TributaryException;
import java.util.Set;

/**
 * Stored subscriptions of a topic whose cursors cannot be loaded (a corrupt znode, a lost cursor
 * ledger). The topic is not served while any of them cannot load, so that nothing trims the backlog
 * they still hold; loading is retried on the next request (SERVICE_NOT_READY is retriable) and
 * succeeds once the cursor is repaired or an admin deletes the subscription.
 */
public final class CursorNotLoadedException extends TributaryException {
    private final Set<String> subscriptions;

    CursorNotLoadedException(String topic, Set<String> subscriptions, Throwable cause) {
        super(ErrorReason.SERVICE_NOT_READY, "topic " + topic + " is not served: the cursor of subscription(s) "
                + subscriptions + " cannot be loaded (" + cause + "); it is served again once the cursor is repaired"
                + " or the subscription is deleted", cause);
        this.subscriptions = Set.copyOf(subscriptions);
    }

    /** The subscriptions whose cursors could not be loaded. */
    public Set<String> subscriptions() {
        return subscriptions;
    }
}
