package io.tributary.security.auth;

import io.grpc.Context;

/** Where an authenticated call keeps its {@link Principal} for the handlers that serve it. */
public final class AuthContext {
    /** Set by {@link AuthenticationInterceptor} on every call it admits while authentication is on. */
    public static final Context.Key<Principal> PRINCIPAL = Context.key("tributary-principal");

    private AuthContext() {}

    /** The principal of the call being served, or null when authentication is off. */
    public static Principal current() {
        return PRINCIPAL.get();
    }
}
