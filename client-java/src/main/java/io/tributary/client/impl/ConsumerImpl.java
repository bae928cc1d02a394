package io.tributary.client.impl;

import com.google.protobuf.InvalidProtocolBufferException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.tributary.api.v1.Ack;
import io.tributary.api.v1.AckResponse;
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
import io.tributary.client.Consumer;
import io.tributary.client.Message;
import io.tributary.client.MessageId;
import io.tributary.client.Schema;
import io.tributary.client.SubscriptionInitialPosition;
import io.tributary.client.SubscriptionType;
import io.tributary.client.TributaryClientException;
import io.tributary.client.TributaryClientException.AlreadyClosedException;
import io.tributary.client.TributaryClientException.TimeoutException;
import io.tributary.protocol.ErrorReasons;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A consumer on one Subscribe stream.
 *
 * <p>The broker sends no more messages than the permits granted (the receiver queue size at
 * subscription, then {@link Flow}s as the application takes messages), so the receiver queue
 * never holds more than the queue size plus the rest of one entry. A retriable stream failure
 * drops the queue (the broker redelivers what was not acknowledged) and subscribes again with
 * full permits. All state is guarded by {@link #lock}; futures are completed after it is
 * released ({@link Completions}).
 */
final class ConsumerImpl<T> implements Consumer<T> {
    private static final Logger LOG = LoggerFactory.getLogger(ConsumerImpl.class);

    private enum State { OPEN, CLOSING, CLOSED, FAILED }

    /** An acknowledgement waiting for the broker's AckResponse; resent on a new stream. */
    private static final class PendingAck {
        final Ack ack;
        final CompletableFuture<Void> future = new CompletableFuture<>();
        ScheduledFuture<?> timer;

        PendingAck(Ack ack) {
            this.ack = ack;
        }
    }

    private final TributaryClientImpl client;
    private final ConsumerBuilderImpl.Config conf;
    private final Schema<T> schema;
    private final int topicPartition;
    private final int flowThreshold;
    private final long operationTimeoutNanos;
    private final long subscribeDeadlineNanos;
    private final CompletableFuture<Consumer<T>> subscribeFuture = new CompletableFuture<>();
    private final CompletableFuture<Void> closeFuture = new CompletableFuture<>();
    private final Backoff backoff = new Backoff();

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition notEmpty = lock.newCondition();
    // guarded by lock
    private State state = State.OPEN;
    private boolean subscribed;
    private Connection cnx;
    private ScheduledFuture<?> reconnectTask;
    private TributaryClientException terminalError;
    private final ArrayDeque<MessageImpl<T>> queue = new ArrayDeque<>();
    private final ArrayDeque<CompletableFuture<Message<T>>> pendingReceives = new ArrayDeque<>();
    /** Messages taken (or skipped) since the last Flow: the permits owed to the broker. */
    private int consumedSinceFlow;
    private final Map<Long, PendingAck> pendingAcks = new LinkedHashMap<>();
    private long lastRequestId;

    private volatile String consumerName;

    ConsumerImpl(TributaryClientImpl client, ConsumerBuilderImpl.Config conf, Schema<T> schema, int topicPartition) {
        this.client = client;
        this.conf = conf;
        this.schema = schema;
        this.topicPartition = topicPartition;
        this.flowThreshold = Math.max(1, conf.receiverQueueSize() / 2);
        this.operationTimeoutNanos = client.operationTimeout().toNanos();
        this.subscribeDeadlineNanos = System.nanoTime() + operationTimeoutNanos;
        this.consumerName = conf.consumerName();
    }

    CompletableFuture<Consumer<T>> start() {
        if (!client.register(this)) {
            return Futures.failed(new AlreadyClosedException("the client is closed"));
        }
        lock.lock();
        try {
            connectLocked();
        } finally {
            lock.unlock();
        }
        return subscribeFuture;
    }

    // ---------------------------------------------------------------- receiving

    @Override
    public Message<T> receive() throws TributaryClientException {
        // a wait of Long.MAX_VALUE ns (292 years) never times out, so this never returns null
        return receive(Long.MAX_VALUE, TimeUnit.NANOSECONDS);
    }

    @Override
    public Message<T> receive(long timeout, TimeUnit unit) throws TributaryClientException {
        long nanos = unit.toNanos(timeout);
        lock.lock();
        try {
            while (true) {
                if (state != State.OPEN) {
                    throw closedErrorLocked();
                }
                MessageImpl<T> m = queue.poll();
                if (m != null) {
                    consumedLocked(1);
                    return m;
                }
                if (nanos <= 0) {
                    return null;
                }
                nanos = notEmpty.awaitNanos(nanos);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TributaryClientException("interrupted while receiving", e);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public Message<T> receive(Duration timeout) throws TributaryClientException {
        // convert() saturates where Duration.toNanos() would overflow
        return receive(TimeUnit.NANOSECONDS.convert(timeout), TimeUnit.NANOSECONDS);
    }

    @Override
    public CompletableFuture<Message<T>> receiveAsync() {
        CompletableFuture<Message<T>> f;
        lock.lock();
        try {
            if (state != State.OPEN) {
                return Futures.failed(closedErrorLocked());
            }
            MessageImpl<T> m = queue.poll();
            if (m != null) {
                consumedLocked(1);
                return CompletableFuture.completedFuture(m);
            }
            f = new CompletableFuture<>();
            pendingReceives.add(f);
        } finally {
            lock.unlock();
        }
        // a cancelled request must not hold on to its place until a message comes
        f.whenComplete((m, t) -> {
            if (f.isCancelled()) {
                lock.lock();
                try {
                    pendingReceives.remove(f);
                } finally {
                    lock.unlock();
                }
            }
        });
        return f;
    }

    /** Counts messages the application took (or that were skipped) and returns permits in chunks. */
    private void consumedLocked(int n) {
        consumedSinceFlow += n;
        if (consumedSinceFlow >= flowThreshold && cnx != null && cnx.ready) {
            cnx.send(SubscribeRequest.newBuilder().setFlow(Flow.newBuilder().setPermits(consumedSinceFlow)).build());
            consumedSinceFlow = 0;
        }
    }

    private void onMessages(Connection c, MessageBatch batch) {
        EntryCodec.Unpacked<T> unpacked;
        try {
            unpacked = EntryCodec.unpack(conf.topic(), topicPartition, batch, schema);
        } catch (InvalidProtocolBufferException e) {
            // left unacknowledged: the broker delivers it again after a reconnect, and a newer client may read it
            LOG.error("[{}/{}] Dropping entry {}:{} that this client cannot decode: {}", conf.topic(),
                    conf.subscription(), batch.getMessageId().getLedgerId(), batch.getMessageId().getEntryId(),
                    e.getMessage());
            unpacked = null;
        }
        Completions done = new Completions();
        lock.lock();
        try {
            if (c != cnx || state != State.OPEN) {
                return;
            }
            if (unpacked == null) {
                consumedLocked(Math.max(1, batch.getMessageId().getBatchSize()));
                return;
            }
            for (MessageImpl<T> m : unpacked.messages()) {
                CompletableFuture<Message<T>> waiting = pendingReceives.poll();
                if (waiting != null) {
                    consumedLocked(1);
                    done.add(() -> handOver(waiting, m));
                } else {
                    queue.add(m);
                }
            }
            if (unpacked.skipped() > 0) {
                consumedLocked(unpacked.skipped());
            }
            if (!queue.isEmpty()) {
                notEmpty.signalAll();
            }
        } finally {
            lock.unlock();
        }
        done.run();
    }

    /** Completes a receiveAsync; if the application cancelled it meanwhile, the message goes back in front. */
    private void handOver(CompletableFuture<Message<T>> waiting, MessageImpl<T> m) {
        if (waiting.complete(m)) {
            return;
        }
        CompletableFuture<Message<T>> next = null;
        lock.lock();
        try {
            if (state != State.OPEN) {
                return;
            }
            next = pendingReceives.poll();
            if (next == null) {
                queue.addFirst(m);
                // the message was counted as taken when it was handed over; it is back in the queue
                consumedSinceFlow--;
                notEmpty.signalAll();
            }
        } finally {
            lock.unlock();
        }
        if (next != null) {
            handOver(next, m);
        }
    }

    // ---------------------------------------------------------------- acknowledging

    @Override
    public void acknowledge(Message<?> message) throws TributaryClientException {
        acknowledge(message.getMessageId());
    }

    @Override
    public void acknowledge(MessageId messageId) throws TributaryClientException {
        Futures.await(acknowledgeAsync(messageId));
    }

    @Override
    public CompletableFuture<Void> acknowledgeAsync(MessageId messageId) {
        return ack(messageId, false);
    }

    @Override
    public void acknowledgeCumulative(MessageId messageId) throws TributaryClientException {
        Futures.await(acknowledgeCumulativeAsync(messageId));
    }

    @Override
    public CompletableFuture<Void> acknowledgeCumulativeAsync(MessageId messageId) {
        return ack(messageId, true);
    }

    private CompletableFuture<Void> ack(MessageId messageId, boolean cumulative) {
        Objects.requireNonNull(messageId, "messageId");
        lock.lock();
        try {
            if (state != State.OPEN) {
                return Futures.failed(closedErrorLocked());
            }
            long requestId = ++lastRequestId;
            Ack ack = Ack.newBuilder()
                    .addMessageIds(EntryCodec.toProto(messageId))
                    .setCumulative(cumulative)
                    .setRequestId(requestId)
                    .build();
            PendingAck pa = new PendingAck(ack);
            pendingAcks.put(requestId, pa);
            pa.timer = client.schedule(() -> ackTimedOut(requestId), operationTimeoutNanos, TimeUnit.NANOSECONDS);
            // without a stream the ack waits in pendingAcks and goes out after the next Subscribed
            if (cnx != null && cnx.ready) {
                cnx.send(SubscribeRequest.newBuilder().setAck(ack).build());
            }
            return pa.future.thenApply(v -> null);
        } finally {
            lock.unlock();
        }
    }

    private void ackTimedOut(long requestId) {
        PendingAck pa;
        lock.lock();
        try {
            pa = pendingAcks.remove(requestId);
        } finally {
            lock.unlock();
        }
        if (pa != null) {
            pa.future.completeExceptionally(new TimeoutException(
                    "the broker did not confirm the acknowledgement within " + client.operationTimeout()));
        }
    }

    private void onAckResponse(AckResponse response, Completions done) {
        PendingAck pa = pendingAcks.remove(response.getRequestId());
        if (pa == null) {
            // timed out already, or the answer to a resend of an ack answered on the old stream
            return;
        }
        if (pa.timer != null) {
            pa.timer.cancel(false);
        }
        if (response.hasError()) {
            TributaryClientException e = TributaryClientException.of(response.getError());
            done.add(() -> pa.future.completeExceptionally(e));
        } else {
            done.add(() -> pa.future.complete(null));
        }
    }

    @Override
    public void negativeAcknowledge(Message<?> message) {
        negativeAcknowledge(message.getMessageId());
    }

    @Override
    public void negativeAcknowledge(MessageId messageId) {
        Objects.requireNonNull(messageId, "messageId");
        lock.lock();
        try {
            // without a stream there is nothing to do: the broker redelivers every unacked message on reconnect
            if (state == State.OPEN && cnx != null && cnx.ready) {
                cnx.send(SubscribeRequest.newBuilder()
                        .setNegativeAck(NegativeAck.newBuilder().addMessageIds(EntryCodec.toProto(messageId)))
                        .build());
            }
        } finally {
            lock.unlock();
        }
    }

    // ---------------------------------------------------------------- the stream

    /** One Subscribe call; callbacks of calls that are no longer {@link #cnx} are ignored. */
    private final class Connection implements ClientResponseObserver<SubscribeRequest, SubscribeResponse> {
        private ClientCallStreamObserver<SubscribeRequest> requests;
        // guarded by lock
        boolean ready;
        boolean halfClosed;
        ScheduledFuture<?> timer;

        @Override
        public void beforeStart(ClientCallStreamObserver<SubscribeRequest> requestStream) {
            this.requests = requestStream;
        }

        void send(SubscribeRequest request) {
            try {
                requests.onNext(request);
            } catch (RuntimeException e) {
                // the call is already over; its onError brings the reconnect
                LOG.debug("[{}/{}] Could not send on a finished stream: {}", conf.topic(), conf.subscription(),
                        e.toString());
            }
        }

        void cancel(String why) {
            cancelTimer();
            try {
                requests.cancel(why, null);
            } catch (RuntimeException e) {
                LOG.debug("[{}/{}] Cancel failed: {}", conf.topic(), conf.subscription(), e.toString());
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
                // decoded outside the lock
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

    private void connectLocked() {
        Connection c = new Connection();
        cnx = c;
        SubscribeOpen.Builder open = SubscribeOpen.newBuilder()
                .setTopic(conf.topic())
                .setSubscription(conf.subscription())
                .setType(toProto(conf.type()))
                .setInitialPosition(conf.initialPosition() == SubscriptionInitialPosition.Earliest
                        ? InitialPosition.EARLIEST : InitialPosition.LATEST)
                .setInitialPermits(conf.receiverQueueSize())
                .setPriority(conf.priority());
        if (consumerName != null) {
            open.setConsumerName(consumerName);
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
        c.timer = client.schedule(() -> openTimedOut(c), operationTimeoutNanos, TimeUnit.NANOSECONDS);
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

    private void openTimedOut(Connection c) {
        lock.lock();
        try {
            if (c == cnx && !c.ready) {
                // cancelling ends the call with CANCELLED, which is retried like any lost stream
                c.cancel("no answer to the subscription within " + client.operationTimeout());
            }
        } finally {
            lock.unlock();
        }
    }

    private void handleResponse(Connection c, SubscribeResponse response) {
        Completions done = new Completions();
        lock.lock();
        try {
            if (c != cnx) {
                return;
            }
            switch (response.getResponseCase()) {
                case SUBSCRIBED:
                    onSubscribed(c, response.getSubscribed(), done);
                    break;
                case ACK_RESPONSE:
                    onAckResponse(response.getAckResponse(), done);
                    break;
                case NOTICE:
                    ErrorDetail d = response.getNotice().getError();
                    LOG.warn("[{}/{}] Broker notice: {}: {}", conf.topic(), conf.subscription(), d.getReason(),
                            d.getMessage());
                    break;
                default:
                    LOG.warn("[{}/{}] Ignoring an unknown subscribe response {}", conf.topic(), conf.subscription(),
                            response.getResponseCase());
            }
        } finally {
            lock.unlock();
        }
        done.run();
    }

    private void onSubscribed(Connection c, Subscribed s, Completions done) {
        if (c.ready) {
            LOG.warn("[{}/{}] Ignoring a second Subscribed", conf.topic(), conf.subscription());
            return;
        }
        c.cancelTimer();
        c.ready = true;
        backoff.reset();
        if (!s.getConsumerName().isEmpty()) {
            consumerName = s.getConsumerName();
        }
        if (state == State.CLOSING) {
            return;
        }
        if (!subscribed) {
            subscribed = true;
            LOG.info("[{}/{}] Consumer {} subscribed", conf.topic(), conf.subscription(), consumerName);
            done.add(() -> subscribeFuture.complete(this));
        } else {
            LOG.info("[{}/{}] Consumer {} subscribed again, resending {} acks", conf.topic(), conf.subscription(),
                    consumerName, pendingAcks.size());
            // acks are idempotent, and the answers to those sent on the lost stream will never come
            for (PendingAck pa : pendingAcks.values()) {
                c.send(SubscribeRequest.newBuilder().setAck(pa.ack).build());
            }
        }
    }

    /** The stream ended: {@code t} is null when the server completed it. */
    private void handleEnd(Connection c, Throwable t) {
        Completions done = new Completions();
        lock.lock();
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
            if (state == State.CLOSING) {
                finishCloseLocked(done);
            } else if (!subscribed) {
                if (retriable && System.nanoTime() < subscribeDeadlineNanos) {
                    LOG.info("[{}/{}] Could not subscribe yet ({}: {}); retrying", conf.topic(), conf.subscription(),
                            detail.getReason(), detail.getMessage());
                    scheduleReconnectLocked(done, detail);
                } else if (retriable) {
                    failLocked(new TimeoutException("could not subscribe within " + client.operationTimeout()
                            + "; last error " + detail.getReason() + ": " + detail.getMessage()), done);
                } else {
                    failLocked(TributaryClientException.of(detail, t), done);
                }
            } else if (retriable) {
                LOG.info("[{}/{}] Consumer {} lost its stream ({}: {}); dropping {} prefetched messages and reconnecting",
                        conf.topic(), conf.subscription(), consumerName, detail.getReason(), detail.getMessage(),
                        queue.size());
                queue.clear();
                consumedSinceFlow = 0;
                scheduleReconnectLocked(done, detail);
            } else {
                LOG.warn("[{}/{}] Consumer {} failed: {}: {}", conf.topic(), conf.subscription(), consumerName,
                        detail.getReason(), detail.getMessage());
                failLocked(TributaryClientException.of(detail, t), done);
            }
        } finally {
            lock.unlock();
        }
        done.run();
    }

    private void scheduleReconnectLocked(Completions done, ErrorDetail cause) {
        reconnectTask = client.schedule(this::reconnect, backoff.nextDelayMs(cause), TimeUnit.MILLISECONDS);
        if (reconnectTask == null) {
            failLocked(new AlreadyClosedException("the client is closed"), done);
        }
    }

    private void reconnect() {
        lock.lock();
        try {
            reconnectTask = null;
            if (state == State.OPEN && cnx == null) {
                connectLocked();
            }
        } finally {
            lock.unlock();
        }
    }

    // ---------------------------------------------------------------- closing

    @Override
    public void close() throws TributaryClientException {
        Futures.await(closeAsync());
    }

    @Override
    public CompletableFuture<Void> closeAsync() {
        Completions done = new Completions();
        lock.lock();
        try {
            if (state != State.OPEN) {
                return closeFuture;
            }
            state = State.CLOSING;
            failReceiversLocked(new AlreadyClosedException("the consumer was closed"), done);
            queue.clear();
            Connection c = cnx;
            if (!subscribed) {
                AlreadyClosedException e = new AlreadyClosedException("the consumer was closed while subscribing");
                done.add(() -> subscribeFuture.completeExceptionally(e));
                if (c != null) {
                    c.cancel("the consumer was closed");
                    cnx = null;
                }
                finishCloseLocked(done);
            } else if (c != null && c.ready) {
                // the server answers the acks already sent, then ends the stream
                c.halfClosed = true;
                c.cancelTimer();
                try {
                    c.requests.onCompleted();
                } catch (RuntimeException e) {
                    LOG.debug("[{}/{}] Half-close failed: {}", conf.topic(), conf.subscription(), e.toString());
                }
                c.timer = client.schedule(() -> closeTimedOut(c), operationTimeoutNanos, TimeUnit.NANOSECONDS);
                if (c.timer == null) {
                    c.cancel("the client is closed");
                    cnx = null;
                    finishCloseLocked(done);
                }
            } else {
                if (c != null) {
                    c.cancel("the consumer was closed");
                    cnx = null;
                }
                finishCloseLocked(done);
            }
        } finally {
            lock.unlock();
        }
        done.run();
        return closeFuture;
    }

    private void closeTimedOut(Connection c) {
        Completions done = new Completions();
        lock.lock();
        try {
            if (c == cnx && state == State.CLOSING) {
                c.cancel("the server did not end the stream after the consumer closed it");
                cnx = null;
                finishCloseLocked(done);
            }
        } finally {
            lock.unlock();
        }
        done.run();
    }

    private void finishCloseLocked(Completions done) {
        state = State.CLOSED;
        cancelTimersLocked();
        failAcksLocked(new AlreadyClosedException("the consumer was closed before the broker confirmed the ack"), done);
        client.unregister(this);
        LOG.info("[{}/{}] Consumer {} closed", conf.topic(), conf.subscription(), consumerName);
        done.add(() -> closeFuture.complete(null));
    }

    /** A failure the consumer cannot recover from: every waiting receive and ack fails with it. */
    private void failLocked(TributaryClientException e, Completions done) {
        state = State.FAILED;
        terminalError = e;
        cancelTimersLocked();
        if (cnx != null) {
            cnx.cancel("the consumer failed");
            cnx = null;
        }
        queue.clear();
        failReceiversLocked(e, done);
        failAcksLocked(e, done);
        client.unregister(this);
        done.add(() -> {
            subscribeFuture.completeExceptionally(e);
            closeFuture.complete(null);
        });
    }

    private void failReceiversLocked(TributaryClientException e, Completions done) {
        List<CompletableFuture<Message<T>>> waiting = List.copyOf(pendingReceives);
        pendingReceives.clear();
        notEmpty.signalAll();
        done.add(() -> waiting.forEach(f -> f.completeExceptionally(e)));
    }

    private void failAcksLocked(TributaryClientException e, Completions done) {
        List<PendingAck> acks = List.copyOf(pendingAcks.values());
        pendingAcks.clear();
        for (PendingAck pa : acks) {
            if (pa.timer != null) {
                pa.timer.cancel(false);
            }
        }
        done.add(() -> acks.forEach(pa -> pa.future.completeExceptionally(e)));
    }

    private void cancelTimersLocked() {
        if (reconnectTask != null) {
            reconnectTask.cancel(false);
            reconnectTask = null;
        }
        if (cnx != null) {
            cnx.cancelTimer();
        }
    }

    private TributaryClientException closedErrorLocked() {
        if (state == State.FAILED && terminalError != null) {
            return terminalError;
        }
        return new AlreadyClosedException("the consumer is closed");
    }

    // ---------------------------------------------------------------- accessors

    @Override
    public String getTopic() {
        return conf.topic();
    }

    @Override
    public String getSubscription() {
        return conf.subscription();
    }

    @Override
    public String getConsumerName() {
        return consumerName;
    }

    @Override
    public boolean isConnected() {
        lock.lock();
        try {
            return cnx != null && cnx.ready;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public String toString() {
        return "Consumer{topic=" + conf.topic() + ", subscription=" + conf.subscription() + ", name=" + consumerName
                + "}";
    }
}
