package io.tributary.client.admin;

import io.tributary.client.TributaryClientException;
import io.tributary.client.impl.Futures;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** The tenants of a cluster: the top level of {@code tenant/namespace/topic}. */
public interface Tenants {

    /**
     * Creates a tenant.
     *
     * @throws TributaryClientException.AlreadyExistsException if it exists
     * @throws TributaryClientException with reason {@code INVALID_REQUEST} for a malformed name
     */
    default void create(String tenant) throws TributaryClientException {
        Futures.await(createAsync(tenant));
    }

    /** {@link #create(String)} without blocking the caller. */
    CompletableFuture<Void> createAsync(String tenant);

    /**
     * Deletes a tenant that has no namespaces.
     *
     * @throws TributaryClientException.TenantNotFoundException if it does not exist
     * @throws TributaryClientException.NotEmptyException if it still has namespaces
     */
    default void delete(String tenant) throws TributaryClientException {
        Futures.await(deleteAsync(tenant));
    }

    /** {@link #delete(String)} without blocking the caller. */
    CompletableFuture<Void> deleteAsync(String tenant);

    /** The names of all tenants. */
    default List<String> list() throws TributaryClientException {
        return Futures.await(listAsync());
    }

    /** {@link #list()} without blocking the caller. */
    CompletableFuture<List<String>> listAsync();

    /**
     * Replaces the admin roles of a tenant: they administer its namespaces and topics and grant
     * permissions on them. Needs a superuser.
     *
     * @throws TributaryClientException.TenantNotFoundException if it does not exist
     */
    default void setAdmins(String tenant, List<String> adminRoles) throws TributaryClientException {
        Futures.await(setAdminsAsync(tenant, adminRoles));
    }

    /** {@link #setAdmins(String, List)} without blocking the caller. */
    CompletableFuture<Void> setAdminsAsync(String tenant, List<String> adminRoles);
}
