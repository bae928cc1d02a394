package io.tributary.client.admin;

/** What happens when a subscription's backlog is over its namespace's {@link BacklogQuota}. */
public enum BacklogQuotaPolicy {
    /** No quota: nothing happens, whatever the limit. */
    NONE,
    /** Publishes wait until the backlog is back under the limit, or fail after the broker's hold timeout. */
    PRODUCER_REQUEST_HOLD,
    /** Publishes fail with reason {@code BACKLOG_QUOTA_EXCEEDED}. */
    PRODUCER_EXCEPTION,
    /** The oldest unacknowledged messages of the subscriptions over the limit are skipped. */
    CONSUMER_BACKLOG_EVICTION
}
