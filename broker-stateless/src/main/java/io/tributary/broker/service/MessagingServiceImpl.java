package io.tributary.broker.service;

import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.tributary.api.v1.AcknowledgeRequest;
import io.tributary.api.v1.AcknowledgeResponse;
import io.tributary.api.v1.ChangeInvisibleDurationRequest;
import io.tributary.api.v1.ChangeInvisibleDurationResponse;
import io.tributary.api.v1.ErrorDetail;
import io.tributary.api.v1.ErrorReason;
import io.tributary.api.v1.GetLastMessageIdRequest;
import io.tributary.api.v1.GetLastMessageIdResponse;
import io.tributary.api.v1.InitialPosition;
import io.tributary.api.v1.MessagingServiceGrpc;
import io.tributary.api.v1.NegativeAcknowledgeRequest;
import io.tributary.api.v1.NegativeAcknowledgeResponse;
import io.tributary.api.v1.PublishRequest;
import io.tributary.api.v1.PublishResponse;
import io.tributary.api.v1.ReceiveRequest;
import io.tributary.api.v1.ReceiveResponse;
import io.tributary.api.v1.SendRequest;
import io.tributary.api.v1.SendResponse;
import io.tributary.api.v1.SubscribeRequest;
import io.tributary.api.v1.SubscribeResponse;
import io.tributary.api.v1.SubscriptionType;
import io.tributary.broker.BrokerConfig;
import io.tributary.broker.ServiceLimits;
import io.tributary.broker.dispatch.Subscription;
import io.tributary.broker.topic.Topic;
import io.tributary.broker.topic.TopicService;
import io.tributary.broker.transaction.TransactionCoordinators;
import io.tributary.broker.transaction.TransactionServiceImpl;
import io.tributary.protocol.SubscriptionName;
import io.tributary.protocol.TopicName;
import io.tributary.protocol.TributaryException;
import io.tributary.storage.cursor.ManagedCursor;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.BiFunction;

/** The broker's side of the public messaging API. */
public final class MessagingServiceImpl extends MessagingServiceGrpc.MessagingServiceImplBase {
    /** Upper bound on messages one Receive call returns. */
    static final int MAX_RECEIVE_MESSAGES = 1000;
    /** Upper bound on how long one Receive call waits. */
    static final long MAX_RECEIVE_WAIT_MS = 60_000;

    private final TopicService topics;
    private final BrokerConfig config;
    private final String brokerId;
    private final ScheduledExecutorService scheduler;
    private final PublishBuffer publishBuffer;
    private final SendHandler sendHandler;
    /** One pull consumer per topic and subscription, shared by all unary Receive callers. */
    private final Map<String, CompletableFuture<PullConsumer>> pullConsumers = new ConcurrentHashMap<>();

    private final io.tributary.broker.metrics.BrokerMetrics metrics;
    private volatile TransactionServiceImpl transactions;

    public MessagingServiceImpl(TopicService topics, BrokerConfig config, String brokerId, ScheduledExecutorService scheduler,
                                io.tributary.broker.metrics.BrokerMetrics metrics) {
        this.metrics = metrics;
        this.topics = topics;
        this.config = config;
        this.brokerId = brokerId;
        this.scheduler = scheduler;
        this.publishBuffer = new PublishBuffer(config.limits().maxPublishBufferBytes());
        metrics.registerPublishBuffer(publishBuffer::used, publishBuffer.limit());
        this.sendHandler = new SendHandler(topics, brokerId, config.maxMessageSize(), config.limits().maxSendMessages(),
                metrics, publishBuffer);
    }

    /** Bytes of publish requests read and not yet stored, broker-wide (for metrics and tests). */
    public long publishBufferPeakBytes() {
        return publishBuffer.peak();
    }

    @Override
    public StreamObserver<PublishRequest> publish(StreamObserver<PublishResponse> out) {
        return new PublishHandler(out, topics, brokerId, config.maxMessageSize(), config.maxPendingPublishes(), metrics,
                publishBuffer, config.limits().maxSendMessages());
    }

    /** Where a Send with a transaction id goes: the transaction coordinator (set once the broker built it). */
    public void transactions(TransactionServiceImpl transactions) {
        this.transactions = transactions;
    }

    @Override
    public void send(SendRequest req, StreamObserver<SendResponse> out) {
        Replies.reply(out, () -> {
            if (!req.getTransactionId().isEmpty()) {
                return transactions.send(req);
            }
            if (TransactionCoordinators.isReservedProducer(req.getProducerName())) {
                throw new TributaryException(ErrorReason.INVALID_REQUEST, "producer names starting with "
                        + TransactionCoordinators.RESERVED_PRODUCER_PREFIX + " are the brokers' own");
            }
            return sendHandler.send(req);
        });
    }

    /** A Send made by this broker itself (a dead-letter redrive to a topic it owns). */
    CompletableFuture<SendResponse> sendHere(SendRequest req) {
        return sendHandler.send(req);
    }

    @Override
    public StreamObserver<SubscribeRequest> subscribe(StreamObserver<SubscribeResponse> out) {
        return SubscribeHandler.create(out, topics, config.maxMessageSize());
    }

    @Override
    public void receive(ReceiveRequest req, StreamObserver<ReceiveResponse> out) {
        Replies.reply(out, () -> {
            TopicName name = TopicName.of(req.getTopic());
            requireSubscriptionName(req.getSubscription());
            if (req.getMaxMessages() < 0 || req.getMaxWaitMs() < 0 || req.getInvisibleDurationMs() < 0) {
                throw new TributaryException(ErrorReason.INVALID_REQUEST,
                        "max_messages, max_wait_ms and invisible_duration_ms must not be negative");
            }
            String unknown = SubscribeHandler.unknownEnum(req.getType(), req.getTypeValue(), req.getInitialPosition(),
                    req.getInitialPositionValue());
            if (unknown != null) {
                throw new TributaryException(ErrorReason.INVALID_REQUEST, unknown);
            }
            int max = req.getMaxMessages() == 0 ? 100 : Math.min(req.getMaxMessages(), MAX_RECEIVE_MESSAGES);
            long waitMs = Math.min(req.getMaxWaitMs(), MAX_RECEIVE_WAIT_MS);
            ServiceLimits limits = config.limits();
            PullConsumer.Lease call = new PullConsumer.Lease(max, limits.maxReceiveResponseBytes(),
                    limits.invisibleMs(req.getInvisibleDurationMs()));
            // a response that cannot reach the caller any more must not take its messages with it
            if (out instanceof ServerCallStreamObserver<ReceiveResponse> server) {
                server.setOnCancelHandler(call::cancel);
            }
            SubscriptionType type = req.getType() == SubscriptionType.SUBSCRIPTION_TYPE_UNSPECIFIED ? SubscriptionType.SHARED : req.getType();
            ManagedCursor.Start start = req.getInitialPosition() == InitialPosition.EARLIEST
                    ? ManagedCursor.Start.EARLIEST : ManagedCursor.Start.LATEST;
            return topics.topic(name, true)
                    .thenCompose(t -> pullConsumer(t, name, req.getSubscription(), type, start)
                            .thenCompose(pc -> CompletableFuture.supplyAsync(() -> pc.receive(call, waitMs), t.executor())
                                    .thenCompose(f -> f)))
                    .thenApply(msgs -> ReceiveResponse.newBuilder().addAllMessages(msgs).build());
        });
    }

    private CompletableFuture<PullConsumer> pullConsumer(Topic t, TopicName name, String subscription,
                                                         SubscriptionType type, ManagedCursor.Start start) {
        String key = name + "#" + subscription;
        CompletableFuture<PullConsumer> existing = pullConsumers.get(key);
        if (existing != null && !existing.isCompletedExceptionally()) {
            return existing.thenCompose(pc -> pc.isClosed() ? pullConsumer(t, name, subscription, type, start)
                    : CompletableFuture.completedFuture(pc));
        }
        CompletableFuture<PullConsumer> f = t.subscription(subscription, start, true).thenApplyAsync(sub -> {
            PullConsumer pc = new PullConsumer("pull-" + brokerId, sub, t.executor(), scheduler,
                    config.pullConsumerIdleTimeout().toMillis(), name.partitionIndex(),
                    config.maxMessageSize());
            t.limits().checkConsumers();
            sub.addConsumer(pc, type);
            pc.touch();
            return pc;
        }, t.executor());
        pullConsumers.put(key, f);
        f.whenComplete((pc, e) -> {
            if (e != null) {
                pullConsumers.remove(key, f);
            } else {
                pc.onClose(() -> pullConsumers.remove(key, f));
            }
        });
        return f;
    }

    @Override
    public void acknowledge(AcknowledgeRequest req, StreamObserver<AcknowledgeResponse> out) {
        Replies.reply(out, () -> {
            TopicName name = TopicName.of(req.getTopic());
            requireSubscriptionName(req.getSubscription());
            return topics.topic(name, false)
                    .thenCompose(t -> t.subscription(req.getSubscription(), ManagedCursor.Start.LATEST, false)
                            .thenComposeAsync(sub -> applyAcks(name, req, sub), t.executor()))
                    .thenApply(err -> {
                        if (err != null) {
                            throw new TributaryException(err, null);
                        }
                        return AcknowledgeResponse.getDefaultInstance();
                    });
        });
    }

    private CompletableFuture<ErrorDetail> applyAcks(TopicName name, AcknowledgeRequest req, Subscription sub) {
        CompletableFuture<PullConsumer> pc = pullConsumers.get(name + "#" + req.getSubscription());
        PullConsumer consumer = pc != null && pc.isDone() && !pc.isCompletedExceptionally() ? pc.join() : null;
        if (consumer != null) {
            consumer.touch();
        }
        return sub.acknowledge(consumer, req.getMessageIdsList(), req.getCumulative()).thenApply(err -> {
            if (err == null && req.getDeadLettered()) {
                sub.countDeadLettered(req.getMessageIdsCount());
            }
            return err;
        });
    }

    @Override
    public void changeInvisibleDuration(ChangeInvisibleDurationRequest req,
                                        StreamObserver<ChangeInvisibleDurationResponse> out) {
        Replies.reply(out, () -> {
            PullConsumer.check(req);
            return onSubscription(req.getTopic(), req.getSubscription(), (sub, pc) -> ChangeInvisibleDurationResponse
                    .newBuilder().setVisibleAtMs(PullConsumer.changeInvisibleDuration(sub, pc, req, config.limits())).build());
        });
    }

    @Override
    public void negativeAcknowledge(NegativeAcknowledgeRequest req, StreamObserver<NegativeAcknowledgeResponse> out) {
        Replies.reply(out, () -> {
            PullConsumer.check(req);
            return onSubscription(req.getTopic(), req.getSubscription(), (sub, pc) -> {
                PullConsumer.negativeAcknowledge(sub, pc, req);
                return NegativeAcknowledgeResponse.getDefaultInstance();
            });
        });
    }

    /** Runs {@code action} on the topic's executor with a subscription and its Receive consumer (null if none). */
    private <T> CompletableFuture<T> onSubscription(String topic, String subscription,
                                                    BiFunction<Subscription, PullConsumer, T> action) {
        TopicName name = TopicName.of(topic);
        requireSubscriptionName(subscription);
        return topics.topic(name, false)
                .thenCompose(t -> t.subscription(subscription, ManagedCursor.Start.LATEST, false)
                        .thenApplyAsync(sub -> {
                            CompletableFuture<PullConsumer> pc = pullConsumers.get(name + "#" + subscription);
                            boolean live = pc != null && pc.isDone() && !pc.isCompletedExceptionally() && !pc.join().isClosed();
                            return action.apply(sub, live ? pc.join() : null);
                        }, t.executor()));
    }

    @Override
    public void getLastMessageId(GetLastMessageIdRequest req, StreamObserver<GetLastMessageIdResponse> out) {
        Replies.reply(out, () -> {
            if (!req.getSubscription().isEmpty()) {
                SubscriptionName.check(req.getSubscription());
            }
            return topics.topic(TopicName.of(req.getTopic()), false)
                    .thenCompose(t -> t.lastMessageId(req.getSubscription()));
        });
    }

    private static void requireSubscriptionName(String subscription) {
        SubscriptionName.check(subscription);
    }
}
