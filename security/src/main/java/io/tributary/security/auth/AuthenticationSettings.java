package io.tributary.security.auth;

import io.tributary.protocol.config.Settings;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * How a listener authenticates its callers.
 *
 * @param enabled whether calls without valid credentials are refused (UNAUTHENTICATED)
 * @param secretKeyFile HS256 secret key (base64 text of at least 32 bytes, as {@code tributary tokens
 *                      create-secret-key} or {@code openssl rand -base64 32} writes it; raw binary
 *                      is refused), or null
 * @param publicKeyFile RS256 (RSA, 2048 bits or more) or ES256 (EC P-256) public key: PEM
 *                      {@code PUBLIC KEY} or a {@code CERTIFICATE}; or null
 * @param jwksUrl a JWKS document's URL (keys for RS256 and ES256), or null
 * @param oidcIssuerUrl an OpenID Connect issuer whose discovery document names the JWKS, or null
 * @param issuer the required {@code iss} claim, or null (not checked; with {@code oidcIssuerUrl},
 *               the issuer its discovery document names is required)
 * @param audience the required {@code aud} claim, or null (not checked)
 * @param roleClaim the claim holding the role ({@code sub} by default)
 * @param jwksRefreshInterval how long fetched keys are used before they are fetched again (at least
 *                            10s); a token naming an unknown key id makes them fetched at once,
 *                            at most twice per half interval (and per 30s)
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

    static final String DEFAULT_ROLE_CLAIM = "sub";
    static final Duration DEFAULT_JWKS_REFRESH = Duration.ofMinutes(15);

    public AuthenticationSettings {
        if (roleClaim == null || roleClaim.isBlank()) {
            roleClaim = DEFAULT_ROLE_CLAIM;
        }
        if (jwksRefreshInterval == null) {
            jwksRefreshInterval = DEFAULT_JWKS_REFRESH;
        }
        proxyRoles = proxyRoles == null ? Set.of() : Set.copyOf(proxyRoles);
    }

    /** Settings that verify tokens with the HS256 secret key in {@code secretKeyFile}, roles from {@code sub}. */
    public static AuthenticationSettings withSecretKey(Path secretKeyFile) {
        return new AuthenticationSettings(true, secretKeyFile, null, null, null, null, null, DEFAULT_ROLE_CLAIM,
                DEFAULT_JWKS_REFRESH, false, Set.of());
    }

    /** Settings that verify tokens with the RS256 or ES256 public key (PEM) in {@code publicKeyFile}. */
    public static AuthenticationSettings withPublicKey(Path publicKeyFile) {
        return new AuthenticationSettings(true, null, publicKeyFile, null, null, null, null, DEFAULT_ROLE_CLAIM,
                DEFAULT_JWKS_REFRESH, false, Set.of());
    }

    /** These settings with {@code roles} allowed to forward calls for other roles. */
    public AuthenticationSettings withProxyRoles(Set<String> roles) {
        return new AuthenticationSettings(enabled, secretKeyFile, publicKeyFile, jwksUrl, oidcIssuerUrl, issuer, audience,
                roleClaim, jwksRefreshInterval, certificateRoles, roles);
    }

    /**
     * The settings under {@code prefix} ({@code broker.authentication}, say): {@code .enabled}
     * (default false), exactly one key source of {@code .secretKeyFile}, {@code .publicKeyFile},
     * {@code .jwksUrl}, {@code .oidcIssuerUrl} (or none with {@code .certificateRoles=true}: client
     * certificates only), {@code .issuer}, {@code .audience}, {@code .roleClaim} (default sub),
     * {@code .jwksRefreshInterval} (default 15m), {@code .certificateRoles} (default false),
     * {@code .proxyRoles} (comma list). An inconsistent combination fails naming its keys.
     */
    public static AuthenticationSettings from(Settings s, String prefix) {
        boolean enabled = s.getBoolean(prefix + ".enabled", false);
        String secret = s.get(prefix + ".secretKeyFile", null);
        String publicKey = s.get(prefix + ".publicKeyFile", null);
        String jwks = s.get(prefix + ".jwksUrl", null);
        String oidc = s.get(prefix + ".oidcIssuerUrl", null);
        String issuer = s.get(prefix + ".issuer", null);
        String audience = s.get(prefix + ".audience", null);
        String roleClaim = s.get(prefix + ".roleClaim", DEFAULT_ROLE_CLAIM);
        Duration refresh = s.getDuration(prefix + ".jwksRefreshInterval", DEFAULT_JWKS_REFRESH);
        boolean certificateRoles = s.getBoolean(prefix + ".certificateRoles", false);
        Set<String> proxyRoles = commaList(s.get(prefix + ".proxyRoles", ""));
        if (!enabled) {
            return new AuthenticationSettings(false, null, null, null, null, issuer, audience, roleClaim, refresh,
                    certificateRoles, proxyRoles);
        }
        List<String> sources = new ArrayList<>();
        if (secret != null) {
            sources.add(prefix + ".secretKeyFile");
        }
        if (publicKey != null) {
            sources.add(prefix + ".publicKeyFile");
        }
        if (jwks != null) {
            sources.add(prefix + ".jwksUrl");
        }
        if (oidc != null) {
            sources.add(prefix + ".oidcIssuerUrl");
        }
        if (sources.size() > 1) {
            throw new IllegalArgumentException(prefix + ".enabled takes one key source, but " + String.join(" and ", sources)
                    + " are all set: keep one");
        }
        if (sources.isEmpty() && !certificateRoles) {
            throw new IllegalArgumentException(prefix + ".enabled needs a key source to verify tokens with: " + prefix
                    + ".secretKeyFile, " + prefix + ".publicKeyFile, " + prefix + ".jwksUrl or " + prefix
                    + ".oidcIssuerUrl (or " + prefix + ".certificateRoles=true to take roles from client certificates only)");
        }
        if (jwks != null) {
            checkUrl(prefix + ".jwksUrl", jwks);
        }
        if (oidc != null) {
            checkUrl(prefix + ".oidcIssuerUrl", oidc);
        }
        if (refresh.compareTo(Duration.ofSeconds(10)) < 0) {
            throw new IllegalArgumentException(prefix + ".jwksRefreshInterval must be at least 10s, got " + refresh);
        }
        return new AuthenticationSettings(true, secret == null ? null : Path.of(secret),
                publicKey == null ? null : Path.of(publicKey), jwks, oidc, issuer, audience, roleClaim, refresh,
                certificateRoles, proxyRoles);
    }

    /** Whether tokens can be verified (a key source is set); false when only client certificates give roles. */
    boolean verifiesTokens() {
        return secretKeyFile != null || publicKeyFile != null || jwksUrl != null || oidcIssuerUrl != null;
    }

    private static void checkUrl(String key, String value) {
        try {
            URI uri = new URI(value);
            String scheme = uri.getScheme();
            if (uri.getHost() == null || scheme == null || !(scheme.equals("https") || scheme.equals("http"))) {
                throw new IllegalArgumentException(key + " must be an http(s) URL with a host, got '" + value + "'");
            }
        } catch (java.net.URISyntaxException e) {
            throw new IllegalArgumentException(key + " must be an http(s) URL, got '" + value + "': " + e.getMessage(), e);
        }
    }

    private static Set<String> commaList(String v) {
        Set<String> out = new LinkedHashSet<>();
        Arrays.stream(v.split(",")).map(String::trim).filter(x -> !x.isEmpty()).forEach(out::add);
        return out;
    }
}
