package io.tributary.client;

import io.tributary.client.impl.auth.TokenAuthentication;
import java.nio.file.Path;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * How a client proves who it is: a token (a JWT) sent as {@code authorization: Bearer <token>} on
 * every call. Give it to {@link ClientBuilder#authentication} or
 * {@link io.tributary.client.admin.TributaryAdminBuilder#authentication}.
 *
 * <p>A token that expires is renewed before it does: when the token is a JWT with an {@code exp}
 * claim, the supplier is asked again (the file read again) once it is within 30 seconds of
 * expiring. When a broker ends a stream because the token expired, the client asks for a fresh one
 * and reopens the stream at once; only if the fresh token is refused too does the application see
 * a {@link TributaryClientException.NotAuthenticatedException}. The token's text is never logged.
 *
 * <pre>{@code
 * TributaryClient client = TributaryClient.builder()
 *         .serviceUrl("tls://tributary.example.com:6650")
 *         .authentication(Authentication.tokenFile(Path.of("/var/run/secrets/tributary/token")))
 *         .build();
 * }</pre>
 *
 * <p>Instances come from the factories below (the builders refuse other implementations), are
 * thread-safe and may be shared by several clients.
 */
public interface Authentication {

    /** A fixed token. */
    static Authentication token(String token) {
        Objects.requireNonNull(token, "token");
        if (token.isBlank()) {
            throw new IllegalArgumentException("the token is empty");
        }
        String t = token.trim();
        return new TokenAuthentication("a fixed token", () -> t, null);
    }

    /**
     * A token asked of {@code supplier}: once at the first call, then again only when the last one
     * is within 30 seconds of its expiry (a JWT's {@code exp}), or after a broker refused it. The
     * supplier runs on a gRPC thread and should answer quickly (return a cached token, renewed in
     * the background).
     */
    static Authentication token(Supplier<String> supplier) {
        Objects.requireNonNull(supplier, "supplier");
        return new TokenAuthentication("a token supplier", supplier, null);
    }

    /**
     * A token read from {@code file} (surrounding whitespace ignored), and read again whenever the
     * file changes, so a token rotated by a sidecar or a Kubernetes secret is followed without a
     * restart. A file that cannot be read keeps the last token in use while it is still valid.
     */
    static Authentication tokenFile(Path file) {
        Objects.requireNonNull(file, "file");
        return new TokenAuthentication("the token file " + file, null, file);
    }
}
