package io.tributary.broker.service;

import com.google.protobuf.UnsafeByteOperations;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.tributary.api.v1.Ack;
import io.tributary.api.v1.AckResponse;
import io.tributary.api.v1.ErrorDetail;
import io.tributary.api.v1.ConsumerNotice;
import io.tributary.api.v1.ErrorReason;
import io.tributary.api.v1.InitialPosition;
import io.tributary.api.v1.MessageBatch;
import io.tributary.api.v1.MessageId;
import io.tributary.api.v1.ReceivedMessage;
import io.tributary.api.v1.ReceivedMessages;
import io.tributary.api.v1.Seek;
import io.tributary.api.v1.SeekResponse;
import io.tributary.api.v1.SubscribeOpen;
import io.tributary.api.v1.SubscribeRequest;
import io.tributary.api.v1.SubscribeResponse;
import io.tributary.api.v1.Subscribed;
import io.tributary.api.v1.SubscriptionType;
import io.tributary.broker.dispatch.Consumer;
import io.tributary.broker.dispatch.Subscription;
import io.tributary.broker.topic.Topic;
import io.tributary.broker.topic.TopicService;
import io.tributary.protocol.ErrorReasons;
import io.tributary.protocol.SubscriptionName;
import io.tributary.protocol.TopicName;
import io.tributary.storage.cursor.ManagedCursor;
import io.tributary.storage.log.Position;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One consumer's Subscribe stream. The broker sends entries only against the permits the
 * consumer granted (at most {@link Consumer#MAX_PERMITS}), so the stream never carries more than
 * the consumer's receiver queue holds, and only while the stream is ready: a client that grants
 * permits but does not read holds up its own entries, not the broker's memory.
 */
final class SubscribeHandler extends Consumer implements StreamObserver<SubscribeRequest> {
    private static final Logger LOG = LoggerFactory.getLogger(SubscribeHandler.class);
    private static final AtomicLong NAMES = new AtomicLong();

    private final ServerCallStreamObserver<SubscribeResponse> out;
    private final TopicService topics;
    private final Object lock = new Object();
    private volatile Topic topic;
    private volatile Subscription subscription;
    private boolean done;
    /** Set by the first open, before its topic is loaded: a second open on the stream is refused even then. */
    private boolean openTaken;
    /** The open while it is in progress: a stream that ends meanwhile ends after it. */
    private volatile CompletableFuture<Void> opening;
    private int partition = -1;
    /** Touched on the topic's executor only. */
    private boolean subscribedSent;
    private Boolean activeBeforeSubscribed;

    /** A decoded stream's responses hold messages of about this many bytes at most (at least one message each). */
    static final int RECEIVED_BYTES = 1 << 20;
    /** Set by the open: deliver ReceivedMessages rather than entries. */
    private boolean decoded;
    /** The most bytes an entry's payload may take once decompressed, for a decoded stream. */
    private final int maxEntrySize;

    private SubscribeHandler(StreamObserver<SubscribeResponse> out, TopicService topics, String name, int priority,
                             int maxEntrySize) {
        super(name, priority);
        this.out = (ServerCallStreamObserver<SubscribeResponse>) out;
        this.topics = topics;
        this.maxEntrySize = maxEntrySize;
    }

    /**
     * A handler that waits for the stream's first request (open) to learn its name; a decoded stream
     * decompresses entries of at most {@code maxEntrySize} bytes.
     */
    static StreamObserver<SubscribeRequest> create(StreamObserver<SubscribeResponse> out, TopicService topics,
                                                   int maxEntrySize) {
        StreamObserver<SubscribeRequest> observer = new StreamObserver<>() {
            private volatile SubscribeHandler handler;
            /** The first request was no open: the call is closed, a later half-close has nothing to end. */
            private volatile boolean refused;

            private final InboundFlow inbound = new InboundFlow((ServerCallStreamObserver<SubscribeResponse>) out);

            {
                // gRPC takes these handlers only before the service method returns
                ServerCallStreamObserver<SubscribeResponse> call = (ServerCallStreamObserver<SubscribeResponse>) out;
                call.setOnCancelHandler(() -> {
                    SubscribeHandler h = handler;
                    if (h != null) {
                        h.detach();
                    }
                });
                call.setOnReadyHandler(() -> {
                    inbound.onReady();
                    SubscribeHandler h = handler;
                    if (h != null) {
                        h.onReady();
                    }
                });
            }

            @Override
            public void onNext(SubscribeRequest req) {
                if (handler == null) {
                    if (req.getRequestCase() != SubscribeRequest.RequestCase.OPEN) {
                        refused = true;
                        out.onError(ErrorReasons.toStatus(ErrorReasons.detail(ErrorReason.INVALID_REQUEST,
                                "the first request of a Subscribe stream must be open")));
                        return;
                    }
                    SubscribeOpen open = req.getOpen();
                    String name = open.getConsumerName().isEmpty() ? "consumer-" + NAMES.incrementAndGet() : open.getConsumerName();
                    handler = new SubscribeHandler(out, topics, name, open.getPriority(), maxEntrySize);
                }
                if (req.getRequestCase() == SubscribeRequest.RequestCase.OPEN) {
                    // the next request (a pipelined Flow, say) is read once the open is done, so
                    // it finds the subscription, whatever the time the topic takes to load
                    handler.open(req.getOpen()).whenComplete((v, e) -> inbound.next());
                } else {
                    handler.onNext(req);
                    inbound.next();
                }
            }

            @Override
            public void onError(Throwable t) {
                if (handler != null) {
                    handler.onError(t);
                }
            }

            @Override
            public void onCompleted() {
                if (handler != null) {
                    handler.onCompleted();
                } else if (!refused) {
                    out.onCompleted();
                }
            }
        };
        return observer;
    }

    /**
     * Reads the client's requests one at a time, and the next only while the stream takes our
     * responses: a client that sends acknowledgements (each answered) but reads nothing stops being
     * read, instead of making the broker queue its answers without bound.
     */
    private static final class InboundFlow {
        private final ServerCallStreamObserver<SubscribeResponse> call;
        private boolean wanted;

        InboundFlow(ServerCallStreamObserver<SubscribeResponse> call) {
            this.call = call;
            call.disableAutoRequest();
            call.request(1);
        }

        /** A request was taken: the next one is read now if responses flow, else once they do. */
        synchronized void next() {
            if (call.isReady()) {
                call.request(1);
            } else {
                wanted = true;
            }
        }

        synchronized void onReady() {
            if (wanted && call.isReady()) {
                wanted = false;
                call.request(1);
            }
        }
    }

    /** The client reads again: entries that waited for the stream go out. */
    private void onReady() {
        Topic t = topic;
        Subscription s = subscription;
        if (t != null && s != null) {
            t.executor().execute(() -> s.ready(this));
        }
    }

    /** Entries go out only while the stream takes them (the client reads); see {@link #onReady()}. */
    @Override
    protected boolean isReady() {
        return out.isReady();
    }

    @Override
    public void onNext(SubscribeRequest req) {
        switch (req.getRequestCase()) {
            case FLOW -> onTopic(sub -> sub.flow(this, req.getFlow().getPermits()));
            case ACK -> ack(req.getAck());
            case NEGATIVE_ACK -> onTopic(sub -> sub.negativeAcknowledge(this, req.getNegativeAck().getMessageIdsList(),
                    req.getNegativeAck().getDelayMs(), req.getNegativeAck().getReason()));
            case SEEK -> seek(req.getSeek());
            default -> fail(ErrorReasons.detail(ErrorReason.INVALID_REQUEST, "unknown request " + req.getRequestCase()));
        }
    }

    private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

    /**
     * What is wrong with a subscription type and initial position that are numbers this broker
     * does not know (a newer client's, or garbage), naming the field; null if both are known. An
     * unknown initial position must not silently mean LATEST (the enum's zero).
     */
    static String unknownEnum(SubscriptionType type, int typeValue, InitialPosition position, int positionValue) {
        if (type == SubscriptionType.UNRECOGNIZED) {
            return "type: unknown subscription type " + typeValue
                    + " (0 or EXCLUSIVE 1, SHARED 2, FAILOVER 3, KEY_SHARED 4)";
        }
        if (position == InitialPosition.UNRECOGNIZED) {
            return "initial_position: unknown initial position " + positionValue + " (LATEST 0, EARLIEST 1)";
        }
        return null;
    }

    /** Subscribes; completes when the consumer is subscribed or the stream failed. */
    private CompletableFuture<Void> open(SubscribeOpen open) {
        if (openTaken) {
            // a second open while the first loads its topic would leave one of the two consumers
            // registered with no stream to detach it
            fail(ErrorReasons.detail(ErrorReason.INVALID_REQUEST, "the consumer is already subscribed"));
            return DONE;
        }
        openTaken = true;
        decoded = open.getDecoded();
        String problem = SubscriptionName.problem(open.getSubscription());
        if (problem != null) {
            fail(ErrorReasons.detail(ErrorReason.INVALID_REQUEST, problem));
            return DONE;
        }
        String unknown = unknownEnum(open.getType(), open.getTypeValue(), open.getInitialPosition(),
                open.getInitialPositionValue());
        if (unknown != null) {
            fail(ErrorReasons.detail(ErrorReason.INVALID_REQUEST, unknown));
            return DONE;
        }
        TopicName name;
        try {
            name = TopicName.of(open.getTopic());
        } catch (RuntimeException e) {
            fail(Errors.detailOf(e));
            return DONE;
        }
        partition = name.partitionIndex();
        ManagedCursor.Start start = open.getInitialPosition() == io.tributary.api.v1.InitialPosition.EARLIEST
                ? ManagedCursor.Start.EARLIEST : ManagedCursor.Start.LATEST;
        CompletableFuture<Void> f = topics.topic(name, true)
                .thenCompose(t -> (open.getNonDurable()
                        ? t.reader(open.getSubscription(), open.hasStartMessageId() ? open.getStartMessageId() : null,
                                open.getStartInclusive(), open.getInitialPosition())
                        : t.subscription(open.getSubscription(), start, true)).thenAcceptAsync(sub -> {
                    synchronized (lock) {
                        if (done) {
                            // the stream ended first: a reader's subscription made for it goes too
                            sub.closeIfUnusedReader();
                            return;
                        }
                        // set before the consumer is added: a stream that ends from here on finds them
                        // in detach(), whose removal runs on this executor after this task
                        topic = t;
                        subscription = sub;
                    }
                    try {
                        t.limits().checkConsumers();
                        sub.addConsumer(this, open.getType());
                    } catch (RuntimeException refused) {
                        sub.closeIfUnusedReader();
                        throw refused;
                    }
                    send(SubscribeResponse.newBuilder().setSubscribed(Subscribed.newBuilder().setConsumerName(name())).build());
                    subscribedSent = true;
                    if (activeBeforeSubscribed != null) {
                        activeChanged(activeBeforeSubscribed);
                    }
                    if (open.getInitialPermits() > 0) {
                        sub.flow(this, open.getInitialPermits());
                    }
                }, t.executor()))
                .exceptionally(e -> {
                    fail(Errors.detailOf(e));
                    return null;
                });
        opening = f;
        return f;
    }

    private void ack(Ack ack) {
        onTopic(sub -> sub.acknowledge(this, ack.getMessageIdsList(), ack.getCumulative()).whenComplete((err, e) -> {
            if (e == null && err == null && ack.getDeadLettered()) {
                sub.countDeadLettered(ack.getMessageIdsCount());
            }
            if (ack.getRequestId() != 0) {
                AckResponse.Builder r = AckResponse.newBuilder().setRequestId(ack.getRequestId());
                if (e != null) {
                    r.setError(Errors.detailOf(e));
                } else if (err != null) {
                    r.setError(err);
                }
                send(SubscribeResponse.newBuilder().setAckResponse(r).build());
            }
        }));
    }

    private void seek(Seek seek) {
        onTopic(sub -> {
            MessageId id = seek.getTargetCase() == Seek.TargetCase.MESSAGE_ID ? seek.getMessageId() : null;
            Long time = seek.getTargetCase() == Seek.TargetCase.PUBLISH_TIME_MS ? seek.getPublishTimeMs() : null;
            InitialPosition position = seek.getTargetCase() == Seek.TargetCase.POSITION ? seek.getPosition() : null;
            topic.resolve(id, time, position)
                    .thenComposeAsync(p -> sub.seek(p, this), topic.executor())
                    .whenComplete((v, e) -> {
                        SeekResponse.Builder r = SeekResponse.newBuilder().setRequestId(seek.getRequestId());
                        if (e != null) {
                            r.setError(Errors.detailOf(e));
                        }
                        send(SubscribeResponse.newBuilder().setSeekResponse(r).build());
                    });
        });
    }

    @Override
    protected void activeChanged(boolean isActive) {
        if (!subscribedSent) {
            // joining made it active (or not): say so right after Subscribed
            activeBeforeSubscribed = isActive;
            return;
        }
        send(SubscribeResponse.newBuilder().setNotice(ConsumerNotice.newBuilder().setActive(isActive)).build());
    }

    @Override
    protected void refused(ErrorDetail reason) {
        send(SubscribeResponse.newBuilder().setNotice(ConsumerNotice.newBuilder().setError(reason)).build());
    }

    /** Runs {@code action} on the topic's executor once subscribed. */
    private void onTopic(java.util.function.Consumer<Subscription> action) {
        Topic t = topic;
        Subscription s = subscription;
        if (t == null || s == null) {
            fail(ErrorReasons.detail(ErrorReason.INVALID_REQUEST, "subscribe (open) must come before flow and acks"));
            return;
        }
        t.executor().execute(() -> action.accept(s));
    }

    @Override
    protected void deliver(Position position, byte[] entry, int messageCount, int redeliveryCount, BitSet ackedIndexes,
                           String lastFailureReason, long firstDeliveryMs) {
        if (decoded) {
            deliverDecoded(position, entry, messageCount, redeliveryCount, ackedIndexes, lastFailureReason, firstDeliveryMs);
            return;
        }
        MessageBatch.Builder b = MessageBatch.newBuilder()
                .setMessageId(MessageId.newBuilder().setLedgerId(position.ledgerId()).setEntryId(position.entryId())
                        .setPartition(partition).setBatchSize(messageCount))
                .setEntry(UnsafeByteOperations.unsafeWrap(entry))
                .setRedeliveryCount(redeliveryCount)
                .setLastFailureReason(lastFailureReason)
                .setFirstDeliveryMs(firstDeliveryMs);
        for (int i = ackedIndexes.nextSetBit(0); i >= 0; i = ackedIndexes.nextSetBit(i + 1)) {
            b.addAckedIndexes(i);
        }
        send(SubscribeResponse.newBuilder().setMessages(b).build());
    }

    /**
     * A decoded stream: the entry's messages not acknowledged yet, as ReceivedMessages. The permits
     * the dispatcher counted for messages not sent (acknowledged ones) are the consumer's again. An
     * entry that cannot be decoded (not an entry, an unknown compression, larger than the broker's
     * maximum once decompressed) is not sent: the consumer is told in a ConsumerNotice naming the
     * entry, and the entry stays unacknowledged and held by this consumer (delivered again when the
     * stream ends), so it is neither lost nor in the way of the entries after it.
     */
    private void deliverDecoded(Position position, byte[] entry, int messageCount, int redeliveryCount,
                                BitSet ackedIndexes, String lastFailureReason, long firstDeliveryMs) {
        List<ReceivedMessage> ms;
        try {
            ms = EntryMessages.decode(position, entry, partition, new EntryMessages.Delivery(redeliveryCount, lastFailureReason,
                    firstDeliveryMs), ackedIndexes, maxEntrySize, null);
        } catch (RuntimeException e) {
            ErrorDetail why = Errors.detailOf(e);
            LOG.warn("consumer {} of subscription {}: entry {} cannot be decoded for a decoded stream: {}", name(),
                    subscription.name(), position, why.getMessage());
            ErrorDetail notice = why.toBuilder().setMessage("entry " + position.ledgerId() + ":" + position.entryId()
                    + " (partition " + partition + ") cannot be decoded and is not delivered on this decoded stream: "
                    + why.getMessage() + "; it stays unacknowledged (an encoded consumer receives it as stored; acknowledge"
                    + " it with batch_size 0 to skip it)").build();
            send(SubscribeResponse.newBuilder().setNotice(ConsumerNotice.newBuilder().setError(notice)
                    .setMessageId(MessageId.newBuilder().setLedgerId(position.ledgerId()).setEntryId(position.entryId())
                            .setPartition(partition).setBatchSize(messageCount))).build());
            givePermitsBack(messageCount);
            return;
        }
        givePermitsBack(messageCount - ms.size());
        // a large entry goes out in several responses, none much over RECEIVED_BYTES (gRPC clients
        // refuse messages over 4 MiB by default)
        ReceivedMessages.Builder chunk = ReceivedMessages.newBuilder();
        long bytes = 0;
        for (ReceivedMessage m : ms) {
            int size = m.getSerializedSize();
            if (chunk.getMessagesCount() > 0 && bytes + size > RECEIVED_BYTES) {
                send(SubscribeResponse.newBuilder().setReceived(chunk).build());
                chunk = ReceivedMessages.newBuilder();
                bytes = 0;
            }
            chunk.addMessages(m);
            bytes += size;
        }
        if (chunk.getMessagesCount() > 0) {
            send(SubscribeResponse.newBuilder().setReceived(chunk).build());
        }
    }

    /** Permits counted for messages the client does not receive; granted after the delivery in progress. */
    private void givePermitsBack(int n) {
        Topic t = topic;
        Subscription s = subscription;
        if (n > 0 && t != null && s != null) {
            t.executor().execute(() -> s.flow(this, n));
        }
    }

    @Override
    protected void disconnect(ErrorDetail reason) {
        synchronized (lock) {
            if (done) {
                return;
            }
            done = true;
            out.onError(ErrorReasons.toStatus(reason));
        }
    }

    private void send(SubscribeResponse r) {
        synchronized (lock) {
            if (!done) {
                out.onNext(r);
            }
        }
    }

    private void fail(ErrorDetail detail) {
        end(detail);
    }

    private void detach() {
        Topic t = topic;
        Subscription s = subscription;
        if (t != null && s != null) {
            t.executor().execute(() -> s.removeConsumer(this));
        }
    }

    @Override
    public void onError(Throwable t) {
        synchronized (lock) {
            done = true;
        }
        detach();
    }

    @Override
    public void onCompleted() {
        end(null);
    }

    /**
     * Ends the stream (completed, or failed with {@code error}) after the consumer has left its
     * subscription, so a client that opens again at once (an exclusive subscription, say) finds the
     * place free. Nothing is sent on the stream from the moment this is called.
     */
    private void end(ErrorDetail error) {
        boolean first;
        Topic t;
        Subscription s;
        synchronized (lock) {
            first = !done;
            done = true;
            t = topic;
            s = subscription;
        }
        Runnable close = () -> {
            if (first) {
                synchronized (lock) {
                    if (error == null) {
                        out.onCompleted();
                    } else {
                        out.onError(ErrorReasons.toStatus(error));
                    }
                }
            }
        };
        CompletableFuture<Void> pending = opening;
        if (t != null && s != null) {
            t.executor().execute(() -> {
                s.removeConsumer(this);
                close.run();
            });
        } else if (pending != null && !pending.isDone()) {
            // the open still runs: it sees the stream ended and removes a reader's subscription
            // made for it, and only then does the client learn the stream is over, so its next
            // open of that name finds the name free
            pending.whenComplete((v, e) -> close.run());
        } else {
            close.run();
        }
    }
}
