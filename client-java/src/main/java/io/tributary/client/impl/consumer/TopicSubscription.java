package io.tributary.client.impl.consumer;

import com.google.protobuf.InvalidProtocolBufferException;
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
import io.tributary.client.ConsumerEventListener;
import io.tributary.client.MessageId;
import io.tributary.client.SubscriptionType;
import io.tributary.client.TributaryClientException;
import io.tributary.client.TributaryClientException.AlreadyClosedException;
import io.tributary.client.impl.BatchCodec;
import io.tributary.client.impl.MessageImpl;
import io.tributary.client.impl.TributaryClientImpl;
import io.tributary.client.impl.stream.Completions;
import io.tributary.client.impl.stream.StreamSession;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One topic's Subscribe stream: a {@link StreamSession} (which owns opening, the open timeout,
 * reconnecting with backoff, half-close and its timeout) with what is particular to a
 * subscription: the open request, the permits granted and the Flows that return them, decoding
 * what arrives, and handing the stream's answers to the consumer's parts. What a lost or failed
 * stream means for the consumer is the consumer's to decide; this class reports it.
 *
 * <p>Guarded by the consumer's lock ({@link ConsumerImpl#lock}), which the session takes for
 * gRPC callbacks and timers.
 */
final class TopicSubscription<T> extends StreamSession<SubscribeRequest, SubscribeResponse> {
    private static final Logger LOG = LoggerFactory.getLogger(TopicSubscription.class);

    private final ConsumerImpl<T> consumer;
    private final TributaryClientImpl client;
    private final String topic;
    private final int partition;
    private final InitialPosition initialPosition;
    /** A reader's position; null for a consumer. */
    private final ReaderPosition position;
    // guarded by the consumer's lock
    /** No longer read (a pattern consumer's topic that went away); acks on it fail. */
    private boolean removed;
    /** When to grant more permits: half the permits granted when the stream opened. */
    private int flowThreshold = 1;
    /** Messages taken (or skipped) since the last Flow: the permits owed to the broker. */
    private int consumedSinceFlow;

    TopicSubscription(ConsumerImpl<T> consumer, TributaryClientImpl client, String topic, int partition,
                      InitialPosition initialPosition, ReaderPosition position) {
        super(consumer.lock, client);
        this.consumer = consumer;
        this.client = client;
        this.topic = topic;
        this.partition = partition;
        this.initialPosition = initialPosition;
        this.position = position;
    }

    @Override
    public String topic() {
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
        return isOpen();
    }

    /** Whether no call is open or opening (not started, closed or failed). */
    boolean ended() {
        State s = state();
        return s == State.NEW || s == State.CLOSED || s == State.FAILED;
    }

    /** Whether the broker accepted this topic's subscription once (later streams are reconnects). */
    boolean subscribed() {
        return everOpened();
    }

    boolean removed() {
        return removed;
    }

    AlreadyClosedException noLongerRead() {
        return new AlreadyClosedException("the consumer no longer reads " + topic
                + " (it no longer matches the pattern, or failed)");
    }

    /** Asks the broker to deliver {@code ids} again; without a stream it does anyway when the next one opens. */
    void nack(List<MessageId> ids, long delayMs, String reason) {
        if (ids.isEmpty()) {
            return;
        }
        NegativeAck.Builder nack = NegativeAck.newBuilder().setDelayMs(delayMs).setReason(reason);
        for (MessageId id : ids) {
            nack.addMessageIds(BatchCodec.toProto(id));
        }
        send(SubscribeRequest.newBuilder().setNegativeAck(nack).build());
    }

    /** Counts messages the application took (or that were skipped) and returns permits in chunks. */
    void consumed(int n) {
        consumedSinceFlow += n;
        if (consumedSinceFlow >= flowThreshold && isOpen()) {
            if (position != null && position.lastHanded() != null) {
                // lets the broker forget what the reader has read; the cursor is not durable anyway
                send(SubscribeRequest.newBuilder().setAck(Ack.newBuilder()
                        .addMessageIds(BatchCodec.toProto(position.lastHanded())).setCumulative(true)).build());
            }
            send(SubscribeRequest.newBuilder().setFlow(Flow.newBuilder().setPermits(consumedSinceFlow)).build());
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

    /** Ends the stream at once, no hook called; with {@code removed}, the topic is read no more. */
    void cancel(String why, boolean removed) {
        this.removed |= removed;
        abort(why);
    }

    // ---------------------------------------------------------------- the session's hooks

    @Override
    protected void startCall(ClientResponseObserver<SubscribeRequest, SubscribeResponse> observer) {
        stub().subscribe(observer);
    }

    /** For every call: the permits (the topics share the receiver queue), where a reader stands, the name. */
    @Override
    protected SubscribeRequest openRequest() {
        int permits = consumer.permitsFor(this);
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
        return SubscribeRequest.newBuilder().setOpen(open).build();
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

    @Override
    protected String describe() {
        return "subscribe to " + topic;
    }

    /**
     * An exclusive or failover subscription is refused to a second consumer while the first is
     * connected; when this consumer reconnects before the broker noticed its previous stream's end,
     * that stream still holds the subscription: try again, as a producer does with its name.
     */
    @Override
    protected boolean retriesOnReconnect(ErrorReason reason) {
        return reason == ErrorReason.CONSUMER_BUSY;
    }

    /** Messages are decoded here, before the lock is taken; the rest goes to {@link #onResponse}. */
    @Override
    protected void onResponseUnlocked(long callGeneration, SubscribeResponse response) {
        if (response.getResponseCase() != SubscribeResponse.ResponseCase.MESSAGES) {
            super.onResponseUnlocked(callGeneration, response);
            return;
        }
        MessageBatch batch = response.getMessages();
        BatchCodec.Unpacked<T> unpacked;
        try {
            unpacked = BatchCodec.unpack(topic, partition, batch, consumer.schema());
        } catch (InvalidProtocolBufferException e) {
            // left unacknowledged: the broker delivers it again after a reconnect, and a newer client may read it
            LOG.error("[{}/{}] Dropping entry {}:{} that this client cannot decode: {}", topic,
                    consumer.conf().subscription(), batch.getMessageId().getLedgerId(),
                    batch.getMessageId().getEntryId(), e.getMessage());
            unpacked = null;
        }
        BatchCodec.Unpacked<T> decoded = unpacked;
        runIfCurrent(callGeneration, done -> onMessagesLocked(batch, decoded, done));
    }

    private void onMessagesLocked(MessageBatch batch, BatchCodec.Unpacked<T> unpacked, Completions done) {
        if (!consumer.openLocked()) {
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
        List<MessageImpl<T>> dead = new ArrayList<>(0);
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
        DeadLetterRouter<T> deadLetters = consumer.deadLetters();
        for (MessageImpl<T> m : dead) {
            // after the receives completed above, outside the lock
            done.add(() -> {
                LOG.info("[{}/{}] Message {} arrived with redelivery count {}: sending it to {}", topic,
                        consumer.conf().subscription(), m.getMessageId(), m.getRedeliveryCount(),
                        deadLetters.deadLetterTopic());
                deadLetters.deadLetterOrRedeliver(m, this, "");
            });
        }
    }

    @Override
    protected void onResponse(SubscribeResponse response, Completions done) {
        switch (response.getResponseCase()) {
            case SUBSCRIBED:
                boolean first = !everOpened();
                if (!opened()) {
                    LOG.warn("[{}/{}] Ignoring a second Subscribed", topic, consumer.conf().subscription());
                    return;
                }
                consumer.onSubscribedLocked(this, response.getSubscribed(), first, done);
                break;
            case ACK_RESPONSE:
                consumer.acks().onAckResponse(response.getAckResponse(), done);
                break;
            case SEEK_RESPONSE:
                consumer.seeks().onSeekResponse(this, response.getSeekResponse(), done);
                break;
            case NOTICE:
                onNotice(response.getNotice(), done);
                break;
            default:
                LOG.warn("[{}/{}] Ignoring an unknown subscribe response {}", topic, consumer.conf().subscription(),
                        response.getResponseCase());
        }
    }

    private void onNotice(ConsumerNotice notice, Completions done) {
        if (notice.hasError()) {
            ErrorDetail d = notice.getError();
            LOG.warn("[{}/{}] Broker notice: {}: {}", topic, consumer.conf().subscription(), d.getReason(),
                    d.getMessage());
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

    /** A retriable loss: what the stream delivered is dropped (the broker delivers it again); the session reconnects. */
    @Override
    protected void onDisconnected(ErrorDetail cause, Completions done) {
        if (everOpened()) {
            LOG.info("[{}/{}] Consumer {} lost its stream ({}: {}); dropping its prefetched messages and reconnecting",
                    topic, consumer.conf().subscription(), consumer.getConsumerName(), cause.getReason(),
                    cause.getMessage());
        } else {
            LOG.info("[{}/{}] Could not subscribe yet ({}: {}); retrying", topic, consumer.conf().subscription(),
                    cause.getReason(), cause.getMessage());
        }
        consumer.streamLostLocked(this, cause, done);
    }

    @Override
    protected void onFailed(TributaryClientException e, Completions done) {
        consumer.topics().failedLocked(this, e, done);
    }

    @Override
    protected void onClosed(Completions done) {
        consumer.streamClosedLocked(done);
    }
}
