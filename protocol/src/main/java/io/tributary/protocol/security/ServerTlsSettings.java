package io.tributary.protocol.security;

import io.tributary.protocol.config.Settings;
import java.nio.file.Path;
import java.util.Locale;

/**
 * TLS of one listener (gRPC, ZooKeeper's secure port, a bookie), from PEM files.
 *
 * @param certFile the listener's certificate chain, leaf first
 * @param keyFile its private key (PKCS#8, PKCS#1 or SEC1)
 * @param trustCertsFile CA certificates a client certificate must chain to (null: client
 *                       certificates are not asked for)
 * @param clientAuth whether clients must present a certificate
 */
public record ServerTlsSettings(Path certFile, Path keyFile, Path trustCertsFile, ClientAuth clientAuth) {
    /** Whether a listener asks clients for a certificate (mTLS). */
    public enum ClientAuth {
        /** No client certificate is asked for. */
        NONE,
        /** A client may present one; if it does, it must be valid (not for bookies: BookKeeper has no such mode). */
        OPTIONAL,
        /** A client without a valid certificate is refused during the handshake. */
        REQUIRE
    }

    public ServerTlsSettings {
        if (certFile == null || keyFile == null) {
            throw new IllegalArgumentException("TLS needs a certificate file and a key file");
        }
        if (clientAuth == null) {
            clientAuth = ClientAuth.NONE;
        }
        if (clientAuth != ClientAuth.NONE && trustCertsFile == null) {
            throw new IllegalArgumentException("client certificates (clientAuth " + clientAuth.name().toLowerCase(Locale.ROOT)
                    + ") need a trustCertsFile to check them against");
        }
    }

    /**
     * The settings under {@code prefix} ({@code broker.tls}, {@code bookie.tls}, {@code zookeeper.tls}): {@code .enabled}, {@code .certFile},
     * {@code .keyFile}, {@code .trustCertsFile}, {@code .clientAuth} (none, optional, require); null
     * when {@code prefix.enabled} is false (the default). A bad value names its key.
     */
    public static ServerTlsSettings from(Settings s, String prefix) {
        return from(s, prefix, null);
    }

    /**
     * As {@link #from(Settings, String)}, each file not set under {@code prefix} taken from under
     * {@code filesPrefix} (a process's metrics endpoint, {@code broker.metrics.tls}, serves the
     * certificate of its main listener, {@code broker.tls}, unless given its own); {@code .enabled} and
     * {@code .clientAuth} are never taken from there. {@code filesPrefix} null: no defaults.
     */
    public static ServerTlsSettings from(Settings s, String prefix, String filesPrefix) {
        if (!s.getBoolean(prefix + ".enabled", false)) {
            return null;
        }
        String cert = file(s, prefix, filesPrefix, ".certFile");
        String key = file(s, prefix, filesPrefix, ".keyFile");
        if (cert == null || key == null) {
            throw new IllegalArgumentException(prefix + ".enabled needs " + prefix + ".certFile and " + prefix + ".keyFile"
                    + (filesPrefix == null ? "" : " (or " + filesPrefix + ".certFile and " + filesPrefix + ".keyFile)"));
        }
        String trust = file(s, prefix, filesPrefix, ".trustCertsFile");
        String auth = s.get(prefix + ".clientAuth", "none");
        ClientAuth clientAuth;
        try {
            clientAuth = ClientAuth.valueOf(auth.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(prefix + ".clientAuth must be none, optional or require, got '" + auth + "'");
        }
        try {
            return new ServerTlsSettings(Path.of(cert), Path.of(key), trust == null ? null : Path.of(trust), clientAuth);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(prefix + ": " + e.getMessage(), e);
        }
    }

    private static String file(Settings s, String prefix, String filesPrefix, String suffix) {
        String value = s.get(prefix + suffix, null);
        return value != null || filesPrefix == null ? value : s.get(filesPrefix + suffix, null);
    }
}
