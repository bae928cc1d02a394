package io.tributary.broker.topic;

import io.tributary.api.v1.BacklogQuotaPolicy;
import io.tributary.api.v1.NamespacePolicies;

/**
 * The retention, expiry and backlog-quota rules in force for a topic: its namespace's policies,
 * with the broker's defaults for what the namespace does not set.
 *
 * @param retentionTimeMs keep acknowledged data this long; -1 forever
 * @param retentionSizeBytes keep at most this many bytes of acknowledged data; -1 no limit
 * @param messageTtlMs acknowledge unacknowledged messages older than this; 0 never
 * @param backlogQuotaBytes the largest backlog of one subscription; 0 or less: no quota
 * @param backlogQuotaPolicy what happens when a subscription's backlog is over the quota
 */
public record Policies(long retentionTimeMs, long retentionSizeBytes, long messageTtlMs, long backlogQuotaBytes,
                       BacklogQuotaPolicy backlogQuotaPolicy) {

    /** A retention limit of 0 next to a non-zero one does not bound: only the set limit does. */
    public Policies {
        if (retentionTimeMs != 0 && retentionSizeBytes == 0) {
            retentionSizeBytes = -1;
        } else if (retentionSizeBytes != 0 && retentionTimeMs == 0) {
            retentionTimeMs = -1;
        }
    }

    public static final Policies NONE = new Policies(0, 0, 0, 0, BacklogQuotaPolicy.BACKLOG_QUOTA_POLICY_UNSPECIFIED);

    /**
     * {@code set} over {@code defaults}: the fields {@code set} has win. A namespace that sets only
     * one retention limit (time or size) is bound by that one alone: the other is unlimited.
     */
    public static Policies of(NamespacePolicies set, Policies defaults) {
        long time = defaults.retentionTimeMs();
        long size = defaults.retentionSizeBytes();
        if (set.hasRetentionTimeSeconds() || set.hasRetentionSizeBytes()) {
            time = set.hasRetentionTimeSeconds() ? millis(set.getRetentionTimeSeconds()) : 0;
            size = set.hasRetentionSizeBytes() ? set.getRetentionSizeBytes() : 0;
        }
        long ttl = set.hasMessageTtlSeconds() ? millis(set.getMessageTtlSeconds()) : defaults.messageTtlMs();
        long quota = defaults.backlogQuotaBytes();
        BacklogQuotaPolicy policy = defaults.backlogQuotaPolicy();
        if (set.hasBacklogQuota()) {
            quota = set.getBacklogQuota().getLimitBytes();
            policy = set.getBacklogQuota().getPolicy();
        }
        return new Policies(time, size, ttl, quota, policy);
    }

    /** Seconds as milliseconds; negative values (-1: unlimited) stay as they are. */
    public static long millis(long seconds) {
        return seconds < 0 ? seconds : seconds * 1000;
    }

    public boolean hasBacklogQuota() {
        return backlogQuotaBytes > 0 && backlogQuotaPolicy != BacklogQuotaPolicy.BACKLOG_QUOTA_POLICY_UNSPECIFIED
                && backlogQuotaPolicy != BacklogQuotaPolicy.UNRECOGNIZED;
    }
}
