package io.tributary.client.impl.admin;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.tributary.api.v1.ErrorDetail;
import io.tributary.api.v1.ErrorReason;
import io.tributary.api.v1.GetPartitionsRequest;
import io.tributary.api.v1.LookupServiceGrpc;
import io.tributary.client.TributaryClientException.AlreadyClosedException;
import io.tributary.client.TributaryClientException;
import io.tributary.client.admin.Namespaces;
import io.tributary.client.admin.Subscriptions;
import io.tributary.client.admin.Tenants;
import io.tributary.client.admin.Topics;
import io.tributary.client.admin.TributaryAdmin;
import io.tributary.client.impl.ClientChannels;
import io.tributary.client.impl.TributaryClientImpl;
import io.tributary.client.impl.UnaryCalls;
import io.tributary.protocol.ErrorReasons;
import io.tributary.protocol.TopicName;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * The admin client: one channel to the proxy and one timer thread for retries, shared by its four
 * groups of operations. Each operation is a unary call (or one per partition) with the operation
 * timeout as its deadline, retried as {@link TributaryAdmin} describes.
 */
public final class TributaryAdminImpl implements TributaryAdmin {
    private static final AtomicInteger ADMIN_IDS = new AtomicInteger();

    private final String target;
    private final Duration timeout;
    private final ManagedChannel channel;
    /** {@link #channel} with the token on every call, if the admin client authenticates. */
    private final Channel calls;
    private final ClientChannels.Security security;
    private final ScheduledExecutorService scheduler;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Tenants tenants = new AdminTenants(this);
    private final Namespaces namespaces = new AdminNamespaces(this);
    private final Topics topics = new AdminTopics(this);
    private final Subscriptions subscriptions = new AdminSubscriptions(this);

    TributaryAdminImpl(String target, Duration timeout, ClientChannels.Security security)
            throws TributaryClientException {
        this.target = target;
        this.timeout = timeout;
        this.security = security;
        this.channel = ClientChannels.transport(NettyChannelBuilder.forTarget(target), security)
                .keepAliveTime(30, TimeUnit.SECONDS)
                .maxInboundMessageSize(TributaryClientImpl.MAX_INBOUND_MESSAGE_SIZE)
                .build();
        this.calls = ClientChannels.withCredentials(channel, security);
        String name = "tributary-admin-" + ADMIN_IDS.incrementAndGet() + "-timer";
        ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
        executor.setRemoveOnCancelPolicy(true);
        executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        this.scheduler = executor;
    }

    @Override
    public Tenants tenants() {
        return tenants;
    }

    @Override
    public Namespaces namespaces() {
        return namespaces;
    }

    @Override
    public Topics topics() {
        return topics;
    }

    @Override
    public Subscriptions subscriptions() {
        return subscriptions;
    }

    /**
     * One call, retried until the operation timeout while it fails for a retriable reason; for a
     * call that is not {@code idempotent}, only while the server refused it before doing
     * anything (the topic is elsewhere or moving), so that a retry cannot apply it twice.
     */
    <Q, R> CompletableFuture<R> call(MethodDescriptor<Q, R> method, Q request, boolean idempotent) {
        if (closed.get()) {
            return CompletableFuture.failedFuture(new AlreadyClosedException("the admin client is closed"));
        }
        Predicate<ErrorDetail> retry = idempotent ? UnaryCalls::retriable : TributaryAdminImpl::refusedBeforeRunning;
        return UnaryCalls.withRetries(method.getBareMethodName(), left -> {
            CompletableFuture<R> f = new CompletableFuture<>();
            ClientCalls.asyncUnaryCall(calls.newCall(method, CallOptions.DEFAULT.withDeadlineAfter(left, TimeUnit.NANOSECONDS)),
                    request, UnaryCalls.into(f));
            return f;
        }, retry.or(onceWithAFreshToken()), timeout, scheduler);
    }

    /**
     * A refused token is retried once with a fresh one (an UNAUTHENTICATED call did nothing), so a
     * token that expired between renewals costs a retry, not a failure; a fresh token refused too fails.
     */
    private Predicate<ErrorDetail> onceWithAFreshToken() {
        AtomicBoolean retried = new AtomicBoolean();
        return d -> {
            if (d.getReason() != ErrorReason.NOT_AUTHENTICATED || security.authentication() == null
                    || !retried.compareAndSet(false, true)) {
                return false;
            }
            security.authentication().refused();
            return true;
        };
    }

    /** Refusals that say the server did nothing: it does not own the topic, or the topic is moving. */
    private static boolean refusedBeforeRunning(ErrorDetail d) {
        switch (d.getReason()) {
            case NOT_OWNER:
            case BUNDLE_MOVING:
            case SERVICE_NOT_READY:
            case TOPIC_FENCED:
                return true;
            default:
                return false;
        }
    }

    /**
     * How many partitions a topic has (0: not partitioned), asked of any broker; fails with
     * {@link TributaryClientException.TopicNotFoundException} if the topic does not exist.
     */
    CompletableFuture<Integer> partitions(TopicName topic) {
        return call(LookupServiceGrpc.getGetPartitionsMethod(),
                GetPartitionsRequest.newBuilder().setTopic(topic.toString()).build(), true)
                .thenApply(r -> {
                    if (!r.getExists()) {
                        throw new java.util.concurrent.CompletionException(
                                new TributaryClientException.TopicNotFoundException("topic " + topic + " does not exist"));
                    }
                    return r.getPartitions();
                });
    }

    /** The parsed name, or the {@link TributaryClientException.InvalidTopicNameException} for a malformed one. */
    static TopicName topicName(String topic) throws TributaryClientException {
        if (topic == null) {
            throw new NullPointerException("topic");
        }
        try {
            return TopicName.of(topic);
        } catch (RuntimeException e) {
            throw TributaryClientException.of(ErrorReasons.detailOf(e), e);
        }
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            channel.shutdown();
            scheduler.shutdownNow();
            try {
                if (!channel.awaitTermination(5, TimeUnit.SECONDS)) {
                    channel.shutdownNow();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                channel.shutdownNow();
            }
        }
    }

    @Override
    public String toString() {
        return "TributaryAdmin{" + target + "}";
    }
}
