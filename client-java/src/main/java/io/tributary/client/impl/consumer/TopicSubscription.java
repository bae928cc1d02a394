package io.tributary.client.impl.consumer;

import com.google.protobuf.InvalidProtocolBufferException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.tributary.api.v1.Ack;
import io.tributary.api.v1.ConsumerNotice;
import io.tributary.api.v1.ErrorDetail;
import io.tributary.api.v1.ErrorReason;
import io.tributary.api.v1.Flow;
import io.tributary.api.v1.InitialPosition;
import io.tributary.api.v1.MessageBatch;
import io.tributary.api.v1.NegativeAck;
import io.tributary.api.v1.SubscribeOpen;
import io.tributary.api.v1.SubscribeRequest;
import io.tributary.api.v1.SubscribeResponse;
import io.tributary.api.v1.Subscribed;
import io.tributary.client.ConsumerEventListener;
import io.tributary.client.MessageId;
import io.tributary.client.SubscriptionType;
import io.tributary.client.TributaryClientException.AlreadyClosedException;
import io.tributary.client.impl.Backoff;
import io.tributary.client.impl.Completions;
import io.tributary.client.impl.EntryCodec;
import io.tributary.client.impl.MessageImpl;
import io.tributary.client.impl.TributaryClientImpl;
import io.tributary.protocol.ErrorReasons;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One topic's Subscribe stream and its state across reconnects: the open request, the permits
 * granted and the Flows that return them, the open timeout, reconnecting with backoff, and the
 * half-close with its timeout. What a stream's answers and its end mean for the consumer is the
 * consumer's to decide ({@link ConsumerImpl}); this class reports them.
 *
 * <p>Guarded by the consumer's lock ({@link ConsumerImpl#lock}); gRPC callbacks take it.
 */
final class TopicSubscription<T> {
    private static final Logger LOG = LoggerFactory.getLogger(TopicSubscription.class);

    private final ConsumerImpl<T> consumer;
    private final TributaryClientImpl client;
    private final String topic;
    private final int partition;
    private final InitialPosition initialPosition;
    /** A reader's position; null for a consumer. */
    private final ReaderPosition position;
    private final Backoff backoff = new Backoff();
    /** Until when a first subscription may be retried. */
    private final long subscribeDeadlineNanos;
    // guarded by the consumer's lock
    private Connection cnx;
    private boolean subscribed;
    /** No longer read (a pattern consumer's topic that went away); acks on it fail. */
    private boolean removed;
    /** When to grant more permits: half the permits granted when the stream opened. */
    private int flowThreshold;
    private ScheduledFuture<?> reconnectTask;
    /** Messages taken (or skipped) since the last Flow: the permits owed to the broker. */
    private int consumedSinceFlow;

    TopicSubscription(ConsumerImpl<T> consumer, TributaryClientImpl client, String topic, int partition,
                      InitialPosition initialPosition, ReaderPosition position) {
        this.consumer = consumer;
        this.client = client;
        this.topic = topic;
        this.partition = partition;
        this.initialPosition = initialPosition;
        this.position = position;
        this.subscribeDeadlineNanos = System.nanoTime() + client.operationTimeout().toNanos();
    }

    String topic() {
        return topic;
    }

    int partition() {
        return partition;
    }

    /** A reader's position; null for a consumer. */
    ReaderPosition position() {
        return position;
    }

    boolean ready() {
        return cnx != null && cnx.ready;
    }

    /** Whether no call is open (none yet, lost, or ended). */
    boolean ended() {
        return cnx == null;
    }

    /** Whether the broker accepted this topic's subscription once (later streams are reconnects). */
    boolean subscribed() {
        return subscribed;
    }

    boolean removed() {
        return removed;
    }

    AlreadyClosedException noLongerRead() {
        return new AlreadyClosedException("the consumer no longer reads " + topic
                + " (it no longer matches the pattern, or failed)");
    }

    /** Sends on the stream; without one, nothing (what needs resending after a reconnect is resent then). */
    void send(SubscribeRequest request) {
        if (ready()) {
            cnx.send(request);
        }
    }

    /** Asks the broker to deliver {@code ids} again; without a stream it does anyway when the next one opens. */
    void nack(List<MessageId> ids, long delayMs) {
        if (ids.isEmpty()) {
            return;
        }
        NegativeAck.Builder nack = NegativeAck.newBuilder().setDelayMs(delayMs);
        for (MessageId id : ids) {
            nack.addMessageIds(EntryCodec.toProto(id));
        }
        send(SubscribeRequest.newBuilder().setNegativeAck(nack).build());
    }

    /** Counts messages the application took (or that were skipped) and returns permits in chunks. */
    void consumed(int n) {
        consumedSinceFlow += n;
        if (consumedSinceFlow >= flowThreshold && ready()) {
            if (position != null && position.lastHanded() != null) {
                // lets the broker forget what the reader has read; the cursor is not durable anyway
                cnx.send(SubscribeRequest.newBuilder().setAck(Ack.newBuilder()
                        .addMessageIds(EntryCodec.toProto(position.lastHanded())).setCumulative(true)).build());
            }
            cnx.send(SubscribeRequest.newBuilder().setFlow(Flow.newBuilder().setPermits(consumedSinceFlow)).build());
            consumedSinceFlow = 0;
        }
    }

    /** A message counted as taken went back to the queue. */
    void untaken() {
        consumedSinceFlow--;
    }

    /** Grants the broker {@code n} more messages at once (for prefetched ones that were dropped). */
    void grant(int n) {
        if (n > 0) {
            send(SubscribeRequest.newBuilder().setFlow(Flow.newBuilder().setPermits(n)).build());
        }
    }

    /** The stream was lost: the next one starts with full permits. */
    void resetPermits() {
        consumedSinceFlow = 0;
    }

    // ---------------------------------------------------------------- the call

    /** Opens a Subscribe call granting {@code permits}; the broker's Subscribed makes it ready. */
    void connect(int permits) {
        Connection c = new Connection();
        cnx = c;
        flowThreshold = Math.max(1, permits / 2);
        SubscribeOpen.Builder open = SubscribeOpen.newBuilder()
                .setTopic(topic)
                .setInitialPermits(permits)
                .setPriority(consumer.conf().priority());
        if (position != null) {
            position.open(open, consumer.conf().subscription());
        } else {
            open.setSubscription(consumer.conf().subscription())
                    .setType(toProto(consumer.conf().type()))
                    .setInitialPosition(initialPosition);
        }
        String name = consumer.getConsumerName();
        if (name != null) {
            open.setConsumerName(name);
        }
        // a long-lived stream must not inherit the deadline or cancellation of whatever call the
        // application happens to be serving when it creates us
        io.grpc.Context previous = io.grpc.Context.ROOT.attach();
        try {
            client.stub().subscribe(c);
        } finally {
            io.grpc.Context.ROOT.detach(previous);
        }
        c.send(SubscribeRequest.newBuilder().setOpen(open).build());
        c.timer = client.schedule(() -> openTimedOut(c), client.operationTimeout().toNanos(), TimeUnit.NANOSECONDS);
    }

    static io.tributary.api.v1.SubscriptionType toProto(SubscriptionType type) {
        switch (type) {
            case Shared:
                return io.tributary.api.v1.SubscriptionType.SHARED;
            case Failover:
                return io.tributary.api.v1.SubscriptionType.FAILOVER;
            case Key_Shared:
                return io.tributary.api.v1.SubscriptionType.KEY_SHARED;
            case Exclusive:
            default:
                return io.tributary.api.v1.SubscriptionType.EXCLUSIVE;
        }
    }

    /** Whether {@code c} is this subscription's current call (callbacks of replaced calls are ignored). */
    boolean current(Connection c) {
        return c == cnx;
    }

    /** On a gRPC thread: an entry arrived; it is decoded before the lock is taken. */
    private void onMessages(Connection c, MessageBatch batch) {
        EntryCodec.Unpacked<T> unpacked;
        try {
            unpacked = EntryCodec.unpack(topic, partition, batch, consumer.schema());
        } catch (InvalidProtocolBufferException e) {
            // left unacknowledged: the broker delivers it again after a reconnect, and a newer client may read it
            LOG.error("[{}/{}] Dropping entry {}:{} that this client cannot decode: {}", topic,
                    consumer.conf().subscription(), batch.getMessageId().getLedgerId(),
                    batch.getMessageId().getEntryId(), e.getMessage());
            unpacked = null;
        }
        Completions done = new Completions();
        List<MessageImpl<T>> dead = new ArrayList<>(0);
        consumer.lock.lock();
        try {
            if (c != cnx || !consumer.openLocked()) {
                return;
            }
            if (unpacked == null) {
                consumed(Math.max(1, batch.getMessageId().getBatchSize()));
                return;
            }
            if (position == null) {
                consumer.topics().delivered(batch.getMessageId().getLedgerId(), this);
            }
            ReceiverQueue<T> queue = consumer.receiverQueue();
            for (MessageImpl<T> m : unpacked.messages()) {
                Queued<T> q = new Queued<>(m, this);
                if (!consumer.seeks().holdLocked(q)) {
                    queue.arrivedLocked(q, done, dead);
                }
            }
            if (unpacked.skipped() > 0) {
                consumed(unpacked.skipped());
            }
            queue.afterArrivalsLocked(done);
        } finally {
            consumer.lock.unlock();
        }
        done.run();
        DeadLetterRouter<T> deadLetters = consumer.deadLetters();
        for (MessageImpl<T> m : dead) {
            LOG.info("[{}/{}] Message {} arrived with redelivery count {}: sending it to {}", topic,
                    consumer.conf().subscription(), m.getMessageId(), m.getRedeliveryCount(),
                    deadLetters.deadLetterTopic());
            deadLetters.deadLetterOrRedeliver(m, this);
        }
    }

    private void openTimedOut(Connection c) {
        consumer.lock.lock();
        try {
            if (c == cnx && !c.ready) {
                // cancelling ends the call with CANCELLED, which is retried like any lost stream
                c.cancel("no answer to the subscription within " + client.operationTimeout());
            }
        } finally {
            consumer.lock.unlock();
        }
    }

    private void handleResponse(Connection c, SubscribeResponse response) {
        Completions done = new Completions();
        consumer.lock.lock();
        try {
            if (c != cnx) {
                return;
            }
            if (response.getResponseCase() == SubscribeResponse.ResponseCase.SUBSCRIBED) {
                onSubscribed(c, response.getSubscribed(), done);
            } else {
                onResponseLocked(response, done);
            }
        } finally {
            consumer.lock.unlock();
        }
        done.run();
    }

    private void onSubscribed(Connection c, Subscribed sub, Completions done) {
        if (c.ready) {
            LOG.warn("[{}/{}] Ignoring a second Subscribed", topic, consumer.conf().subscription());
            return;
        }
        c.cancelTimer();
        c.ready = true;
        backoff.reset();
        boolean first = !subscribed;
        if (!consumer.closingLocked()) {
            subscribed = true;
        }
        consumer.onSubscribedLocked(this, sub, first, done);
    }

    /** An answer on the current stream, other than Subscribed and messages. */
    private void onResponseLocked(SubscribeResponse response, Completions done) {
        switch (response.getResponseCase()) {
            case ACK_RESPONSE:
                consumer.acks().onAckResponse(response.getAckResponse(), done);
                break;
            case SEEK_RESPONSE:
                consumer.seeks().onSeekResponse(this, response.getSeekResponse(), done);
                break;
            case NOTICE:
                onNoticeLocked(response.getNotice(), done);
                break;
            default:
                LOG.warn("[{}/{}] Ignoring an unknown subscribe response {}", topic, consumer.conf().subscription(),
                        response.getResponseCase());
        }
    }

    private void onNoticeLocked(ConsumerNotice notice, Completions done) {
        if (notice.hasError()) {
            ErrorDetail d = notice.getError();
            LOG.warn("[{}/{}] Broker notice: {}: {}", topic, consumer.conf().subscription(), d.getReason(), d.getMessage());
        }
        if (notice.hasActive()) {
            boolean active = notice.getActive();
            LOG.info("[{}/{}] Consumer {} is now {}", topic, consumer.conf().subscription(), consumer.getConsumerName(),
                    active ? "active" : "a standby");
            if (!active) {
                // the broker hands what this consumer prefetched to the new active consumer
                grant(consumer.receiverQueue().dropLocked(this));
            }
            ConsumerEventListener listener = consumer.conf().listener();
            if (listener != null && consumer.openLocked()) {
                done.add(() -> {
                    if (active) {
                        listener.becameActive(consumer);
                    } else {
                        listener.becameInactive(consumer);
                    }
                });
            }
        }
    }

    /** The stream ended: {@code t} is null when the server completed it. */
    private void handleEnd(Connection c, Throwable t) {
        Completions done = new Completions();
        consumer.lock.lock();
        try {
            if (c != cnx) {
                return;
            }
            cnx = null;
            c.cancelTimer();
            ErrorDetail detail = t == null
                    ? ErrorReasons.detail(ErrorReason.BROKER_UNAVAILABLE, "the server ended the stream")
                    : ErrorReasons.detailOf(t);
            boolean retriable = ErrorReasons.isRetriable(detail.getReason());
            if (consumer.closingLocked()) {
                consumer.streamClosedLocked(done);
            } else if (!consumer.openLocked()) {
                return;
            } else if (!subscribed) {
                if (retriable && System.nanoTime() < subscribeDeadlineNanos) {
                    LOG.info("[{}/{}] Could not subscribe yet ({}: {}); retrying", topic, consumer.conf().subscription(),
                            detail.getReason(), detail.getMessage());
                    scheduleReconnect(detail, done);
                } else {
                    consumer.topics().subscribeFailedLocked(this, detail, t, retriable, done);
                }
            } else if (retriable) {
                LOG.info("[{}/{}] Consumer {} lost its stream ({}: {}); dropping its prefetched messages and reconnecting",
                        topic, consumer.conf().subscription(), consumer.getConsumerName(), detail.getReason(),
                        detail.getMessage());
                consumer.streamLostLocked(this, detail, done);
                scheduleReconnect(detail, done);
            } else {
                consumer.topics().streamFailedLocked(this, detail, t, done);
            }
        } finally {
            consumer.lock.unlock();
        }
        done.run();
    }

    private void scheduleReconnect(ErrorDetail cause, Completions done) {
        reconnectTask = client.schedule(this::reconnect, backoff.nextDelayMs(cause), TimeUnit.MILLISECONDS);
        if (reconnectTask == null) {
            consumer.failLocked(new AlreadyClosedException("the client is closed"), done);
        }
    }

    private void reconnect() {
        consumer.lock.lock();
        try {
            reconnectTask = null;
            if (consumer.openLocked() && cnx == null) {
                connect(consumer.permitsFor(this));
            }
        } finally {
            consumer.lock.unlock();
        }
    }

    // ---------------------------------------------------------------- ending

    /**
     * Closing: a ready stream is half-closed (the server answers the acks already sent, then ends
     * it), up to the operation timeout; any other is cancelled.
     */
    void close(boolean halfClose) {
        Connection c = cnx;
        if (halfClose && c != null && c.ready) {
            c.cancelTimer();
            try {
                c.requests.onCompleted();
            } catch (RuntimeException e) {
                LOG.debug("[{}/{}] Half-close failed: {}", topic, consumer.conf().subscription(), e.toString());
            }
            c.timer = client.schedule(() -> closeTimedOut(c), client.operationTimeout().toNanos(), TimeUnit.NANOSECONDS);
            if (c.timer == null) {
                c.cancel("the client is closed");
                cnx = null;
            }
        } else if (c != null) {
            c.cancel("the consumer was closed");
            cnx = null;
        }
    }

    private void closeTimedOut(Connection c) {
        Completions done = new Completions();
        consumer.lock.lock();
        try {
            if (c == cnx && consumer.closingLocked()) {
                c.cancel("the server did not end the stream after the consumer closed it");
                cnx = null;
                consumer.streamClosedLocked(done);
            }
        } finally {
            consumer.lock.unlock();
        }
        done.run();
    }

    /** Ends the stream at once, and reads the topic no more if {@code removed}. */
    void cancel(String why, boolean removed) {
        this.removed |= removed;
        cancelTimers();
        if (cnx != null) {
            cnx.cancel(why);
            cnx = null;
        }
    }

    /** Stops the reconnect and open/close timers. */
    void cancelTimers() {
        if (reconnectTask != null) {
            reconnectTask.cancel(false);
            reconnectTask = null;
        }
        if (cnx != null) {
            cnx.cancelTimer();
        }
    }

    /** One Subscribe call; callbacks of calls that are no longer the subscription's {@code cnx} are ignored. */
    final class Connection implements ClientResponseObserver<SubscribeRequest, SubscribeResponse> {
        private ClientCallStreamObserver<SubscribeRequest> requests;
        // guarded by the consumer's lock
        private boolean ready;
        private ScheduledFuture<?> timer;

        @Override
        public void beforeStart(ClientCallStreamObserver<SubscribeRequest> requestStream) {
            this.requests = requestStream;
        }

        void send(SubscribeRequest request) {
            try {
                requests.onNext(request);
            } catch (RuntimeException e) {
                // the call is already over; its onError brings the reconnect
                LOG.debug("[{}/{}] Could not send on a finished stream: {}", topic, consumer.conf().subscription(),
                        e.toString());
            }
        }

        void cancel(String why) {
            cancelTimer();
            try {
                requests.cancel(why, null);
            } catch (RuntimeException e) {
                LOG.debug("[{}/{}] Cancel failed: {}", topic, consumer.conf().subscription(), e.toString());
            }
        }

        void cancelTimer() {
            if (timer != null) {
                timer.cancel(false);
                timer = null;
            }
        }

        @Override
        public void onNext(SubscribeResponse response) {
            if (response.getResponseCase() == SubscribeResponse.ResponseCase.MESSAGES) {
                onMessages(this, response.getMessages());
            } else {
                handleResponse(this, response);
            }
        }

        @Override
        public void onError(Throwable t) {
            handleEnd(this, t);
        }

        @Override
        public void onCompleted() {
            handleEnd(this, null);
        }
    }
}
