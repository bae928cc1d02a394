package io.tributary.client;

import io.tributary.protocol.security.TlsFiles;
import java.nio.file.Path;
import java.util.Objects;

/**
 * TLS for the connection to the cluster, from PEM files: the CA certificates that the server's
 * certificate must chain to and, for mutual TLS, the client's own certificate and private key.
 * Immutable.
 *
 * <pre>{@code
 * TlsOptions tls = TlsOptions.trusting(Path.of("ca.crt"))
 *         .withClientCertificate(Path.of("client.crt"), Path.of("client.key"));
 * }</pre>
 *
 * <p>The files are read when the client is built, and again when they change, for the next
 * connection, so rotated certificates are used without rebuilding the client. The server's host
 * name (or the name given to {@link #withServerName}) is checked against its certificate.
 *
 * <p>A service URL with a TLS scheme ({@code tls://host:port}, {@code grpc+tls://host:port}) turns
 * TLS on by itself, trusting the JDK's default CAs, unless TLS options are given.
 */
public final class TlsOptions {
    private final Path trustCertsFile;
    private final Path certFile;
    private final Path keyFile;
    private final String serverName;

    private TlsOptions(Path trustCertsFile, Path certFile, Path keyFile, String serverName) {
        this.trustCertsFile = trustCertsFile;
        this.certFile = certFile;
        this.keyFile = keyFile;
        this.serverName = serverName;
    }

    /** TLS verifying the server against the CA certificates (PEM) in {@code caCertsFile}. */
    public static TlsOptions trusting(Path caCertsFile) {
        return new TlsOptions(Objects.requireNonNull(caCertsFile, "caCertsFile"), null, null, null);
    }

    /** TLS verifying the server against the JDK's default trusted CAs. */
    public static TlsOptions systemTrust() {
        return new TlsOptions(null, null, null, null);
    }

    /**
     * These options with a client certificate to present (mutual TLS): {@code certFile} holds the
     * certificate chain, leaf first, and {@code keyFile} its private key in PEM (PKCS#8, PKCS#1 or
     * SEC1, not encrypted).
     */
    public TlsOptions withClientCertificate(Path certFile, Path keyFile) {
        return new TlsOptions(trustCertsFile, Objects.requireNonNull(certFile, "certFile"),
                Objects.requireNonNull(keyFile, "keyFile"), serverName);
    }

    /**
     * These options checking the server's certificate against {@code name} (a host name, without port) instead
     * of the host the service URL names; also sent as the TLS server name (SNI). For a connection that reaches
     * the cluster by another address than its certificate holds, such as {@code kubectl port-forward} to
     * {@code localhost}: {@code withServerName("tributary-proxy.messaging.svc.cluster.local")}. Null or blank:
     * the service URL's host.
     */
    public TlsOptions withServerName(String name) {
        return new TlsOptions(trustCertsFile, certFile, keyFile, TlsFiles.serverName(name));
    }

    /** The name the server's certificate is checked against; null for the service URL's host. */
    public String serverName() {
        return serverName;
    }

    /** The trusted CA certificates; null for the JDK's defaults. */
    public Path trustCertsFile() {
        return trustCertsFile;
    }

    /** The client certificate chain; null when the client presents none. */
    public Path certFile() {
        return certFile;
    }

    /** The private key of {@link #certFile()}; null when the client presents no certificate. */
    public Path keyFile() {
        return keyFile;
    }

    @Override
    public String toString() {
        return "TlsOptions{trust=" + (trustCertsFile == null ? "system" : trustCertsFile)
                + (certFile == null ? "" : ", cert=" + certFile + ", key=" + keyFile)
                + (serverName == null ? "" : ", serverName=" + serverName) + "}";
    }
}
