package io.tributary.security.auth;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.StatusRuntimeException;
import io.tributary.api.v1.ErrorReason;
import io.tributary.protocol.ErrorReasons;
import io.tributary.protocol.security.AuthHeaders;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.Set;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Authenticates every call of a listener: a bearer token (JWT) or, where allowed, a verified client
 * certificate; refuses the call with UNAUTHENTICATED and a reason that says what was wrong (never
 * the token itself); takes a forwarded role ({@code tributary-original-role}) only from a proxy
 * role; and puts the {@link Principal} into {@link AuthContext#PRINCIPAL}. A stream whose token
 * expires is ended with UNAUTHENTICATED at its expiry, so a client reconnects with a fresh one.
 *
 * <p>Decisions worth knowing: a token, when sent, wins over a client certificate (and a bad token
 * is refused even if a good certificate came with it); a forwarded role from a caller that is not
 * a proxy role is refused with PERMISSION_DENIED rather than ignored, so a misconfigured client
 * learns why; when the signing keys cannot be fetched the call fails UNAVAILABLE
 * (SERVICE_NOT_READY, retriable), not UNAUTHENTICATED. With authentication off every call is
 * admitted without a principal, the forwarded role header is ignored, and {@link #onlyCallers}
 * cannot tell callers apart, so it admits everyone: an internal listener without authentication
 * is protected only by where it is bound and by its TLS client certificates.
 */
public final class AuthenticationInterceptor implements ServerInterceptor {
    private static final Logger LOG = LoggerFactory.getLogger(AuthenticationInterceptor.class);
    private static final String BEARER = AuthHeaders.BEARER.trim();

    private final AuthenticationSettings settings;
    private final TokenVerifier verifier;
    private final Set<String> callers;
    private final Clock clock;

    private AuthenticationInterceptor(AuthenticationSettings settings, TokenVerifier verifier, Set<String> callers,
                                      Clock clock) {
        this.settings = settings;
        this.verifier = verifier;
        this.callers = callers;
        this.clock = clock;
    }

    /**
     * An interceptor for {@code settings}; with authentication off it admits every call without a
     * principal. Key files are read now: a missing or bad file fails here, naming it.
     */
    public static AuthenticationInterceptor create(AuthenticationSettings settings) {
        TokenVerifier verifier = settings.enabled() && settings.verifiesTokens() ? TokenVerifier.create(settings) : null;
        return new AuthenticationInterceptor(settings, verifier, Set.of(), Clock.systemUTC());
    }

    /**
     * The same, admitting only callers (connection roles) in {@code roles}: the broker's internal
     * listener takes brokers only. Others get PERMISSION_DENIED. An empty set admits every
     * authenticated caller.
     */
    public AuthenticationInterceptor onlyCallers(Set<String> roles) {
        return new AuthenticationInterceptor(settings, verifier, Set.copyOf(roles), clock);
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        if (!settings.enabled()) {
            return next.startCall(call, headers);
        }
        String caller;
        Instant expiresAt = null;
        String authorization = headers.get(AuthHeaders.AUTHORIZATION);
        if (authorization != null) {
            String token = bearerToken(authorization);
            if (token == null) {
                return refuse(call, ErrorReason.NOT_AUTHENTICATED,
                        "malformed authorization header: expected '" + BEARER + " <token>'");
            }
            if (verifier == null) {
                return refuse(call, ErrorReason.NOT_AUTHENTICATED,
                        "this server takes no tokens, only client certificates: connect with one and without a token");
            }
            try {
                TokenVerifier.Verified v = verifier.verify(token);
                caller = v.role();
                expiresAt = v.expiresAt();
            } catch (TokenVerifier.Rejected r) {
                return refuse(call, r.reason, r.getMessage());
            }
        } else {
            caller = settings.certificateRoles() ? certificateRole(call) : null;
            if (caller == null) {
                return refuse(call, ErrorReason.NOT_AUTHENTICATED, "missing token: send 'authorization: " + BEARER + " <token>'"
                        + (settings.certificateRoles() ? " or connect with a client certificate" : ""));
            }
        }
        if (!callers.isEmpty() && !callers.contains(caller)) {
            return refuse(call, ErrorReason.NOT_AUTHORIZED, "role '" + caller + "' may not call "
                    + call.getMethodDescriptor().getFullMethodName() + " on this listener, which admits only its configured callers");
        }
        Principal principal;
        String forwarded = headers.get(AuthHeaders.ORIGINAL_ROLE);
        if (forwarded == null) {
            principal = Principal.of(caller);
        } else if (!settings.proxyRoles().contains(caller)) {
            return refuse(call, ErrorReason.NOT_AUTHORIZED, "role '" + caller + "' may not act for another role");
        } else if (forwarded.isBlank()) {
            return refuse(call, ErrorReason.NOT_AUTHENTICATED, "the proxy '" + caller + "' forwarded an empty role");
        } else {
            principal = new Principal(forwarded.trim(), caller);
        }
        Context context = Context.current().withValue(AuthContext.PRINCIPAL, principal);
        if (expiresAt == null || call.getMethodDescriptor().getType() == MethodDescriptor.MethodType.UNARY) {
            return Contexts.interceptCall(context, call, headers, next);
        }
        StatusRuntimeException expired = ErrorReasons.toStatus(ErrorReasons.detail(ErrorReason.NOT_AUTHENTICATED,
                "token expired at " + expiresAt + ", reconnect with a fresh token"));
        ExpiringCall<Q, R> expiring = new ExpiringCall<>(call, expired.getStatus(), expired.getTrailers());
        ServerCall.Listener<Q> listener = expiring.watching(Contexts.interceptCall(context, expiring, headers, next));
        expiring.closeAt(expiresAt, clock);
        return listener;
    }

    /** The token of {@code Bearer <token>} (scheme case-insensitive, as in HTTP), or null. */
    private static String bearerToken(String authorization) {
        String v = authorization.trim();
        if (v.length() <= BEARER.length() || !v.regionMatches(true, 0, BEARER, 0, BEARER.length())
                || !Character.isWhitespace(v.charAt(BEARER.length()))) {
            return null;
        }
        String token = v.substring(BEARER.length()).trim();
        return token.isEmpty() ? null : token;
    }

    /** The common name of the client certificate the TLS handshake verified, or null. */
    private static String certificateRole(ServerCall<?, ?> call) {
        SSLSession session = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
        if (session == null) {
            return null;
        }
        try {
            Certificate[] chain = session.getPeerCertificates();
            if (chain.length == 0 || !(chain[0] instanceof X509Certificate leaf)) {
                return null;
            }
            LdapName name = new LdapName(leaf.getSubjectX500Principal().getName());
            // The most specific CN is the last RDN in LdapName order.
            for (int i = name.size() - 1; i >= 0; i--) {
                Rdn rdn = name.getRdn(i);
                if (rdn.getType().equalsIgnoreCase("CN") && !rdn.getValue().toString().isBlank()) {
                    return rdn.getValue().toString();
                }
            }
            return null;
        } catch (SSLPeerUnverifiedException | InvalidNameException e) {
            return null;
        }
    }

    private static <Q, R> ServerCall.Listener<Q> refuse(ServerCall<Q, R> call, ErrorReason reason, String why) {
        LOG.debug("refused {} from {}: {}", call.getMethodDescriptor().getFullMethodName(),
                call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR), why);
        StatusRuntimeException status = ErrorReasons.toStatus(ErrorReasons.detail(reason, why));
        call.close(status.getStatus(), status.getTrailers());
        return new ServerCall.Listener<>() {};
    }
}
