package io.tributary.broker.service;

import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/** Answers a unary call from a future: the value, or the failure as a status with its reason. */
public final class Replies {
    private Replies() {}

    /** Runs {@code call} (which may also throw at once, e.g. on a bad name) and answers with its outcome. */
    public static <T> void reply(StreamObserver<T> out, Supplier<CompletableFuture<T>> call) {
        CompletableFuture<T> f;
        try {
            f = call.get();
        } catch (RuntimeException e) {
            out.onError(Errors.toStatus(e));
            return;
        }
        f.whenComplete((r, e) -> {
            if (e != null) {
                out.onError(Errors.toStatus(e));
            } else {
                out.onNext(r);
                out.onCompleted();
            }
        });
    }
}
