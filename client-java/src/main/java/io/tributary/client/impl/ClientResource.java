package io.tributary.client.impl;

import java.util.concurrent.CompletableFuture;

/** Something the client closes when it is closed: a producer, a consumer, a reader. */
public interface ClientResource {
    /** Closes it; the future completes once it is closed (never exceptionally). */
    CompletableFuture<Void> closeAsync();
}
