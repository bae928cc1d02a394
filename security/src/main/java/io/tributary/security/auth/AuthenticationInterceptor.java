package io.tributary.security.auth;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.util.Set;

/**
 * Authenticates every call of a listener: a bearer token (JWT) or, where allowed, a verified client
 * certificate; refuses the call with UNAUTHENTICATED and a reason that says what was wrong (never
 * the token itself); takes a forwarded role ({@code tributary-original-role}) only from a proxy
 * role; and puts the {@link Principal} into {@link AuthContext#PRINCIPAL}. A stream whose token
 * expires is ended with UNAUTHENTICATED at its expiry, so a client reconnects with a fresh one.
 */
public final class AuthenticationInterceptor implements ServerInterceptor {
    private AuthenticationInterceptor() {}

    /** An interceptor for {@code settings}; with authentication off it admits every call without a principal. */
    public static AuthenticationInterceptor create(AuthenticationSettings settings) {
        throw new UnsupportedOperationException("TODO(h11-auth)");
    }

    /**
     * The same, admitting only callers (connection roles) in {@code roles}: the broker's internal
     * listener takes brokers only. Others get PERMISSION_DENIED.
     */
    public AuthenticationInterceptor onlyCallers(Set<String> roles) {
        throw new UnsupportedOperationException("TODO(h11-auth)");
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        throw new UnsupportedOperationException("TODO(h11-auth)");
    }
}
