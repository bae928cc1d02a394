package io.tributary.client.impl;

import io.tributary.api.v1.MessagingServiceGrpc;
import io.tributary.api.v1.TransactionServiceGrpc;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * What producers, consumers and their builders need from the client. They depend on this rather
 * than on {@link TributaryClientImpl}, so the client can create them without the two knowing each
 * other, and a test can hand them a client of its own.
 */
public interface ClientContext {
    /** The stub of the messaging service on the client's channel. */
    MessagingServiceGrpc.MessagingServiceStub stub();

    /**
     * Where the streams of {@code topic} open their calls: the service URL, or in DIRECT mode the
     * topic's owner. By default always the service URL ({@link #stub()}).
     */
    default TopicRoute route(String topic) {
        return TopicRoute.viaService(stub());
    }

    /** The stub of the transaction service on the client's channel (the service URL). */
    default TransactionServiceGrpc.TransactionServiceStub transactionStub() {
        throw new UnsupportedOperationException("this client has no transaction service");
    }

    /** The client's timer threads, shared by its producers and consumers. */
    ScheduledExecutorService scheduler();

    /**
     * Runs a task later on the client's timer threads; null once the client has shut them down,
     * which callers treat like being closed.
     */
    ScheduledFuture<?> schedule(Runnable task, long delay, TimeUnit unit);

    /** Runs a task every {@code period}; null once the client has shut its timers down. */
    ScheduledFuture<?> scheduleWithFixedDelay(Runnable task, long period, TimeUnit unit);

    /** The bound on the bytes that all producers of the client hold until the broker answers them. */
    MemoryLimiter memory();

    /** Partition counts and namespace listings, for partitioned topics and pattern subscriptions. */
    TopicLookup topicLookup();

    /** How long an operation (creating a producer, subscribing, closing) may take. */
    Duration operationTimeout();

    /** Whether the client is closed (or closing). */
    boolean isClosed();

    /** Registers something the client must close with it; false (and not registered) once the client is closed. */
    boolean register(ClientResource resource);

    /** Forgets a resource that closed by itself. */
    void unregister(ClientResource resource);

    /**
     * A server refused the client's token (UNAUTHENTICATED): the next call asks for a fresh one
     * rather than sending the cached one again. Nothing without authentication.
     */
    default void authenticationRefused() {
    }
}
