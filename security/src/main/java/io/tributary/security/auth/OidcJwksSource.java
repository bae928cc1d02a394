package io.tributary.security.auth;

import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.JWKSetCacheRefreshEvaluator;
import com.nimbusds.jose.jwk.source.JWKSetRetrievalException;
import com.nimbusds.jose.jwk.source.JWKSetSource;
import com.nimbusds.jose.jwk.source.URLBasedJWKSetSource;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.JSONObjectUtils;
import com.nimbusds.jose.util.ResourceRetriever;
import java.io.IOException;
import java.net.URI;
import java.text.ParseException;
import java.util.Map;

/**
 * The JWKS of an OpenID Connect issuer: reads {@code <issuer>/.well-known/openid-configuration}
 * when keys are first needed (not at start, so a broker starts while the identity provider is
 * down) and again after a failure, then fetches keys from its {@code jwks_uri}. Caching, refresh
 * and rate limiting are Nimbus' layers above this source.
 */
final class OidcJwksSource implements JWKSetSource<SecurityContext> {
    private final String issuerUrl;
    private final ResourceRetriever http;
    private volatile URLBasedJWKSetSource<SecurityContext> keys;
    private volatile String issuer;

    OidcJwksSource(String issuerUrl, ResourceRetriever http) {
        this.issuerUrl = issuerUrl.endsWith("/") ? issuerUrl.substring(0, issuerUrl.length() - 1) : issuerUrl;
        this.http = http;
    }

    /** The issuer named by the discovery document (what tokens carry in {@code iss}); the configured URL until it is read. */
    String issuer() {
        String i = issuer;
        return i == null ? issuerUrl : i;
    }

    @Override
    public JWKSet getJWKSet(JWKSetCacheRefreshEvaluator refresh, long currentTime, SecurityContext context)
            throws KeySourceException {
        return discover().getJWKSet(refresh, currentTime, context);
    }

    private synchronized URLBasedJWKSetSource<SecurityContext> discover() throws KeySourceException {
        if (keys != null) {
            return keys;
        }
        String where = issuerUrl + "/.well-known/openid-configuration";
        try {
            Map<String, Object> doc = JSONObjectUtils.parse(http.retrieveResource(URI.create(where).toURL()).getContent());
            String named = JSONObjectUtils.getString(doc, "issuer");
            String jwksUri = JSONObjectUtils.getString(doc, "jwks_uri");
            if (jwksUri == null || !(jwksUri.startsWith("https://") || jwksUri.startsWith("http://"))) {
                throw new JWKSetRetrievalException("the discovery document " + where + " names no http(s) jwks_uri", null);
            }
            if (named != null && !stripSlash(named).equals(issuerUrl)) {
                // OpenID Connect Discovery 1.0, section 4.3: the document must be the issuer's own.
                throw new JWKSetRetrievalException("the discovery document " + where + " is for the issuer '" + named
                        + "', not " + issuerUrl, null);
            }
            issuer = named == null ? issuerUrl : named;
            keys = new URLBasedJWKSetSource<>(URI.create(jwksUri).toURL(), http);
            return keys;
        } catch (IOException | IllegalArgumentException e) {
            throw new JWKSetRetrievalException("cannot read " + where + ": " + e.getMessage(), e);
        } catch (ParseException e) {
            throw new JWKSetRetrievalException(where + " is not a discovery document: " + e.getMessage(), e);
        }
    }

    private static String stripSlash(String s) {
        return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
    }

    @Override
    public void close() {}
}
