package io.tributary.client.admin;

import io.tributary.client.TributaryClientException;
import io.tributary.client.impl.Futures;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * Topics ({@code tenant/namespace/name}; the prefix {@code persistent://} is accepted). A
 * partitioned topic {@code t} of N partitions is the topics {@code t-partition-0 … t-partition-(N-1)};
 * its info and stats here are the sums over them.
 */
public interface Topics {

    /**
     * Creates a topic that is not partitioned.
     *
     * @throws TributaryClientException.AlreadyExistsException if it exists
     * @throws TributaryClientException.NamespaceNotFoundException if its namespace does not exist
     * @throws TributaryClientException.InvalidTopicNameException for a malformed name
     */
    default void create(String topic) throws TributaryClientException {
        Futures.await(createAsync(topic, 0));
    }

    /**
     * Creates a topic with {@code partitions} partitions (0: not partitioned).
     *
     * @throws IllegalArgumentException if {@code partitions} is negative
     * @throws TributaryClientException.AlreadyExistsException if it exists
     * @throws TributaryClientException.NamespaceNotFoundException if its namespace does not exist
     */
    default void create(String topic, int partitions) throws TributaryClientException {
        Futures.await(createAsync(topic, partitions));
    }

    /**
     * {@link #create(String, int)} without blocking the caller.
     *
     * @throws IllegalArgumentException if {@code partitions} is negative
     */
    CompletableFuture<Void> createAsync(String topic, int partitions);

    /**
     * Deletes a topic, its data and its subscriptions (a partitioned topic with all its partitions).
     *
     * @throws TributaryClientException.TopicNotFoundException if it does not exist
     */
    default void delete(String topic) throws TributaryClientException {
        Futures.await(deleteAsync(topic));
    }

    /** {@link #delete(String)} without blocking the caller. */
    CompletableFuture<Void> deleteAsync(String topic);

    /**
     * The topics of a namespace: plain topics, partitioned topics and their partitions.
     *
     * @throws TributaryClientException.NamespaceNotFoundException if the namespace does not exist
     */
    default List<String> list(String namespace) throws TributaryClientException {
        return Futures.await(listAsync(namespace));
    }

    /** {@link #list(String)} without blocking the caller. */
    CompletableFuture<List<String>> listAsync(String namespace);

    /**
     * How many partitions the topic has; 0 for a topic that is not partitioned.
     *
     * @throws TributaryClientException.TopicNotFoundException if it does not exist
     */
    default int getPartitions(String topic) throws TributaryClientException {
        return Futures.await(getPartitionsAsync(topic));
    }

    /** {@link #getPartitions(String)} without blocking the caller. */
    CompletableFuture<Integer> getPartitionsAsync(String topic);

    /**
     * What a topic holds: its subscriptions, entries, bytes and ledgers (summed over the
     * partitions of a partitioned topic).
     *
     * @throws TributaryClientException.TopicNotFoundException if it does not exist
     */
    default TopicInfo getInfo(String topic) throws TributaryClientException {
        return Futures.await(getInfoAsync(topic));
    }

    /** {@link #getInfo(String)} without blocking the caller. */
    CompletableFuture<TopicInfo> getInfoAsync(String topic);

    /**
     * Rates, storage, backlog and consumers of a topic and each of its subscriptions, as its
     * owner sees them now. For a partitioned topic the stats of every partition are asked for and
     * summed (see {@link TopicStats}); each partition's own are in {@link TopicStats#partitions()}.
     *
     * @throws TributaryClientException.TopicNotFoundException if it does not exist
     */
    default TopicStats getStats(String topic) throws TributaryClientException {
        return Futures.await(getStatsAsync(topic));
    }

    /** {@link #getStats(String)} without blocking the caller. */
    CompletableFuture<TopicStats> getStatsAsync(String topic);

    /**
     * Gives {@code role} exactly {@code actions} on the topic (all its partitions), replacing what it was granted there
     * before. Takes effect on every broker within about a second. Needs an admin of the tenant.
     *
     * @throws IllegalArgumentException if {@code actions} is empty
     * @throws TributaryClientException.NamespaceNotFoundException if the namespace does not exist
     */
    default void grantPermission(String topic, String role, Set<AuthAction> actions) throws TributaryClientException {
        Futures.await(grantPermissionAsync(topic, role, actions, ""));
    }

    /**
     * {@link #grantPermission(String, String, Set)}, with CONSUME covering only the subscriptions
     * (and readers) whose names start with {@code subscriptionPrefix}.
     */
    default void grantPermission(String topic, String role, Set<AuthAction> actions, String subscriptionPrefix)
            throws TributaryClientException {
        Futures.await(grantPermissionAsync(topic, role, actions, subscriptionPrefix));
    }

    /** {@link #grantPermission(String, String, Set, String)} without blocking the caller. */
    CompletableFuture<Void> grantPermissionAsync(String topic, String role, Set<AuthAction> actions, String subscriptionPrefix);

    /**
     * Takes away everything {@code role} was granted on the topic (all its partitions); false if it had nothing there.
     * Calls and streams opened afterwards are refused; streams already open go on.
     */
    default boolean revokePermission(String topic, String role) throws TributaryClientException {
        return Futures.await(revokePermissionAsync(topic, role));
    }

    /** {@link #revokePermission(String, String)} without blocking the caller. */
    CompletableFuture<Boolean> revokePermissionAsync(String topic, String role);

    /** What each role was granted on the topic (all its partitions) itself (grants on its namespace are not listed). */
    default List<Permission> getPermissions(String topic) throws TributaryClientException {
        return Futures.await(getPermissionsAsync(topic));
    }

    /** {@link #getPermissions(String)} without blocking the caller. */
    CompletableFuture<List<Permission>> getPermissionsAsync(String topic);
}
