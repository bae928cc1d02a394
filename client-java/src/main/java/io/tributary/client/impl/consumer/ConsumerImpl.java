package io.tributary.client.impl.consumer;

import io.tributary.api.v1.ErrorDetail;
import io.tributary.api.v1.ErrorReason;
import io.tributary.api.v1.InitialPosition;
import io.tributary.api.v1.Seek;
import io.tributary.api.v1.Subscribed;
import io.tributary.client.Consumer;
import io.tributary.client.Message;
import io.tributary.client.MessageId;
import io.tributary.client.MessageListener;
import io.tributary.client.Messages;
import io.tributary.client.Schema;
import io.tributary.client.TributaryClientException;
import io.tributary.client.TributaryClientException.AlreadyClosedException;
import io.tributary.client.impl.ClientResource;
import io.tributary.client.impl.stream.Completions;
import io.tributary.client.impl.Futures;
import io.tributary.client.impl.TributaryClientImpl;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A consumer: one {@link TopicSubscription} (a Subscribe stream) per topic it reads, the topic
 * or each partition of a partitioned topic, each topic of a list or matching a pattern
 * ({@link TopicSet}), and the retry topic when retry is enabled, all feeding one
 * {@link ReceiverQueue}. A reader is this class too, on one non-durable stream that it reopens
 * at its {@link ReaderPosition}. Acknowledgements go through the {@link AckGrouper}, ack
 * timeouts through the {@link UnackedTracker}, dead letters and retries through the
 * {@link DeadLetterRouter}, seeks through the {@link SeekCoordinator}; this class is the API,
 * the consumer's state (open, closing, closed, failed) and what ties the parts together.
 *
 * <p>The broker sends no more messages than the permits granted (at subscription the receiver
 * queue size, shared out between the streams of several topics or partitions, then Flows as the
 * application takes messages), so the receiver queue never holds much more than the queue size
 * plus the rest of one entry per stream. A retriable stream failure drops that stream's messages
 * from the queue (the broker redelivers what was not acknowledged) and subscribes again with
 * full permits.
 *
 * <p>Threading: one lock, {@link #lock}, owned here and handed to every part, guards the state
 * of the consumer and of all its parts (methods named {@code ...Locked} expect it held); futures
 * are completed, and the listener called, after it is released ({@link Completions}). The message
 * listener runs on the client's shared listener pool, one message at a time per consumer.
 */
final class ConsumerImpl<T> implements Consumer<T>, ClientResource {
    private static final Logger LOG = LoggerFactory.getLogger(ConsumerImpl.class);

    private enum State { OPEN, CLOSING, CLOSED, FAILED }

    /** The one lock of this consumer and its parts. */
    final ReentrantLock lock = new ReentrantLock();

    private final TributaryClientImpl client;
    private final ConsumerBuilderImpl.Config conf;
    private final CompletableFuture<Consumer<T>> subscribeFuture = new CompletableFuture<>();
    private final CompletableFuture<Void> closeFuture = new CompletableFuture<>();
    private final TopicSet<T> topics;
    private final ReceiverQueue<T> queue;
    private final DeadLetterRouter<T> deadLetters;
    private final UnackedTracker<T> unacked;
    private final AckGrouper<T> acks;
    private final SeekCoordinator<T> seeks;
    private final LastMessageIds<T> lastMessageIds;
    private final Schema<T> schema;
    // guarded by lock
    private State state = State.OPEN;
    private boolean subscribed;
    private TributaryClientException terminalError;
    /** Run once when the consumer is closed or failed (a pattern consumer's discovery). */
    private final List<Runnable> closeHooks = new ArrayList<>(0);

    private volatile String consumerName;

    /** A consumer or reader of one topic (or partition). */
    ConsumerImpl(TributaryClientImpl client, ConsumerBuilderImpl.Config conf, Schema<T> schema) {
        this(client, conf, schema, List.of(conf.topic()), false);
    }

    /**
     * A consumer of several topics.
     *
     * @param topicNames the canonical names of the topics to read, a partitioned topic's partitions one by one
     * @param dynamicTopics whether {@link TopicSet#update} changes them later
     */
    @SuppressWarnings("unchecked")
    ConsumerImpl(TributaryClientImpl client, ConsumerBuilderImpl.Config conf, Schema<T> schema,
                 List<String> topicNames, boolean dynamicTopics) {
        this.client = client;
        this.conf = conf;
        this.schema = schema;
        String name = conf.consumerName();
        if (name == null && (topicNames.size() > 1 || dynamicTopics)) {
            // one name on every stream, so that a Failover subscription orders this consumer the same way on each
            name = "consumer-" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 24);
        }
        this.consumerName = name;
        this.topics = new TopicSet<>(this, client, dynamicTopics);
        this.queue = new ReceiverQueue<>(this, client, conf.receiverQueueSize(), conf.batchReceivePolicy(),
                (MessageListener<T>) conf.messageListener());
        this.deadLetters = new DeadLetterRouter<>(client, conf.deadLetter(), this);
        this.unacked = new UnackedTracker<>(this, client, conf.ackTimeoutMs(), conf.nackDelayMs(), deadLetters);
        this.acks = new AckGrouper<>(this, client, unacked, conf.ackGroupTimeMs());
        this.seeks = new SeekCoordinator<>(this, client);
        this.lastMessageIds = new LastMessageIds<>(this, client);
        for (String topic : topicNames) {
            ReaderPosition position = conf.reader() == null ? null
                    : new ReaderPosition(conf.reader().startId(), conf.reader().inclusive());
            topics.add(topics.newSubscription(topic, position));
        }
        if (conf.retryTopic() != null) {
            // retried messages exist only because this subscription put them there: read them all
            topics.addRetry(new TopicSubscription<>(this, client, conf.retryTopic(), -1, InitialPosition.EARLIEST, null));
        }
    }

    CompletableFuture<Consumer<T>> start() {
        if (!client.register(this)) {
            return Futures.failed(new AlreadyClosedException("the client is closed"));
        }
        boolean nothingToSubscribe;
        lock.lock();
        try {
            for (TopicSubscription<T> s : topics.all()) {
                s.start();
            }
            // a pattern that matches nothing yet
            nothingToSubscribe = topics.all().isEmpty();
            subscribed = nothingToSubscribe;
            unacked.startLocked();
        } finally {
            lock.unlock();
        }
        if (nothingToSubscribe) {
            subscribeFuture.complete(this);
        }
        return subscribeFuture;
    }

    // ---------------------------------------------------------------- for the parts

    ConsumerBuilderImpl.Config conf() {
        return conf;
    }

    Schema<T> schema() {
        return schema;
    }

    TopicSet<T> topics() {
        return topics;
    }

    ReceiverQueue<T> receiverQueue() {
        return queue;
    }

    UnackedTracker<T> unacked() {
        return unacked;
    }

    AckGrouper<T> acks() {
        return acks;
    }

    DeadLetterRouter<T> deadLetters() {
        return deadLetters;
    }

    SeekCoordinator<T> seeks() {
        return seeks;
    }

    boolean openLocked() {
        return state == State.OPEN;
    }

    boolean closingLocked() {
        return state == State.CLOSING;
    }

    /** Whether every topic was subscribed once (the subscription completed). */
    boolean subscribedLocked() {
        return subscribed;
    }

    int permitsFor(TopicSubscription<T> s) {
        return topics.permitsFor(s);
    }

    TributaryClientException closedErrorLocked() {
        if (state == State.FAILED && terminalError != null) {
            return terminalError;
        }
        return new AlreadyClosedException("the consumer is closed");
    }

    /** Why {@code call} cannot take messages now (the consumer is closed, or has a listener); null if it can. */
    TributaryClientException refusedReceiveLocked(String call) {
        if (state != State.OPEN) {
            return closedErrorLocked();
        }
        if (queue.hasListener()) {
            return new TributaryClientException(ErrorReason.INVALID_REQUEST, call + " cannot be used on a consumer with a "
                    + "messageListener: the listener is handed every message", null);
        }
        return null;
    }

    // ---------------------------------------------------------------- receiving

    @Override
    public Message<T> receive() throws TributaryClientException {
        // a wait of Long.MAX_VALUE ns (292 years) never times out, so this never returns null
        return queue.receive(Long.MAX_VALUE);
    }

    @Override
    public Message<T> receive(long timeout, TimeUnit unit) throws TributaryClientException {
        return queue.receive(unit.toNanos(timeout));
    }

    @Override
    public Message<T> receive(Duration timeout) throws TributaryClientException {
        // convert() saturates where Duration.toNanos() would overflow
        return queue.receive(TimeUnit.NANOSECONDS.convert(timeout));
    }

    @Override
    public CompletableFuture<Message<T>> receiveAsync() {
        return queue.receiveAsync();
    }

    @Override
    public Messages<T> batchReceive() throws TributaryClientException {
        return queue.batchReceive();
    }

    @Override
    public CompletableFuture<Messages<T>> batchReceiveAsync() {
        return queue.batchReceiveAsync();
    }

    // ---------------------------------------------------------------- acknowledging

    /** Sends at once, on its own: the caller waits anyway, and learns if the message was acknowledged before. */
    @Override
    public void acknowledge(Message<?> message) throws TributaryClientException {
        Objects.requireNonNull(message, "message");
        Futures.await(acks.acknowledge(message, message.getMessageId(), false, false));
    }

    /** Sends at once, on its own: the caller waits anyway, and learns if the message was acknowledged before. */
    @Override
    public void acknowledge(MessageId messageId) throws TributaryClientException {
        Futures.await(acks.acknowledge(null, messageId, false, false));
    }

    /** Joins the topic's acknowledgement group, sent within the acknowledgment group time. */
    @Override
    public CompletableFuture<Void> acknowledgeAsync(Message<?> message) {
        Objects.requireNonNull(message, "message");
        return acks.acknowledge(message, message.getMessageId(), false, true);
    }

    /** Joins the topic's acknowledgement group, sent within the acknowledgment group time. */
    @Override
    public CompletableFuture<Void> acknowledgeAsync(MessageId messageId) {
        return acks.acknowledge(null, messageId, false, true);
    }

    @Override
    public void acknowledgeCumulative(MessageId messageId) throws TributaryClientException {
        Futures.await(acknowledgeCumulativeAsync(messageId));
    }

    @Override
    public CompletableFuture<Void> acknowledgeCumulativeAsync(MessageId messageId) {
        return acks.acknowledge(null, messageId, true, false);
    }

    /** The message's own topic tells where the acknowledgement goes, even on a consumer of several topics. */
    @Override
    public void acknowledgeCumulative(Message<?> message) throws TributaryClientException {
        Futures.await(acknowledgeCumulativeAsync(message));
    }

    /** The message's own topic tells where the acknowledgement goes, even on a consumer of several topics. */
    @Override
    public CompletableFuture<Void> acknowledgeCumulativeAsync(Message<?> message) {
        Objects.requireNonNull(message, "message");
        return acks.acknowledge(message, message.getMessageId(), true, false);
    }

    @Override
    public void acknowledge(List<MessageId> messageIds) throws TributaryClientException {
        Futures.await(acknowledgeAsync(messageIds));
    }

    /** One Ack request per topic, each with the ids of that topic. */
    @Override
    public CompletableFuture<Void> acknowledgeAsync(List<MessageId> messageIds) {
        return acks.acknowledge(messageIds);
    }

    @Override
    public void acknowledge(Messages<?> messages) throws TributaryClientException {
        Futures.await(acknowledgeAsync(messages));
    }

    /** One Ack request per topic, each with the ids of that topic's messages. */
    @Override
    public CompletableFuture<Void> acknowledgeAsync(Messages<?> messages) {
        return acks.acknowledge(messages);
    }

    /** The subscription a message or an id belongs to ({@link TopicSet#locate}); null if it cannot tell. */
    TopicSubscription<T> locateLocked(Message<?> message, MessageId id) {
        return topics.locate(message, id, unacked.streamOf(id));
    }

    TributaryClientException unknownId(MessageId id) {
        return new TributaryClientException.InvalidMessageIdException("cannot tell which topic of " + conf.topic()
                + " message id " + id + " belongs to: use the Message, or the id of a message this consumer received");
    }

    @Override
    public void negativeAcknowledge(Message<?> message) {
        Objects.requireNonNull(message, "message");
        unacked.negativeAcknowledge(message, message.getMessageId(), "");
    }

    @Override
    public void negativeAcknowledge(Message<?> message, String reason) {
        Objects.requireNonNull(message, "message");
        unacked.negativeAcknowledge(message, message.getMessageId(), checkedReason(reason));
    }

    @Override
    public void negativeAcknowledge(MessageId messageId, String reason) {
        Objects.requireNonNull(messageId, "messageId");
        unacked.negativeAcknowledge(null, messageId, checkedReason(reason));
    }

    private static String checkedReason(String reason) {
        String r = reason == null ? "" : reason;
        if (r.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 1024) {
            throw new IllegalArgumentException("a negative acknowledgement's reason is at most 1,024 bytes of UTF-8");
        }
        return r;
    }

    @Override
    public void negativeAcknowledge(MessageId messageId) {
        Objects.requireNonNull(messageId, "messageId");
        unacked.negativeAcknowledge(null, messageId, "");
    }

    @Override
    public void reconsumeLater(Message<?> message, long delay, TimeUnit unit) throws TributaryClientException {
        Futures.await(reconsumeLaterAsync(message, delay, unit));
    }

    @Override
    public void reconsumeLater(Message<?> message, Duration delay) throws TributaryClientException {
        Objects.requireNonNull(delay, "delay");
        if (delay.isNegative()) {
            throw new IllegalArgumentException("the delay must not be negative");
        }
        reconsumeLater(message, TimeUnit.MILLISECONDS.convert(delay), TimeUnit.MILLISECONDS);
    }

    @Override
    public CompletableFuture<Void> reconsumeLaterAsync(Message<?> message, long delay, TimeUnit unit) {
        return deadLetters.reconsumeLater(message, delay, unit);
    }

    // ---------------------------------------------------------------- seeking, last message id

    @Override
    public void seek(MessageId messageId) throws TributaryClientException {
        Futures.await(seekAsync(messageId));
    }

    @Override
    public void seek(long publishTimeMs) throws TributaryClientException {
        Futures.await(seekAsync(publishTimeMs));
    }

    /**
     * {@link MessageId#earliest} and {@link MessageId#latest} move every topic (and partition) the
     * consumer reads; any other id moves only the topic it belongs to (see {@link TopicSet#locate}).
     */
    @Override
    public CompletableFuture<Void> seekAsync(MessageId messageId) {
        return seeks.seek(messageId);
    }

    /** Moves every topic (and partition) the consumer reads. */
    @Override
    public CompletableFuture<Void> seekAsync(long publishTimeMs) {
        return seeks.seek(publishTimeMs);
    }

    @Override
    public MessageId getLastMessageId() throws TributaryClientException {
        return Futures.await(getLastMessageIdAsync());
    }

    @Override
    public CompletableFuture<MessageId> getLastMessageIdAsync() {
        return lastMessageIds.lastMessageId();
    }

    /** See {@link LastMessageIds#hasMessageAvailable}. */
    CompletableFuture<Boolean> hasMessageAvailableAsync() {
        return lastMessageIds.hasMessageAvailable();
    }

    /** The subscription of a consumer or reader of one topic (or partition); null for one of several or a pattern. */
    TopicSubscription<T> single() {
        lock.lock();
        try {
            return topics.single();
        } finally {
            lock.unlock();
        }
    }

    // ---------------------------------------------------------------- what the streams report

    /** The broker accepted a (re)subscription of {@code s}; {@code first} if it is the topic's first. */
    void onSubscribedLocked(TopicSubscription<T> s, Subscribed sub, boolean first, Completions done) {
        if (s == topics.first() && !sub.getConsumerName().isEmpty()) {
            consumerName = sub.getConsumerName();
        }
        if (state == State.CLOSING) {
            return;
        }
        if (first) {
            if (!subscribed && topics.allSubscribed()) {
                subscribed = true;
                LOG.info("[{}/{}] Consumer {} subscribed", conf.topic(), conf.subscription(), consumerName);
                done.add(() -> subscribeFuture.complete(this));
            }
        } else {
            int resent = acks.resendLocked(s);
            LOG.info("[{}/{}] Consumer {} subscribed again, resent {} acks", s.topic(), conf.subscription(),
                    consumerName, resent);
        }
        if (s.position() != null && s.position().pendingStartTime() >= 0) {
            // SubscribeOpen cannot start at a time: go back there with a seek, held back like any other
            seeks.startLocked(s, Seek.newBuilder().setPublishTimeMs(s.position().pendingStartTime()), null, null);
        }
    }

    /** Forgets what a lost stream delivered: the broker delivers every unacknowledged message again. */
    void streamLostLocked(TopicSubscription<T> s, ErrorDetail cause, Completions done) {
        queue.dropLocked(s);
        s.resetPermits();
        unacked.removeAll(s);
        seeks.streamLostLocked(s, cause, done);
    }

    /** Closing, a stream ended: the consumer is closed once all have. */
    void streamClosedLocked(Completions done) {
        if (state == State.CLOSING && topics.allEnded()) {
            finishCloseLocked(done);
        }
    }

    /** Runs {@code hook} when the consumer closes or fails (at once if it already has). */
    void onClose(Runnable hook) {
        lock.lock();
        try {
            if (state == State.OPEN || state == State.CLOSING) {
                closeHooks.add(hook);
                return;
            }
        } finally {
            lock.unlock();
        }
        hook.run();
    }

    // ---------------------------------------------------------------- closing

    @Override
    public void close() throws TributaryClientException {
        Futures.await(closeAsync());
    }

    @Override
    public CompletableFuture<Void> closeAsync() {
        Completions.underLock(lock, done -> {
            if (state != State.OPEN) {
                return;
            }
            state = State.CLOSING;
            queue.failLocked(new AlreadyClosedException("the consumer was closed"), done);
            if (!subscribed) {
                AlreadyClosedException e = new AlreadyClosedException("the consumer was closed while subscribing");
                done.add(() -> subscribeFuture.completeExceptionally(e));
            }
            // grouped acknowledgements go out before the streams are half-closed
            acks.sendAllGroupsLocked();
            for (TopicSubscription<T> s : List.copyOf(topics.all())) {
                if (subscribed) {
                    // the server answers the acks already sent, then ends the stream
                    s.close(done);
                } else {
                    s.cancel("the consumer was closed", false);
                }
            }
            streamClosedLocked(done);
        });
        return closeFuture;
    }

    private void finishCloseLocked(Completions done) {
        state = State.CLOSED;
        endLocked(new AlreadyClosedException("the consumer was closed before the broker answered"), done);
        LOG.info("[{}/{}] Consumer {} closed", conf.topic(), conf.subscription(), nameForLogs());
        done.add(() -> deadLetters.close().whenComplete((v, t) -> closeFuture.complete(null)));
    }

    /** A failure the consumer cannot recover from: every waiting receive and ack fails with it. */
    void failLocked(TributaryClientException e, Completions done) {
        state = State.FAILED;
        terminalError = e;
        for (TopicSubscription<T> s : topics.all()) {
            s.cancel("the consumer failed", false);
        }
        queue.failLocked(e, done);
        endLocked(e, done);
        done.add(() -> {
            subscribeFuture.completeExceptionally(e);
            deadLetters.close().whenComplete((v, t) -> closeFuture.complete(null));
        });
    }

    /** Once closed or failed: timers stop, what waits for the broker fails, and the close hooks run. */
    private void endLocked(TributaryClientException e, Completions done) {
        unacked.stopLocked();
        List<Runnable> hooks = List.copyOf(closeHooks);
        closeHooks.clear();
        hooks.forEach(done::add);
        acks.failAllLocked(e, done);
        seeks.failAllLocked(e, done);
        client.unregister(this);
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

    /** The name for log lines: the broker names an unnamed consumer when it first subscribes. */
    String nameForLogs() {
        String name = consumerName;
        return name != null ? name : "(not named yet)";
    }

    /** Whether every stream of the consumer is connected. */
    @Override
    public boolean isConnected() {
        lock.lock();
        try {
            return topics.allReady();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public String toString() {
        return (conf.reader() != null ? "Reader{topic=" : "Consumer{topic=") + conf.topic() + ", subscription="
                + conf.subscription() + ", name=" + consumerName + "}";
    }
}
