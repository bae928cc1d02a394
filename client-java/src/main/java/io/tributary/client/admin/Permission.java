package io.tributary.client.admin;

import java.util.Set;

/**
 * What one role was granted on a namespace or a topic.
 *
 * @param role the role (a token's subject, by default)
 * @param actions what it may do there
 * @param subscriptionPrefix for {@link AuthAction#CONSUME}: the subscriptions whose names start
 *                           with it; empty for any
 */
public record Permission(String role, Set<AuthAction> actions, String subscriptionPrefix) {
    public Permission {
        actions = Set.copyOf(actions);
        subscriptionPrefix = subscriptionPrefix == null ? "" : subscriptionPrefix;
    }
}
