package io.tributary.security.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ClientInterceptors;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingClientCallListener;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.OpenSsl;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslProvider;
import io.grpc.protobuf.services.HealthStatusManager;
import io.tributary.protocol.security.ClientTls;
import io.tributary.protocol.security.ServerTlsSettings;
import io.tributary.protocol.security.ServerTlsSettings.ClientAuth;
import io.tributary.protocol.security.TlsFiles;
import io.tributary.security.tls.CertificateAuthority.Issued;
import io.tributary.security.tls.CertificateAuthority.KeyAlgorithm;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPrivateKey;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real gRPC servers on loopback serving the standard health service over TLS from files issued by a
 * CA made in the test, and real clients built with {@link ClientTls}.
 */
class ServerTlsTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    // so the watcher never runs in tests that drive reloads with reloadNow()
    private static final Duration NO_WATCHER = Duration.ofHours(1);

    @TempDir
    Path dir;

    private final List<AutoCloseable> closing = new ArrayList<>();
    private CertificateAuthority ca;
    private Path caFile;
    private Issued server;

    @BeforeEach
    void makeCa() {
        ca = CertificateAuthority.create("Tributary test CA", Duration.ofDays(1));
        caFile = ca.writeCertificate(dir.resolve("ca.crt"));
        server = issueServer("server", "localhost");
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = closing.size() - 1; i >= 0; i--) {
            closing.get(i).close();
        }
    }

    @Test
    void aClientTrustingTheCaConnectsOverTls() {
        int port = serve(start(new ServerTlsSettings(server.certFile(), server.keyFile(), null, ClientAuth.NONE), NO_WATCHER));

        X509Certificate served = servedCertificate(port, TlsFiles.trusting(caFile));

        assertThat(served.getSubjectX500Principal().getName()).isEqualTo("CN=localhost");
    }

    @Test
    void aPlaintextClientCannotTalkToATlsListener() {
        int port = serve(start(new ServerTlsSettings(server.certFile(), server.keyFile(), null, ClientAuth.NONE), NO_WATCHER));

        assertThatThrownBy(() -> check(port, null)).isInstanceOf(StatusRuntimeException.class)
                .extracting(e -> ((StatusRuntimeException) e).getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        // and the listener still serves clients that speak TLS
        assertThat(check(port, TlsFiles.trusting(caFile))).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
    }

    @Test
    void aClientWithoutACertificateIsRefusedWhenClientCertificatesAreRequired() {
        int port = serve(start(new ServerTlsSettings(server.certFile(), server.keyFile(), caFile, ClientAuth.REQUIRE), NO_WATCHER));
        Issued client = ca.issueClient(dir, "client", "app");

        StatusRuntimeException e = assertRefused(port, TlsFiles.trusting(caFile));
        assertThat(causes(e)).anyMatch(m -> m.contains("CERTIFICATE_REQUIRED") || m.contains("BAD_CERTIFICATE") || m.contains("bad_certificate"));
        assertThat(check(port, new TlsFiles(client.certFile(), client.keyFile(), caFile)))
                .isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
    }

    @Test
    void aClientWithoutACertificateIsServedWhenClientCertificatesAreOptional() {
        int port = serve(start(new ServerTlsSettings(server.certFile(), server.keyFile(), caFile, ClientAuth.OPTIONAL), NO_WATCHER));
        CertificateAuthority other = CertificateAuthority.create("another CA", Duration.ofDays(1));
        Issued stranger = other.issueClient(dir, "stranger", "app");

        assertThat(check(port, TlsFiles.trusting(caFile))).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
        // optional means "if you present one, it must be good"
        assertRefused(port, new TlsFiles(stranger.certFile(), stranger.keyFile(), caFile));
    }

    @Test
    void aClientWithACertificateFromAnotherCaIsRefused() {
        int port = serve(start(new ServerTlsSettings(server.certFile(), server.keyFile(), caFile, ClientAuth.REQUIRE), NO_WATCHER));
        CertificateAuthority other = CertificateAuthority.create("another CA", Duration.ofDays(1));
        Issued stranger = other.issueClient(dir, "stranger", "app");

        StatusRuntimeException e = assertRefused(port, new TlsFiles(stranger.certFile(), stranger.keyFile(), caFile));
        // the client is told why (with OpenSSL, which gRPC uses where it has it: "unknown CA")
        String reason = OpenSsl.isAvailable() ? "UNKNOWN_CA" : "bad_certificate";
        assertThat(causes(e)).anyMatch(m -> m.contains(reason));
    }

    @Test
    void aServerCertificateForAnotherHostIsRefusedByTheClient() {
        Issued elsewhere = ca.issue(dir, "elsewhere", "other.example", List.of("other.example"), List.of("10.1.2.3"));
        int port = serve(start(new ServerTlsSettings(elsewhere.certFile(), elsewhere.keyFile(), null, ClientAuth.NONE), NO_WATCHER));

        StatusRuntimeException e = assertRefused(port, TlsFiles.trusting(caFile));
        assertThat(causes(e)).anyMatch(m -> m.contains("127.0.0.1") || m.contains("subject alternative"));
    }

    @Test
    void anExpiredServerCertificateIsRefusedByTheClient() {
        Issued expired = ca.issue(dir, "expired", "localhost", List.of("localhost"), List.of("127.0.0.1"),
                Instant.now().minus(Duration.ofMinutes(1)), Duration.ofHours(-1));
        int port = serve(start(new ServerTlsSettings(expired.certFile(), expired.keyFile(), null, ClientAuth.NONE), NO_WATCHER));

        StatusRuntimeException e = assertRefused(port, TlsFiles.trusting(caFile));
        assertThat(causes(e)).anyMatch(m -> m.contains("expired") || m.contains("NotAfter") || m.contains("validity"));
    }

    @Test
    void anExpiredClientCertificateIsRefused() {
        int port = serve(start(new ServerTlsSettings(server.certFile(), server.keyFile(), caFile, ClientAuth.REQUIRE), NO_WATCHER));
        Issued expired = ca.issue(dir, "old-client", "app", List.of(), List.of(), Instant.now(), Duration.ofHours(-1));
        Issued valid = ca.issueClient(dir, "client", "app");

        StatusRuntimeException e = assertRefused(port, new TlsFiles(expired.certFile(), expired.keyFile(), caFile));
        assertThat(causes(e)).anyMatch(m -> m.contains("CERTIFICATE_EXPIRED") || m.contains("BAD_CERTIFICATE") || m.contains("bad_certificate"));
        assertThat(check(port, new TlsFiles(valid.certFile(), valid.keyFile(), caFile)))
                .isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
    }

    @Test
    void aRotatedCertificateIsServedToNewConnectionsWithoutRestart() {
        ServerTls tls = start(new ServerTlsSettings(server.certFile(), server.keyFile(), null, ClientAuth.NONE), Duration.ofMillis(200));
        int port = serve(tls);
        TlsFiles client = TlsFiles.trusting(caFile);
        X509Certificate before = servedCertificate(port, client);
        ManagedChannel open = channel(port, client);
        assertThat(check(open)).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);

        issueServer("server", "rotated");

        await().atMost(WAIT).untilAsserted(() ->
                assertThat(servedCertificate(port, client).getSubjectX500Principal().getName()).isEqualTo("CN=rotated"));
        assertThat(servedCertificate(port, client).getSerialNumber()).isNotEqualTo(before.getSerialNumber());
        assertThat(tls.reloads()).isEqualTo(1);
        assertThat(tls.certificate().getSubjectX500Principal().getName()).isEqualTo("CN=rotated");
        // a connection made before the rotation carries on
        assertThat(check(open)).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
    }

    @Test
    void aRotatedCertificateBehindASwappedSymlinkIsServed() throws IOException {
        // the layout of a Kubernetes secret volume: tls.crt -> ..data/tls.crt, ..data -> ..<timestamp>
        Path first = Files.createDirectory(dir.resolve("..2026_01"));
        Files.copy(server.certFile(), first.resolve("tls.crt"));
        Files.copy(server.keyFile(), first.resolve("tls.key"));
        Path data = Files.createSymbolicLink(dir.resolve("..data"), first.getFileName());
        Path cert = Files.createSymbolicLink(dir.resolve("tls.crt"), Path.of("..data", "tls.crt"));
        Path key = Files.createSymbolicLink(dir.resolve("tls.key"), Path.of("..data", "tls.key"));
        ServerTls tls = start(new ServerTlsSettings(cert, key, null, ClientAuth.NONE), Duration.ofMillis(200));
        int port = serve(tls);

        Issued rotated = issueServer("next", "rotated");
        Path second = Files.createDirectory(dir.resolve("..2026_02"));
        Files.copy(rotated.certFile(), second.resolve("tls.crt"));
        Files.copy(rotated.keyFile(), second.resolve("tls.key"));
        Path newData = Files.createSymbolicLink(dir.resolve("..data_tmp"), second.getFileName());
        Files.move(newData, data, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);

        await().atMost(WAIT).untilAsserted(() -> assertThat(servedCertificate(port, TlsFiles.trusting(caFile))
                .getSubjectX500Principal().getName()).isEqualTo("CN=rotated"));
    }

    @Test
    void aRotatedCaIsTrustedForClientCertificatesWithoutRestart() throws IOException {
        Path trust = dir.resolve("trusted.crt");
        Files.copy(caFile, trust);
        ServerTls tls = start(new ServerTlsSettings(server.certFile(), server.keyFile(), trust, ClientAuth.REQUIRE), Duration.ofMillis(200));
        int port = serve(tls);
        CertificateAuthority next = CertificateAuthority.create("next CA", Duration.ofDays(1));
        Issued client = next.issueClient(dir, "next-client", "app");
        TlsFiles files = new TlsFiles(client.certFile(), client.keyFile(), caFile);
        assertRefused(port, files);

        // the bundle during a CA rotation: both CAs trusted
        Files.writeString(trust, Files.readString(caFile) + Files.readString(next.writeCertificate(dir.resolve("next-ca.crt"))));

        await().atMost(WAIT).ignoreException(StatusRuntimeException.class).untilAsserted(() -> assertThat(check(port, files)).isEqualTo(HealthCheckResponse.ServingStatus.SERVING));
    }

    @Test
    void withTheJdksTlsInsteadOfOpenSslARotatedCertificateIsServedAndClientCertificatesAreChecked() {
        Issued client = ca.issueClient(dir, "client", "app");
        TlsFiles withCert = new TlsFiles(client.certFile(), client.keyFile(), caFile);
        ServerTls tls = ServerTls.start(new ServerTlsSettings(server.certFile(), server.keyFile(), caFile, ClientAuth.REQUIRE),
                NO_WATCHER, SslProvider.JDK);
        closing.add(tls);
        int port = serve(tls);

        assertRefused(port, TlsFiles.trusting(caFile));
        assertThat(servedCertificate(port, withCert).getSubjectX500Principal().getName()).isEqualTo("CN=localhost");

        issueServer("server", "rotated");
        assertThat(tls.reloadNow()).isTrue();

        assertThat(servedCertificate(port, withCert).getSubjectX500Principal().getName()).isEqualTo("CN=rotated");
    }

    @Test
    void aHalfWrittenKeyFileKeepsTheOldCertificateServing() throws IOException {
        ServerTls tls = start(new ServerTlsSettings(server.certFile(), server.keyFile(), null, ClientAuth.NONE), NO_WATCHER);
        int port = serve(tls);
        Issued rotated = issueServer("next", "rotated");
        String key = Files.readString(rotated.keyFile());

        // the new certificate is in place and its key only half written
        Files.copy(rotated.certFile(), server.certFile(), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.writeString(server.keyFile(), key.substring(0, key.length() / 2));

        assertThat(tls.reloadNow()).isFalse();
        assertThat(tls.failedReloads()).isEqualTo(1);
        assertThat(servedCertificate(port, TlsFiles.trusting(caFile)).getSubjectX500Principal().getName()).isEqualTo("CN=localhost");
        assertThat(tls.reloadNow()).as("files unchanged since the refused attempt").isFalse();
        assertThat(tls.failedReloads()).isEqualTo(1);

        Files.writeString(server.keyFile(), key);

        assertThat(tls.reloadNow()).isTrue();
        assertThat(servedCertificate(port, TlsFiles.trusting(caFile)).getSubjectX500Principal().getName()).isEqualTo("CN=rotated");
    }

    @Test
    void aCertificateReplacedBeforeItsKeyKeepsTheOldCertificateServing() throws IOException {
        ServerTls tls = start(new ServerTlsSettings(server.certFile(), server.keyFile(), null, ClientAuth.NONE), NO_WATCHER);
        int port = serve(tls);
        Issued rotated = issueServer("next", "rotated");

        Files.copy(rotated.certFile(), server.certFile(), java.nio.file.StandardCopyOption.REPLACE_EXISTING);

        assertThat(tls.reloadNow()).isFalse();
        assertThat(servedCertificate(port, TlsFiles.trusting(caFile)).getSubjectX500Principal().getName()).isEqualTo("CN=localhost");

        Files.copy(rotated.keyFile(), server.keyFile(), java.nio.file.StandardCopyOption.REPLACE_EXISTING);

        assertThat(tls.reloadNow()).isTrue();
        assertThat(servedCertificate(port, TlsFiles.trusting(caFile)).getSubjectX500Principal().getName()).isEqualTo("CN=rotated");
    }

    @Test
    void aPkcs1KeyFileIsRead() throws IOException {
        Issued rsa = ca.issue(dir, "rsa", "rsa-server", List.of("localhost"), List.of("127.0.0.1"), Instant.now(),
                Duration.ofDays(1), KeyAlgorithm.RSA);
        Path pkcs1 = pkcs1(rsa);

        int port = serve(start(new ServerTlsSettings(rsa.certFile(), pkcs1, null, ClientAuth.NONE), NO_WATCHER));

        assertThat(servedCertificate(port, TlsFiles.trusting(caFile)).getSubjectX500Principal().getName()).isEqualTo("CN=rsa-server");
    }

    @Test
    void aClientKeyInPkcs1IsRead() throws IOException {
        int port = serve(start(new ServerTlsSettings(server.certFile(), server.keyFile(), caFile, ClientAuth.REQUIRE), NO_WATCHER));
        Issued client = ca.issue(dir, "rsa-client", "app", List.of(), List.of(), Instant.now(), Duration.ofDays(1), KeyAlgorithm.RSA);
        Path pkcs1 = pkcs1(client);

        assertThat(check(port, new TlsFiles(client.certFile(), pkcs1, caFile))).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
    }

    @Test
    void aClientKeyInSec1IsRead() throws IOException {
        int port = serve(start(new ServerTlsSettings(server.certFile(), server.keyFile(), caFile, ClientAuth.REQUIRE), NO_WATCHER));
        Issued client = ca.issueClient(dir, "client", "app");
        Path sec1 = sec1(client);

        assertThat(check(port, new TlsFiles(client.certFile(), sec1, caFile))).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
    }

    @Test
    void aSec1EcKeyFileIsRead() throws IOException {
        Path sec1File = sec1(server);

        int port = serve(start(new ServerTlsSettings(server.certFile(), sec1File, null, ClientAuth.NONE), NO_WATCHER));

        assertThat(servedCertificate(port, TlsFiles.trusting(caFile)).getSubjectX500Principal().getName()).isEqualTo("CN=localhost");
    }

    @Test
    void aMissingOrWrongFileIsNamedAtStart() {
        Path missing = dir.resolve("missing.key");
        assertThatThrownBy(() -> ServerTls.start(new ServerTlsSettings(server.certFile(), missing, null, ClientAuth.NONE)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(missing.toString()).hasMessageContaining("no such file");

        Issued other = issueServer("other", "other");
        assertThatThrownBy(() -> ServerTls.start(new ServerTlsSettings(server.certFile(), other.keyFile(), null, ClientAuth.NONE)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(other.keyFile().toString())
                .hasMessageContaining("is not the key");

        assertThatThrownBy(() -> ServerTls.start(new ServerTlsSettings(server.certFile(), server.keyFile(), dir, ClientAuth.REQUIRE)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(dir.toString()).hasMessageContaining("not a regular file");

        assertThatThrownBy(() -> ServerTls.start(new ServerTlsSettings(server.keyFile(), server.keyFile(), null, ClientAuth.NONE)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(server.keyFile().toString())
                .hasMessageContaining("no PEM certificate");
    }

    /** The key of {@code issued} rewritten as PKCS#1 (RSA PRIVATE KEY), as older OpenSSL writes it. */
    private Path pkcs1(Issued issued) throws IOException {
        PrivateKeyInfo info = PrivateKeyInfo.getInstance(Pem.privateKey(issued.keyFile(), Files.readAllBytes(issued.keyFile())).getEncoded());
        Path file = dir.resolve(issued.keyFile().getFileName() + ".pkcs1");
        Files.writeString(file, Pem.encode("RSA PRIVATE KEY", info.parsePrivateKey().toASN1Primitive().getEncoded()));
        assertThat(Files.readString(file)).startsWith("-----BEGIN RSA PRIVATE KEY-----");
        return file;
    }

    /** The EC key of {@code issued} rewritten as SEC1 (EC PRIVATE KEY, naming its curve), as openssl ecparam writes it. */
    private Path sec1(Issued issued) throws IOException {
        X509Certificate leaf = Pem.certificates(issued.certFile(), Files.readAllBytes(issued.certFile())).get(0);
        ECPrivateKey key = (ECPrivateKey) Pem.privateKey(issued.keyFile(), Files.readAllBytes(issued.keyFile()));
        org.bouncycastle.asn1.sec.ECPrivateKey sec1 = new org.bouncycastle.asn1.sec.ECPrivateKey(256, key.getS(),
                SubjectPublicKeyInfo.getInstance(leaf.getPublicKey().getEncoded()).getPublicKeyData(), SECObjectIdentifiers.secp256r1);
        Path file = dir.resolve(issued.keyFile().getFileName() + ".sec1");
        Files.writeString(file, Pem.encode("EC PARAMETERS", SECObjectIdentifiers.secp256r1.getEncoded())
                + Pem.encode("EC PRIVATE KEY", sec1.getEncoded()));
        return file;
    }

    private Issued issueServer(String name, String commonName) {
        return ca.issue(dir, name, commonName, List.of("localhost"), List.of("127.0.0.1"));
    }

    private ServerTls start(ServerTlsSettings settings, Duration interval) {
        ServerTls tls = ServerTls.start(settings, interval);
        closing.add(tls);
        return tls;
    }

    private int serve(ServerTls tls) {
        try {
            Server s = NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                    .sslContext(tls.sslContext())
                    .addService(new HealthStatusManager().getHealthService())
                    .build()
                    .start();
            closing.add(() -> s.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
            return s.getPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private ManagedChannel channel(int port, TlsFiles files) {
        ManagedChannel c = ClientTls.apply(NettyChannelBuilder.forAddress(InetAddress.getLoopbackAddress().getHostAddress(), port), files).build();
        closing.add(() -> c.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
        return c;
    }

    private HealthCheckResponse.ServingStatus check(int port, TlsFiles files) {
        return check(channel(port, files));
    }

    private static HealthCheckResponse.ServingStatus check(Channel channel) {
        return HealthGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                .check(HealthCheckRequest.getDefaultInstance()).getStatus();
    }

    /** The certificate a new connection is served (each channel has its own TLS context, so no session is resumed). */
    private X509Certificate servedCertificate(int port, TlsFiles files) {
        AtomicReference<X509Certificate> peer = new AtomicReference<>();
        ClientInterceptor recorder = new ClientInterceptor() {
            @Override
            public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
                ClientCall<Q, R> call = next.newCall(method, options);
                return new ForwardingClientCall.SimpleForwardingClientCall<>(call) {
                    @Override
                    public void start(Listener<R> listener, Metadata headers) {
                        super.start(new ForwardingClientCallListener.SimpleForwardingClientCallListener<>(listener) {
                            @Override
                            public void onHeaders(Metadata h) {
                                SSLSession session = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
                                try {
                                    peer.set((X509Certificate) session.getPeerCertificates()[0]);
                                } catch (SSLPeerUnverifiedException e) {
                                    throw new IllegalStateException(e);
                                }
                                super.onHeaders(h);
                            }
                        }, headers);
                    }
                };
            }
        };
        assertThat(check(ClientInterceptors.intercept(channel(port, files), recorder))).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
        assertThat(peer.get()).isNotNull();
        return peer.get();
    }

    private StatusRuntimeException assertRefused(int port, TlsFiles files) {
        StatusRuntimeException e = (StatusRuntimeException) org.assertj.core.api.Assertions.catchThrowable(() -> check(port, files));
        assertThat(e).as("a call that should have been refused").isNotNull();
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        return e;
    }

    private static List<String> causes(Throwable e) {
        List<String> messages = new ArrayList<>();
        for (Throwable t = e; t != null; t = t.getCause()) {
            messages.add(String.valueOf(t.getMessage()));
        }
        return messages;
    }
}
