package io.tributary.protocol.security;

import io.grpc.Metadata;

/** The gRPC headers that carry who is calling. */
public final class AuthHeaders {
    /** {@code authorization: Bearer <token>}, as in HTTP. */
    public static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    public static final String BEARER = "Bearer ";
    /**
     * The role of the client a proxy forwards a call for. A broker takes it only from a caller it
     * authenticated as one of its proxy roles, and refuses the call otherwise.
     */
    public static final Metadata.Key<String> ORIGINAL_ROLE = Metadata.Key.of("tributary-original-role", Metadata.ASCII_STRING_MARSHALLER);

    private AuthHeaders() {}
}
