package io.tributary.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.AbstractStub;
import io.grpc.stub.StreamObserver;
import io.tributary.api.v1.AcknowledgeRequest;
import io.tributary.api.v1.AdminServiceGrpc;
import io.tributary.api.v1.AuthAction;
import io.tributary.api.v1.CreateNamespaceRequest;
import io.tributary.api.v1.CreateTenantRequest;
import io.tributary.api.v1.DeleteTopicRequest;
import io.tributary.api.v1.ErrorReason;
import io.tributary.api.v1.GetNamespacePoliciesRequest;
import io.tributary.api.v1.GetPermissionsRequest;
import io.tributary.api.v1.GetTopicStatsRequest;
import io.tributary.api.v1.GrantPermissionRequest;
import io.tributary.api.v1.ListBrokersRequest;
import io.tributary.api.v1.ListTenantsRequest;
import io.tributary.api.v1.ListTopicsRequest;
import io.tributary.api.v1.LookupRequest;
import io.tributary.api.v1.LookupServiceGrpc;
import io.tributary.api.v1.MessageId;
import io.tributary.api.v1.MessagingServiceGrpc;
import io.tributary.api.v1.NamespacePolicies;
import io.tributary.api.v1.ProducerOpen;
import io.tributary.api.v1.PublishBatch;
import io.tributary.api.v1.PublishRequest;
import io.tributary.api.v1.PublishResponse;
import io.tributary.api.v1.Rate;
import io.tributary.api.v1.ReceiveRequest;
import io.tributary.api.v1.RevokePermissionRequest;
import io.tributary.api.v1.SetNamespacePoliciesRequest;
import io.tributary.api.v1.SetTenantAdminsRequest;
import io.tributary.api.v1.SingleMessage;
import io.tributary.api.v1.SubscribeOpen;
import io.tributary.api.v1.SubscribeRequest;
import io.tributary.api.v1.SubscribeResponse;
import io.tributary.api.v1.SubscriptionType;
import io.tributary.broker.Broker;
import io.tributary.broker.BrokerConfig;
import io.tributary.broker.auth.AuthorizationConfig;
import io.tributary.protocol.EntryCodec;
import io.tributary.protocol.ErrorReasons;
import io.tributary.protocol.security.BearerCredentials;
import io.tributary.proxy.ProxyConfig;
import io.tributary.proxy.ProxyServer;
import io.tributary.security.auth.Tokens;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A broker with token authentication and authorization on, and a proxy in front of it: each role
 * may do what its grants, its tenant or its superuser status allow, and is refused the rest with
 * PERMISSION_DENIED naming what it lacks. Tokens are real (HS256, key made here) and sent on raw
 * gRPC stubs.
 */
class AuthorizationTest {
    @TempDir
    static Path dir;
    static InProcessCluster cluster;
    static ProxyServer proxy;
    static Path secret;
    static ManagedChannel toBroker;
    static ManagedChannel toProxy;
    final List<StreamObserver<?>> streams = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        secret = dir.resolve("secret.key");
        Tokens.createSecretKey(secret);
        Path brokerToken = Files.writeString(dir.resolve("broker.token"), token("broker"));
        Path proxyToken = Files.writeString(dir.resolve("proxy.token"), token("proxy"));
        BrokerConfig secure = BrokerConfig.fromProperties(props(
                "broker.authentication.enabled", "true", "broker.authentication.secretKeyFile", secret.toString(),
                "broker.authentication.proxyRoles", "proxy",
                "broker.internal.port", "0", "broker.internal.roles", "broker",
                "broker.internal.client.authTokenFile", brokerToken.toString(),
                "broker.authorization.enabled", "true", "broker.superUserRoles", "root,broker"), Map.of());
        cluster = new InProcessCluster(dir.toFile());
        Broker broker = cluster.addBroker(c -> c.toBuilder().authentication(secure.authentication()).internal(secure.internal())
                .authorization(secure.authorization()).build());
        proxy = new ProxyServer(ProxyConfig.fromProperties(props(
                "proxy.brokerServiceUrl", broker.address(), "proxy.bindAddress", "127.0.0.1", "proxy.port", "0",
                "proxy.metricsPort", "-1", "proxy.httpPort", "-1", "proxy.authentication.enabled", "true",
                "proxy.authentication.secretKeyFile", secret.toString(),
                "proxy.brokerClient.authTokenFile", proxyToken.toString()), Map.of())).start();
        toBroker = NettyChannelBuilder.forTarget(broker.address()).usePlaintext().build();
        toProxy = NettyChannelBuilder.forTarget("127.0.0.1:" + proxy.port()).usePlaintext().build();

        var root = admin("root");
        root.createTenant(CreateTenantRequest.newBuilder().setTenant("acme").addAdminRoles("acme-admin").build());
        root.createTenant(CreateTenantRequest.newBuilder().setTenant("other").addAdminRoles("other-admin").build());
        root.createNamespace(CreateNamespaceRequest.newBuilder().setNamespace("acme/app").build());
        root.createNamespace(CreateNamespaceRequest.newBuilder().setNamespace("other/ns").build());
    }

    @AfterAll
    static void stop() {
        if (toBroker != null) {
            toBroker.shutdownNow();
            toProxy.shutdownNow();
        }
        if (proxy != null) {
            proxy.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @AfterEach
    void closeStreams() {
        streams.forEach(s -> {
            try {
                s.onCompleted();
            } catch (RuntimeException e) {
                // already closed by the server
            }
        });
    }

    private static Properties props(String... kv) {
        Properties p = new Properties();
        for (int i = 0; i < kv.length; i += 2) {
            p.setProperty(kv[i], kv[i + 1]);
        }
        return p;
    }

    private static String token(String role) {
        return Tokens.create(role, Duration.ofHours(1), secret, null, null);
    }

    private static <S extends AbstractStub<S>> S as(S stub, String role) {
        String t = token(role);
        return stub.withCallCredentials(new BearerCredentials(() -> t)).withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    private static AdminServiceGrpc.AdminServiceBlockingStub admin(String role) {
        return as(AdminServiceGrpc.newBlockingStub(toBroker), role);
    }

    private static void grant(String role, String namespace, String topic, String prefix, AuthAction... actions) {
        GrantPermissionRequest.Builder r = GrantPermissionRequest.newBuilder().setRole(role).addAllActions(List.of(actions))
                .setSubscriptionPrefix(prefix);
        if (topic != null) {
            r.setTopic(topic);
        } else {
            r.setNamespace(namespace);
        }
        // the broker that writes a grant applies it at once: the calls that follow see it
        admin("root").grantPermission(r.build());
    }

    /** Opens a Publish stream as {@code role} and sends one message; the first reply (or the refusal). */
    private Object publish(ManagedChannel channel, String role, String topic) throws InterruptedException {
        BadInputTest.Recorder<PublishResponse> replies = new BadInputTest.Recorder<>();
        StreamObserver<PublishRequest> requests = as(MessagingServiceGrpc.newStub(channel), role).publish(replies);
        streams.add(requests);
        requests.onNext(PublishRequest.newBuilder().setOpen(ProducerOpen.newBuilder().setTopic(topic)).build());
        Object first = replies.next();
        if (first instanceof PublishResponse r && r.hasOpened()) {
            ByteString entry = EntryCodec.encode(r.getOpened().getProducerName(), "string", 0,
                    List.of(SingleMessage.newBuilder().setValue(ByteString.copyFromUtf8("hello")).build()), 1L);
            requests.onNext(PublishRequest.newBuilder().setBatch(PublishBatch.newBuilder().setSequenceId(0).setMessageCount(1)
                    .setEntry(entry)).build());
            Object ack = replies.next();
            assertThat(ack).isInstanceOfSatisfying(PublishResponse.class, a -> assertThat(a.hasAck()).isTrue());
        }
        return first;
    }

    /** Opens a Subscribe stream as {@code role}; the first reply (or the refusal). */
    private Object subscribe(ManagedChannel channel, String role, String topic, String subscription) throws InterruptedException {
        BadInputTest.Recorder<SubscribeResponse> replies = new BadInputTest.Recorder<>();
        StreamObserver<SubscribeRequest> requests = as(MessagingServiceGrpc.newStub(channel), role).subscribe(replies);
        streams.add(requests);
        requests.onNext(SubscribeRequest.newBuilder().setOpen(SubscribeOpen.newBuilder().setTopic(topic)
                .setSubscription(subscription).setType(SubscriptionType.SHARED)).build());
        return replies.next();
    }

    private static Consumer<Object> opened() {
        return r -> assertThat(r).isInstanceOfSatisfying(PublishResponse.class, p -> assertThat(p.hasOpened()).isTrue());
    }

    private static Consumer<Object> subscribed() {
        return r -> assertThat(r).isInstanceOfSatisfying(SubscribeResponse.class, s -> assertThat(s.hasSubscribed()).isTrue());
    }

    /** The reply is a refusal: PERMISSION_DENIED, NOT_AUTHORIZED, with a reason containing each of {@code words}. */
    private static Consumer<Object> denied(String... words) {
        return r -> assertThat(r).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
            assertThat(ErrorReasons.detailOf(e).getReason()).isEqualTo(ErrorReason.NOT_AUTHORIZED);
            assertThat(e.getStatus().getDescription()).contains(words);
        });
    }

    private static Object outcome(Runnable call) {
        try {
            call.run();
            return "allowed";
        } catch (StatusRuntimeException e) {
            return e;
        }
    }

    private static ReceiveRequest receive(String topic, String subscription) {
        return ReceiveRequest.newBuilder().setTopic(topic).setSubscription(subscription).setMaxMessages(1).setMaxWaitMs(10).build();
    }

    @Test
    void aProduceGrantDoesNotAllowConsuming() throws Exception {
        grant("writer", "acme/app", null, "", AuthAction.PRODUCE);
        String topic = "acme/app/produce-only";
        assertThat(publish(toBroker, "writer", topic)).satisfies(opened());
        assertThat(subscribe(toBroker, "writer", topic, "s")).satisfies(denied(
                "role 'writer' may not consume subscription 's' of topic acme/app/produce-only (needs consume on acme/app or on the topic)"));
        assertThat(outcome(() -> as(MessagingServiceGrpc.newBlockingStub(toBroker), "writer").receive(receive(topic, "s"))))
                .satisfies(denied("'writer' may not consume"));
    }

    @Test
    void aConsumeTokenCannotProduceOrDeleteTheTopic() throws Exception {
        grant("reader", "acme/app", null, "", AuthAction.CONSUME);
        String topic = "acme/app/consume-only";
        assertThat(subscribe(toBroker, "reader", topic, "s")).satisfies(subscribed());
        assertThat(as(MessagingServiceGrpc.newBlockingStub(toBroker), "reader").receive(receive(topic, "s")).getMessagesCount())
                .isZero();
        assertThat(publish(toBroker, "reader", topic)).satisfies(denied(
                "role 'reader' may not produce on topic acme/app/consume-only (needs produce on acme/app or on the topic)"));
        assertThat(outcome(() -> admin("reader").deleteTopic(DeleteTopicRequest.newBuilder().setTopic(topic).build())))
                .satisfies(denied("role 'reader' may not delete topic acme/app/consume-only (needs admin on acme/app"));
        // the topic is still there
        assertThat(admin("root").getTopicStats(GetTopicStatsRequest.newBuilder().setTopic(topic).build()).getSubscriptionsList())
                .anySatisfy(s -> assertThat(s.getSubscription()).isEqualTo("s"));
    }

    @Test
    void aConsumeGrantWithAPrefixCoversOnlyThoseSubscriptions() throws Exception {
        grant("team-a", "acme/app", null, "team-a-", AuthAction.CONSUME);
        String topic = "acme/app/shared-events";
        assertThat(subscribe(toBroker, "team-a", topic, "team-a-audit")).satisfies(subscribed());
        assertThat(subscribe(toBroker, "team-a", topic, "team-b-audit")).satisfies(denied(
                "may not consume subscription 'team-b-audit' of topic acme/app/shared-events",
                "cover only subscriptions starting with 'team-a-'"));
        var messaging = as(MessagingServiceGrpc.newBlockingStub(toBroker), "team-a");
        assertThat(messaging.receive(receive(topic, "team-a-pull")).getMessagesCount()).isZero();
        assertThat(outcome(() -> messaging.receive(receive(topic, "billing")))).satisfies(denied("'billing'"));
        assertThat(outcome(() -> messaging.acknowledge(AcknowledgeRequest.newBuilder().setTopic(topic).setSubscription("billing")
                .addMessageIds(MessageId.newBuilder().setLedgerId(1).setEntryId(0)).build()))).satisfies(denied("'billing'"));
        // finding the topic needs no subscription
        assertThat(as(LookupServiceGrpc.newBlockingStub(toBroker), "team-a").lookup(LookupRequest.newBuilder().setTopic(topic).build())
                .getBrokerAddress()).isNotEmpty();
    }

    @Test
    void aTenantAdminCannotTouchAnotherTenant() throws Exception {
        var acme = admin("acme-admin");
        acme.createNamespace(CreateNamespaceRequest.newBuilder().setNamespace("acme/by-admin").build());
        acme.grantPermission(GrantPermissionRequest.newBuilder().setNamespace("acme/by-admin").setRole("app")
                .addActions(AuthAction.PRODUCE).build());
        assertThat(acme.getPermissions(GetPermissionsRequest.newBuilder().setNamespace("acme/by-admin").build()).getGrantsList())
                .singleElement().satisfies(g -> assertThat(g.getRole()).isEqualTo("app"));
        assertThat(publish(toBroker, "acme-admin", "acme/app/admin-writes")).satisfies(opened());

        assertThat(outcome(() -> acme.createNamespace(CreateNamespaceRequest.newBuilder().setNamespace("other/taken").build())))
                .satisfies(denied("role 'acme-admin' may not create namespace other/taken (needs to be an admin of tenant other"));
        assertThat(outcome(() -> acme.grantPermission(GrantPermissionRequest.newBuilder().setNamespace("other/ns").setRole("acme-admin")
                .addActions(AuthAction.CONSUME).build()))).satisfies(denied("grant permissions on namespace other/ns"));
        assertThat(outcome(() -> acme.setNamespacePolicies(SetNamespacePoliciesRequest.newBuilder().setNamespace("other/ns").build())))
                .satisfies(denied("needs admin on other/ns"));
        assertThat(publish(toBroker, "acme-admin", "other/ns/t")).satisfies(denied("may not produce on topic other/ns/t"));
        assertThat(subscribe(toBroker, "acme-admin", "other/ns/t", "s")).satisfies(denied("may not consume"));
        // nor do cluster operations, even on its own tenant
        assertThat(outcome(() -> acme.listTenants(ListTenantsRequest.getDefaultInstance()))).satisfies(denied("needs a superuser role"));
        assertThat(outcome(() -> acme.setTenantAdmins(SetTenantAdminsRequest.newBuilder().setTenant("acme").addAdminRoles("x").build())))
                .satisfies(denied("set the admins of tenant acme"));
    }

    @Test
    void onlyASuperuserSetsTheLimitsThatProtectOtherTeams() throws Exception {
        var acme = admin("acme-admin");
        // its own retention and TTL: the tenant's admin serves itself
        assertThat(acme.setNamespacePolicies(SetNamespacePoliciesRequest.newBuilder().setNamespace("acme/app")
                .setPolicies(NamespacePolicies.newBuilder().setMessageTtlSeconds(3600)).build()).getMessageTtlSeconds())
                .isEqualTo(3600);
        // rate limits and limits are the operator's, set or cleared
        assertThat(outcome(() -> acme.setNamespacePolicies(SetNamespacePoliciesRequest.newBuilder().setNamespace("acme/app")
                .setPolicies(NamespacePolicies.newBuilder().setMessageTtlSeconds(60)
                        .setPublishRatePerTopic(Rate.newBuilder().setMessagesPerSecond(1_000_000))).build())))
                .satisfies(denied("role 'acme-admin' may not change publish_rate_per_topic of namespace acme/app (needs a superuser role)"));
        assertThat(outcome(() -> acme.setNamespacePolicies(SetNamespacePoliciesRequest.newBuilder().setNamespace("acme/app")
                .addClear("max_producers_per_topic").addClear("persistence").build())))
                .satisfies(denied("may not change max_producers_per_topic, persistence of namespace acme/app"));
        assertThat(acme.getNamespacePolicies(GetNamespacePoliciesRequest.newBuilder().setNamespace("acme/app").build())
                .getMessageTtlSeconds()).as("nothing of a refused request is applied").isEqualTo(3600);
        assertThat(admin("root").setNamespacePolicies(SetNamespacePoliciesRequest.newBuilder().setNamespace("acme/app")
                .setPolicies(NamespacePolicies.newBuilder().setMaxProducersPerTopic(50)).build()).getMaxProducersPerTopic())
                .isEqualTo(50);
    }

    @Test
    void aSuperuserMayDoEverything() throws Exception {
        var root = admin("root");
        assertThat(root.listBrokers(ListBrokersRequest.getDefaultInstance()).getBrokersCount()).isEqualTo(1);
        assertThat(root.listTenants(ListTenantsRequest.getDefaultInstance()).getTenantsList()).contains("acme", "other");
        root.createTenant(CreateTenantRequest.newBuilder().setTenant("root-made").build());
        root.createNamespace(CreateNamespaceRequest.newBuilder().setNamespace("root-made/ns").build());
        root.setTenantAdmins(SetTenantAdminsRequest.newBuilder().setTenant("root-made").addAdminRoles("someone").build());
        assertThat(publish(toBroker, "root", "other/ns/root-writes")).satisfies(opened());
        assertThat(subscribe(toBroker, "root", "other/ns/root-writes", "any-name")).satisfies(subscribed());
        assertThat(root.listTopics(ListTopicsRequest.newBuilder().setNamespace("other/ns").build()).getTopicsList())
                .contains("other/ns/root-writes");
        root.createTopic(io.tributary.api.v1.CreateTopicRequest.newBuilder().setTopic("acme/app/root-deletes").build());
        root.deleteTopic(DeleteTopicRequest.newBuilder().setTopic("acme/app/root-deletes").build());
        assertThat(root.listTopics(ListTopicsRequest.newBuilder().setNamespace("acme/app").build()).getTopicsList())
                .doesNotContain("acme/app/root-deletes");
    }

    @Test
    void aRevokedGrantStopsWorkingWithoutRestart() {
        String topic = "acme/app/revoked";
        LookupRequest lookup = LookupRequest.newBuilder().setTopic(topic).build();
        grant("temporary", null, topic, "", AuthAction.PRODUCE);
        assertThat(outcome(() -> as(LookupServiceGrpc.newBlockingStub(toBroker), "temporary").lookup(lookup))).isEqualTo("allowed");
        assertThat(admin("root").revokePermission(RevokePermissionRequest.newBuilder().setTopic(topic).setRole("temporary").build())
                .getRevoked()).isTrue();
        assertThat(outcome(() -> as(LookupServiceGrpc.newBlockingStub(toBroker), "temporary").lookup(lookup)))
                .satisfies(denied("role 'temporary' may not look up topic acme/app/revoked"));
    }

    @Test
    void aGrantOnOneTopicDoesNotCoverItsNamespace() throws Exception {
        grant("single", null, "acme/app/only-this", "", AuthAction.PRODUCE, AuthAction.CONSUME);
        assertThat(publish(toBroker, "single", "acme/app/only-this")).satisfies(opened());
        assertThat(subscribe(toBroker, "single", "acme/app/only-this", "s")).satisfies(subscribed());
        assertThat(admin("single").getTopicStats(GetTopicStatsRequest.newBuilder().setTopic("acme/app/only-this").build())
                .getTopic()).isEqualTo("acme/app/only-this");
        assertThat(publish(toBroker, "single", "acme/app/not-this")).satisfies(denied("may not produce on topic acme/app/not-this"));
        assertThat(outcome(() -> admin("single").listTopics(ListTopicsRequest.newBuilder().setNamespace("acme/app").build())))
                .satisfies(denied("role 'single' may not list the topics of namespace acme/app"));
    }

    @Test
    void aCallWithoutPermissionIsRefusedNamingThePermissionAndResource() throws Exception {
        assertThat(publish(toBroker, "nobody", "acme/app/x")).satisfies(denied(
                "role 'nobody' may not produce on topic acme/app/x (needs produce on acme/app or on the topic)"));
        assertThat(outcome(() -> admin("nobody").setNamespacePolicies(SetNamespacePoliciesRequest.newBuilder()
                .setNamespace("acme/app").build()))).satisfies(denied(
                "role 'nobody' may not change the policies of namespace acme/app (needs admin on acme/app, or to be an admin of tenant acme)"));
        assertThat(outcome(() -> admin("nobody").listBrokers(ListBrokersRequest.getDefaultInstance())))
                .satisfies(denied("role 'nobody' may not list brokers (needs a superuser role)"));
        // a bad name is still a bad name, not a refusal
        assertThat(outcome(() -> as(LookupServiceGrpc.newBlockingStub(toBroker), "nobody")
                .lookup(LookupRequest.newBuilder().setTopic("no//good").build())))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
    }

    @Test
    void grantsMadeThroughTheProxyApplyToClientsOfTheProxy() throws Exception {
        as(AdminServiceGrpc.newBlockingStub(toProxy), "acme-admin").grantPermission(GrantPermissionRequest.newBuilder()
                .setTopic("acme/app/via-proxy").setRole("proxied").addActions(AuthAction.PRODUCE).build());
        assertThat(as(AdminServiceGrpc.newBlockingStub(toProxy), "acme-admin").getPermissions(GetPermissionsRequest.newBuilder()
                .setTopic("acme/app/via-proxy").build()).getGrantsList()).singleElement()
                .satisfies(g -> assertThat(g.getActionsList()).containsExactly(AuthAction.PRODUCE));
        assertThat(publish(toProxy, "proxied", "acme/app/via-proxy")).satisfies(opened());
        // the broker checks the client's role, not the proxy's
        assertThat(subscribe(toProxy, "proxied", "acme/app/via-proxy", "s")).satisfies(denied("role 'proxied' may not consume"));
        assertThat(publish(toProxy, "proxied", "acme/app/elsewhere")).satisfies(denied("role 'proxied' may not"));
    }

    @Test
    void authorizationNeedsAuthentication() {
        assertThatThrownBy(() -> BrokerConfig.defaults("127.0.0.1:1").toBuilder()
                .authorization(AuthorizationConfig.enabled(Set.of("root"))).build())
                .hasMessageContaining("broker.authorization.enabled").hasMessageContaining("broker.authentication.enabled");
    }
}
