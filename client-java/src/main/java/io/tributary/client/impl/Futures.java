package io.tributary.client.impl;

import io.tributary.client.TributaryClientException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/** Turns the SDK's futures into the blocking calls of its sync API (also the admin client's). Internal. */
public final class Futures {
    private Futures() {}

    /**
     * Waits for a future: its value, or its failure as a {@link TributaryClientException} (the
     * exception itself when it is one).
     */
    public static <V> V await(CompletableFuture<V> future) throws TributaryClientException {
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

    public static <V> CompletableFuture<V> failed(Throwable t) {
        return CompletableFuture.failedFuture(t);
    }
}
