package io.tributary.security.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NegotiationType;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.tributary.protocol.security.ClientTls;
import io.tributary.protocol.security.ServerTlsSettings;
import io.tributary.protocol.security.ServerTlsSettings.ClientAuth;
import io.tributary.protocol.security.TlsFiles;
import io.tributary.security.tls.CertificateAuthority.Issued;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A long-lived client TLS context (one per broker or proxy, shared by its channels) follows rotated
 * client certificates and CAs on its next connection, against a real mTLS gRPC server.
 */
class ClientTlsReloadTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    private final List<AutoCloseable> closing = new ArrayList<>();
    private final AtomicReference<String> clientSeen = new AtomicReference<>();
    private CertificateAuthority ca;
    private Path caFile;
    private Issued server;

    @BeforeEach
    void makeCa() {
        ca = CertificateAuthority.create("Tributary test CA", Duration.ofDays(1));
        caFile = ca.writeCertificate(dir.resolve("ca.crt"));
        server = ca.issue(dir, "server", "localhost", List.of("localhost"), List.of("127.0.0.1"));
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = closing.size() - 1; i >= 0; i--) {
            closing.get(i).close();
        }
    }

    @Test
    void aClientPresentsItsRotatedCertificateOnItsNextConnectionWithoutRestart() throws InterruptedException {
        int port = serve(new ServerTlsSettings(server.certFile(), server.keyFile(), caFile, ClientAuth.REQUIRE));
        Issued client = ca.issueClient(dir, "client", "app-1");
        SslContext context = ClientTls.context(new TlsFiles(client.certFile(), client.keyFile(), caFile));
        assertThat(check(port, context)).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
        assertThat(clientSeen.get()).isEqualTo("CN=app-1");

        ca.issueClient(dir, "client", "app-2");

        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(check(port, context)).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
            assertThat(clientSeen.get()).isEqualTo("CN=app-2");
        });
    }

    @Test
    void aClientTrustsARotatedCaOnItsNextConnectionWithoutRestart() throws IOException {
        Path trust = dir.resolve("client-trust.crt");
        Files.copy(caFile, trust);
        SslContext context = ClientTls.context(TlsFiles.trusting(trust));
        CertificateAuthority next = CertificateAuthority.create("next CA", Duration.ofDays(1));
        Issued nextServer = next.issue(dir, "next-server", "localhost", List.of("localhost"), List.of("127.0.0.1"));
        int port = serve(new ServerTlsSettings(nextServer.certFile(), nextServer.keyFile(), null, ClientAuth.NONE));
        assertThatThrownBy(() -> check(port, context)).isInstanceOf(StatusRuntimeException.class);

        Files.writeString(trust, Files.readString(caFile) + Files.readString(next.writeCertificate(dir.resolve("next-ca.crt"))));

        await().atMost(WAIT).ignoreException(StatusRuntimeException.class)
                .untilAsserted(() -> assertThat(check(port, context)).isEqualTo(HealthCheckResponse.ServingStatus.SERVING));
    }

    @Test
    void aClientWhoseKeyIsHalfWrittenKeepsPresentingItsOldCertificate() throws IOException, InterruptedException {
        int port = serve(new ServerTlsSettings(server.certFile(), server.keyFile(), caFile, ClientAuth.REQUIRE));
        Issued client = ca.issueClient(dir, "client", "app-1");
        SslContext context = ClientTls.context(new TlsFiles(client.certFile(), client.keyFile(), caFile));
        Issued rotated = ca.issueClient(dir, "rotated", "app-2");
        String key = Files.readString(rotated.keyFile());

        Files.copy(rotated.certFile(), client.certFile(), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.writeString(client.keyFile(), key.substring(0, key.length() / 2));

        // past the once-a-second look, several new connections still present the old certificate
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(2500);
        await().atMost(WAIT).pollInterval(Duration.ofMillis(300)).until(() -> {
            assertThat(check(port, context)).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
            assertThat(clientSeen.get()).isEqualTo("CN=app-1");
            return System.nanoTime() > until;
        });

        Files.writeString(client.keyFile(), key);

        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(check(port, context)).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
            assertThat(clientSeen.get()).isEqualTo("CN=app-2");
        });
    }

    @Test
    void aClientFileThatCannotBeReadIsNamed() {
        Path missing = dir.resolve("missing.crt");
        assertThatThrownBy(() -> ClientTls.context(TlsFiles.trusting(missing)))
                .isInstanceOf(UncheckedIOException.class).hasMessageContaining(missing.toString());
        Issued client = ca.issueClient(dir, "client", "app");
        Issued other = ca.issueClient(dir, "other", "other");
        assertThatThrownBy(() -> ClientTls.context(new TlsFiles(client.certFile(), other.keyFile(), caFile)))
                .isInstanceOf(UncheckedIOException.class).hasMessageContaining(other.keyFile().toString())
                .hasMessageContaining("is not the key");
    }

    private int serve(ServerTlsSettings settings) {
        ServerInterceptor recorder = new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
                SSLSession session = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
                try {
                    clientSeen.set(((X509Certificate) session.getPeerCertificates()[0]).getSubjectX500Principal().getName());
                } catch (SSLPeerUnverifiedException e) {
                    clientSeen.set(null);
                }
                return next.startCall(call, headers);
            }
        };
        return TlsHealthServers.serve(settings, recorder, closing);
    }

    /** One call on a new channel (a new connection) made with the shared {@code context}. */
    private HealthCheckResponse.ServingStatus check(int port, SslContext context) throws InterruptedException {
        ManagedChannel c = NettyChannelBuilder.forAddress(InetAddress.getLoopbackAddress().getHostAddress(), port)
                .negotiationType(NegotiationType.TLS).sslContext(context).build();
        try {
            return HealthGrpc.newBlockingStub(c).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .check(HealthCheckRequest.getDefaultInstance()).getStatus();
        } finally {
            c.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }
}
