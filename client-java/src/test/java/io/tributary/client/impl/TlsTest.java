package io.tributary.client.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.netty.handler.ssl.ClientAuth;
import io.tributary.api.v1.AdminServiceGrpc;
import io.tributary.api.v1.ErrorReason;
import io.tributary.api.v1.LookupServiceGrpc;
import io.tributary.client.Producer;
import io.tributary.client.Schema;
import io.tributary.client.TlsOptions;
import io.tributary.client.TributaryClient;
import io.tributary.client.TributaryClientException;
import io.tributary.client.admin.TributaryAdmin;
import io.tributary.security.tls.CertificateAuthority;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The client over TLS to a real gRPC server on loopback, with a CA and certificates made by the test. */
class TlsTest {
    private static final String TOPIC = "acme/orders/created";

    @TempDir
    Path dir;
    private Path caFile;
    private CertificateAuthority ca;
    private CertificateAuthority.Issued server;
    /** The subject of the client certificate of each call ("-" for none), as the server saw it. */
    private final List<String> peers = new CopyOnWriteArrayList<>();
    private FakeBroker broker;

    @BeforeEach
    void makeCertificates() {
        ca = CertificateAuthority.create("test-ca", Duration.ofDays(1));
        caFile = ca.writeCertificate(dir.resolve("ca.crt"));
        server = ca.issue(dir, "server", "localhost", List.of("localhost"), List.of("127.0.0.1"));
    }

    @AfterEach
    void stop() throws Exception {
        if (broker != null) {
            broker.close();
        }
    }

    private void startBroker(ClientAuth clientAuth) throws Exception {
        ServerInterceptor recordPeer = new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                               ServerCallHandler<Q, R> next) {
                SSLSession session = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
                String peer = "-";
                try {
                    peer = ((X509Certificate) session.getPeerCertificates()[0]).getSubjectX500Principal().getName();
                } catch (SSLPeerUnverifiedException e) {
                    // no client certificate
                }
                peers.add(peer);
                return next.startCall(call, headers);
            }
        };
        var ssl = GrpcSslContexts.forServer(server.certFile().toFile(), server.keyFile().toFile())
                .trustManager(caFile.toFile()).clientAuth(clientAuth).build();
        broker = new FakeBroker(b -> b.sslContext(ssl).intercept(recordPeer)
                .addService(new LookupServiceGrpc.LookupServiceImplBase() {})
                .addService(new AdminServiceGrpc.AdminServiceImplBase() {}), TOPIC);
    }

    private TributaryClient client(TlsOptions tls) throws TributaryClientException {
        return TributaryClient.builder().serviceUrl(broker.url()).operationTimeout(Duration.ofSeconds(3)).tls(tls).build();
    }

    @Test
    void theClientConnectsOverTlsTrustingTheCa() throws Exception {
        startBroker(ClientAuth.NONE);
        try (TributaryClient client = client(TlsOptions.trusting(caFile));
             Producer<String> producer = client.newProducer(Schema.STRING).topic(TOPIC).create()) {
            producer.send("over tls");
        }
        assertThat(broker.entryCount(TOPIC)).isEqualTo(1);
        assertThat(peers).isNotEmpty().containsOnly("-");
    }

    @Test
    void aClientThatDoesNotTrustTheServersCaCannotConnect() throws Exception {
        startBroker(ClientAuth.NONE);
        Path otherCa = CertificateAuthority.create("other-ca", Duration.ofDays(1)).writeCertificate(dir.resolve("other.crt"));
        try (TributaryClient client = client(TlsOptions.trusting(otherCa))) {
            assertThatThrownBy(() -> client.newProducer(Schema.STRING).topic(TOPIC).create())
                    .isInstanceOf(TributaryClientException.TimeoutException.class)
                    // the last error says why the connection failed
                    .hasMessageContaining("valid certification path");
        }
        try (TributaryClient plaintext = TributaryClient.builder().serviceUrl(broker.url())
                .operationTimeout(Duration.ofSeconds(3)).build()) {
            assertThatThrownBy(() -> plaintext.newProducer(Schema.STRING).topic(TOPIC).create())
                    .isInstanceOf(TributaryClientException.TimeoutException.class);
        }
        assertThat(peers).isEmpty();
        assertThat(broker.entryCount(TOPIC)).isZero();
    }

    @Test
    void theClientPresentsItsCertificateWhenGiven() throws Exception {
        startBroker(ClientAuth.REQUIRE);
        CertificateAuthority.Issued app = ca.issueClient(dir, "app", "app-1");
        TlsOptions mtls = TlsOptions.trusting(caFile).withClientCertificate(app.certFile(), app.keyFile());
        try (TributaryClient client = client(mtls);
             Producer<String> producer = client.newProducer(Schema.STRING).topic(TOPIC).create()) {
            producer.send("mutual");
        }
        try (TributaryAdmin admin = TributaryAdmin.builder().serviceUrl(broker.url())
                .operationTimeout(Duration.ofSeconds(3)).tls(mtls).build()) {
            // the fake has no admin service: the call is refused, after the server saw the certificate
            assertThatThrownBy(() -> admin.tenants().list()).isInstanceOf(TributaryClientException.class)
                    .matches(e -> ((TributaryClientException) e).reason() != ErrorReason.TIMEOUT);
        }
        assertThat(peers).isNotEmpty().containsOnly("CN=app-1");

        // without its certificate, a server that requires one lets nothing through
        int before = peers.size();
        try (TributaryClient client = client(TlsOptions.trusting(caFile))) {
            assertThatThrownBy(() -> client.newProducer(Schema.STRING).topic(TOPIC).create())
                    .isInstanceOf(TributaryClientException.TimeoutException.class);
        }
        assertThat(peers).hasSize(before);
    }

    @Test
    void unreadableTlsFilesFailTheBuildNamingTheFile() {
        Path missing = dir.resolve("missing-ca.crt");
        assertThatThrownBy(() -> TributaryClient.builder().serviceUrl("localhost:6650")
                .tls(TlsOptions.trusting(missing)).build())
                .isInstanceOf(TributaryClientException.class)
                .hasMessageContaining("missing-ca.crt")
                .matches(e -> ((TributaryClientException) e).reason() == ErrorReason.INVALID_REQUEST);
    }
}
