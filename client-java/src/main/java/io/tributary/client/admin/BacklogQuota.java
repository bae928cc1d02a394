package io.tributary.client.admin;

/**
 * The largest backlog any one subscription of a namespace may have, and what happens beyond it.
 *
 * @param limitBytes the limit in bytes; 0 or less: no limit
 * @param policy     what happens over the limit
 */
public record BacklogQuota(long limitBytes, BacklogQuotaPolicy policy) {

    /** @throws IllegalArgumentException if the policy is null */
    public BacklogQuota {
        if (policy == null) {
            throw new IllegalArgumentException("a backlog quota needs a policy");
        }
    }
}
