package io.tributary.client.impl.admin;

import io.tributary.api.v1.AdminServiceGrpc;
import io.tributary.api.v1.GetPermissionsRequest;
import io.tributary.api.v1.Grant;
import io.tributary.api.v1.GrantPermissionRequest;
import io.tributary.api.v1.RevokePermissionRequest;
import io.tributary.client.admin.AuthAction;
import io.tributary.client.admin.Permission;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/** Grants on a namespace or a topic, shared by {@link AdminNamespaces} and {@link AdminTopics}. */
final class AdminPermissions {
    private final TributaryAdminImpl admin;
    private final boolean onTopic;

    AdminPermissions(TributaryAdminImpl admin, boolean onTopic) {
        this.admin = admin;
        this.onTopic = onTopic;
    }

    CompletableFuture<Void> grant(String resource, String role, Set<AuthAction> actions, String subscriptionPrefix) {
        Objects.requireNonNull(resource, onTopic ? "topic" : "namespace");
        Objects.requireNonNull(role, "role");
        if (actions == null || actions.isEmpty()) {
            throw new IllegalArgumentException("grant at least one action (PRODUCE, CONSUME, ADMIN)");
        }
        GrantPermissionRequest.Builder r = GrantPermissionRequest.newBuilder().setRole(role)
                .setSubscriptionPrefix(subscriptionPrefix == null ? "" : subscriptionPrefix);
        actions.forEach(a -> r.addActions(io.tributary.api.v1.AuthAction.valueOf(a.name())));
        if (onTopic) {
            r.setTopic(resource);
        } else {
            r.setNamespace(resource);
        }
        // a grant sets the role's permissions there: repeating it changes nothing
        return admin.call(AdminServiceGrpc.getGrantPermissionMethod(), r.build(), true).thenApply(x -> null);
    }

    CompletableFuture<Boolean> revoke(String resource, String role) {
        Objects.requireNonNull(resource, onTopic ? "topic" : "namespace");
        Objects.requireNonNull(role, "role");
        RevokePermissionRequest.Builder r = RevokePermissionRequest.newBuilder().setRole(role);
        if (onTopic) {
            r.setTopic(resource);
        } else {
            r.setNamespace(resource);
        }
        return admin.call(AdminServiceGrpc.getRevokePermissionMethod(), r.build(), true).thenApply(x -> x.getRevoked());
    }

    CompletableFuture<List<Permission>> get(String resource) {
        Objects.requireNonNull(resource, onTopic ? "topic" : "namespace");
        GetPermissionsRequest.Builder r = GetPermissionsRequest.newBuilder();
        if (onTopic) {
            r.setTopic(resource);
        } else {
            r.setNamespace(resource);
        }
        return admin.call(AdminServiceGrpc.getGetPermissionsMethod(), r.build(), true)
                .thenApply(x -> x.getGrantsList().stream().map(AdminPermissions::permission).toList());
    }

    private static Permission permission(Grant g) {
        Set<AuthAction> actions = EnumSet.noneOf(AuthAction.class);
        for (io.tributary.api.v1.AuthAction a : g.getActionsList()) {
            switch (a) {
                case PRODUCE -> actions.add(AuthAction.PRODUCE);
                case CONSUME -> actions.add(AuthAction.CONSUME);
                case ADMIN -> actions.add(AuthAction.ADMIN);
                default -> { } // an action this client does not know yet
            }
        }
        return new Permission(g.getRole(), actions, g.getSubscriptionPrefix());
    }
}
