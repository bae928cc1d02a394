package io.tributary.broker.cluster;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.ListenableFuture;
import java.util.concurrent.CompletableFuture;

/** gRPC future stubs as CompletableFutures; a failure keeps its status and trailers (and so its reason). */
public final class Rpc {
    private Rpc() {}

    public static <T> CompletableFuture<T> call(ListenableFuture<T> lf) {
        CompletableFuture<T> f = new CompletableFuture<>();
        Futures.addCallback(lf, new FutureCallback<>() {
            @Override
            public void onSuccess(T result) {
                f.complete(result);
            }

            @Override
            public void onFailure(Throwable t) {
                f.completeExceptionally(t);
            }
        }, Runnable::run);
        return f;
    }
}
