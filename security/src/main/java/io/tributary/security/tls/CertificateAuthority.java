package io.tributary.security.tls;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A small certificate authority: makes a CA and issues server and client certificates signed by it,
 * written as PEM files. Used by {@code standalone --secure} and by tests (no private key is ever
 * committed).
 */
public final class CertificateAuthority {
    private CertificateAuthority() {}

    /** A new self-signed CA named {@code commonName}, valid for {@code validity}. */
    public static CertificateAuthority create(String commonName, Duration validity) {
        throw new UnsupportedOperationException("TODO(h11-tls)");
    }

    /** Writes the CA's certificate (PEM) to {@code file}. */
    public Path writeCertificate(Path file) {
        throw new UnsupportedOperationException("TODO(h11-tls)");
    }

    /**
     * Issues a certificate for {@code commonName} (a server's host or a client's role) with the
     * given DNS names and IP addresses as subject alternative names, valid from {@code notBefore}
     * for {@code validity} (a negative window makes an expired certificate, for tests), and writes
     * {@code name}.crt (chain: leaf, then this CA) and {@code name}.key (PKCS#8) into {@code dir}.
     */
    public Issued issue(Path dir, String name, String commonName, List<String> dnsNames, List<String> ipAddresses,
                        java.time.Instant notBefore, Duration validity) {
        throw new UnsupportedOperationException("TODO(h11-tls)");
    }

    /** The files of an issued certificate. */
    public record Issued(Path certFile, Path keyFile) {}
}
