package io.tributary.proxy;

import io.grpc.CallCredentials;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall.SimpleForwardingClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.tributary.protocol.security.AuthHeaders;
import io.tributary.security.auth.AuthContext;
import io.tributary.security.auth.Principal;

/**
 * Who a forwarded call acts for. The broker learns the client's role from the proxy alone: the
 * proxy authenticates the client, then sends every call it forwards (streams, unary calls, lookups)
 * with its own credentials and the client's role in {@code tributary-original-role}, which brokers
 * accept only from a proxy role. Whatever identity headers a client sent are never passed on.
 */
final class ForwardedRole {
    private ForwardedRole() {}

    /**
     * For the channels to brokers: {@code credentials} (the proxy's token, or null) on every call,
     * and the role of the client whose call is being served (the principal in the gRPC context
     * where the broker call is created; none while authentication is off).
     */
    static ClientInterceptor toBrokers(CallCredentials credentials) {
        return new ClientInterceptor() {
            @Override
            public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
                Principal client = AuthContext.current();
                CallOptions withCredentials = credentials == null ? options : options.withCallCredentials(credentials);
                return new SimpleForwardingClientCall<>(next.newCall(method, withCredentials)) {
                    @Override
                    public void start(Listener<R> listener, Metadata headers) {
                        headers.discardAll(AuthHeaders.AUTHORIZATION);
                        headers.discardAll(AuthHeaders.ORIGINAL_ROLE);
                        if (client != null) {
                            headers.put(AuthHeaders.ORIGINAL_ROLE, client.role());
                        }
                        super.start(listener, headers);
                    }
                };
            }
        };
    }

    /**
     * For the proxy's public services, outside authentication: a forwarded role a client sends is
     * dropped, so the client is served as what it authenticates as, never as a role it names.
     */
    static ServerInterceptor stripFromClients() {
        return new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
                headers.discardAll(AuthHeaders.ORIGINAL_ROLE);
                return next.startCall(call, headers);
            }
        };
    }
}
