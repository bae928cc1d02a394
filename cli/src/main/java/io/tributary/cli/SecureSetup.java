package io.tributary.cli;

import io.tributary.broker.BrokerConfig;
import io.tributary.broker.InternalListenerConfig;
import io.tributary.broker.auth.AuthorizationConfig;
import io.tributary.protocol.security.ServerTlsSettings;
import io.tributary.protocol.security.TlsFiles;
import io.tributary.proxy.ProxyConfig;
import io.tributary.security.auth.AuthenticationSettings;
import io.tributary.security.auth.Tokens;
import io.tributary.security.tls.CertificateAuthority;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;

/**
 * What {@code standalone --secure} needs, made once under {@code <data-dir>/security} and reused on
 * every later start: a CA, a certificate for 127.0.0.1 and localhost that every listener presents,
 * a secret key for tokens, and a token per role (the superuser an operator uses, the proxy, the
 * brokers). A certificate is issued again when it nears its end.
 *
 * @param dir where the files are
 * @param caFile the CA certificate clients trust
 * @param certFile the listeners' certificate chain
 * @param keyFile its private key
 * @param secretKeyFile the HS256 key tokens are signed with
 * @param adminTokenFile a token of the superuser role {@link #ADMIN_ROLE}
 * @param proxyTokenFile the proxy's token, role {@link #PROXY_ROLE}
 * @param brokerTokenFile the brokers' token, role {@link #BROKER_ROLE}
 */
public record SecureSetup(Path dir, Path caFile, Path certFile, Path keyFile, Path secretKeyFile, Path adminTokenFile,
                   Path proxyTokenFile, Path brokerTokenFile) {
    static final String ADMIN_ROLE = "admin";
    static final String PROXY_ROLE = "proxy";
    static final String BROKER_ROLE = "broker";
    private static final Duration CA_VALIDITY = Duration.ofDays(3650);
    private static final Duration CERT_VALIDITY = Duration.ofDays(365);
    /** A certificate with less than this left is issued again at start. */
    private static final Duration RENEW_BEFORE = Duration.ofDays(30);

    /** The files under {@code dataDir/security}, made where missing. */
    public static SecureSetup prepare(Path dataDir) {
        Path dir = dataDir.resolve("security");
        SecureSetup s = new SecureSetup(dir, dir.resolve("ca.crt"), dir.resolve("server.crt"), dir.resolve("server.key"),
                dir.resolve("token-secret.key"), dir.resolve("admin.token"), dir.resolve("proxy.token"),
                dir.resolve("broker.token"));
        try {
            Files.createDirectories(dir);
            CertificateAuthority ca = CertificateAuthority.loadOrCreate(dir, "Tributary standalone CA", CA_VALIDITY);
            if (!Files.exists(s.certFile) || expiresWithin(s.certFile, RENEW_BEFORE) || !issuedBy(s.certFile, ca)) {
                ca.issue(dir, "server", "localhost", List.of("localhost"), List.of("127.0.0.1"), Instant.now(),
                        CERT_VALIDITY);
            }
            if (!Files.exists(s.secretKeyFile)) {
                Tokens.createSecretKey(s.secretKeyFile);
            }
            writeToken(s.adminTokenFile, ADMIN_ROLE, s.secretKeyFile);
            writeToken(s.proxyTokenFile, PROXY_ROLE, s.secretKeyFile);
            writeToken(s.brokerTokenFile, BROKER_ROLE, s.secretKeyFile);
            return s;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare the secure standalone's keys in " + dir, e);
        }
    }

    /** Where {@link #writeClientConfig} writes a superuser's client settings once the proxy listens. */
    public Path clientConfigFile() {
        return dir.resolve("client.properties");
    }

    /**
     * Writes {@code client.properties} next to the keys: the proxy's TLS address, the CA to trust and
     * the superuser's token file, for {@code --client-config} (paths relative to the file).
     */
    Path writeClientConfig(int proxyPort) {
        Path file = clientConfigFile();
        String text = "# written by tributary standalone --secure: a superuser's client settings\n"
                + "serviceUrl=tls://localhost:" + proxyPort + "\n"
                + "tlsTrustCertsFile=" + caFile.getFileName() + "\n"
                + "authTokenFile=" + adminTokenFile.getFileName() + "\n";
        try {
            Files.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
        return file;
    }

    /** TLS only for ZooKeeper and the bookies, with the one certificate; every client trusts the CA. */
    Standalone.StorageTlsSetup storageTls() {
        ServerTlsSettings server = new ServerTlsSettings(certFile, keyFile, caFile, ServerTlsSettings.ClientAuth.NONE);
        return new Standalone.StorageTlsSetup(server, server, new TlsFiles(certFile, keyFile, caFile));
    }

    /**
     * Every process's metrics and health endpoint: HTTPS with the one certificate, no client certificate
     * asked for (a scraper trusts {@link #caFile()}).
     */
    ServerTlsSettings metricsTls() {
        return new ServerTlsSettings(certFile, keyFile, null, ServerTlsSettings.ClientAuth.NONE);
    }

    /**
     * The brokers' listeners on TLS (their metrics endpoints on HTTPS), tokens checked, the proxy's
     * forwarded roles accepted, {@value #ADMIN_ROLE} a superuser.
     */
    void secureBroker(BrokerConfig.Builder broker) {
        ServerTlsSettings tls = new ServerTlsSettings(certFile, keyFile, null, ServerTlsSettings.ClientAuth.NONE);
        broker.tls(tls)
                .metricsTls(metricsTls())
                .authentication(AuthenticationSettings.withSecretKey(secretKeyFile).withProxyRoles(Set.of(PROXY_ROLE)))
                .authorization(AuthorizationConfig.enabled(Set.of(ADMIN_ROLE)))
                .internal(new InternalListenerConfig("127.0.0.1", 0, null, tls, Set.of(BROKER_ROLE), brokerTokenFile,
                        TlsFiles.trusting(caFile)));
    }

    /** The proxy on TLS checking tokens (its metrics endpoint on HTTPS); to brokers over TLS with its own token. */
    ProxyConfig secureProxy(ProxyConfig proxy) {
        return proxy.withTls(new ServerTlsSettings(certFile, keyFile, null, ServerTlsSettings.ClientAuth.NONE))
                .withMetricsTls(metricsTls())
                .withAuthentication(AuthenticationSettings.withSecretKey(secretKeyFile))
                .withBrokerClient(proxyTokenFile, TlsFiles.trusting(caFile));
    }

    private static X509Certificate leaf(Path certFile) throws IOException {
        try (var in = Files.newInputStream(certFile)) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        } catch (CertificateException e) {
            throw new IOException("cannot read the certificate " + certFile + ": " + e.getMessage(), e);
        }
    }

    private static boolean expiresWithin(Path certFile, Duration window) throws IOException {
        return leaf(certFile).getNotAfter().toInstant().isBefore(Instant.now().plus(window));
    }

    /** A CA made again (the old one expired) needs a new server certificate too. */
    private static boolean issuedBy(Path certFile, CertificateAuthority ca) throws IOException {
        return leaf(certFile).getIssuerX500Principal().equals(ca.certificate().getSubjectX500Principal())
                && verifies(leaf(certFile), ca.certificate());
    }

    private static boolean verifies(X509Certificate cert, X509Certificate issuer) {
        try {
            cert.verify(issuer.getPublicKey());
            return true;
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    /** Tokens without expiry, made once: the secret key they are signed with stays in the data directory. */
    private static void writeToken(Path file, String role, Path secretKeyFile) throws IOException {
        if (!Files.exists(file)) {
            Files.writeString(file, Tokens.create(role, null, secretKeyFile, null, null));
            if (Files.getFileStore(file).supportsFileAttributeView(PosixFileAttributeView.class)) {
                Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
            }
        }
    }
}
