package io.tributary.client.impl;

import io.grpc.Channel;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.tributary.api.v1.MessagingServiceGrpc;
import io.tributary.api.v1.TransactionServiceGrpc;
import io.tributary.client.ConnectionMode;
import io.tributary.client.ConsumerBuilder;
import io.tributary.client.ProducerBuilder;
import io.tributary.client.ReaderBuilder;
import io.tributary.client.Schema;
import io.tributary.client.TransactionBuilder;
import io.tributary.client.TributaryClient;
import io.tributary.client.TributaryClientException;
import io.tributary.client.impl.consumer.ConsumerBuilderImpl;
import io.tributary.client.impl.consumer.ReaderBuilderImpl;
import io.tributary.client.impl.producer.ProducerBuilderImpl;
import io.tributary.client.impl.transaction.TransactionBuilderImpl;
import io.tributary.protocol.config.Transport;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The client: one channel and one timer pool shared by its producers and consumers. */
public final class TributaryClientImpl implements TributaryClient, ClientContext {
    private static final Logger LOG = LoggerFactory.getLogger(TributaryClientImpl.class);
    private static final AtomicInteger CLIENT_IDS = new AtomicInteger();
    /** The same limit as the proxy's and the broker's ({@link Transport}). */
    public static final int MAX_INBOUND_MESSAGE_SIZE = Transport.MAX_INBOUND_MESSAGE_SIZE;

    private final int id;
    private final String target;
    private final Duration operationTimeout;
    private final ManagedChannel channel;
    /** {@link #channel} with the token on every call, if the client authenticates. */
    private final Channel calls;
    private final ClientChannels.Security security;
    private final MessagingServiceGrpc.MessagingServiceStub stub;
    private final TransactionServiceGrpc.TransactionServiceStub transactionStub;
    private final TopicLookup topicLookup;
    /** The channels to the brokers in DIRECT mode; null in PROXY mode. */
    private final BrokerChannels brokers;
    private final ScheduledExecutorService scheduler;
    private final MemoryLimiter memory;
    /** Calls the consumers' message listeners; made on first use, as most clients have none. */
    private ExecutorService listenerPool;
    private final Set<ClientResource> resources = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final CompletableFuture<Void> closeFuture = new CompletableFuture<>();

    TributaryClientImpl(String target, Duration operationTimeout, long memoryLimit, ClientChannels.Security security,
                        ConnectionMode connectionMode) throws TributaryClientException {
        this.target = target;
        this.operationTimeout = operationTimeout;
        this.memory = new MemoryLimiter(memoryLimit);
        this.security = security;
        this.channel = newChannel(target, security);
        this.calls = ClientChannels.withCredentials(channel, security);
        this.stub = MessagingServiceGrpc.newStub(calls);
        this.transactionStub = TransactionServiceGrpc.newStub(calls);
        this.brokers = connectionMode == ConnectionMode.DIRECT
                ? new BrokerChannels(address -> BrokerChannels.unchecked(t -> newChannel(t, brokerSecurity(security)),
                        address), security, calls, operationTimeout)
                : null;
        this.topicLookup = new TopicLookup(this);
        this.id = CLIENT_IDS.incrementAndGet();
        ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(2, daemonThreads("tributary-client-" + id + "-timer"));
        // batch timers are cancelled far more often than they fire; do not keep them queued
        executor.setRemoveOnCancelPolicy(true);
        // a closed client must not wait for the timers of what it closed
        executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        this.scheduler = executor;
    }

    /** A channel to {@code target} (the service URL, or a broker in DIRECT mode) with the client's settings. */
    private static ManagedChannel newChannel(String target, ClientChannels.Security security)
            throws TributaryClientException {
        return ClientChannels.transport(NettyChannelBuilder.forTarget(target), security)
                // a frozen proxy (or broker) fails the connection's calls within seconds, and the
                // streams reconnect elsewhere
                .keepAliveTime(Transport.CLIENT_KEEPALIVE_TIME.toNanos(), TimeUnit.NANOSECONDS)
                .keepAliveTimeout(Transport.KEEPALIVE_TIMEOUT.toNanos(), TimeUnit.NANOSECONDS)
                .maxInboundMessageSize(MAX_INBOUND_MESSAGE_SIZE)
                .build();
    }

    /**
     * The security of a channel to a broker: the service URL's, except that a server name given for the
     * service URL (a port-forward to localhost, say) does not apply to brokers, each checked by its own address.
     */
    private static ClientChannels.Security brokerSecurity(ClientChannels.Security security) {
        if (security.tls() == null || security.tls().serverName() == null) {
            return security;
        }
        return new ClientChannels.Security(security.tls().withServerName(null), security.authentication());
    }

    private static ThreadFactory daemonThreads(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    @Override
    public <T> ProducerBuilder<T> newProducer(Schema<T> schema) {
        return new ProducerBuilderImpl<>(this, Objects.requireNonNull(schema, "schema"));
    }

    @Override
    public <T> ConsumerBuilder<T> newConsumer(Schema<T> schema) {
        return new ConsumerBuilderImpl<>(this, Objects.requireNonNull(schema, "schema"));
    }

    @Override
    public <T> ReaderBuilder<T> newReader(Schema<T> schema) {
        return new ReaderBuilderImpl<>(this, Objects.requireNonNull(schema, "schema"));
    }

    @Override
    public TransactionBuilder newTransaction() {
        return new TransactionBuilderImpl(this);
    }

    @Override
    public TransactionServiceGrpc.TransactionServiceStub transactionStub() {
        return transactionStub;
    }

    @Override
    public MessagingServiceGrpc.MessagingServiceStub stub() {
        return stub;
    }

    @Override
    public TopicRoute route(String topic) {
        return new TopicRoute(topic, brokers, stub);
    }

    /** The channel for calls: with the client's credentials, if any. */
    Channel channel() {
        return calls;
    }

    @Override
    public void authenticationRefused() {
        if (security.authentication() != null) {
            security.authentication().refused();
        }
    }

    /** Partition counts and namespace listings, for partitioned topics and pattern subscriptions. */
    @Override
    public TopicLookup topicLookup() {
        return topicLookup;
    }

    @Override
    public ScheduledExecutorService scheduler() {
        return scheduler;
    }

    /**
     * Runs a task later on the client's timer threads; null once the client has shut them down,
     * which callers treat like being closed.
     */
    @Override
    public ScheduledFuture<?> schedule(Runnable task, long delay, TimeUnit unit) {
        try {
            return scheduler.schedule(task, delay, unit);
        } catch (RejectedExecutionException e) {
            return null;
        }
    }

    @Override
    public ScheduledFuture<?> scheduleWithFixedDelay(Runnable task, long period, TimeUnit unit) {
        try {
            return scheduler.scheduleWithFixedDelay(task, period, period, unit);
        } catch (RejectedExecutionException e) {
            return null;
        }
    }

    /**
     * The threads that call the message listeners of this client's consumers. Each consumer
     * hands its messages over one at a time through a serial executor on this pool, so its
     * listener sees them in order; listeners of different consumers run side by side, as with a
     * thread per consumer, but idle threads are shared and end after a minute. Shut down with
     * the client.
     */
    public synchronized ExecutorService listenerPool() {
        if (listenerPool == null) {
            listenerPool = Executors.newCachedThreadPool(daemonThreads("tributary-client-" + id + "-listener"));
            if (closed.get()) {
                listenerPool.shutdown();
            }
        }
        return listenerPool;
    }

    /** The memory bound shared by all producers of this client. */
    @Override
    public MemoryLimiter memory() {
        return memory;
    }

    @Override
    public Duration operationTimeout() {
        return operationTimeout;
    }

    String target() {
        return target;
    }

    @Override
    public boolean register(ClientResource resource) {
        resources.add(resource);
        if (closed.get()) {
            resources.remove(resource);
            return false;
        }
        return true;
    }

    @Override
    public void unregister(ClientResource resource) {
        resources.remove(resource);
    }

    @Override
    public boolean isClosed() {
        return closed.get();
    }

    @Override
    public CompletableFuture<Void> closeAsync() {
        if (!closed.compareAndSet(false, true)) {
            return closeFuture;
        }
        List<CompletableFuture<Void>> closing = new ArrayList<>();
        for (ClientResource r : resources) {
            closing.add(r.closeAsync());
        }
        CompletableFuture.allOf(closing.toArray(new CompletableFuture<?>[0])).whenComplete((v, t) -> {
            if (t != null) {
                LOG.warn("Some producers or consumers did not close cleanly", t);
            }
            // shutdown() only starts the shutdown, so this is safe on a gRPC thread
            channel.shutdown();
            if (brokers != null) {
                brokers.shutdown();
            }
            scheduler.shutdown();
            synchronized (this) {
                if (listenerPool != null) {
                    // a listener call under way finishes; nothing new starts
                    listenerPool.shutdown();
                }
            }
            closeFuture.complete(null);
        });
        return closeFuture;
    }

    @Override
    public void close() throws TributaryClientException {
        Futures.await(closeAsync());
        try {
            if (!channel.awaitTermination(5, TimeUnit.SECONDS)) {
                channel.shutdownNow();
            }
            if (brokers != null) {
                brokers.awaitTermination(5, TimeUnit.SECONDS);
            }
            scheduler.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            channel.shutdownNow();
            throw new TributaryClientException("interrupted while closing", e);
        }
    }

    @Override
    public String toString() {
        return "TributaryClient{" + target + "}";
    }
}
