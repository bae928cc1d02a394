package io.tributary.protocol.security;

import java.nio.file.Path;

/**
 * The PEM files of one end of a TLS connection.
 *
 * @param certFile this end's certificate chain, leaf first (null: none; a client then presents no
 *                 certificate)
 * @param keyFile the private key of {@code certFile} (PKCS#8, or PKCS#1/SEC1 on servers)
 * @param trustCertsFile the CA certificates the other end's certificate must chain to (null: the
 *                       JDK's default trust store)
 */
public record TlsFiles(Path certFile, Path keyFile, Path trustCertsFile) {
    public TlsFiles {
        if ((certFile == null) != (keyFile == null)) {
            throw new IllegalArgumentException("a TLS certificate needs its key and a key its certificate");
        }
    }

    /** Trust only: verify the server against {@code trustCertsFile}, present no certificate. */
    public static TlsFiles trusting(Path trustCertsFile) {
        return new TlsFiles(null, null, trustCertsFile);
    }
}
