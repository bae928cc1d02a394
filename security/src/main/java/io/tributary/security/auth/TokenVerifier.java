package io.tributary.security.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.crypto.factories.DefaultJWSVerifierFactory;
import com.nimbusds.jose.jwk.JWKMatcher;
import com.nimbusds.jose.jwk.JWKSelector;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.jwk.source.RateLimitReachedException;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.EncryptedJWT;
import com.nimbusds.jwt.JWT;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.JWTParser;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import io.tributary.api.v1.ErrorReason;
import java.net.MalformedURLException;
import java.net.URI;
import java.security.Key;
import java.security.PublicKey;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Verifies a JWT the way a listener accepts it: signature by a key of the configured source with
 * an algorithm that key allows (HS256 for a secret, RS256 for RSA, ES256 for P-256; never
 * {@code none} and never a secret algorithm against a public key), then {@code exp} and
 * {@code nbf} with {@link #CLOCK_SKEW}, {@code iss} and {@code aud} when configured, and the role
 * from the configured claim. Each refusal says which check failed and never quotes the token.
 *
 * <p>Keys from a JWKS URL or an OIDC issuer come through Nimbus' JWK source chain: cached for
 * {@code jwksRefreshInterval}, refreshed ahead of expiry in the background, fetched again at once
 * (at most twice per 30 s) when a token names a {@code kid} the cache lacks (the identity provider
 * rotated its keys), and kept in use while the provider is briefly unreachable. When no keys can
 * be had at all the call fails with SERVICE_NOT_READY (gRPC UNAVAILABLE) rather than
 * UNAUTHENTICATED: the client's token may well be good, so it should retry, not re-login.
 */
final class TokenVerifier {
    private static final Logger LOG = LoggerFactory.getLogger(TokenVerifier.class);
    /** How far the clocks of the token's issuer and this server may disagree. */
    static final Duration CLOCK_SKEW = Duration.ofSeconds(30);
    private static final int HTTP_TIMEOUT_MS = 5_000;
    private static final int HTTP_SIZE_LIMIT = 512 * 1024;

    /** A token that passed every check. */
    record Verified(String role, Instant expiresAt) {}

    /** Why a token was refused: NOT_AUTHENTICATED, or SERVICE_NOT_READY when keys cannot be fetched. */
    static final class Rejected extends Exception {
        final ErrorReason reason;

        Rejected(ErrorReason reason, String message) {
            super(message, null, false, false);
            this.reason = reason;
        }

        static Rejected unauthenticated(String message) {
            return new Rejected(ErrorReason.NOT_AUTHENTICATED, message);
        }
    }

    /** The keys that may have signed a token with this header. */
    private interface KeyLookup {
        List<? extends Key> keysFor(JWSHeader header) throws Rejected;
    }

    private final Set<JWSAlgorithm> algorithms;
    private final KeyLookup keys;
    private final Supplier<String> issuer;
    private final String audience;
    private final String roleClaim;
    private final Clock clock;
    private final DefaultJWSVerifierFactory verifiers = new DefaultJWSVerifierFactory();

    private TokenVerifier(Set<JWSAlgorithm> algorithms, KeyLookup keys, Supplier<String> issuer, String audience,
                          String roleClaim, Clock clock) {
        this.algorithms = algorithms;
        this.keys = keys;
        this.issuer = issuer;
        this.audience = audience;
        this.roleClaim = roleClaim;
        this.clock = clock;
    }

    /** A verifier for {@code s}; reads key files now (failing naming the file), fetches JWKS keys when first needed. */
    static TokenVerifier create(AuthenticationSettings s) {
        return create(s, Clock.systemUTC());
    }

    static TokenVerifier create(AuthenticationSettings s, Clock clock) {
        if (s.secretKeyFile() != null) {
            if (KeyFiles.isPem(s.secretKeyFile())) {
                throw new IllegalArgumentException("the secret key file " + s.secretKeyFile()
                        + " holds PEM; a public key belongs in publicKeyFile");
            }
            List<Key> secret = List.of(new SecretKeySpec(KeyFiles.readSecret(s.secretKeyFile()), "HmacSHA256"));
            return new TokenVerifier(Set.of(JWSAlgorithm.HS256), header -> secret, fixed(s.issuer()), s.audience(),
                    s.roleClaim(), clock);
        }
        if (s.publicKeyFile() != null) {
            PublicKey key = KeyFiles.readPublicKey(s.publicKeyFile());
            JWSAlgorithm alg = JWSAlgorithm.parse(KeyFiles.algorithmOf(key, s.publicKeyFile()));
            List<Key> keys = List.of(key);
            // A key from a file has no kid to match, so a kid in the token is not looked at.
            return new TokenVerifier(Set.of(alg), header -> keys, fixed(s.issuer()), s.audience(), s.roleClaim(), clock);
        }
        if (s.jwksUrl() != null || s.oidcIssuerUrl() != null) {
            return fromJwks(s, clock);
        }
        throw new IllegalArgumentException("no key source to verify tokens with (secretKeyFile, publicKeyFile, jwksUrl"
                + " or oidcIssuerUrl)");
    }

    private static TokenVerifier fromJwks(AuthenticationSettings s, Clock clock) {
        com.nimbusds.jose.util.DefaultResourceRetriever http =
                new com.nimbusds.jose.util.DefaultResourceRetriever(HTTP_TIMEOUT_MS, HTTP_TIMEOUT_MS, HTTP_SIZE_LIMIT);
        OidcJwksSource oidc = null;
        JWKSourceBuilder<SecurityContext> builder;
        String where;
        if (s.jwksUrl() != null) {
            try {
                builder = JWKSourceBuilder.create(URI.create(s.jwksUrl()).toURL(), http);
            } catch (MalformedURLException | IllegalArgumentException e) {
                throw new IllegalArgumentException("jwksUrl '" + s.jwksUrl() + "' is not a URL: " + e.getMessage(), e);
            }
            where = s.jwksUrl();
        } else {
            oidc = new OidcJwksSource(s.oidcIssuerUrl(), http);
            builder = JWKSourceBuilder.create(oidc);
            where = "the OpenID Connect issuer " + s.oidcIssuerUrl();
        }
        long ttl = s.jwksRefreshInterval().toMillis();
        // Nimbus starts a background refresh (refreshAhead + refreshTimeout) before the keys
        // expire; both are kept to a small part of the interval so keys are fetched about once
        // per interval (14m15s at the default 15m, 7s at the smallest 10s), not far more often.
        JWKSource<SecurityContext> source = builder
                .cache(ttl, Math.min(HTTP_TIMEOUT_MS * 3L, ttl / 5))
                .rateLimited(Math.min(JWKSourceBuilder.DEFAULT_RATE_LIMIT_MIN_INTERVAL, ttl / 2))
                .refreshAheadCache(Math.min(JWKSourceBuilder.DEFAULT_REFRESH_AHEAD_TIME, ttl / 10), null,
                        Background.EXECUTOR, false, Background.SCHEDULER, false)
                .outageTolerant(Math.max(ttl * 4, Duration.ofHours(1).toMillis()))
                .retrying(true)
                .build();
        Set<JWSAlgorithm> algorithms = Set.of(JWSAlgorithm.RS256, JWSAlgorithm.ES256);
        JWSVerificationKeySelector<SecurityContext> selector = new JWSVerificationKeySelector<>(algorithms, source);
        AtomicBoolean loaded = new AtomicBoolean();
        AtomicLong lastWarning = new AtomicLong();
        KeyLookup lookup = header -> {
            try {
                List<Key> found = selector.selectJWSKeys(header, null);
                loaded.set(true);
                return found;
            } catch (RateLimitReachedException e) {
                if (loaded.get()) {
                    // The keys were fetched again moments ago and this kid was not among them.
                    return List.of();
                }
                throw unavailable(where, "the last attempts failed; the next one comes shortly", lastWarning);
            } catch (KeySourceException e) {
                throw unavailable(where, e.getMessage(), lastWarning);
            }
        };
        // Fetch the keys now, in the background, so the first call does not wait for them.
        Background.EXECUTOR.execute(() -> {
            try {
                source.get(new JWKSelector(new JWKMatcher.Builder().build()), null);
                loaded.set(true);
            } catch (KeySourceException e) {
                LOG.warn("cannot fetch the token signing keys of {} yet: {}", where, e.getMessage());
            }
        });
        Supplier<String> issuer = fixed(s.issuer());
        if (s.issuer() == null && oidc != null) {
            // An OIDC issuer's tokens carry its identifier in iss: accept no other issuer's tokens
            // signed with keys that happen to be published at the same place.
            issuer = oidc::issuer;
        }
        return new TokenVerifier(algorithms, lookup, issuer, s.audience(), s.roleClaim(), clock);
    }

    private static Rejected unavailable(String where, String why, AtomicLong lastWarning) {
        long now = System.nanoTime();
        long last = lastWarning.get();
        if ((last == 0 || now - last > TimeUnit.MINUTES.toNanos(1)) && lastWarning.compareAndSet(last, now)) {
            LOG.warn("refusing calls: the token signing keys of {} cannot be fetched: {}", where, why);
        }
        return new Rejected(ErrorReason.SERVICE_NOT_READY, "cannot verify tokens now: the signing keys of " + where
                + " cannot be fetched (" + why + "); retry later");
    }

    private static Supplier<String> fixed(String issuer) {
        return () -> issuer;
    }

    /** The role and expiry of {@code token}, or why it is refused. */
    Verified verify(String token) throws Rejected {
        JWT parsed;
        try {
            parsed = JWTParser.parse(token);
        } catch (ParseException e) {
            throw Rejected.unauthenticated("malformed token: not a JWT (three base64url parts separated by dots)");
        }
        if (parsed instanceof PlainJWT) {
            throw Rejected.unauthenticated("unsupported token algorithm none: unsigned tokens are not accepted");
        }
        if (parsed instanceof EncryptedJWT || !(parsed instanceof SignedJWT jwt)) {
            throw Rejected.unauthenticated("unsupported token: encrypted tokens (JWE) are not accepted, only signed ones");
        }
        JWSHeader header = jwt.getHeader();
        if (!algorithms.contains(header.getAlgorithm())) {
            throw Rejected.unauthenticated("unsupported token algorithm " + header.getAlgorithm() + ": this server accepts "
                    + names(algorithms));
        }
        List<? extends Key> candidates = keys.keysFor(header);
        if (candidates.isEmpty()) {
            throw Rejected.unauthenticated("bad signature: no key of this server matches the token"
                    + (header.getKeyID() == null ? "" : " (its key id '" + header.getKeyID() + "' is unknown)"));
        }
        if (!verifiedByAny(jwt, header, candidates)) {
            throw Rejected.unauthenticated("bad signature: the token was not signed with a key this server trusts");
        }
        JWTClaimsSet claims;
        try {
            claims = jwt.getJWTClaimsSet();
        } catch (ParseException e) {
            throw Rejected.unauthenticated("malformed token: its claims are not a JSON object of valid claims");
        }
        return check(claims);
    }

    private boolean verifiedByAny(SignedJWT jwt, JWSHeader header, List<? extends Key> candidates) {
        for (Key key : candidates) {
            try {
                if (jwt.verify(verifiers.createJWSVerifier(header, key))) {
                    return true;
                }
            } catch (JOSEException e) {
                // This key cannot verify this algorithm (wrong curve, say): try the next one.
            }
        }
        return false;
    }

    private Verified check(JWTClaimsSet claims) throws Rejected {
        Instant now = clock.instant();
        Date exp = claims.getExpirationTime();
        if (exp != null && now.isAfter(exp.toInstant().plus(CLOCK_SKEW))) {
            throw Rejected.unauthenticated("token expired at " + exp.toInstant() + ": get a fresh token");
        }
        Date nbf = claims.getNotBeforeTime();
        if (nbf != null && now.plus(CLOCK_SKEW).isBefore(nbf.toInstant())) {
            throw Rejected.unauthenticated("token not yet valid: not before " + nbf.toInstant());
        }
        String expectedIssuer = issuer.get();
        if (expectedIssuer != null && !sameIssuer(expectedIssuer, claims.getIssuer())) {
            throw Rejected.unauthenticated("wrong token issuer " + quoted(claims.getIssuer()) + ": this server accepts tokens of "
                    + quoted(expectedIssuer));
        }
        if (audience != null && (claims.getAudience() == null || !claims.getAudience().contains(audience))) {
            throw Rejected.unauthenticated("wrong token audience " + (claims.getAudience() == null || claims.getAudience().isEmpty()
                    ? "(none)" : claims.getAudience()) + ": this server is " + quoted(audience));
        }
        Object role = claims.getClaim(roleClaim);
        if (!(role instanceof String r) || r.isBlank()) {
            throw Rejected.unauthenticated("no role claim: the token has no string claim '" + roleClaim + "' naming its role");
        }
        return new Verified(r, exp == null ? null : exp.toInstant());
    }

    private static boolean sameIssuer(String expected, String actual) {
        return actual != null && stripSlash(expected).equals(stripSlash(actual));
    }

    private static String stripSlash(String s) {
        return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
    }

    private static String quoted(String s) {
        return s == null ? "(none)" : "'" + s + "'";
    }

    private static String names(Set<JWSAlgorithm> algorithms) {
        Set<String> names = new TreeSet<>();
        algorithms.forEach(a -> names.add(a.getName()));
        return String.join(", ", names);
    }
}
