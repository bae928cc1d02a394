package io.tributary.broker.service;

import io.grpc.stub.StreamObserver;
import io.tributary.api.v1.AdminServiceGrpc;
import io.tributary.api.v1.CreateNamespaceRequest;
import io.tributary.api.v1.CreateNamespaceResponse;
import io.tributary.api.v1.CreateTenantRequest;
import io.tributary.api.v1.CreateTenantResponse;
import io.tributary.api.v1.CreateTopicRequest;
import io.tributary.api.v1.CreateTopicResponse;
import io.tributary.api.v1.DeleteNamespaceRequest;
import io.tributary.api.v1.DeleteNamespaceResponse;
import io.tributary.api.v1.DeleteTenantRequest;
import io.tributary.api.v1.DeleteTenantResponse;
import io.tributary.api.v1.DeleteTopicRequest;
import io.tributary.api.v1.DeleteTopicResponse;
import io.tributary.api.v1.GetTopicRequest;
import io.tributary.api.v1.GetTopicResponse;
import io.tributary.api.v1.ListNamespacesRequest;
import io.tributary.api.v1.ListNamespacesResponse;
import io.tributary.api.v1.ListTenantsRequest;
import io.tributary.api.v1.ListTenantsResponse;
import io.tributary.api.v1.ListTopicsRequest;
import io.tributary.api.v1.ListTopicsResponse;
import io.tributary.broker.namespace.NamespaceService;
import io.tributary.broker.topic.TopicService;
import io.tributary.protocol.TopicName;
import java.util.concurrent.CompletableFuture;

/** Tenants, namespaces and topics. Topic deletion must reach the topic's owner (the proxy routes it). */
public final class AdminServiceImpl extends AdminServiceGrpc.AdminServiceImplBase {
    private final NamespaceService namespaces;
    private final TopicService topics;

    public AdminServiceImpl(NamespaceService namespaces, TopicService topics) {
        this.namespaces = namespaces;
        this.topics = topics;
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
}
