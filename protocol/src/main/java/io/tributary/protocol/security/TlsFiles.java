package io.tributary.protocol.security;

import java.nio.file.Path;

/**
 * The PEM files of one end of a TLS connection, and for a client the name the server's certificate
 * must hold.
 *
 * @param certFile this end's certificate chain, leaf first (null: none; a client then presents no
 *                 certificate)
 * @param keyFile the private key of {@code certFile} (PKCS#8, or PKCS#1/SEC1 on servers)
 * @param trustCertsFile the CA certificates the other end's certificate must chain to (null: the
 *                       JDK's default trust store)
 * @param serverName clients only: the host name every server's certificate is checked against (and
 *                   sent as SNI and as the calls' authority) instead of the host dialled, e.g. the one
 *                   DNS name all brokers of a Kubernetes Deployment share while they are dialled at
 *                   their pod IPs; null: the dialled host. Servers ignore it.
 */
public record TlsFiles(Path certFile, Path keyFile, Path trustCertsFile, String serverName) {
    public TlsFiles {
        if ((certFile == null) != (keyFile == null)) {
            throw new IllegalArgumentException("a TLS certificate needs its key and a key its certificate");
        }
        serverName = serverName(serverName);
    }

    /** Files only: a client checks the server's certificate against the host it dials. */
    public TlsFiles(Path certFile, Path keyFile, Path trustCertsFile) {
        this(certFile, keyFile, trustCertsFile, null);
    }

    /**
     * {@code name} as a TLS server name: trimmed, null when null or blank.
     *
     * @throws IllegalArgumentException when it is not a host name (a port, a scheme or a space in it)
     */
    public static String serverName(String name) {
        if (name == null || name.isBlank()) {
            return null;
        }
        String n = name.trim();
        if (n.contains(":") || n.contains("/") || n.contains(" ")) {
            throw new IllegalArgumentException("a TLS server name is a host name, without port or scheme: " + name);
        }
        return n;
    }

    /** Trust only: verify the server against {@code trustCertsFile}, present no certificate. */
    public static TlsFiles trusting(Path trustCertsFile) {
        return new TlsFiles(null, null, trustCertsFile);
    }

    /** These files, checking servers' certificates against {@code name} (null or blank: the dialled host). */
    public TlsFiles withServerName(String name) {
        return new TlsFiles(certFile, keyFile, trustCertsFile, name);
    }
}
