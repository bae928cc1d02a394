package io.tributary.protocol.security;

import io.grpc.CallCredentials;
import io.grpc.Metadata;
import io.grpc.Status;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

/**
 * Puts {@code authorization: Bearer <token>} on every call, asking {@code token} at each call, so a
 * supplier that renews its token is followed without reconnecting.
 */
public final class BearerCredentials extends CallCredentials {
    private final Supplier<String> token;

    public BearerCredentials(Supplier<String> token) {
        this.token = token;
    }

    @Override
    public void applyRequestMetadata(RequestInfo info, Executor executor, MetadataApplier applier) {
        executor.execute(() -> {
            try {
                String t = token.get();
                Metadata headers = new Metadata();
                if (t != null && !t.isEmpty()) {
                    headers.put(AuthHeaders.AUTHORIZATION, AuthHeaders.BEARER + t);
                }
                applier.apply(headers);
            } catch (RuntimeException e) {
                applier.fail(Status.UNAUTHENTICATED.withDescription("no token to send: " + e.getMessage()).withCause(e));
            }
        });
    }
}
