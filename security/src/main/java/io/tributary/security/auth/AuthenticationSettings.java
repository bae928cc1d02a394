package io.tributary.security.auth;

import io.tributary.protocol.config.Settings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;

/**
 * How a listener authenticates its callers.
 *
 * @param enabled whether calls without valid credentials are refused (UNAUTHENTICATED)
 * @param secretKeyFile HS256 secret key (base64 in a file), or null
 * @param publicKeyFile RS256 or ES256 public key (PEM), or null
 * @param jwksUrl a JWKS document's URL, or null
 * @param oidcIssuerUrl an OpenID Connect issuer whose discovery document names the JWKS, or null
 * @param issuer the required {@code iss} claim, or null (not checked)
 * @param audience the required {@code aud} claim, or null (not checked)
 * @param roleClaim the claim holding the role ({@code sub} by default)
 * @param jwksRefreshInterval how long fetched keys are used before they are fetched again
 * @param certificateRoles take the common name of a verified client certificate as the role when
 *                         no token is sent (mTLS)
 * @param proxyRoles roles allowed to forward calls for other roles (proxies)
 */
public record AuthenticationSettings(boolean enabled, Path secretKeyFile, Path publicKeyFile, String jwksUrl,
                                     String oidcIssuerUrl, String issuer, String audience, String roleClaim,
                                     Duration jwksRefreshInterval, boolean certificateRoles, Set<String> proxyRoles) {
    /** Authentication off: every call is admitted without a principal. */
    public static final AuthenticationSettings DISABLED = new AuthenticationSettings(false, null, null, null, null, null,
            null, "sub", Duration.ofMinutes(15), false, Set.of());

    /** The settings under {@code prefix} ({@code broker.authentication}, say); see docs/security.md. */
    public static AuthenticationSettings from(Settings s, String prefix) {
        throw new UnsupportedOperationException("TODO(h11-auth)");
    }
}
