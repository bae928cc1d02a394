package io.tributary.client.admin;

import io.tributary.client.TributaryClientException;
import io.tributary.client.impl.Futures;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * The namespaces of a tenant ({@code tenant/namespace}) and their policies. A namespace's hash
 * range is cut into bundles, the unit in which brokers own topics.
 */
public interface Namespaces {

    /**
     * Creates a namespace with the broker's default number of bundles.
     *
     * @throws TributaryClientException.TenantNotFoundException if its tenant does not exist
     * @throws TributaryClientException.AlreadyExistsException if it exists
     */
    default void create(String namespace) throws TributaryClientException {
        Futures.await(createAsync(namespace, 0));
    }

    /**
     * Creates a namespace cut into {@code bundles} bundles (0: the broker's default).
     *
     * @throws IllegalArgumentException if {@code bundles} is negative
     * @throws TributaryClientException.TenantNotFoundException if its tenant does not exist
     * @throws TributaryClientException.AlreadyExistsException if it exists
     */
    default void create(String namespace, int bundles) throws TributaryClientException {
        Futures.await(createAsync(namespace, bundles));
    }

    /**
     * {@link #create(String, int)} without blocking the caller.
     *
     * @throws IllegalArgumentException if {@code bundles} is negative
     */
    CompletableFuture<Void> createAsync(String namespace, int bundles);

    /**
     * Deletes a namespace that has no topics.
     *
     * @throws TributaryClientException.NamespaceNotFoundException if it does not exist
     * @throws TributaryClientException.NotEmptyException if it still has topics
     */
    default void delete(String namespace) throws TributaryClientException {
        Futures.await(deleteAsync(namespace));
    }

    /** {@link #delete(String)} without blocking the caller. */
    CompletableFuture<Void> deleteAsync(String namespace);

    /**
     * The namespaces of a tenant, as {@code tenant/namespace}.
     *
     * @throws TributaryClientException.TenantNotFoundException if the tenant does not exist
     */
    default List<String> list(String tenant) throws TributaryClientException {
        return Futures.await(listAsync(tenant));
    }

    /** {@link #list(String)} without blocking the caller. */
    CompletableFuture<List<String>> listAsync(String tenant);

    /**
     * The policies the namespace sets; what it leaves unset follows the broker's defaults.
     *
     * @throws TributaryClientException.NamespaceNotFoundException if it does not exist
     */
    default NamespacePolicies getPolicies(String namespace) throws TributaryClientException {
        return Futures.await(getPoliciesAsync(namespace));
    }

    /** {@link #getPolicies(String)} without blocking the caller. */
    CompletableFuture<NamespacePolicies> getPoliciesAsync(String namespace);

    /**
     * Changes the policies that {@code changes} sets and leaves the others as they are; returns
     * all the policies the namespace sets afterwards. Brokers apply them within their policy
     * check interval.
     *
     * @throws TributaryClientException.NamespaceNotFoundException if it does not exist
     * @throws TributaryClientException with reason {@code INVALID_REQUEST} if the server refuses a value
     */
    default NamespacePolicies setPolicies(String namespace, NamespacePolicies changes) throws TributaryClientException {
        return Futures.await(setPoliciesAsync(namespace, changes));
    }

    /** {@link #setPolicies(String, NamespacePolicies)} without blocking the caller. */
    CompletableFuture<NamespacePolicies> setPoliciesAsync(String namespace, NamespacePolicies changes);

    /**
     * Returns the named policy fields (as in admin.proto, e.g. {@code max_producers_per_topic}) to
     * the broker's defaults; returns all the policies the namespace sets afterwards.
     *
     * @throws TributaryClientException with reason {@code INVALID_REQUEST} for an unknown field name
     */
    default NamespacePolicies clearPolicies(String namespace, String... fields) throws TributaryClientException {
        return setPolicies(namespace, NamespacePolicies.builder().clear(fields).build());
    }

    /**
     * Gives {@code role} exactly {@code actions} on the namespace (all its topics), replacing what it was granted there
     * before. Takes effect on every broker within about a second. Needs an admin of the tenant.
     *
     * @throws IllegalArgumentException if {@code actions} is empty
     * @throws TributaryClientException.NamespaceNotFoundException if the namespace does not exist
     */
    default void grantPermission(String namespace, String role, Set<AuthAction> actions) throws TributaryClientException {
        Futures.await(grantPermissionAsync(namespace, role, actions, ""));
    }

    /**
     * {@link #grantPermission(String, String, Set)}, with CONSUME covering only the subscriptions
     * (and readers) whose names start with {@code subscriptionPrefix}.
     */
    default void grantPermission(String namespace, String role, Set<AuthAction> actions, String subscriptionPrefix)
            throws TributaryClientException {
        Futures.await(grantPermissionAsync(namespace, role, actions, subscriptionPrefix));
    }

    /** {@link #grantPermission(String, String, Set, String)} without blocking the caller. */
    CompletableFuture<Void> grantPermissionAsync(String namespace, String role, Set<AuthAction> actions, String subscriptionPrefix);

    /**
     * Takes away everything {@code role} was granted on the namespace (all its topics); false if it had nothing there.
     * Calls and streams opened afterwards are refused; streams already open go on.
     */
    default boolean revokePermission(String namespace, String role) throws TributaryClientException {
        return Futures.await(revokePermissionAsync(namespace, role));
    }

    /** {@link #revokePermission(String, String)} without blocking the caller. */
    CompletableFuture<Boolean> revokePermissionAsync(String namespace, String role);

    /** What each role was granted on the namespace (all its topics) itself (grants on single topics are listed by Topics). */
    default List<Permission> getPermissions(String namespace) throws TributaryClientException {
        return Futures.await(getPermissionsAsync(namespace));
    }

    /** {@link #getPermissions(String)} without blocking the caller. */
    CompletableFuture<List<Permission>> getPermissionsAsync(String namespace);
}
