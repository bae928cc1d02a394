package io.tributary.broker.service;

import io.grpc.stub.StreamObserver;
import io.tributary.api.v1.AdminServiceGrpc;
import io.tributary.api.v1.AuthAction;
import io.tributary.api.v1.BrokerInfo;
import io.tributary.api.v1.BundleInfo;
import io.tributary.api.v1.CreateNamespaceRequest;
import io.tributary.api.v1.CreateNamespaceResponse;
import io.tributary.api.v1.CreateTenantRequest;
import io.tributary.api.v1.CreateTenantResponse;
import io.tributary.api.v1.CreateTopicRequest;
import io.tributary.api.v1.CreateTopicResponse;
import io.tributary.api.v1.DeleteNamespaceRequest;
import io.tributary.api.v1.DeleteNamespaceResponse;
import io.tributary.api.v1.DeleteSubscriptionRequest;
import io.tributary.api.v1.DeleteSubscriptionResponse;
import io.tributary.api.v1.DeleteTenantRequest;
import io.tributary.api.v1.DeleteTenantResponse;
import io.tributary.api.v1.DeleteTopicRequest;
import io.tributary.api.v1.DeleteTopicResponse;
import io.tributary.api.v1.ErrorReason;
import io.tributary.api.v1.GetNamespacePoliciesRequest;
import io.tributary.api.v1.GetPermissionsRequest;
import io.tributary.api.v1.GetPermissionsResponse;
import io.tributary.api.v1.GetTopicRequest;
import io.tributary.api.v1.GetTopicResponse;
import io.tributary.api.v1.GetTopicStatsRequest;
import io.tributary.api.v1.GrantPermissionRequest;
import io.tributary.api.v1.GrantPermissionResponse;
import io.tributary.api.v1.InitialPosition;
import io.tributary.api.v1.ListBrokersRequest;
import io.tributary.api.v1.ListBrokersResponse;
import io.tributary.api.v1.ListBundlesRequest;
import io.tributary.api.v1.ListBundlesResponse;
import io.tributary.api.v1.ListDeadLettersRequest;
import io.tributary.api.v1.ListDeadLettersResponse;
import io.tributary.api.v1.ListNamespacesRequest;
import io.tributary.api.v1.ListNamespacesResponse;
import io.tributary.api.v1.ListTenantsRequest;
import io.tributary.api.v1.ListTenantsResponse;
import io.tributary.api.v1.ListTopicsRequest;
import io.tributary.api.v1.ListTopicsResponse;
import io.tributary.api.v1.MessageId;
import io.tributary.api.v1.NamespacePolicies;
import io.tributary.api.v1.PeekDeadLettersRequest;
import io.tributary.api.v1.PeekDeadLettersResponse;
import io.tributary.api.v1.PurgeDeadLettersRequest;
import io.tributary.api.v1.PurgeDeadLettersResponse;
import io.tributary.api.v1.RedriveDeadLettersRequest;
import io.tributary.api.v1.RedriveDeadLettersResponse;
import io.tributary.api.v1.ResetSubscriptionRequest;
import io.tributary.api.v1.ResetSubscriptionResponse;
import io.tributary.api.v1.RevokePermissionRequest;
import io.tributary.api.v1.RevokePermissionResponse;
import io.tributary.api.v1.SetNamespacePoliciesRequest;
import io.tributary.api.v1.SetTenantAdminsRequest;
import io.tributary.api.v1.SetTenantAdminsResponse;
import io.tributary.api.v1.SkipMessagesRequest;
import io.tributary.api.v1.SkipMessagesResponse;
import io.tributary.api.v1.TopicStats;
import io.tributary.broker.auth.GrantStore;
import io.tributary.broker.cluster.ClusterView;
import io.tributary.broker.loadmanager.LoadManager;
import io.tributary.broker.namespace.Bundle;
import io.tributary.broker.namespace.NamespaceService;
import io.tributary.broker.ownership.OwnershipService;
import io.tributary.broker.topic.CursorNotLoadedException;
import io.tributary.broker.topic.Topic;
import io.tributary.broker.topic.TopicService;
import io.tributary.internal.v1.BrokerRegistration;
import io.tributary.internal.v1.BundleLoad;
import io.tributary.internal.v1.LoadReport;
import io.tributary.protocol.ErrorReasons;
import io.tributary.protocol.SubscriptionName;
import io.tributary.protocol.TopicName;
import io.tributary.protocol.TributaryException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/** Tenants, namespaces and topics. Topic deletion must reach the topic's owner (the proxy routes it). */
public final class AdminServiceImpl extends AdminServiceGrpc.AdminServiceImplBase {
    private final NamespaceService namespaces;
    private final TopicService topics;
    private final LoadManager loadManager;
    private final OwnershipService ownership;
    private final ClusterView cluster;
    private final GrantStore grants;
    private final DeadLetterAdmin deadLetters;

    public AdminServiceImpl(NamespaceService namespaces, TopicService topics, LoadManager loadManager,
                            OwnershipService ownership, ClusterView cluster, GrantStore grants, DeadLetterAdmin deadLetters) {
        this.grants = grants;
        this.deadLetters = deadLetters;
        this.namespaces = namespaces;
        this.topics = topics;
        this.loadManager = loadManager;
        this.ownership = ownership;
        this.cluster = cluster;
    }

    @Override
    public void listDeadLetters(ListDeadLettersRequest req, StreamObserver<ListDeadLettersResponse> out) {
        Replies.reply(out, () -> deadLetters.list(req));
    }

    @Override
    public void peekDeadLetters(PeekDeadLettersRequest req, StreamObserver<PeekDeadLettersResponse> out) {
        Replies.reply(out, () -> deadLetters.peek(req));
    }

    @Override
    public void redriveDeadLetters(RedriveDeadLettersRequest req, StreamObserver<RedriveDeadLettersResponse> out) {
        Replies.reply(out, () -> deadLetters.redrive(req));
    }

    @Override
    public void purgeDeadLetters(PurgeDeadLettersRequest req, StreamObserver<PurgeDeadLettersResponse> out) {
        Replies.reply(out, () -> deadLetters.purge(req));
    }

    @Override
    public void listBrokers(ListBrokersRequest req, StreamObserver<ListBrokersResponse> out) {
        Replies.reply(out, () -> cluster.brokers().thenCombine(cluster.loadReports(), (brokers, loads) -> new Object[] {brokers, loads})
                .thenCombine(cluster.leader(), (pair, leader) -> {
                    @SuppressWarnings("unchecked")
                    Map<String, BrokerRegistration> brokers = (Map<String, BrokerRegistration>) pair[0];
                    @SuppressWarnings("unchecked")
                    Map<String, LoadReport> loads = (Map<String, LoadReport>) pair[1];
                    ListBrokersResponse.Builder r = ListBrokersResponse.newBuilder();
                    for (BrokerRegistration b : brokers.values()) {
                        LoadReport l = loads.getOrDefault(b.getBrokerId(), LoadReport.getDefaultInstance());
                        r.addBrokers(BrokerInfo.newBuilder().setBrokerId(b.getBrokerId()).setAddress(b.getAddress())
                                .setLeader(leader.isPresent() && leader.get()[0].equals(b.getBrokerId()))
                                .setDraining(l.getDraining()).setBundles(l.getBundlesCount()).setTopics(l.getTopics())
                                .setMsgRateIn(l.getMsgRateIn()).setMsgRateOut(l.getMsgRateOut()).setCpuUsage(l.getCpuUsage())
                                .setStartTimeMs(b.getStartTimeMs()));
                    }
                    return r.build();
                }));
    }

    @Override
    public void drainBroker(io.tributary.api.v1.DrainBrokerRequest req, StreamObserver<io.tributary.api.v1.DrainBrokerResponse> out) {
        Replies.reply(out, () -> {
            if (req.getBrokerId().isEmpty()) {
                throw new io.tributary.protocol.TributaryException(io.tributary.api.v1.ErrorReason.INVALID_REQUEST, "a broker id is required");
            }
            return loadManager.drain(req.getBrokerId())
                    .thenApply(n -> io.tributary.api.v1.DrainBrokerResponse.newBuilder().setBundlesMoved(n).build());
        });
    }

    @Override
    public void listBundles(ListBundlesRequest req, StreamObserver<ListBundlesResponse> out) {
        Replies.reply(out, () -> {
            CompletableFuture<List<String>> nss = req.getNamespace().isEmpty()
                    ? namespaces.allNamespaces() : CompletableFuture.completedFuture(List.of(TopicName.namespaceOf(req.getNamespace())));
            return nss.thenCombine(cluster.loadReports(), (names, loads) -> new Object[] {names, loads}).thenCompose(pair -> {
                @SuppressWarnings("unchecked")
                List<String> names = (List<String>) pair[0];
                @SuppressWarnings("unchecked")
                Map<String, LoadReport> loads = (Map<String, LoadReport>) pair[1];
                Map<String, BundleLoad> byName = new HashMap<>();
                loads.values().forEach(l -> l.getBundlesList().forEach(b -> byName.put(b.getNamespace() + "/" + b.getBundle(), b)));
                List<CompletableFuture<List<BundleInfo>>> perNs = names.stream().map(ns -> namespaces.bundles(ns).thenCompose(bs -> {
                    List<CompletableFuture<BundleInfo>> each = bs.stream().map(b -> ownership.ownerOf(b).thenApply(o -> {
                        BundleLoad l = byName.getOrDefault(ns + "/" + b.name(), BundleLoad.getDefaultInstance());
                        BundleInfo.Builder i = BundleInfo.newBuilder().setNamespace(ns).setBundle(b.name())
                                .setMsgRateIn(l.getMsgRateIn()).setMsgRateOut(l.getMsgRateOut()).setTopics(l.getTopics());
                        o.ifPresent(owner -> i.setOwnerBrokerId(owner.brokerId()).setOwnerAddress(owner.address()));
                        return i.build();
                    })).toList();
                    return CompletableFuture.allOf(each.toArray(CompletableFuture[]::new))
                            .thenApply(v -> each.stream().map(CompletableFuture::join).toList());
                })).toList();
                return CompletableFuture.allOf(perNs.toArray(CompletableFuture[]::new))
                        .thenApply(v -> ListBundlesResponse.newBuilder()
                                .addAllBundles(perNs.stream().flatMap(f -> f.join().stream()).toList()).build());
            });
        });
    }

    @Override
    public void unloadBundle(io.tributary.api.v1.UnloadBundleRequest req, StreamObserver<io.tributary.api.v1.UnloadBundleResponse> out) {
        Replies.reply(out, () -> namespaces.bundle(TopicName.namespaceOf(req.getNamespace()), req.getBundle())
                .thenCompose(b -> loadManager.unloadBundle(b, req.getDestinationBrokerId(), "admin"))
                .thenApply(o -> io.tributary.api.v1.UnloadBundleResponse.newBuilder()
                        .setNewOwnerBrokerId(o.brokerId()).setNewOwnerAddress(o.address()).build()));
    }

    @Override
    public void splitBundle(io.tributary.api.v1.SplitBundleRequest req, StreamObserver<io.tributary.api.v1.SplitBundleResponse> out) {
        Replies.reply(out, () -> namespaces.bundle(TopicName.namespaceOf(req.getNamespace()), req.getBundle())
                .thenCompose(b -> loadManager.split(b, "admin"))
                .thenApply(names -> io.tributary.api.v1.SplitBundleResponse.newBuilder().addAllBundles(names).build()));
    }

    @Override
    public void createTenant(CreateTenantRequest req, StreamObserver<CreateTenantResponse> out) {
        Replies.reply(out, () -> namespaces.createTenant(req.getTenant(), req.getAdminRolesList())
                .thenApply(v -> CreateTenantResponse.getDefaultInstance()));
    }

    @Override
    public void deleteTenant(DeleteTenantRequest req, StreamObserver<DeleteTenantResponse> out) {
        Replies.reply(out, () -> namespaces.deleteTenant(req.getTenant()).thenApply(v -> DeleteTenantResponse.getDefaultInstance()));
    }

    @Override
    public void listTenants(ListTenantsRequest req, StreamObserver<ListTenantsResponse> out) {
        Replies.reply(out, () -> namespaces.tenants().thenApply(ts -> ListTenantsResponse.newBuilder().addAllTenants(ts).build()));
    }

    @Override
    public void createNamespace(CreateNamespaceRequest req, StreamObserver<CreateNamespaceResponse> out) {
        Replies.reply(out, () -> namespaces.createNamespace(req.getNamespace(), req.getBundles())
                .thenApply(v -> CreateNamespaceResponse.getDefaultInstance()));
    }

    @Override
    public void deleteNamespace(DeleteNamespaceRequest req, StreamObserver<DeleteNamespaceResponse> out) {
        Replies.reply(out, () -> namespaces.deleteNamespace(req.getNamespace()).thenApply(v -> DeleteNamespaceResponse.getDefaultInstance()));
    }

    @Override
    public void listNamespaces(ListNamespacesRequest req, StreamObserver<ListNamespacesResponse> out) {
        Replies.reply(out, () -> namespaces.namespaces(req.getTenant())
                .thenApply(ns -> ListNamespacesResponse.newBuilder().addAllNamespaces(ns).build()));
    }

    @Override
    public void createTopic(CreateTopicRequest req, StreamObserver<CreateTopicResponse> out) {
        Replies.reply(out, () -> topics.createTopic(TopicName.of(req.getTopic()), req.getPartitions())
                .thenApply(v -> CreateTopicResponse.getDefaultInstance()));
    }

    @Override
    public void deleteTopic(DeleteTopicRequest req, StreamObserver<DeleteTopicResponse> out) {
        Replies.reply(out, () -> topics.deleteTopic(TopicName.of(req.getTopic())).thenApply(v -> DeleteTopicResponse.getDefaultInstance()));
    }

    @Override
    public void listTopics(ListTopicsRequest req, StreamObserver<ListTopicsResponse> out) {
        Replies.reply(out, () -> topics.listTopics(TopicName.namespaceOf(req.getNamespace()))
                .thenApply(ts -> ListTopicsResponse.newBuilder().addAllTopics(ts).build()));
    }

    @Override
    public void getTopic(GetTopicRequest req, StreamObserver<GetTopicResponse> out) {
        Replies.reply(out, () -> {
            TopicName name = TopicName.of(req.getTopic());
            return topics.partitions(name).thenCompose(p -> {
                if (p > 0) {
                    return CompletableFuture.completedFuture(GetTopicResponse.newBuilder().setTopic(name.toString()).setPartitions(p).build());
                }
                return topics.topic(name, false).thenCompose(t -> t.subscriptionNames().thenApply(subs -> GetTopicResponse.newBuilder()
                        .setTopic(name.toString())
                        .addAllSubscriptions(subs)
                        .setEntries(t.log().numberOfEntries())
                        .setSizeBytes(t.log().sizeBytes())
                        .setLedgers(t.log().ledgerCount())
                        .build()));
            });
        });
    }

    @Override
    public void getTopicStats(GetTopicStatsRequest req, StreamObserver<TopicStats> out) {
        Replies.reply(out, () -> {
            TopicName name = TopicName.of(req.getTopic());
            return topics.partitions(name).thenCompose(p -> {
                if (p > 0) {
                    throw new TributaryException(ErrorReason.NOT_ALLOWED, "topic " + name + " is partitioned; ask for the stats of "
                            + name.partition(0) + " ... " + name.partition(p - 1) + " (the proxy and the CLI sum them)");
                }
                return topics.topic(name, false).thenCompose(Topic::stats);
            });
        });
    }

    @Override
    public void getNamespacePolicies(GetNamespacePoliciesRequest req, StreamObserver<NamespacePolicies> out) {
        Replies.reply(out, () -> namespaces.policies(TopicName.namespaceOf(req.getNamespace()))
                .thenApply(p -> p.getPolicies()));
    }

    @Override
    public void setNamespacePolicies(SetNamespacePoliciesRequest req, StreamObserver<NamespacePolicies> out) {
        Replies.reply(out, () -> namespaces.setPolicies(TopicName.namespaceOf(req.getNamespace()), req.getPolicies(),
                req.getClearList()));
    }

    @Override
    public void deleteSubscription(DeleteSubscriptionRequest req, StreamObserver<DeleteSubscriptionResponse> out) {
        Replies.reply(out, () -> {
            TopicName topic = TopicName.of(req.getTopic());
            String sub = requireSubscription(req.getSubscription());
            return topics.topic(topic, false)
                    .thenCompose(t -> t.deleteSubscription(sub, req.getForce()))
                    .exceptionallyCompose(e -> ErrorReasons.unwrap(e) instanceof CursorNotLoadedException c
                            && c.subscriptions().contains(sub)
                            // the topic is not served because of this very subscription: delete it as stored
                            ? topics.deleteUnloadableSubscription(topic, sub)
                            : CompletableFuture.failedFuture(e))
                    .thenApply(v -> DeleteSubscriptionResponse.getDefaultInstance());
        });
    }

    @Override
    public void resetSubscription(ResetSubscriptionRequest req, StreamObserver<ResetSubscriptionResponse> out) {
        Replies.reply(out, () -> {
            String sub = requireSubscription(req.getSubscription());
            MessageId id = req.getTargetCase() == ResetSubscriptionRequest.TargetCase.MESSAGE_ID ? req.getMessageId() : null;
            Long time = req.getTargetCase() == ResetSubscriptionRequest.TargetCase.PUBLISH_TIME_MS ? req.getPublishTimeMs() : null;
            InitialPosition position = req.getTargetCase() == ResetSubscriptionRequest.TargetCase.POSITION ? req.getPosition() : null;
            return topics.topic(TopicName.of(req.getTopic()), false)
                    .thenCompose(t -> t.resetSubscription(sub, id, time, position))
                    .thenApply(v -> ResetSubscriptionResponse.getDefaultInstance());
        });
    }

    @Override
    public void skipMessages(SkipMessagesRequest req, StreamObserver<SkipMessagesResponse> out) {
        Replies.reply(out, () -> {
            String sub = requireSubscription(req.getSubscription());
            if (req.getMessages() <= 0) {
                throw new TributaryException(ErrorReason.INVALID_REQUEST,
                        "the number of messages to skip must be > 0, was " + req.getMessages());
            }
            return topics.topic(TopicName.of(req.getTopic()), false)
                    .thenCompose(t -> t.skipMessages(sub, req.getMessages()))
                    .thenApply(n -> SkipMessagesResponse.newBuilder().setSkipped(n).build());
        });
    }

    @Override
    public void grantPermission(GrantPermissionRequest req, StreamObserver<GrantPermissionResponse> out) {
        Replies.reply(out, () -> grants.grant(resource(req.getNamespace(),
                        req.getResourceCase() == GrantPermissionRequest.ResourceCase.TOPIC ? req.getTopic() : null),
                        req.getRole(), actions(req.getActionsList()), req.getSubscriptionPrefix())
                .thenApply(v -> GrantPermissionResponse.getDefaultInstance()));
    }

    @Override
    public void revokePermission(RevokePermissionRequest req, StreamObserver<RevokePermissionResponse> out) {
        Replies.reply(out, () -> grants.revoke(resource(req.getNamespace(),
                        req.getResourceCase() == RevokePermissionRequest.ResourceCase.TOPIC ? req.getTopic() : null), req.getRole())
                .thenApply(found -> RevokePermissionResponse.newBuilder().setRevoked(found).build()));
    }

    @Override
    public void getPermissions(GetPermissionsRequest req, StreamObserver<GetPermissionsResponse> out) {
        Replies.reply(out, () -> grants.grants(resource(req.getNamespace(),
                        req.getResourceCase() == GetPermissionsRequest.ResourceCase.TOPIC ? req.getTopic() : null))
                .thenApply(list -> GetPermissionsResponse.newBuilder().addAllGrants(list).build()));
    }

    @Override
    public void setTenantAdmins(SetTenantAdminsRequest req, StreamObserver<SetTenantAdminsResponse> out) {
        Replies.reply(out, () -> grants.setTenantAdmins(req.getTenant(), req.getAdminRolesList())
                .thenApply(v -> SetTenantAdminsResponse.getDefaultInstance()));
    }

    private static GrantStore.Resource resource(String namespace, String topic) {
        if ((topic == null || topic.isEmpty()) && namespace.isEmpty()) {
            throw new TributaryException(ErrorReason.INVALID_REQUEST, "name a namespace or a topic");
        }
        return GrantStore.Resource.of(namespace, topic);
    }

    private static java.util.Set<AuthAction> actions(List<AuthAction> list) {
        java.util.Set<AuthAction> out = java.util.EnumSet.noneOf(AuthAction.class);
        out.addAll(list);
        return out;
    }

    private static String requireSubscription(String s) {
        return SubscriptionName.check(s);
    }
}
