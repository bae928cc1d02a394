package io.tributary.broker.auth;

import com.google.protobuf.Descriptors;
import io.grpc.MethodDescriptor;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.tributary.api.v1.AdminServiceGrpc;
import io.tributary.api.v1.AuthAction;
import io.tributary.api.v1.GetPermissionsRequest;
import io.tributary.api.v1.GrantPermissionRequest;
import io.tributary.api.v1.ListDeadLettersRequest;
import io.tributary.api.v1.LookupServiceGrpc;
import io.tributary.api.v1.MessagingServiceGrpc;
import io.tributary.api.v1.NamespacePolicies;
import io.tributary.api.v1.ProducerOpen;
import io.tributary.api.v1.RevokePermissionRequest;
import io.tributary.api.v1.SetNamespacePoliciesRequest;
import io.tributary.api.v1.TransactionServiceGrpc;
import io.tributary.protocol.SystemTopics;
import io.tributary.protocol.TopicName;
import io.tributary.security.auth.Principal;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * THE table of what every method of the client port needs; a method missing here is refused
 * ({@link AuthorizationInterceptor}), so a new RPC is closed until someone classifies it. Each
 * entry reads the resource from the request (for a stream: its first message, the open).
 *
 * <ul>
 *   <li>produce (on the topic or its namespace): Publish, Send</li>
 *   <li>consume (the subscription's name within the grant's prefix): Subscribe (readers too),
 *       Receive, Acknowledge, ChangeInvisibleDuration, NegativeAcknowledge, GetLastMessageId (its subscription, when one is named)</li>
 *   <li>produce, consume or admin on the topic: Lookup, GetPartitions, GetTopic, GetTopicStats</li>
 *   <li>produce, consume or admin on the whole namespace: ListTopics</li>
 *   <li>admin on the topic or its namespace: CreateTopic, DeleteTopic, DeleteSubscription,
 *       ResetSubscription, SkipMessages</li>
 *   <li>admin on the topic or its namespace: PeekDeadLetters, PurgeDeadLetters, RedriveDeadLetters (and
 *       produce on its target_topic when it names one), ListDeadLetters (of a topic; of a namespace: admin on it)</li>
 *   <li>admin on the namespace: GetNamespacePolicies, SetNamespacePolicies (a superuser for the
 *       {@linkplain #OPERATOR_POLICIES operator policies})</li>
 *   <li>tenant admin: CreateNamespace, DeleteNamespace, ListNamespaces, GrantPermission,
 *       RevokePermission, GetPermissions</li>
 *   <li>superuser: CreateTenant, DeleteTenant, ListTenants, SetTenantAdmins, ListBrokers,
 *       DrainBroker, ListBundles, UnloadBundle, SplitBundle, ListTransactions, ForceEndTransaction</li>
 *   <li>any authenticated role: the health service's Check and Watch, server reflection (v1); BeginTransaction,
 *       EndTransaction and CheckTransactions (the coordinator lets only the role that began a transaction end it
 *       or answer its checks)</li>
 * </ul>
 * Tenant admins pass every check inside their tenant and superusers every check.
 */
final class MethodPermissions {
    /** What a call needs, given its (first) request: null when allowed, else the reason it is refused. */
    @FunctionalInterface
    interface Check<Q> {
        String whyNot(AuthorizationService auth, Principal p, Q request);
    }

    static final Set<AuthAction> PRODUCE = EnumSet.of(AuthAction.PRODUCE);
    static final Set<AuthAction> CONSUME = EnumSet.of(AuthAction.CONSUME);
    static final Set<AuthAction> ADMIN = EnumSet.of(AuthAction.ADMIN);
    static final Set<AuthAction> ANY = EnumSet.of(AuthAction.PRODUCE, AuthAction.CONSUME, AuthAction.ADMIN);

    private final Map<String, Check<?>> table = new LinkedHashMap<>();

    private MethodPermissions() {}

    /** The check of {@code fullMethodName}, or null if the method is not classified. */
    @SuppressWarnings("unchecked")
    <Q> Check<Q> check(String fullMethodName) {
        return (Check<Q>) table.get(fullMethodName);
    }

    /** The classified methods' full names. */
    Set<String> methods() {
        return Collections.unmodifiableSet(table.keySet());
    }

    private <Q> void put(MethodDescriptor<Q, ?> method, Check<Q> check) {
        if (table.put(method.getFullMethodName(), check) != null) {
            throw new IllegalStateException(method.getFullMethodName() + " classified twice");
        }
    }

    static MethodPermissions create() {
        MethodPermissions m = new MethodPermissions();
        // ---- messaging
        m.put(MessagingServiceGrpc.getPublishMethod(), (a, p, r) -> !r.hasOpen()
                ? "a Publish stream must start with an open naming its topic"
                : initialSubscription(a, p, r.getOpen()));
        m.put(MessagingServiceGrpc.getSubscribeMethod(), (a, p, r) -> !r.hasOpen()
                ? "a Subscribe stream must start with an open naming its topic and subscription"
                : consume(a, p, r.getOpen().getTopic(), r.getOpen().getSubscription()));
        m.put(MessagingServiceGrpc.getReceiveMethod(), (a, p, r) -> consume(a, p, r.getTopic(), r.getSubscription()));
        m.put(MessagingServiceGrpc.getAcknowledgeMethod(), (a, p, r) -> consume(a, p, r.getTopic(), r.getSubscription()));
        m.put(MessagingServiceGrpc.getSendMethod(), (a, p, r) -> a.whyNotTopic(p, TopicName.of(r.getTopic()), PRODUCE, null, "produce on"));
        m.put(MessagingServiceGrpc.getChangeInvisibleDurationMethod(),
                (a, p, r) -> consume(a, p, r.getTopic(), r.getSubscription()));
        m.put(MessagingServiceGrpc.getNegativeAcknowledgeMethod(),
                (a, p, r) -> consume(a, p, r.getTopic(), r.getSubscription()));
        m.put(MessagingServiceGrpc.getGetLastMessageIdMethod(), (a, p, r) -> r.getSubscription().isEmpty()
                ? a.whyNotTopic(p, TopicName.of(r.getTopic()), CONSUME, null, "consume from")
                : consume(a, p, r.getTopic(), r.getSubscription()));
        // ---- lookup: a producer, a consumer and an admin (to reach the owner) all need it
        // the transaction log's owner is where every transaction call goes: any role may find it (the proxy looks it
        // up as the caller); what the log holds is only reached through TransactionService's own checks
        m.put(LookupServiceGrpc.getLookupMethod(), (a, p, r) -> SystemTopics.TRANSACTION_LOG.equals(TopicName.of(r.getTopic())
                .toString()) ? null : a.whyNotTopic(p, TopicName.of(r.getTopic()), ANY, null, "look up"));
        m.put(LookupServiceGrpc.getGetPartitionsMethod(),
                (a, p, r) -> a.whyNotTopic(p, TopicName.of(r.getTopic()), ANY, null, "read the partitions of"));
        // ---- admin: cluster
        m.put(AdminServiceGrpc.getCreateTenantMethod(), (a, p, r) -> a.whyNotSuperUser(p, "create tenant " + r.getTenant()));
        m.put(AdminServiceGrpc.getDeleteTenantMethod(), (a, p, r) -> a.whyNotSuperUser(p, "delete tenant " + r.getTenant()));
        m.put(AdminServiceGrpc.getListTenantsMethod(), (a, p, r) -> a.whyNotSuperUser(p, "list tenants"));
        m.put(AdminServiceGrpc.getSetTenantAdminsMethod(),
                (a, p, r) -> a.whyNotSuperUser(p, "set the admins of tenant " + r.getTenant()));
        m.put(AdminServiceGrpc.getListBrokersMethod(), (a, p, r) -> a.whyNotSuperUser(p, "list brokers"));
        m.put(AdminServiceGrpc.getDrainBrokerMethod(), (a, p, r) -> a.whyNotSuperUser(p, "drain broker " + r.getBrokerId()));
        m.put(AdminServiceGrpc.getListBundlesMethod(), (a, p, r) -> a.whyNotSuperUser(p, "list bundles"));
        m.put(AdminServiceGrpc.getUnloadBundleMethod(), (a, p, r) -> a.whyNotSuperUser(p, "unload a bundle"));
        m.put(AdminServiceGrpc.getSplitBundleMethod(), (a, p, r) -> a.whyNotSuperUser(p, "split a bundle"));
        // ---- admin: tenant
        m.put(AdminServiceGrpc.getCreateNamespaceMethod(), (a, p, r) -> a.whyNotTenantAdmin(p,
                tenantOfNamespace(r.getNamespace()), "create namespace " + r.getNamespace()));
        m.put(AdminServiceGrpc.getDeleteNamespaceMethod(), (a, p, r) -> a.whyNotTenantAdmin(p,
                tenantOfNamespace(r.getNamespace()), "delete namespace " + r.getNamespace()));
        m.put(AdminServiceGrpc.getListNamespacesMethod(), (a, p, r) -> a.whyNotTenantAdmin(p,
                TopicName.tenantOf(r.getTenant()), "list the namespaces of tenant " + r.getTenant()));
        m.put(AdminServiceGrpc.getGrantPermissionMethod(), (a, p, r) -> permissions(a, p,
                r.getResourceCase() == GrantPermissionRequest.ResourceCase.TOPIC ? r.getTopic() : null, r.getNamespace(), "grant permissions on"));
        m.put(AdminServiceGrpc.getRevokePermissionMethod(), (a, p, r) -> permissions(a, p,
                r.getResourceCase() == RevokePermissionRequest.ResourceCase.TOPIC ? r.getTopic() : null, r.getNamespace(), "revoke permissions on"));
        m.put(AdminServiceGrpc.getGetPermissionsMethod(), (a, p, r) -> permissions(a, p,
                r.getResourceCase() == GetPermissionsRequest.ResourceCase.TOPIC ? r.getTopic() : null, r.getNamespace(),
                "read the permissions of"));
        // ---- admin: namespace
        m.put(AdminServiceGrpc.getGetNamespacePoliciesMethod(), (a, p, r) -> a.whyNotNamespace(p,
                TopicName.namespaceOf(r.getNamespace()), ADMIN, "read the policies of namespace " + r.getNamespace()));
        m.put(AdminServiceGrpc.getSetNamespacePoliciesMethod(), (a, p, r) -> {
            List<String> operators = operatorPolicies(r);
            return operators.isEmpty()
                    ? a.whyNotNamespace(p, TopicName.namespaceOf(r.getNamespace()), ADMIN, "change the policies of namespace "
                            + r.getNamespace())
                    : a.whyNotSuperUser(p, "change " + String.join(", ", operators) + " of namespace " + r.getNamespace());
        });
        m.put(AdminServiceGrpc.getListTopicsMethod(), (a, p, r) -> a.whyNotNamespace(p,
                TopicName.namespaceOf(r.getNamespace()), ANY, "list the topics of namespace " + r.getNamespace()));
        // ---- admin: topic
        m.put(AdminServiceGrpc.getCreateTopicMethod(), (a, p, r) -> a.whyNotTopic(p, TopicName.of(r.getTopic()), ADMIN, null, "create"));
        m.put(AdminServiceGrpc.getDeleteTopicMethod(), (a, p, r) -> a.whyNotTopic(p, TopicName.of(r.getTopic()), ADMIN, null, "delete"));
        m.put(AdminServiceGrpc.getGetTopicMethod(), (a, p, r) -> a.whyNotTopic(p, TopicName.of(r.getTopic()), ANY, null, "describe"));
        m.put(AdminServiceGrpc.getGetTopicStatsMethod(),
                (a, p, r) -> a.whyNotTopic(p, TopicName.of(r.getTopic()), ANY, null, "read the stats of"));
        m.put(AdminServiceGrpc.getDeleteSubscriptionMethod(), (a, p, r) -> a.whyNotTopic(p, TopicName.of(r.getTopic()), ADMIN, null,
                "delete subscription '" + r.getSubscription() + "' of"));
        m.put(AdminServiceGrpc.getResetSubscriptionMethod(), (a, p, r) -> a.whyNotTopic(p, TopicName.of(r.getTopic()), ADMIN, null,
                "reset subscription '" + r.getSubscription() + "' of"));
        m.put(AdminServiceGrpc.getSkipMessagesMethod(), (a, p, r) -> a.whyNotTopic(p, TopicName.of(r.getTopic()), ADMIN, null,
                "skip messages of subscription '" + r.getSubscription() + "' of"));
        // ---- admin: dead letters (admin on the dead-letter topic or its namespace; a redrive elsewhere also produce there)
        m.put(AdminServiceGrpc.getListDeadLettersMethod(), (a, p, r) -> r.getScopeCase() == ListDeadLettersRequest.ScopeCase.TOPIC
                ? a.whyNotTopic(p, TopicName.of(r.getTopic()), ADMIN, null, "list the dead letters of")
                : a.whyNotNamespace(p, TopicName.namespaceOf(r.getNamespace()), ADMIN, "list the dead letters of namespace "
                        + r.getNamespace()));
        m.put(AdminServiceGrpc.getPeekDeadLettersMethod(), (a, p, r) -> a.whyNotTopic(p, TopicName.of(r.getTopic()), ADMIN, null,
                "peek the dead letters of"));
        m.put(AdminServiceGrpc.getRedriveDeadLettersMethod(), (a, p, r) -> {
            String admin = a.whyNotTopic(p, TopicName.of(r.getTopic()), ADMIN, null, "redrive the dead letters of");
            return admin != null || r.getTargetTopic().isEmpty() ? admin
                    : a.whyNotTopic(p, TopicName.of(r.getTargetTopic()), PRODUCE, null, "redrive dead letters to");
        });
        m.put(AdminServiceGrpc.getPurgeDeadLettersMethod(), (a, p, r) -> a.whyNotTopic(p, TopicName.of(r.getTopic()), ADMIN, null,
                "purge the dead letters of"));
        // ---- transactions: any authenticated role begins one; only the role that began a transaction ends it or
        // answers its check-backs (the coordinator checks), and its messages need produce on their topics (Send)
        m.put(TransactionServiceGrpc.getBeginTransactionMethod(), (a, p, r) -> null);
        m.put(TransactionServiceGrpc.getEndTransactionMethod(), (a, p, r) -> null);
        m.put(TransactionServiceGrpc.getCheckTransactionsMethod(), (a, p, r) -> null);
        m.put(TransactionServiceGrpc.getListTransactionsMethod(), (a, p, r) -> a.whyNotSuperUser(p, "list transactions"));
        m.put(TransactionServiceGrpc.getForceEndTransactionMethod(),
                (a, p, r) -> a.whyNotSuperUser(p, "end transaction " + r.getTransactionId()));
        // ---- health: any authenticated role (the broker serves it outside authentication anyway)
        m.put(HealthGrpc.getCheckMethod(), (a, p, r) -> null);
        m.put(HealthGrpc.getWatchMethod(), (a, p, r) -> null);
        // what services and messages exist is in the public .proto files already
        m.put(ServerReflectionGrpc.getServerReflectionInfoMethod(), (a, p, r) -> null);
        return m;
    }

    /** Produce on the topic; with an initial subscription to create, also consume of that subscription. */
    private static String initialSubscription(AuthorizationService a, Principal p, ProducerOpen open) {
        String produce = a.whyNotTopic(p, TopicName.of(open.getTopic()), PRODUCE, null, "produce on");
        return produce != null || open.getInitialSubscription().isEmpty() ? produce
                : consume(a, p, open.getTopic(), open.getInitialSubscription());
    }

    private static String consume(AuthorizationService a, Principal p, String topic, String subscription) {
        return a.whyNotTopic(p, TopicName.of(topic), CONSUME, subscription, "consume subscription '" + subscription + "' of");
    }

    /**
     * The policies that keep one team from hurting the others: rate limits, the limits on producers, consumers,
     * subscriptions, topics and message size, and replication. Only a superuser sets or clears them; a namespace's
     * or tenant's admin changes the others (retention, TTL, backlog quota, auto topic creation, deduplication,
     * subscription expiry).
     */
    static final Set<String> OPERATOR_POLICIES = Set.of("publish_rate_per_topic", "publish_rate_per_namespace",
            "dispatch_rate_per_subscription", "dispatch_rate_per_topic", "max_producers_per_topic",
            "max_consumers_per_topic", "max_subscriptions_per_topic", "max_topics_per_namespace", "max_message_size_bytes",
            "persistence");

    /** The operator policies a SetNamespacePolicies request sets or clears, in field order. */
    private static List<String> operatorPolicies(SetNamespacePoliciesRequest r) {
        Set<String> named = new TreeSet<>(r.getClearList());
        r.getPolicies().getAllFields().keySet().forEach(f -> named.add(f.getName()));
        return NamespacePolicies.getDescriptor().getFields().stream().map(Descriptors.FieldDescriptor::getName)
                .filter(n -> named.contains(n) && OPERATOR_POLICIES.contains(n)).toList();
    }

    private static String tenantOfNamespace(String namespace) {
        String ns = TopicName.namespaceOf(namespace);
        return ns.substring(0, ns.indexOf('/'));
    }

    private static String permissions(AuthorizationService a, Principal p, String topic, String namespace, String what) {
        GrantStore.Resource r = GrantStore.Resource.of(namespace, topic);
        return a.whyNotTenantAdmin(p, r.namespace().substring(0, r.namespace().indexOf('/')), what + " " + r);
    }
}
