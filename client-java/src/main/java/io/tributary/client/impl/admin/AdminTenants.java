package io.tributary.client.impl.admin;

import io.tributary.api.v1.AdminServiceGrpc;
import io.tributary.api.v1.CreateTenantRequest;
import io.tributary.api.v1.DeleteTenantRequest;
import io.tributary.api.v1.ListTenantsRequest;
import io.tributary.api.v1.SetTenantAdminsRequest;
import io.tributary.client.admin.Tenants;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/** {@link Tenants} over the AdminService. */
final class AdminTenants implements Tenants {
    private final TributaryAdminImpl admin;

    AdminTenants(TributaryAdminImpl admin) {
        this.admin = admin;
    }

    @Override
    public CompletableFuture<Void> createAsync(String tenant) {
        Objects.requireNonNull(tenant, "tenant");
        return admin.call(AdminServiceGrpc.getCreateTenantMethod(), CreateTenantRequest.newBuilder().setTenant(tenant).build(),
                false).thenApply(r -> null);
    }

    @Override
    public CompletableFuture<Void> deleteAsync(String tenant) {
        Objects.requireNonNull(tenant, "tenant");
        return admin.call(AdminServiceGrpc.getDeleteTenantMethod(), DeleteTenantRequest.newBuilder().setTenant(tenant).build(),
                false).thenApply(r -> null);
    }

    @Override
    public CompletableFuture<List<String>> listAsync() {
        return admin.call(AdminServiceGrpc.getListTenantsMethod(), ListTenantsRequest.getDefaultInstance(), true)
                .thenApply(r -> List.copyOf(r.getTenantsList()));
    }

    @Override
    public CompletableFuture<Void> setAdminsAsync(String tenant, List<String> adminRoles) {
        Objects.requireNonNull(tenant, "tenant");
        Objects.requireNonNull(adminRoles, "adminRoles");
        return admin.call(AdminServiceGrpc.getSetTenantAdminsMethod(), SetTenantAdminsRequest.newBuilder().setTenant(tenant)
                .addAllAdminRoles(adminRoles).build(), true).thenApply(r -> null);
    }
}
