package io.tributary.client.admin;

import io.tributary.client.TributaryClientException;
import io.tributary.client.impl.Futures;
import java.util.List;
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
}
