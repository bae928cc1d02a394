package io.tributary.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.tributary.api.v1.AdminServiceGrpc;
import io.tributary.api.v1.ListTenantsRequest;
import io.tributary.api.v1.LookupRequest;
import io.tributary.api.v1.LookupServiceGrpc;
import io.tributary.api.v1.MessagingServiceGrpc;
import io.tributary.api.v1.ProducerOpen;
import io.tributary.api.v1.PublishRequest;
import io.tributary.api.v1.PublishResponse;
import io.tributary.api.v1.ReceiveRequest;
import io.tributary.protocol.config.Settings;
import io.tributary.protocol.security.AuthHeaders;
import io.tributary.security.auth.AuthenticationInterceptor;
import io.tributary.security.auth.AuthenticationSettings;
import io.tributary.security.auth.Principal;
import io.tributary.security.auth.Tokens;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a broker learns from the proxy about who is calling: never what the client claims in its headers. */
class ProxyIdentityTest {
    private FakeBroker broker;
    private ProxyServer proxy;
    private ManagedChannel client;
    @TempDir
    Path dir;

    @AfterEach
    void tearDown() throws Exception {
        if (client != null) {
            client.shutdownNow();
        }
        if (proxy != null) {
            proxy.close();
        }
        if (broker != null) {
            broker.close();
        }
    }

    /** A client channel to the proxy that sends {@code headers} on every call. */
    static ManagedChannel clientSending(int port, Metadata headers) {
        return NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext()
                .intercept(MetadataUtils.newAttachHeadersInterceptor(headers)).build();
    }

    /** A lookup, a unary Receive (with the proxy's own owner lookup), a Publish stream and an admin call. */
    static void callEveryWay(ManagedChannel client) {
        LookupServiceGrpc.newBlockingStub(client).withDeadlineAfter(20, TimeUnit.SECONDS)
                .lookup(LookupRequest.newBuilder().setTopic("persistent://t/n/a").build());
        MessagingServiceGrpc.newBlockingStub(client).withDeadlineAfter(20, TimeUnit.SECONDS)
                .receive(ReceiveRequest.newBuilder().setTopic("persistent://t/n/b").setSubscription("s").build());
        Recorder<PublishResponse> published = new Recorder<>();
        StreamObserver<PublishRequest> requests = MessagingServiceGrpc.newStub(client).publish(published);
        requests.onNext(PublishRequest.newBuilder().setOpen(ProducerOpen.newBuilder().setTopic("persistent://t/n/c")
                .setProducerName("p")).build());
        requests.onCompleted();
        published.awaitCompleted();
        AdminServiceGrpc.newBlockingStub(client).withDeadlineAfter(20, TimeUnit.SECONDS)
                .listTenants(ListTenantsRequest.getDefaultInstance());
    }

    @Test
    void theProxyPassesNoIdentityHeadersOfItsClientsToBrokers() throws Exception {
        broker = new FakeBroker("A");
        proxy = new ProxyServer(ProxyConfig.withBrokers(broker.address).withBindAddress("127.0.0.1").withPort(0)
                .withMetrics(-1, null)).start();
        Metadata forged = new Metadata();
        forged.put(AuthHeaders.AUTHORIZATION, AuthHeaders.BEARER + "a-token-meant-for-the-proxy");
        forged.put(AuthHeaders.ORIGINAL_ROLE, "superuser");
        client = clientSending(proxy.port(), forged);

        callEveryWay(client);

        assertThat(broker.identities).extracting(FakeBroker.CallIdentity::method)
                .contains("Lookup", "Receive", "Publish", "ListTenants");
        assertThat(broker.identities).allSatisfy(call -> {
            assertThat(call.authorization()).as("authorization of %s", call.method()).isNull();
            assertThat(call.originalRole()).as("forwarded role of %s", call.method()).isNull();
        });
    }

    private static Properties props(Object... kv) {
        Properties p = new Properties();
        for (int i = 0; i < kv.length; i += 2) {
            p.setProperty(kv[i].toString(), kv[i + 1].toString());
        }
        return p;
    }

    @Test
    void theProxyForwardsTheClientsRoleAndNotItsHeaders() throws Exception {
        Path secret = dir.resolve("secret.key");
        Tokens.createSecretKey(secret);
        String proxyToken = Tokens.create("proxy", null, secret, null, null);
        Path proxyTokenFile = Files.writeString(dir.resolve("proxy.token"), proxyToken);
        String aliceToken = Tokens.create("alice", null, secret, null, null);
        // a broker that authenticates its callers, taking forwarded roles from the role "proxy" only
        AuthenticationSettings brokerAuth = AuthenticationSettings.from(new Settings(props(
                "broker.authentication.enabled", "true", "broker.authentication.secretKeyFile", secret,
                "broker.authentication.proxyRoles", "proxy"), Map.of()), "broker.authentication");
        broker = new FakeBroker("A", AuthenticationInterceptor.create(brokerAuth), null);
        proxy = new ProxyServer(ProxyConfig.fromProperties(props("proxy.brokerServiceUrl", broker.address,
                "proxy.bindAddress", "127.0.0.1", "proxy.port", "0",
                "proxy.authentication.enabled", "true", "proxy.authentication.secretKeyFile", secret,
                "proxy.brokerClient.authTokenFile", proxyTokenFile), Map.of())).start();
        // alice authenticates to the proxy, and claims a role of her choosing on top
        Metadata aliceClaimingMore = new Metadata();
        aliceClaimingMore.put(AuthHeaders.AUTHORIZATION, AuthHeaders.BEARER + aliceToken);
        aliceClaimingMore.put(AuthHeaders.ORIGINAL_ROLE, "superuser");
        client = clientSending(proxy.port(), aliceClaimingMore);

        callEveryWay(client);

        assertThat(broker.identities).extracting(FakeBroker.CallIdentity::method)
                .contains("Lookup", "Receive", "Publish", "ListTenants");
        assertThat(broker.identities).allSatisfy(call -> {
            assertThat(call.principal()).as("who %s acts for", call.method()).isEqualTo(new Principal("alice", "proxy"));
            assertThat(call.originalRole()).isEqualTo("alice");
            assertThat(call.authorization()).as("the proxy's credentials, not alice's").isEqualTo(AuthHeaders.BEARER + proxyToken);
        });

        // a client without a token gets no further than the proxy
        ManagedChannel anonymous = clientSending(proxy.port(), new Metadata());
        try {
            int before = broker.identities.size();
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> LookupServiceGrpc.newBlockingStub(anonymous)
                    .withDeadlineAfter(20, TimeUnit.SECONDS).lookup(LookupRequest.newBuilder().setTopic("persistent://t/n/a").build()))
                    .isInstanceOfSatisfying(io.grpc.StatusRuntimeException.class,
                            e -> assertThat(e.getStatus().getCode()).isEqualTo(io.grpc.Status.Code.UNAUTHENTICATED));
            assertThat(broker.identities).hasSize(before);
        } finally {
            anonymous.shutdownNow();
        }
    }
}
