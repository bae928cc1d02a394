package io.tributary.client.impl;

import io.tributary.client.TributaryClientException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/** Turns the SDK's futures into the blocking calls of its sync API. */
final class Futures {
    private Futures() {}

    static <V> V await(CompletableFuture<V> future) throws TributaryClientException {
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TributaryClientException("interrupted while waiting", e);
        } catch (ExecutionException e) {
            throw TributaryClientException.from(e.getCause());
        } catch (java.util.concurrent.CancellationException e) {
            throw new TributaryClientException("the operation was cancelled", e);
        }
    }

    static <V> CompletableFuture<V> failed(Throwable t) {
        return CompletableFuture.failedFuture(t);
    }
}
