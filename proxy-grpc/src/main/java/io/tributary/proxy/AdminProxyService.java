package io.tributary.proxy;

import io.grpc.CallOptions;
import io.grpc.Context;
import io.grpc.MethodDescriptor;
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
import io.tributary.api.v1.DeleteSubscriptionRequest;
import io.tributary.api.v1.DeleteSubscriptionResponse;
import io.tributary.api.v1.DeleteTenantRequest;
import io.tributary.api.v1.DeleteTenantResponse;
import io.tributary.api.v1.DeleteTopicRequest;
import io.tributary.api.v1.DeleteTopicResponse;
import io.tributary.api.v1.DrainBrokerRequest;
import io.tributary.api.v1.DrainBrokerResponse;
import io.tributary.api.v1.GetNamespacePoliciesRequest;
import io.tributary.api.v1.GetPermissionsRequest;
import io.tributary.api.v1.GetPermissionsResponse;
import io.tributary.api.v1.GetTopicRequest;
import io.tributary.api.v1.GetTopicResponse;
import io.tributary.api.v1.GetTopicStatsRequest;
import io.tributary.api.v1.GrantPermissionRequest;
import io.tributary.api.v1.GrantPermissionResponse;
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
import io.tributary.api.v1.SplitBundleRequest;
import io.tributary.api.v1.SplitBundleResponse;
import io.tributary.api.v1.TopicStats;
import io.tributary.api.v1.UnloadBundleRequest;
import io.tributary.api.v1.UnloadBundleResponse;
import io.tributary.protocol.TopicName;

/**
 * {@code AdminService} as the proxy serves it: calls go to one of the configured brokers (the next one while a
 * broker is unavailable), except the calls about one topic (DeleteTopic, GetTopic, GetTopicStats, the
 * subscription calls, and peek, redrive and purge of a dead-letter topic), which go to the topic's owner. Errors reach the client with their status and trailers
 * unchanged; the client's deadline and cancellation carry over to the broker call.
 */
public final class AdminProxyService extends AdminServiceGrpc.AdminServiceImplBase {
    private final KnownBrokers brokers;
    private final OwnerForwarder owners;

    public AdminProxyService(KnownBrokers brokers, OwnerLookup lookup) {
        this.brokers = brokers;
        this.owners = new OwnerForwarder(lookup, brokers.channels());
    }

    private <Q, R> void toAnyBroker(MethodDescriptor<Q, R> method, Q request, StreamObserver<R> out) {
        OwnerForwarder.relay(brokers.call(method, request, CallOptions.DEFAULT, Context.current()), out);
    }

    @Override
    public void createTenant(CreateTenantRequest request, StreamObserver<CreateTenantResponse> responseObserver) {
        toAnyBroker(AdminServiceGrpc.getCreateTenantMethod(), request, responseObserver);
    }

    @Override
    public void deleteTenant(DeleteTenantRequest request, StreamObserver<DeleteTenantResponse> responseObserver) {
        toAnyBroker(AdminServiceGrpc.getDeleteTenantMethod(), request, responseObserver);
    }

    @Override
    public void listTenants(ListTenantsRequest request, StreamObserver<ListTenantsResponse> responseObserver) {
        toAnyBroker(AdminServiceGrpc.getListTenantsMethod(), request, responseObserver);
    }

    @Override
    public void createNamespace(CreateNamespaceRequest request, StreamObserver<CreateNamespaceResponse> responseObserver) {
        toAnyBroker(AdminServiceGrpc.getCreateNamespaceMethod(), request, responseObserver);
    }

    @Override
    public void deleteNamespace(DeleteNamespaceRequest request, StreamObserver<DeleteNamespaceResponse> responseObserver) {
        toAnyBroker(AdminServiceGrpc.getDeleteNamespaceMethod(), request, responseObserver);
    }

    @Override
    public void listNamespaces(ListNamespacesRequest request, StreamObserver<ListNamespacesResponse> responseObserver) {
        toAnyBroker(AdminServiceGrpc.getListNamespacesMethod(), request, responseObserver);
    }

    @Override
    public void createTopic(CreateTopicRequest request, StreamObserver<CreateTopicResponse> responseObserver) {
        toAnyBroker(AdminServiceGrpc.getCreateTopicMethod(), request, responseObserver);
    }

    /** Goes to the topic's owner, found by lookup (retried once on NOT_OWNER). */
    @Override
    public void deleteTopic(DeleteTopicRequest request, StreamObserver<DeleteTopicResponse> responseObserver) {
        TopicName topic = MessagingProxyService.topicOrFail(request.getTopic(), responseObserver);
        if (topic != null) {
            owners.forward(topic, AdminServiceGrpc.getDeleteTopicMethod(), request, responseObserver);
        }
    }

    @Override
    public void listTopics(ListTopicsRequest request, StreamObserver<ListTopicsResponse> responseObserver) {
        toAnyBroker(AdminServiceGrpc.getListTopicsMethod(), request, responseObserver);
    }

    /** Goes to the topic's owner: the stats live there. */
    @Override
    public void getTopic(GetTopicRequest request, StreamObserver<GetTopicResponse> responseObserver) {
        TopicName topic = MessagingProxyService.topicOrFail(request.getTopic(), responseObserver);
        if (topic != null) {
            owners.forward(topic, AdminServiceGrpc.getGetTopicMethod(), request, responseObserver);
        }
    }

    @Override
    public void listBrokers(ListBrokersRequest request, StreamObserver<ListBrokersResponse> responseObserver) {
        toAnyBroker(AdminServiceGrpc.getListBrokersMethod(), request, responseObserver);
    }

    @Override
    public void drainBroker(DrainBrokerRequest request, StreamObserver<DrainBrokerResponse> responseObserver) {
        toAnyBroker(AdminServiceGrpc.getDrainBrokerMethod(), request, responseObserver);
    }

    @Override
    public void listBundles(ListBundlesRequest request, StreamObserver<ListBundlesResponse> responseObserver) {
        toAnyBroker(AdminServiceGrpc.getListBundlesMethod(), request, responseObserver);
    }

    @Override
    public void unloadBundle(UnloadBundleRequest request, StreamObserver<UnloadBundleResponse> responseObserver) {
        toAnyBroker(AdminServiceGrpc.getUnloadBundleMethod(), request, responseObserver);
    }

    /** Grants live in ZooKeeper: any broker writes them, and every broker's watch picks them up. */
    @Override
    public void grantPermission(GrantPermissionRequest request, StreamObserver<GrantPermissionResponse> responseObserver) {
        toAnyBroker(AdminServiceGrpc.getGrantPermissionMethod(), request, responseObserver);
    }

    @Override
    public void revokePermission(RevokePermissionRequest request, StreamObserver<RevokePermissionResponse> responseObserver) {
        toAnyBroker(AdminServiceGrpc.getRevokePermissionMethod(), request, responseObserver);
    }

    @Override
    public void getPermissions(GetPermissionsRequest request, StreamObserver<GetPermissionsResponse> responseObserver) {
        toAnyBroker(AdminServiceGrpc.getGetPermissionsMethod(), request, responseObserver);
    }

    @Override
    public void setTenantAdmins(SetTenantAdminsRequest request, StreamObserver<SetTenantAdminsResponse> responseObserver) {
        toAnyBroker(AdminServiceGrpc.getSetTenantAdminsMethod(), request, responseObserver);
    }

    @Override
    public void splitBundle(SplitBundleRequest request, StreamObserver<SplitBundleResponse> responseObserver) {
        toAnyBroker(AdminServiceGrpc.getSplitBundleMethod(), request, responseObserver);
    }

    /** Goes to the topic's owner: the stats live there. */
    @Override
    public void getTopicStats(GetTopicStatsRequest request, StreamObserver<TopicStats> responseObserver) {
        TopicName topic = MessagingProxyService.topicOrFail(request.getTopic(), responseObserver);
        if (topic != null) {
            owners.forward(topic, AdminServiceGrpc.getGetTopicStatsMethod(), request, responseObserver);
        }
    }

    @Override
    public void listDeadLetters(ListDeadLettersRequest request, StreamObserver<ListDeadLettersResponse> responseObserver) {
        // any broker: it asks each dead-letter topic's owner
        toAnyBroker(AdminServiceGrpc.getListDeadLettersMethod(), request, responseObserver);
    }

    @Override
    public void peekDeadLetters(PeekDeadLettersRequest request, StreamObserver<PeekDeadLettersResponse> responseObserver) {
        TopicName topic = MessagingProxyService.topicOrFail(request.getTopic(), responseObserver);
        if (topic != null) {
            owners.forward(topic, AdminServiceGrpc.getPeekDeadLettersMethod(), request, responseObserver);
        }
    }

    @Override
    public void redriveDeadLetters(RedriveDeadLettersRequest request, StreamObserver<RedriveDeadLettersResponse> responseObserver) {
        TopicName topic = MessagingProxyService.topicOrFail(request.getTopic(), responseObserver);
        if (topic != null) {
            owners.forward(topic, AdminServiceGrpc.getRedriveDeadLettersMethod(), request, responseObserver);
        }
    }

    @Override
    public void purgeDeadLetters(PurgeDeadLettersRequest request, StreamObserver<PurgeDeadLettersResponse> responseObserver) {
        TopicName topic = MessagingProxyService.topicOrFail(request.getTopic(), responseObserver);
        if (topic != null) {
            owners.forward(topic, AdminServiceGrpc.getPurgeDeadLettersMethod(), request, responseObserver);
        }
    }

    @Override
    public void getNamespacePolicies(GetNamespacePoliciesRequest request, StreamObserver<NamespacePolicies> responseObserver) {
        toAnyBroker(AdminServiceGrpc.getGetNamespacePoliciesMethod(), request, responseObserver);
    }

    @Override
    public void setNamespacePolicies(SetNamespacePoliciesRequest request, StreamObserver<NamespacePolicies> responseObserver) {
        toAnyBroker(AdminServiceGrpc.getSetNamespacePoliciesMethod(), request, responseObserver);
    }

    /** Goes to the topic's owner, which holds the subscription's cursor. */
    @Override
    public void deleteSubscription(DeleteSubscriptionRequest request, StreamObserver<DeleteSubscriptionResponse> responseObserver) {
        TopicName topic = MessagingProxyService.topicOrFail(request.getTopic(), responseObserver);
        if (topic != null) {
            owners.forward(topic, AdminServiceGrpc.getDeleteSubscriptionMethod(), request, responseObserver);
        }
    }

    /** Goes to the topic's owner, which holds the subscription's cursor. */
    @Override
    public void resetSubscription(ResetSubscriptionRequest request, StreamObserver<ResetSubscriptionResponse> responseObserver) {
        TopicName topic = MessagingProxyService.topicOrFail(request.getTopic(), responseObserver);
        if (topic != null) {
            owners.forward(topic, AdminServiceGrpc.getResetSubscriptionMethod(), request, responseObserver);
        }
    }

    /** Goes to the topic's owner, which holds the subscription's cursor. */
    @Override
    public void skipMessages(SkipMessagesRequest request, StreamObserver<SkipMessagesResponse> responseObserver) {
        TopicName topic = MessagingProxyService.topicOrFail(request.getTopic(), responseObserver);
        if (topic != null) {
            owners.forward(topic, AdminServiceGrpc.getSkipMessagesMethod(), request, responseObserver);
        }
    }
}
