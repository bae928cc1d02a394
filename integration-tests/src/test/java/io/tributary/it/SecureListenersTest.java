package io.tributary.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.AbstractStub;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.tributary.api.v1.AdminServiceGrpc;
import io.tributary.api.v1.GetLastMessageIdRequest;
import io.tributary.api.v1.LookupRequest;
import io.tributary.api.v1.LookupResponse;
import io.tributary.api.v1.LookupServiceGrpc;
import io.tributary.api.v1.MessagingServiceGrpc;
import io.tributary.api.v1.ProducerOpen;
import io.tributary.api.v1.PublishBatch;
import io.tributary.api.v1.PublishRequest;
import io.tributary.api.v1.PublishResponse;
import io.tributary.api.v1.SingleMessage;
import io.tributary.api.v1.UnloadBundleRequest;
import io.tributary.broker.Broker;
import io.tributary.broker.BrokerConfig;
import io.tributary.broker.loadmanager.LoadBalancerConfig;
import io.tributary.internal.v1.BrokerControlServiceGrpc;
import io.tributary.internal.v1.PrepareBundleRequest;
import io.tributary.protocol.EntryCodec;
import io.tributary.protocol.security.AuthHeaders;
import io.tributary.protocol.security.BearerCredentials;
import io.tributary.protocol.security.ClientTls;
import io.tributary.protocol.security.TlsFiles;
import io.tributary.proxy.ProxyConfig;
import io.tributary.proxy.ProxyServer;
import io.tributary.security.auth.Tokens;
import io.tributary.security.tls.CertificateAuthority;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two brokers and a proxy with everything on: TLS on every listener, token authentication, the
 * internal listener requiring client certificates and admitting the role {@code broker} only. The
 * CA, certificates and keys are made here. As in Kubernetes, where brokers advertise pod IPs, the
 * brokers' certificate names neither the address they advertise nor localhost but one shared DNS name
 * ({@link #BROKER_NAME}), which the proxy and the brokers expect instead
 * ({@code proxy.brokerClient.tls.serverName}, {@code broker.internal.client.tls.serverName}).
 */
class SecureListenersTest {
    static final String BROKER_NAME = "tributary-broker.messaging.svc.cluster.local";

    @TempDir
    static Path dir;
    static InProcessCluster cluster;
    static ProxyServer proxy;
    static Path ca;
    static CertificateAuthority.Issued aliceCertificate;
    static String aliceToken;
    static String proxyToken;
    static Path proxyTokenFile;
    final List<ManagedChannel> channels = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        CertificateAuthority authority = CertificateAuthority.create("test-ca", Duration.ofDays(1));
        ca = authority.writeCertificate(dir.resolve("ca.crt"));
        CertificateAuthority.Issued server = authority.issue(dir, "server", "localhost", List.of("localhost"), List.of("127.0.0.1"));
        CertificateAuthority.Issued brokerServer = authority.issue(dir, "broker", "tributary-broker", List.of(BROKER_NAME), List.of());
        CertificateAuthority.Issued brokerClient = authority.issueClient(dir, "broker-client", "broker");
        aliceCertificate = authority.issueClient(dir, "alice", "alice");
        Path secret = dir.resolve("secret.key");
        Tokens.createSecretKey(secret);
        Path brokerToken = Files.writeString(dir.resolve("broker.token"), Tokens.create("broker", null, secret, null, null));
        proxyToken = Tokens.create("proxy", null, secret, null, null);
        proxyTokenFile = Files.writeString(dir.resolve("proxy.token"), proxyToken);
        aliceToken = Tokens.create("alice", Duration.ofHours(1), secret, null, null);

        BrokerConfig secure = BrokerConfig.fromProperties(props(
                "broker.tls.enabled", "true", "broker.tls.certFile", brokerServer.certFile(),
                "broker.tls.keyFile", brokerServer.keyFile(),
                "broker.authentication.enabled", "true", "broker.authentication.secretKeyFile", secret,
                "broker.authentication.proxyRoles", "proxy",
                "broker.internal.port", "0",
                "broker.internal.tls.enabled", "true", "broker.internal.tls.certFile", brokerServer.certFile(),
                "broker.internal.tls.keyFile", brokerServer.keyFile(), "broker.internal.tls.trustCertsFile", ca,
                "broker.internal.tls.clientAuth", "require",
                "broker.internal.roles", "broker",
                "broker.internal.client.authTokenFile", brokerToken,
                "broker.internal.client.tls.certFile", brokerClient.certFile(),
                "broker.internal.client.tls.keyFile", brokerClient.keyFile(),
                "broker.internal.client.tls.trustCertsFile", ca,
                "broker.internal.client.tls.serverName", BROKER_NAME), Map.of());
        LoadBalancerConfig manual = InProcessCluster.MANUAL;
        cluster = new InProcessCluster(dir.toFile());
        for (int i = 0; i < 2; i++) {
            cluster.addBroker(c -> c.toBuilder().loadBalancer(manual).tls(secure.tls()).authentication(secure.authentication())
                    .internal(secure.internal()).build());
        }
        proxy = new ProxyServer(ProxyConfig.fromProperties(props(
                "proxy.brokerServiceUrl", cluster.brokers.stream().map(Broker::address).collect(Collectors.joining(",")),
                "proxy.bindAddress", "127.0.0.1", "proxy.port", "0", "proxy.metricsPort", "-1", "proxy.httpPort", "-1",
                "proxy.tls.enabled", "true", "proxy.tls.certFile", server.certFile(), "proxy.tls.keyFile", server.keyFile(),
                "proxy.authentication.enabled", "true", "proxy.authentication.secretKeyFile", secret,
                "proxy.brokerClient.authTokenFile", proxyTokenFile,
                "proxy.brokerClient.tls.trustCertsFile", ca,
                "proxy.brokerClient.tls.serverName", BROKER_NAME), Map.of())).start();
    }

    @AfterAll
    static void stop() {
        if (proxy != null) {
            proxy.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @AfterEach
    void closeChannels() {
        channels.forEach(ManagedChannel::shutdownNow);
    }

    private static Properties props(Object... kv) {
        Properties p = new Properties();
        for (int i = 0; i < kv.length; i += 2) {
            p.setProperty(kv[i].toString(), kv[i + 1].toString());
        }
        return p;
    }

    /** A channel to {@code address} over TLS with {@code tls}, or in plaintext when it is null. */
    private ManagedChannel channel(String address, TlsFiles tls) {
        ManagedChannel c = ClientTls.apply(NettyChannelBuilder.forTarget(address), tls).build();
        channels.add(c);
        return c;
    }

    private static <S extends AbstractStub<S>> S as(S stub, String token) {
        return stub.withCallCredentials(new BearerCredentials(() -> token)).withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    /** TLS to a broker: its certificate names {@link #BROKER_NAME}, not the address dialled. */
    private static TlsFiles brokerTls() {
        return TlsFiles.trusting(ca).withServerName(BROKER_NAME);
    }

    /** TLS to the proxy (its certificate names localhost) or to a broker. */
    private static TlsFiles tlsFor(String address) {
        return address.equals(proxyAddress()) ? TlsFiles.trusting(ca) : brokerTls();
    }

    private static String proxyAddress() {
        return "localhost:" + proxy.port();
    }

    private static PrepareBundleRequest prepare() {
        return PrepareBundleRequest.newBuilder().setNamespace("public/default").setBundle("0x00000000_0x40000000")
                .setTimeoutMs(100).build();
    }

    private static Status.Code codeOf(Runnable call) {
        try {
            call.run();
            return Status.Code.OK;
        } catch (StatusRuntimeException e) {
            return e.getStatus().getCode();
        }
    }

    @Test
    void securedBrokersMoveBundlesOverTheirInternalListeners() {
        ManagedChannel client = channel(proxyAddress(), TlsFiles.trusting(ca));
        String topic = "public/default/secure-move";
        // the first lookup assigns the bundle: a broker that is not the leader asks the leader over the internal listener
        LookupResponse first = as(LookupServiceGrpc.newBlockingStub(client), aliceToken)
                .lookup(LookupRequest.newBuilder().setTopic(topic).build());
        String other = cluster.brokers.stream().map(Broker::brokerId).filter(id -> !id.equals(first.getBrokerId()))
                .findFirst().orElseThrow();
        var moved = as(AdminServiceGrpc.newBlockingStub(client), aliceToken).unloadBundle(UnloadBundleRequest.newBuilder()
                .setNamespace("public/default").setBundle(first.getBundle()).setDestinationBrokerId(other).build());
        assertThat(moved.getNewOwnerBrokerId()).isEqualTo(other);
        assertThat(as(LookupServiceGrpc.newBlockingStub(client), aliceToken)
                .lookup(LookupRequest.newBuilder().setTopic(topic).build()).getBrokerId()).isEqualTo(other);
    }

    @Test
    void brokersAreCheckedAgainstTheirSharedNameNotTheAddressDialled() throws Exception {
        // the proxy reached the brokers above (lookups, admin) and brokers each other (bundle moves) by the name;
        // a client that checks the address it dials refuses the same brokers, on both listeners
        Broker broker = cluster.brokers.get(0);
        for (String address : List.of(broker.address(), broker.internalAddress())) {
            ManagedChannel byAddress = channel(address, TlsFiles.trusting(ca));
            assertThatThrownBy(() -> io.grpc.health.v1.HealthGrpc.newBlockingStub(byAddress).withDeadlineAfter(30, TimeUnit.SECONDS)
                    .check(io.grpc.health.v1.HealthCheckRequest.getDefaultInstance()))
                    .as("a broker at %s checked against its address", address)
                    .isInstanceOfSatisfying(StatusRuntimeException.class,
                            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
        }
        ManagedChannel byName = channel(broker.address(), brokerTls());
        assertThat(io.grpc.health.v1.HealthGrpc.newBlockingStub(byName).withDeadlineAfter(30, TimeUnit.SECONDS)
                .check(io.grpc.health.v1.HealthCheckRequest.getDefaultInstance()).getStatus())
                .isEqualTo(io.grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING);
        // a proxy that checks the address refuses them too, where the same proxy expecting the name is served
        for (String serverName : List.of("", BROKER_NAME)) {
            try (ProxyServer p = new ProxyServer(ProxyConfig.fromProperties(props(
                    "proxy.brokerServiceUrl", broker.address(), "proxy.bindAddress", "127.0.0.1", "proxy.port", "0",
                    "proxy.metricsPort", "-1", "proxy.httpPort", "-1", "proxy.brokerClient.authTokenFile", proxyTokenFile,
                    "proxy.brokerClient.tls.trustCertsFile", ca, "proxy.brokerClient.tls.serverName", serverName),
                    Map.of())).start()) {
                ManagedChannel c = channel("localhost:" + p.port(), null);
                assertThat(codeOf(() -> LookupServiceGrpc.newBlockingStub(c).withDeadlineAfter(30, TimeUnit.SECONDS)
                        .lookup(LookupRequest.newBuilder().setTopic("public/default/by-address").build())))
                        .as("a lookup through a proxy expecting the name '%s'", serverName)
                        .isEqualTo(serverName.isEmpty() ? Status.Code.UNAVAILABLE : Status.Code.OK);
            }
        }
    }

    @Test
    void aClientCannotCallTheInternalListener() {
        String internal = cluster.brokers.get(0).internalAddress();
        // a client with a certificate from the cluster's CA and a valid token: authenticated, but not a broker
        ManagedChannel withCertificate = channel(internal,
                new TlsFiles(aliceCertificate.certFile(), aliceCertificate.keyFile(), ca, BROKER_NAME));
        assertThatThrownBy(() -> as(BrokerControlServiceGrpc.newBlockingStub(withCertificate), aliceToken).prepareBundle(prepare()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
                    assertThat(e.getStatus().getDescription()).contains("alice");
                });
        // nor is a proxy
        assertThat(codeOf(() -> as(BrokerControlServiceGrpc.newBlockingStub(withCertificate), proxyToken).prepareBundle(prepare())))
                .isEqualTo(Status.Code.PERMISSION_DENIED);
        // without a client certificate the TLS handshake fails, whatever the token
        ManagedChannel withoutCertificate = channel(internal, brokerTls());
        assertThat(codeOf(() -> as(BrokerControlServiceGrpc.newBlockingStub(withoutCertificate), aliceToken).prepareBundle(prepare())))
                .isEqualTo(Status.Code.UNAVAILABLE);
        // and in plaintext nothing is served at all
        ManagedChannel plaintext = channel(internal, null);
        assertThat(codeOf(() -> as(BrokerControlServiceGrpc.newBlockingStub(plaintext), aliceToken).prepareBundle(prepare())))
                .isEqualTo(Status.Code.UNAVAILABLE);
        // the client port and the proxy do not serve the control service
        for (String clientFacing : List.of(cluster.brokers.get(0).address(), proxyAddress())) {
            ManagedChannel c = channel(clientFacing, tlsFor(clientFacing));
            assertThat(codeOf(() -> as(BrokerControlServiceGrpc.newBlockingStub(c), aliceToken).prepareBundle(prepare())))
                    .as("the control service at %s", clientFacing).isEqualTo(Status.Code.UNIMPLEMENTED);
        }
    }

    @Test
    void aClientConnectsToTheProxyOverTlsWithAToken() throws Exception {
        String topic = "public/default/secure-publish";
        ManagedChannel client = channel(proxyAddress(), TlsFiles.trusting(ca));
        BadInputTest.Recorder<PublishResponse> replies = new BadInputTest.Recorder<>();
        StreamObserver<PublishRequest> requests = MessagingServiceGrpc.newStub(client)
                .withCallCredentials(new BearerCredentials(() -> aliceToken)).publish(replies);
        requests.onNext(PublishRequest.newBuilder().setOpen(ProducerOpen.newBuilder().setTopic(topic).setProducerName("p"))
                .build());
        assertThat(replies.next()).isInstanceOfSatisfying(PublishResponse.class, r -> assertThat(r.hasOpened()).isTrue());
        ByteString entry = EntryCodec.encode("p", "string", 0,
                List.of(SingleMessage.newBuilder().setValue(ByteString.copyFromUtf8("over TLS")).build()), 1L);
        requests.onNext(PublishRequest.newBuilder().setBatch(PublishBatch.newBuilder().setSequenceId(0).setMessageCount(1)
                .setEntry(entry)).build());
        assertThat(replies.next()).isInstanceOfSatisfying(PublishResponse.class, r -> assertThat(r.getAck().hasMessageId()).isTrue());
        requests.onCompleted();
        assertThat(as(MessagingServiceGrpc.newBlockingStub(client), aliceToken)
                .getLastMessageId(GetLastMessageIdRequest.newBuilder().setTopic(topic).build()).hasLastMessageId()).isTrue();

        // without a token: refused, saying why
        assertThatThrownBy(() -> LookupServiceGrpc.newBlockingStub(client).withDeadlineAfter(30, TimeUnit.SECONDS)
                .lookup(LookupRequest.newBuilder().setTopic(topic).build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
                    assertThat(e.getStatus().getDescription()).contains("missing token");
                });
        // in plaintext: no connection
        ManagedChannel plaintext = channel(proxyAddress(), null);
        assertThat(codeOf(() -> as(LookupServiceGrpc.newBlockingStub(plaintext), aliceToken)
                .lookup(LookupRequest.newBuilder().setTopic(topic).build()))).isEqualTo(Status.Code.UNAVAILABLE);
    }

    @Test
    void aClientCannotForgeAForwardedRoleAtTheBroker() {
        String broker = cluster.brokers.get(0).address();
        LookupRequest lookup = LookupRequest.newBuilder().setTopic("public/default/forged").build();
        Metadata claimsToBeAProxiedSuperuser = new Metadata();
        claimsToBeAProxiedSuperuser.put(AuthHeaders.ORIGINAL_ROLE, "superuser");
        ManagedChannel direct = channel(broker, brokerTls());
        assertThatThrownBy(() -> as(LookupServiceGrpc.newBlockingStub(direct), aliceToken)
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(claimsToBeAProxiedSuperuser)).lookup(lookup))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
                    assertThat(e.getStatus().getDescription()).contains("'alice' may not act for another role");
                });
        // the same header from the proxy's role is taken (that is how the proxy forwards its clients' roles)
        assertThat(as(LookupServiceGrpc.newBlockingStub(direct), proxyToken)
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(claimsToBeAProxiedSuperuser)).lookup(lookup)
                .getBrokerAddress()).isNotEmpty();
        // and without the header alice is served as herself
        assertThat(as(LookupServiceGrpc.newBlockingStub(direct), aliceToken).lookup(lookup).getBrokerAddress()).isNotEmpty();
    }

    @Test
    void healthChecksNeedNoToken() {
        for (String address : List.of(cluster.brokers.get(0).address(), proxyAddress())) {
            ManagedChannel c = channel(address, tlsFor(address));
            assertThat(io.grpc.health.v1.HealthGrpc.newBlockingStub(c).withDeadlineAfter(30, TimeUnit.SECONDS)
                    .check(io.grpc.health.v1.HealthCheckRequest.getDefaultInstance()).getStatus())
                    .as("health at %s", address).isEqualTo(io.grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING);
            // while everything else does
            assertThat(codeOf(() -> AdminServiceGrpc.newBlockingStub(c).withDeadlineAfter(30, TimeUnit.SECONDS)
                    .listTenants(io.tributary.api.v1.ListTenantsRequest.getDefaultInstance())))
                    .as("admin at %s", address).isEqualTo(Status.Code.UNAUTHENTICATED);
        }
    }
}
