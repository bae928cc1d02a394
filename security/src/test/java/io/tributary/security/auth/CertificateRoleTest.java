package io.tributary.security.auth;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import io.tributary.protocol.config.Settings;
import io.tributary.protocol.security.ServerTlsSettings;
import io.tributary.protocol.security.ServerTlsSettings.ClientAuth;
import io.tributary.protocol.security.TlsFiles;
import io.tributary.security.tls.CertificateAuthority;
import io.tributary.security.tls.ServerTls;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Roles from verified client certificates (mTLS) on a real TLS listener, with a CA made in the test. */
class CertificateRoleTest {
    @TempDir
    Path dir;
    private final List<AutoCloseable> resources = new ArrayList<>();
    private CertificateAuthority ca;
    private Path caFile;
    private Path secret;

    @BeforeEach
    void makeCa() {
        ca = CertificateAuthority.create("Tributary test CA", Duration.ofDays(1));
        caFile = ca.writeCertificate(dir.resolve("ca.crt"));
        secret = dir.resolve("secret.key");
        Tokens.createSecretKey(secret);
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
    }

    private static AuthenticationSettings settings(String... keysAndValues) {
        Properties p = new Properties();
        p.setProperty("broker.internal.authentication.enabled", "true");
        for (int i = 0; i < keysAndValues.length; i += 2) {
            p.setProperty("broker.internal.authentication." + keysAndValues[i], keysAndValues[i + 1]);
        }
        return AuthenticationSettings.from(new Settings(p, Map.of()), "broker.internal.authentication");
    }

    private WhoAmIServer serveTls(AuthenticationInterceptor interceptor) {
        CertificateAuthority.Issued cert = ca.issue(dir, "server", "localhost", List.of("localhost"), List.of("127.0.0.1"));
        ServerTls tls = ServerTls.start(new ServerTlsSettings(cert.certFile(), cert.keyFile(), caFile, ClientAuth.OPTIONAL));
        resources.add(tls);
        WhoAmIServer server = new WhoAmIServer(interceptor, tls.sslContext());
        resources.add(server);
        return server;
    }

    private TlsFiles clientCertificate(String role) {
        CertificateAuthority.Issued cert = ca.issueClient(dir, "client-" + role, role);
        return new TlsFiles(cert.certFile(), cert.keyFile(), caFile);
    }

    @Test
    void aVerifiedClientCertificateNamesTheRoleWhenNoTokenIsSent() {
        WhoAmIServer server = serveTls(AuthenticationInterceptor.create(settings("secretKeyFile", secret.toString(),
                "certificateRoles", "true")));
        server.clientTls = clientCertificate("broker-1");
        assertThat(server.whoAmI(null)).isEqualTo("role=broker-1 caller=broker-1");
        // A token, when sent, names the role instead.
        assertThat(server.whoAmI(Tokens.create("alice", null, secret, null, null))).isEqualTo("role=alice caller=alice");
    }

    @Test
    void aClientCertificateIsNoRoleUnlessCertificateRolesIsOn() {
        WhoAmIServer server = serveTls(AuthenticationInterceptor.create(settings("secretKeyFile", secret.toString())));
        server.clientTls = clientCertificate("broker-1");
        Status refused = server.refusal(null);
        assertThat(refused.getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
        assertThat(refused.getDescription()).contains("missing token");
    }

    @Test
    void withoutACertificateOrTokenTheCallIsRefusedSayingWhatToSend() {
        WhoAmIServer server = serveTls(AuthenticationInterceptor.create(settings("certificateRoles", "true")));
        server.clientTls = TlsFiles.trusting(caFile);
        Status refused = server.refusal(null);
        assertThat(refused.getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
        assertThat(refused.getDescription()).contains("missing token").contains("client certificate");
    }

    @Test
    void onlyBrokerCertificatesReachAnInternalListenerWithoutTokens() {
        WhoAmIServer internal = serveTls(AuthenticationInterceptor.create(settings("certificateRoles", "true"))
                .onlyCallers(Set.of("broker-1", "broker-2")));
        internal.clientTls = clientCertificate("broker-2");
        assertThat(internal.whoAmI(null)).isEqualTo("role=broker-2 caller=broker-2");

        internal.clientTls = clientCertificate("alice");
        Status refused = internal.refusal(null);
        assertThat(refused.getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
        assertThat(refused.getDescription()).contains("role 'alice' may not call");

        // This listener takes no tokens at all: a token cannot stand in for a broker's certificate.
        refused = internal.refusal(Tokens.create("broker-1", null, secret, null, null));
        assertThat(refused.getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
        assertThat(refused.getDescription()).contains("takes no tokens");
    }
}
