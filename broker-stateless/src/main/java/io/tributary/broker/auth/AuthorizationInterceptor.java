package io.tributary.broker.auth;

import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.StatusRuntimeException;
import io.tributary.api.v1.ErrorDetail;
import io.tributary.api.v1.ErrorReason;
import io.tributary.protocol.ErrorReasons;
import io.tributary.security.auth.AuthContext;
import io.tributary.security.auth.Principal;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks every call of the client port against {@link MethodPermissions} before the service sees
 * it: it runs inside authentication (it needs the {@link Principal}), holds the call back until its
 * first request arrives (the request of a unary call, the open of a Publish or Subscribe stream),
 * decides from the {@link AuthorizationService}'s cached policies, and only then starts the
 * service and hands it the request. A refused call is closed with PERMISSION_DENIED
 * (NOT_AUTHORIZED) and a reason naming the role, the permission it lacks and the resource; the
 * service never sees it. Methods the table does not know are refused, as are calls without a
 * principal.
 *
 * <p>Later messages of a stream are not checked again: a stream is bound to the topic (and
 * subscription) of its open. A revoke therefore stops new streams and calls at once but leaves
 * streams already open running until they end.
 */
public final class AuthorizationInterceptor implements ServerInterceptor {
    private static final Logger LOG = LoggerFactory.getLogger(AuthorizationInterceptor.class);

    private final AuthorizationService auth;
    private final MethodPermissions permissions = MethodPermissions.create();

    public AuthorizationInterceptor(AuthorizationService auth) {
        this.auth = auth;
    }

    /** Every method this interceptor lets through when the rules allow (full gRPC names). */
    public Set<String> classifiedMethods() {
        return permissions.methods();
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        String method = call.getMethodDescriptor().getFullMethodName();
        MethodPermissions.Check<Q> check = permissions.check(method);
        if (check == null) {
            return refuse(call, ErrorReasons.detail(ErrorReason.NOT_AUTHORIZED,
                    method + " is not classified for authorization, so no role may call it"));
        }
        Principal principal = AuthContext.current();
        if (principal == null) {
            return refuse(call, ErrorReasons.detail(ErrorReason.NOT_AUTHENTICATED,
                    "authorization is on and this call carries no authenticated role: send a token"));
        }
        if (!auth.loaded()) {
            return refuse(call, ErrorReasons.detail(ErrorReason.SERVICE_NOT_READY,
                    "the broker is still loading its permissions; try again"));
        }
        call.request(1); // the first request, which names the resource; the service asks for the rest
        return new Gate<>(call, headers, next, check, principal);
    }

    private <Q, R> ServerCall.Listener<Q> refuse(ServerCall<Q, R> call, ErrorDetail detail) {
        close(call, detail);
        return new ServerCall.Listener<>() {};
    }

    private static void close(ServerCall<?, ?> call, ErrorDetail detail) {
        LOG.debug("refused {} from {}: {}", call.getMethodDescriptor().getFullMethodName(),
                call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR), detail.getMessage());
        StatusRuntimeException s = ErrorReasons.toStatus(detail);
        call.close(s.getStatus(), s.getTrailers());
    }

    /** Holds the call until its first request is allowed; then it is the service's listener. */
    private final class Gate<Q, R> extends ServerCall.Listener<Q> {
        private final ServerCall<Q, R> call;
        private final Metadata headers;
        private final ServerCallHandler<Q, R> next;
        private final MethodPermissions.Check<Q> check;
        private final Principal principal;
        private ServerCall.Listener<Q> delegate;
        private boolean closed;

        Gate(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next, MethodPermissions.Check<Q> check,
             Principal principal) {
            this.call = call;
            this.headers = headers;
            this.next = next;
            this.check = check;
            this.principal = principal;
        }

        @Override
        public void onMessage(Q message) {
            if (delegate != null) {
                delegate.onMessage(message);
                return;
            }
            if (closed) {
                return;
            }
            String why;
            try {
                why = check.whyNot(auth, principal, message);
            } catch (RuntimeException e) {
                // a bad name in the request (INVALID_TOPIC_NAME, INVALID_REQUEST): say so, as the service would
                closed = true;
                close(call, ErrorReasons.detailOf(e));
                return;
            }
            if (why != null) {
                closed = true;
                close(call, ErrorReasons.detail(ErrorReason.NOT_AUTHORIZED, why));
                return;
            }
            delegate = next.startCall(call, headers);
            delegate.onMessage(message);
            if (call.isReady()) {
                delegate.onReady(); // the service missed the first onReady while the call was held
            }
        }

        @Override
        public void onHalfClose() {
            if (delegate != null) {
                delegate.onHalfClose();
            } else if (!closed) {
                closed = true;
                close(call, ErrorReasons.detail(ErrorReason.INVALID_REQUEST, "the call ended before its first request"));
            }
        }

        @Override
        public void onCancel() {
            if (delegate != null) {
                delegate.onCancel();
            }
        }

        @Override
        public void onComplete() {
            if (delegate != null) {
                delegate.onComplete();
            }
        }

        @Override
        public void onReady() {
            if (delegate != null) {
                delegate.onReady();
            }
        }
    }
}
