package io.tributary.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.tributary.api.v1.AdminServiceGrpc;
import io.tributary.api.v1.LookupRequest;
import io.tributary.api.v1.LookupResponse;
import io.tributary.api.v1.LookupServiceGrpc;
import io.tributary.api.v1.UnloadBundleRequest;
import io.tributary.broker.Broker;
import io.tributary.broker.BrokerConfig;
import io.tributary.internal.v1.BrokerControlServiceGrpc;
import io.tributary.internal.v1.PrepareBundleRequest;
import io.tributary.protocol.security.BearerCredentials;
import io.tributary.protocol.security.ClientTls;
import io.tributary.protocol.security.TlsFiles;
import io.tributary.security.auth.Tokens;
import io.tributary.security.tls.CertificateAuthority;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Brokers that prove who they are to each other by client certificate alone (mTLS, no shared token). */
class CertificateOnlyBrokersTest {
    @TempDir
    Path dir;

    @Test
    void brokersAuthenticatedByTheirCertificatesMoveBundlesAndNoOtherCertificateIsAdmitted() throws Exception {
        CertificateAuthority authority = CertificateAuthority.create("test-ca", Duration.ofDays(1));
        Path ca = authority.writeCertificate(dir.resolve("ca.crt"));
        CertificateAuthority.Issued server = authority.issue(dir, "server", "localhost", List.of("localhost"), List.of("127.0.0.1"));
        CertificateAuthority.Issued brokerClient = authority.issueClient(dir, "broker-client", "broker");
        CertificateAuthority.Issued alice = authority.issueClient(dir, "alice", "alice");
        Path secret = dir.resolve("secret.key");
        Tokens.createSecretKey(secret);
        String aliceToken = Tokens.create("alice", null, secret, null, null);
        Properties p = new Properties();
        Map.of("broker.authentication.enabled", "true", "broker.authentication.secretKeyFile", secret.toString(),
                "broker.authentication.certificateRoles", "true",
                "broker.internal.tls.enabled", "true", "broker.internal.tls.certFile", server.certFile().toString(),
                "broker.internal.tls.keyFile", server.keyFile().toString(), "broker.internal.tls.trustCertsFile", ca.toString(),
                "broker.internal.tls.clientAuth", "require", "broker.internal.roles", "broker",
                "broker.internal.client.tls.certFile", brokerClient.certFile().toString())
                .forEach(p::setProperty);
        p.setProperty("broker.internal.port", "0");
        p.setProperty("broker.internal.client.tls.keyFile", brokerClient.keyFile().toString());
        p.setProperty("broker.internal.client.tls.trustCertsFile", ca.toString());
        BrokerConfig secure = BrokerConfig.fromProperties(p, Map.of());
        assertThat(secure.internal().clientAuthTokenFile()).isNull();

        try (InProcessCluster cluster = new InProcessCluster(dir.toFile())) {
            for (int i = 0; i < 2; i++) {
                cluster.addBroker(c -> c.toBuilder().authentication(secure.authentication()).internal(secure.internal()).build());
            }
            // a client (plaintext client port, a token) asks for a move; the brokers carry it out between them
            ManagedChannel client = NettyChannelBuilder.forTarget(cluster.brokers.get(0).address()).usePlaintext().build();
            ManagedChannel aliceInternal = ClientTls.apply(NettyChannelBuilder.forTarget(cluster.brokers.get(1).internalAddress()),
                    new TlsFiles(alice.certFile(), alice.keyFile(), ca)).build();
            try {
                var lookup = LookupServiceGrpc.newBlockingStub(client).withCallCredentials(new BearerCredentials(() -> aliceToken))
                        .withDeadlineAfter(30, TimeUnit.SECONDS);
                String topic = "public/default/mtls-move";
                LookupResponse first = lookup.lookup(LookupRequest.newBuilder().setTopic(topic).build());
                String other = cluster.brokers.stream().map(Broker::brokerId).filter(id -> !id.equals(first.getBrokerId()))
                        .findFirst().orElseThrow();
                var moved = AdminServiceGrpc.newBlockingStub(client).withCallCredentials(new BearerCredentials(() -> aliceToken))
                        .withDeadlineAfter(60, TimeUnit.SECONDS).unloadBundle(UnloadBundleRequest.newBuilder()
                                .setNamespace("public/default").setBundle(first.getBundle()).setDestinationBrokerId(other).build());
                assertThat(moved.getNewOwnerBrokerId()).isEqualTo(other);
                assertThat(lookup.lookup(LookupRequest.newBuilder().setTopic(topic).build()).getBrokerId()).isEqualTo(other);

                // alice's certificate from the same CA passes the handshake, and is refused as not a broker
                Status.Code refused;
                try {
                    BrokerControlServiceGrpc.newBlockingStub(aliceInternal).withDeadlineAfter(30, TimeUnit.SECONDS)
                            .prepareBundle(PrepareBundleRequest.newBuilder().setNamespace("public/default")
                                    .setBundle(first.getBundle()).setTimeoutMs(100).build());
                    refused = Status.Code.OK;
                } catch (StatusRuntimeException e) {
                    refused = e.getStatus().getCode();
                }
                assertThat(refused).isEqualTo(Status.Code.PERMISSION_DENIED);
            } finally {
                client.shutdownNow();
                aliceInternal.shutdownNow();
            }
        }
    }
}
