package io.tributary.client.impl.admin;

import io.tributary.api.v1.AdminServiceGrpc;
import io.tributary.api.v1.CreateNamespaceRequest;
import io.tributary.api.v1.DeleteNamespaceRequest;
import io.tributary.api.v1.GetNamespacePoliciesRequest;
import io.tributary.api.v1.ListNamespacesRequest;
import io.tributary.api.v1.SetNamespacePoliciesRequest;
import io.tributary.client.admin.AuthAction;
import io.tributary.client.admin.NamespacePolicies;
import io.tributary.client.admin.Namespaces;
import io.tributary.client.admin.Permission;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/** {@link Namespaces} over the AdminService. */
final class AdminNamespaces implements Namespaces {
    private final TributaryAdminImpl admin;

    private final AdminPermissions permissions;

    AdminNamespaces(TributaryAdminImpl admin) {
        this.admin = admin;
        this.permissions = new AdminPermissions(admin, false);
    }

    @Override
    public CompletableFuture<Void> createAsync(String namespace, int bundles) {
        Objects.requireNonNull(namespace, "namespace");
        if (bundles < 0) {
            throw new IllegalArgumentException("the number of bundles must be >= 0 (0: the broker's default), was " + bundles);
        }
        return admin.call(AdminServiceGrpc.getCreateNamespaceMethod(),
                CreateNamespaceRequest.newBuilder().setNamespace(namespace).setBundles(bundles).build(), false)
                .thenApply(r -> null);
    }

    @Override
    public CompletableFuture<Void> deleteAsync(String namespace) {
        Objects.requireNonNull(namespace, "namespace");
        return admin.call(AdminServiceGrpc.getDeleteNamespaceMethod(),
                DeleteNamespaceRequest.newBuilder().setNamespace(namespace).build(), false).thenApply(r -> null);
    }

    @Override
    public CompletableFuture<List<String>> listAsync(String tenant) {
        Objects.requireNonNull(tenant, "tenant");
        return admin.call(AdminServiceGrpc.getListNamespacesMethod(),
                ListNamespacesRequest.newBuilder().setTenant(tenant).build(), true)
                .thenApply(r -> List.copyOf(r.getNamespacesList()));
    }

    @Override
    public CompletableFuture<NamespacePolicies> getPoliciesAsync(String namespace) {
        Objects.requireNonNull(namespace, "namespace");
        return admin.call(AdminServiceGrpc.getGetNamespacePoliciesMethod(),
                GetNamespacePoliciesRequest.newBuilder().setNamespace(namespace).build(), true)
                .thenApply(AdminConversions::policies);
    }

    @Override
    public CompletableFuture<NamespacePolicies> setPoliciesAsync(String namespace, NamespacePolicies changes) {
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(changes, "changes");
        return admin.call(AdminServiceGrpc.getSetNamespacePoliciesMethod(), SetNamespacePoliciesRequest.newBuilder()
                        .setNamespace(namespace).setPolicies(AdminConversions.toProto(changes))
                        .addAllClear(changes.clear()).build(), true)
                .thenApply(AdminConversions::policies);
    }

    @Override
    public CompletableFuture<Void> grantPermissionAsync(String namespace, String role, Set<AuthAction> actions, String subscriptionPrefix) {
        return permissions.grant(namespace, role, actions, subscriptionPrefix);
    }

    @Override
    public CompletableFuture<Boolean> revokePermissionAsync(String namespace, String role) {
        return permissions.revoke(namespace, role);
    }

    @Override
    public CompletableFuture<List<Permission>> getPermissionsAsync(String namespace) {
        return permissions.get(namespace);
    }
}
