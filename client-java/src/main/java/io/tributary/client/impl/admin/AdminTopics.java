package io.tributary.client.impl.admin;

import io.tributary.api.v1.AdminServiceGrpc;
import io.tributary.api.v1.CreateTopicRequest;
import io.tributary.api.v1.DeleteTopicRequest;
import io.tributary.api.v1.GetTopicRequest;
import io.tributary.api.v1.GetTopicStatsRequest;
import io.tributary.api.v1.ListTopicsRequest;
import io.tributary.client.TributaryClientException;
import io.tributary.client.admin.AuthAction;
import io.tributary.client.admin.Permission;
import io.tributary.client.admin.TopicInfo;
import io.tributary.client.admin.TopicStats;
import io.tributary.client.admin.Topics;
import io.tributary.protocol.TopicName;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/** {@link Topics} over the AdminService; a partitioned topic's info and stats are gathered from its partitions. */
final class AdminTopics implements Topics {
    private final TributaryAdminImpl admin;

    private final AdminPermissions permissions;

    AdminTopics(TributaryAdminImpl admin) {
        this.admin = admin;
        this.permissions = new AdminPermissions(admin, true);
    }

    @Override
    public CompletableFuture<Void> createAsync(String topic, int partitions) {
        Objects.requireNonNull(topic, "topic");
        if (partitions < 0) {
            throw new IllegalArgumentException("the number of partitions must be >= 0 (0: not partitioned), was " + partitions);
        }
        return admin.call(AdminServiceGrpc.getCreateTopicMethod(),
                CreateTopicRequest.newBuilder().setTopic(topic).setPartitions(partitions).build(), false).thenApply(r -> null);
    }

    @Override
    public CompletableFuture<Void> deleteAsync(String topic) {
        Objects.requireNonNull(topic, "topic");
        return admin.call(AdminServiceGrpc.getDeleteTopicMethod(), DeleteTopicRequest.newBuilder().setTopic(topic).build(),
                false).thenApply(r -> null);
    }

    @Override
    public CompletableFuture<List<String>> listAsync(String namespace) {
        Objects.requireNonNull(namespace, "namespace");
        return admin.call(AdminServiceGrpc.getListTopicsMethod(), ListTopicsRequest.newBuilder().setNamespace(namespace).build(),
                true).thenApply(r -> List.copyOf(r.getTopicsList()));
    }

    @Override
    public CompletableFuture<Integer> getPartitionsAsync(String topic) {
        return withName(topic, admin::partitions);
    }

    @Override
    public CompletableFuture<TopicInfo> getInfoAsync(String topic) {
        return withName(topic, name -> admin.partitions(name).thenCompose(n -> {
            if (n == 0) {
                return info(name.toString());
            }
            return all(name, n, this::info).thenApply(parts -> AdminConversions.sumInfo(name.toString(), parts));
        }));
    }

    private CompletableFuture<TopicInfo> info(String topic) {
        return admin.call(AdminServiceGrpc.getGetTopicMethod(), GetTopicRequest.newBuilder().setTopic(topic).build(), true)
                .thenApply(AdminConversions::info);
    }

    @Override
    public CompletableFuture<TopicStats> getStatsAsync(String topic) {
        return withName(topic, name -> admin.partitions(name).thenCompose(n -> {
            if (n == 0) {
                return stats(name.toString(), name.partitionIndex());
            }
            List<CompletableFuture<TopicStats>> each = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                each.add(stats(name.partition(i).toString(), i));
            }
            return joinAll(each).thenApply(parts -> AdminConversions.sum(name.toString(), parts));
        }));
    }

    private CompletableFuture<TopicStats> stats(String topic, int partition) {
        return admin.call(AdminServiceGrpc.getGetTopicStatsMethod(), GetTopicStatsRequest.newBuilder().setTopic(topic).build(),
                true).thenApply(s -> AdminConversions.stats(s, partition));
    }

    /** {@code op} on each partition's name, in partition order. */
    private static <R> CompletableFuture<List<R>> all(TopicName name, int partitions, Function<String, CompletableFuture<R>> op) {
        List<CompletableFuture<R>> each = new ArrayList<>(partitions);
        for (int i = 0; i < partitions; i++) {
            each.add(op.apply(name.partition(i).toString()));
        }
        return joinAll(each);
    }

    /** The results in order once all completed; the first failure (in order) if any failed. */
    static <R> CompletableFuture<List<R>> joinAll(List<CompletableFuture<R>> each) {
        return CompletableFuture.allOf(each.toArray(CompletableFuture[]::new)).handle((v, t) -> {
            List<R> out = new ArrayList<>(each.size());
            for (CompletableFuture<R> f : each) {
                out.add(f.join());
            }
            return out;
        });
    }

    /** Runs {@code op} on the parsed name; a malformed name fails the future with InvalidTopicNameException. */
    static <R> CompletableFuture<R> withName(String topic, Function<TopicName, CompletableFuture<R>> op) {
        TopicName name;
        try {
            name = TributaryAdminImpl.topicName(topic);
        } catch (TributaryClientException e) {
            return CompletableFuture.failedFuture(e);
        }
        return op.apply(name);
    }

    @Override
    public CompletableFuture<Void> grantPermissionAsync(String topic, String role, Set<AuthAction> actions, String subscriptionPrefix) {
        return permissions.grant(topic, role, actions, subscriptionPrefix);
    }

    @Override
    public CompletableFuture<Boolean> revokePermissionAsync(String topic, String role) {
        return permissions.revoke(topic, role);
    }

    @Override
    public CompletableFuture<List<Permission>> getPermissionsAsync(String topic) {
        return permissions.get(topic);
    }
}
