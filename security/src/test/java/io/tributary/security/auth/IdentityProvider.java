package io.tributary.security.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * An OpenID Connect identity provider in miniature: a real HTTP server on 127.0.0.1 serving its
 * discovery document and its JWKS, whose signing key can be rotated, and which signs tokens.
 */
final class IdentityProvider implements AutoCloseable {
    private final HttpServer http;
    private final AtomicReference<JWK> signingKey = new AtomicReference<>();
    final AtomicInteger jwksFetches = new AtomicInteger();
    /** While set, every request is answered 503, as by a provider in an outage. */
    final java.util.concurrent.atomic.AtomicBoolean down = new java.util.concurrent.atomic.AtomicBoolean();

    IdentityProvider() {
        try {
            http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        http.createContext("/.well-known/openid-configuration", ex -> reply(ex,
                "{\"issuer\":\"" + issuer() + "\",\"jwks_uri\":\"" + jwksUrl() + "\",\"id_token_signing_alg_values_supported\":[\"RS256\"]}"));
        http.createContext("/keys", ex -> {
            jwksFetches.incrementAndGet();
            reply(ex, new JWKSet(signingKey.get()).toString(true));
        });
        http.start();
        rotate("key-1", JWSAlgorithm.RS256);
    }

    String issuer() {
        return "http://127.0.0.1:" + http.getAddress().getPort();
    }

    String jwksUrl() {
        return issuer() + "/keys";
    }

    /** Publishes a new signing key named {@code kid} in place of the old one, as a provider's rotation does. */
    void rotate(String kid, JWSAlgorithm alg) {
        try {
            signingKey.set(alg.equals(JWSAlgorithm.ES256)
                    ? new ECKeyGenerator(Curve.P_256).keyID(kid).generate()
                    : new RSAKeyGenerator(2048).keyID(kid).generate());
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A token for {@code subject} from this issuer, expiring in an hour, signed with the current key. */
    String token(String subject) {
        return sign(new JWTClaimsSet.Builder().subject(subject).issuer(issuer())
                .expirationTime(Date.from(Instant.now().plus(Duration.ofHours(1)))).build());
    }

    String sign(JWTClaimsSet claims) {
        JWK key = signingKey.get();
        try {
            SignedJWT jwt;
            if (key instanceof ECKey ec) {
                jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(ec.getKeyID()).build(), claims);
                jwt.sign(new ECDSASigner(ec));
            } else {
                RSAKey rsa = (RSAKey) key;
                jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(rsa.getKeyID()).build(), claims);
                jwt.sign(new RSASSASigner(rsa));
            }
            return jwt.serialize();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    private void reply(HttpExchange ex, String json) throws IOException {
        if (down.get()) {
            ex.sendResponseHeaders(503, -1);
            ex.close();
            return;
        }
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(200, body.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        }
    }

    @Override
    public void close() {
        http.stop(0);
    }
}
