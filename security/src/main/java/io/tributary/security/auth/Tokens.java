package io.tributary.security.auth;

import java.nio.file.Path;
import java.time.Duration;

/** Mints keys and tokens ({@code tributary tokens ...}). */
public final class Tokens {
    private Tokens() {}

    /** Writes a new random HS256 secret key (base64) to {@code file}, readable by its owner only. */
    public static void createSecretKey(Path file) {
        throw new UnsupportedOperationException("TODO(h11-auth)");
    }

    /** Writes a new key pair for {@code algorithm} (RS256 or ES256) as PEM: private to {@code privateFile}, public to {@code publicFile}. */
    public static void createKeyPair(String algorithm, Path privateFile, Path publicFile) {
        throw new UnsupportedOperationException("TODO(h11-auth)");
    }

    /**
     * A token for {@code subject} signed with the key in {@code keyFile} (a secret key or a private
     * key, told apart by its contents); {@code expiry} null for no expiry; {@code issuer} and
     * {@code audience} may be null.
     */
    public static String create(String subject, Duration expiry, Path keyFile, String issuer, String audience) {
        throw new UnsupportedOperationException("TODO(h11-auth)");
    }

    /** The header and claims of {@code token} as JSON, not verified. */
    public static String show(String token) {
        throw new UnsupportedOperationException("TODO(h11-auth)");
    }
}
