package io.tributary.client.impl.consumer;

import com.google.protobuf.InvalidProtocolBufferException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.tributary.api.v1.Ack;
import io.tributary.api.v1.AckResponse;
import io.tributary.api.v1.ConsumerNotice;
import io.tributary.api.v1.ErrorDetail;
import io.tributary.api.v1.ErrorReason;
import io.tributary.api.v1.Flow;
import io.tributary.api.v1.GetLastMessageIdRequest;
import io.tributary.api.v1.GetLastMessageIdResponse;
import io.tributary.api.v1.InitialPosition;
import io.tributary.api.v1.MessageBatch;
import io.tributary.api.v1.NegativeAck;
import io.tributary.api.v1.Seek;
import io.tributary.api.v1.SeekResponse;
import io.tributary.api.v1.SubscribeOpen;
import io.tributary.api.v1.SubscribeRequest;
import io.tributary.api.v1.SubscribeResponse;
import io.tributary.api.v1.Subscribed;
import io.tributary.client.BatchReceivePolicy;
import io.tributary.client.Consumer;
import io.tributary.client.ConsumerEventListener;
import io.tributary.client.DeadLetterPolicy;
import io.tributary.client.Message;
import io.tributary.client.MessageId;
import io.tributary.client.MessageListener;
import io.tributary.client.Messages;
import io.tributary.client.Producer;
import io.tributary.client.Schema;
import io.tributary.client.SubscriptionInitialPosition;
import io.tributary.client.SubscriptionType;
import io.tributary.client.TributaryClientException.AlreadyClosedException;
import io.tributary.client.TributaryClientException.TimeoutException;
import io.tributary.client.TributaryClientException;
import io.tributary.client.TypedMessageBuilder;
import io.tributary.client.impl.Backoff;
import io.tributary.client.impl.Completions;
import io.tributary.client.impl.EntryCodec;
import io.tributary.client.impl.Futures;
import io.tributary.client.impl.MessageImpl;
import io.tributary.client.impl.MessagesImpl;
import io.tributary.client.impl.TributaryClientImpl;
import io.tributary.client.impl.UnaryCalls;
import io.tributary.protocol.ErrorReasons;
import io.tributary.protocol.TopicName;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A consumer: one Subscribe stream per topic it reads (the topic or each partition of a
 * partitioned topic, each topic of a list or matching a pattern, and the retry topic when retry
 * is enabled), all feeding one receiver queue. A reader is this class too, on one non-durable
 * stream that it reopens after the last message it handed out.
 *
 * <p>The broker sends no more messages than the permits granted (at subscription the receiver
 * queue size, shared out between the streams of several topics or partitions, then
 * {@link Flow}s as the application takes messages), so the receiver queue never holds much more
 * than the queue size plus the rest of one entry per stream. With a {@link MessageListener} a
 * thread of the consumer's own takes the messages from the queue and hands them to the
 * listener one at a time. A retriable
 * stream failure drops that stream's messages from the queue (the broker redelivers what was not
 * acknowledged) and subscribes again with full permits. All state is guarded by {@link #lock};
 * futures are completed after it is released ({@link Completions}).
 */
final class ConsumerImpl<T> implements Consumer<T> {
    private static final Logger LOG = LoggerFactory.getLogger(ConsumerImpl.class);
    /** How many ledger-to-topic entries a consumer remembers to place acks by id. */
    private static final int MAX_LEDGERS_REMEMBERED = 10_000;
    private static final AtomicInteger LISTENER_IDS = new AtomicInteger();
    /** At most this many acknowledgements go in one grouped Ack request. */
    static final int MAX_ACK_GROUP = 1000;

    private enum State { OPEN, CLOSING, CLOSED, FAILED }

    /** A prefetched message and the stream it came on. */
    private final class Queued {
        final MessageImpl<T> message;
        final TopicStream stream;
        final int bytes;

        Queued(MessageImpl<T> message, TopicStream stream) {
            this.message = message;
            this.stream = stream;
            this.bytes = message.valueSize();
        }
    }

    /** A batchReceiveAsync waiting for a full batch or its timeout. */
    private final class PendingBatch {
        final CompletableFuture<Messages<T>> future = new CompletableFuture<>();
        ScheduledFuture<?> timer;
    }

    /** An acknowledgement waiting for the broker's AckResponse; resent on a new stream. */
    private final class PendingAck {
        final Ack ack;
        final TopicStream stream;
        final CompletableFuture<Void> future = new CompletableFuture<>();
        ScheduledFuture<?> timer;
        /** Sent again after a reconnect: "already acknowledged" then means the first one arrived. */
        boolean resent;

        PendingAck(Ack ack, TopicStream stream) {
            this.ack = ack;
            this.stream = stream;
        }
    }

    /** A seek waiting for its SeekResponse; a null future marks the reader's own seek after a reconnect. */
    private final class PendingSeek {
        final Seek seek;
        final CompletableFuture<Void> future;
        final Runnable onMoved;
        ScheduledFuture<?> timer;

        PendingSeek(Seek seek, CompletableFuture<Void> future, Runnable onMoved) {
            this.seek = seek;
            this.future = future;
            this.onMoved = onMoved;
        }
    }

    /** A message handed to the application and not acknowledged yet. */
    private final class Tracked {
        final MessageImpl<T> message;
        final TopicStream stream;
        final long handedNanos;

        Tracked(MessageImpl<T> message, TopicStream stream, long handedNanos) {
            this.message = message;
            this.stream = stream;
            this.handedNanos = handedNanos;
        }
    }

    /** One topic's Subscribe stream and its state across reconnects. */
    private final class TopicStream {
        final String topic;
        final int partition;
        final InitialPosition initialPosition;
        final Backoff backoff = new Backoff();
        /** Until when a first subscription may be retried. */
        final long subscribeDeadlineNanos;
        /** Individual acknowledgements waiting to go out together, and their futures. */
        final List<MessageId> groupedIds = new ArrayList<>(0);
        final List<CompletableFuture<Void>> groupedFutures = new ArrayList<>(0);
        ScheduledFuture<?> groupTimer;
        Connection cnx;
        boolean subscribed;
        /** No longer read (a pattern consumer's topic that went away); acks on it fail. */
        boolean removed;
        /** The permits granted when the stream opened, and when to grant more. */
        int permits;
        int flowThreshold;
        ScheduledFuture<?> reconnectTask;
        /** Messages taken (or skipped) since the last Flow: the permits owed to the broker. */
        int consumedSinceFlow;
        PendingSeek seek;
        /** Messages that arrived while {@link #seek} was pending: from before the seek. */
        final List<Queued> heldDuringSeek = new ArrayList<>();
        // readers only: where the next stream starts, and what it must not hand out again
        MessageId startId;
        boolean startInclusive;
        InitialPosition startPosition;
        long startTimeMs = -1;
        MessageId skipThrough;
        boolean skipInclusive;
        MessageId lastHanded;
        /** The subscription name the current stream opened (a reader's is new on every stream). */
        String streamSubscription;

        TopicStream(String topic, int partition, InitialPosition initialPosition) {
            this.topic = topic;
            this.partition = partition;
            this.initialPosition = initialPosition;
            this.subscribeDeadlineNanos = System.nanoTime() + operationTimeoutNanos;
        }

        boolean ready() {
            return cnx != null && cnx.ready;
        }

        void send(SubscribeRequest request) {
            if (ready()) {
                cnx.send(request);
            }
        }
    }

    private final TributaryClientImpl client;
    private final ConsumerBuilderImpl.Config conf;
    private final Schema<T> schema;
    private final boolean reader;
    private final DeadLetterPolicy deadLetter;
    private final long operationTimeoutNanos;
    private final CompletableFuture<Consumer<T>> subscribeFuture = new CompletableFuture<>();
    private final CompletableFuture<Void> closeFuture = new CompletableFuture<>();
    /** The streams of the topics read, then the retry topic's; changes (under lock) only for a pattern consumer. */
    private final List<TopicStream> streams = new ArrayList<>(2);
    /** The streams by topic name; guarded by lock. */
    private final Map<String, TopicStream> byTopic = new HashMap<>();
    private final TopicStream retry;
    /** Whether topics come and go later (a pattern subscription): one that fails then is dropped, not the consumer. */
    private final boolean dynamicTopics;
    private final MessageListener<T> listener;
    /** The thread that calls the listener; null without one. */
    private final ExecutorService listenerExecutor;
    private final BatchReceivePolicy batchPolicy;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition notEmpty = lock.newCondition();
    // guarded by lock
    private State state = State.OPEN;
    private boolean subscribed;
    private TributaryClientException terminalError;
    private final ArrayDeque<Queued> queue = new ArrayDeque<>();
    private final ArrayDeque<CompletableFuture<Message<T>>> pendingReceives = new ArrayDeque<>();
    private final ArrayDeque<PendingBatch> pendingBatches = new ArrayDeque<>();
    /** Whether a task is handing queued messages to the listener. */
    private boolean dispatching;
    /** Run once when the consumer is closed or failed (a pattern consumer's discovery). */
    private final List<Runnable> closeHooks = new ArrayList<>(0);
    private final Map<Long, PendingAck> pendingAcks = new LinkedHashMap<>();
    private long lastRequestId;
    /** Handed out, unacknowledged messages that may time out or go to the dead-letter topic, in hand-out order. */
    private final LinkedHashMap<MessageId, Tracked> tracker = new LinkedHashMap<>();
    private ScheduledFuture<?> ackTimeoutTask;
    /** Which stream a ledger's messages came from (ledger ids are unique in a cluster), to route acks by id. */
    private final Map<Long, TopicStream> ledgerStreams = new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, TopicStream> eldest) {
            return size() > MAX_LEDGERS_REMEMBERED;
        }
    };

    private final Object producerLock = new Object();
    // guarded by producerLock
    private CompletableFuture<Producer<byte[]>> deadLetterProducer;
    private CompletableFuture<Producer<byte[]>> retryProducer;

    private volatile String consumerName;

    /** A consumer or reader of one topic (or partition). */
    ConsumerImpl(TributaryClientImpl client, ConsumerBuilderImpl.Config conf, Schema<T> schema, int topicPartition) {
        this(client, conf, schema, List.of(conf.topic()), false);
    }

    /**
     * A consumer of several topics.
     *
     * @param topics the canonical names of the topics to read, a partitioned topic's partitions one by one
     * @param dynamicTopics whether {@link #updateTopics} changes them later
     */
    @SuppressWarnings("unchecked")
    ConsumerImpl(TributaryClientImpl client, ConsumerBuilderImpl.Config conf, Schema<T> schema, List<String> topics,
                 boolean dynamicTopics) {
        this.client = client;
        this.conf = conf;
        this.schema = schema;
        this.reader = conf.reader() != null;
        this.deadLetter = conf.deadLetter();
        this.operationTimeoutNanos = client.operationTimeout().toNanos();
        this.dynamicTopics = dynamicTopics;
        this.listener = (MessageListener<T>) conf.messageListener();
        this.batchPolicy = conf.batchReceivePolicy();
        String name = conf.consumerName();
        if (name == null && (topics.size() > 1 || dynamicTopics)) {
            // one name on every stream, so that a Failover subscription orders this consumer the same way on each
            name = "consumer-" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 24);
        }
        this.consumerName = name;
        for (String topic : topics) {
            addStream(topic);
        }
        if (conf.retryTopic() != null) {
            // retried messages exist only because this subscription put them there: read them all
            this.retry = new TopicStream(conf.retryTopic(), -1, InitialPosition.EARLIEST);
            streams.add(retry);
            byTopic.put(retry.topic, retry);
        } else {
            this.retry = null;
        }
        if (reader) {
            TopicStream only = streams.get(0);
            MessageId start = conf.reader().startId();
            if (start.equals(MessageId.earliest)) {
                only.startPosition = InitialPosition.EARLIEST;
            } else if (start.equals(MessageId.latest)) {
                only.startPosition = InitialPosition.LATEST;
            } else {
                only.startId = start;
                only.startInclusive = conf.reader().inclusive();
            }
        }
        this.listenerExecutor = listener == null ? null : Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "tributary-listener-" + conf.subscription() + "-" + LISTENER_IDS.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /** A stream for a topic, before the retry topic's; not connected yet. */
    private TopicStream addStream(String topic) {
        TopicStream s = new TopicStream(topic, TopicName.of(topic).partitionIndex(),
                conf.initialPosition() == SubscriptionInitialPosition.Earliest ? InitialPosition.EARLIEST
                        : InitialPosition.LATEST);
        streams.add(retry == null ? streams.size() : streams.size() - 1, s);
        byTopic.put(topic, s);
        return s;
    }

    /** The streams of the topics read: all but the retry topic's. */
    private List<TopicStream> mainStreamsLocked() {
        return retry == null ? streams : streams.subList(0, streams.size() - 1);
    }

    CompletableFuture<Consumer<T>> start() {
        if (!client.register(this)) {
            return Futures.failed(new AlreadyClosedException("the client is closed"));
        }
        boolean nothingToSubscribe;
        lock.lock();
        try {
            for (TopicStream s : streams) {
                connectLocked(s);
            }
            // a pattern that matches nothing yet
            nothingToSubscribe = streams.isEmpty();
            subscribed = nothingToSubscribe;
            if (conf.ackTimeoutMs() > 0) {
                long period = Math.max(10, Math.min(1000, conf.ackTimeoutMs() / 5));
                ackTimeoutTask = client.scheduleWithFixedDelay(this::checkAckTimeouts, period, TimeUnit.MILLISECONDS);
            }
        } finally {
            lock.unlock();
        }
        if (nothingToSubscribe) {
            subscribeFuture.complete(this);
        }
        return subscribeFuture;
    }

    private boolean tracking() {
        return conf.ackTimeoutMs() > 0 || deadLetter != null;
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
        MessageImpl<T> taken;
        lock.lock();
        try {
            while (true) {
                TributaryClientException refused = refusedReceiveLocked("receive()");
                if (refused != null) {
                    throw refused;
                }
                Queued q = queue.poll();
                if (q != null) {
                    takenLocked(q);
                    taken = q.message;
                    break;
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
        // outside the lock: decoding may be slow; a failure leaves the message received and unacknowledged
        taken.decode();
        return taken;
    }

    @Override
    public Message<T> receive(Duration timeout) throws TributaryClientException {
        // convert() saturates where Duration.toNanos() would overflow
        return receive(TimeUnit.NANOSECONDS.convert(timeout), TimeUnit.NANOSECONDS);
    }

    @Override
    public CompletableFuture<Message<T>> receiveAsync() {
        CompletableFuture<Message<T>> f = null;
        MessageImpl<T> taken = null;
        lock.lock();
        try {
            TributaryClientException refused = refusedReceiveLocked("receiveAsync()");
            if (refused != null) {
                return Futures.failed(refused);
            }
            Queued q = queue.poll();
            if (q != null) {
                takenLocked(q);
                taken = q.message;
            } else {
                f = new CompletableFuture<>();
                pendingReceives.add(f);
            }
        } finally {
            lock.unlock();
        }
        if (taken != null) {
            f = new CompletableFuture<>();
            complete(f, taken);
            return f;
        }
        CompletableFuture<Message<T>> waiting = f;
        // a cancelled request must not hold on to its place until a message comes
        waiting.whenComplete((m, t) -> {
            if (waiting.isCancelled()) {
                lock.lock();
                try {
                    pendingReceives.remove(waiting);
                } finally {
                    lock.unlock();
                }
            }
        });
        return waiting;
    }

    /**
     * Completes a receive with a message taken for it, decoded first: a wrong schema or malformed
     * bytes fail the receive instead (the message stays received and unacknowledged). Returns
     * false if the future was completed (cancelled) before.
     */
    private static <T> boolean complete(CompletableFuture<Message<T>> f, MessageImpl<T> m) {
        try {
            m.decode();
        } catch (TributaryClientException e) {
            return f.completeExceptionally(e);
        }
        return f.complete(m);
    }

    /** Why {@code call} cannot take messages now (the consumer is closed, or has a listener); null if it can. */
    private TributaryClientException refusedReceiveLocked(String call) {
        if (state != State.OPEN) {
            return closedErrorLocked();
        }
        if (listener != null) {
            return new TributaryClientException(ErrorReason.INVALID_REQUEST, call + " cannot be used on a consumer with a "
                    + "messageListener: the listener is handed every message", null);
        }
        return null;
    }

    // ---------------------------------------------------------------- the receiver queue

    /** Puts a message that was taken but not delivered back in front, as if never taken. */
    private void untakeLocked(Queued q) {
        queue.addFirst(q);
        // the message was counted as taken when it was handed over; it is back in the queue
        q.stream.consumedSinceFlow--;
        tracker.remove(q.message.getMessageId());
        if (reader && q.message.getMessageId().equals(q.stream.startId)) {
            q.stream.startInclusive = true;
        }
    }

    /** A message goes to the application: count its permit, track it, remember it as a reader's position. */
    private void takenLocked(Queued q) {
        MessageImpl<T> m = q.message;
        TopicStream s = q.stream;
        if (reader) {
            s.startId = m.getMessageId();
            s.startInclusive = false;
            s.startTimeMs = -1;
            s.lastHanded = m.getMessageId();
        }
        if (conf.ackTimeoutMs() > 0 || (deadLetter != null && m.getRedeliveryCount() >= deadLetter.getMaxRedeliverCount())) {
            // re-inserted so that the map stays in hand-out order
            tracker.remove(m.getMessageId());
            tracker.put(m.getMessageId(), new Tracked(m, s, System.nanoTime()));
        }
        consumedLocked(s, 1);
    }

    /** Counts messages the application took (or that were skipped) and returns permits in chunks. */
    private void consumedLocked(TopicStream s, int n) {
        s.consumedSinceFlow += n;
        if (s.consumedSinceFlow >= s.flowThreshold && s.ready()) {
            if (reader && s.lastHanded != null) {
                // lets the broker forget what the reader has read; the cursor is not durable anyway
                s.cnx.send(SubscribeRequest.newBuilder().setAck(Ack.newBuilder()
                        .addMessageIds(EntryCodec.toProto(s.lastHanded)).setCumulative(true)).build());
            }
            s.cnx.send(SubscribeRequest.newBuilder().setFlow(Flow.newBuilder().setPermits(s.consumedSinceFlow)).build());
            s.consumedSinceFlow = 0;
        }
    }

    private void onMessages(Connection c, MessageBatch batch) {
        TopicStream s = c.stream;
        EntryCodec.Unpacked<T> unpacked;
        try {
            unpacked = EntryCodec.unpack(s.topic, s.partition, batch, schema);
        } catch (InvalidProtocolBufferException e) {
            // left unacknowledged: the broker delivers it again after a reconnect, and a newer client may read it
            LOG.error("[{}/{}] Dropping entry {}:{} that this client cannot decode: {}", s.topic,
                    conf.subscription(), batch.getMessageId().getLedgerId(), batch.getMessageId().getEntryId(),
                    e.getMessage());
            unpacked = null;
        }
        Completions done = new Completions();
        List<MessageImpl<T>> dead = new ArrayList<>(0);
        lock.lock();
        try {
            if (c != s.cnx || state != State.OPEN) {
                return;
            }
            if (unpacked == null) {
                consumedLocked(s, Math.max(1, batch.getMessageId().getBatchSize()));
                return;
            }
            if (!reader) {
                ledgerStreams.put(batch.getMessageId().getLedgerId(), s);
            }
            for (MessageImpl<T> m : unpacked.messages()) {
                Queued q = new Queued(m, s);
                if (s.seek != null) {
                    s.heldDuringSeek.add(q);
                } else {
                    arrivedLocked(q, done, dead);
                }
            }
            if (unpacked.skipped() > 0) {
                consumedLocked(s, unpacked.skipped());
            }
            if (!queue.isEmpty()) {
                fillBatchesLocked(done);
                notEmpty.signalAll();
            }
        } finally {
            lock.unlock();
        }
        done.run();
        for (MessageImpl<T> m : dead) {
            LOG.info("[{}/{}] Message {} arrived with redelivery count {}: sending it to {}", s.topic,
                    conf.subscription(), m.getMessageId(), m.getRedeliveryCount(), deadLetter.getDeadLetterTopic());
            deadLetterOrRedeliver(m, s);
        }
    }

    /** A message from the stream, after any pending seek: skipped, dead-lettered, or queued for the application. */
    private void arrivedLocked(Queued q, Completions done, List<MessageImpl<T>> dead) {
        TopicStream s = q.stream;
        MessageImpl<T> m = q.message;
        if (s.skipThrough != null) {
            int c = compareInTopic(m.getMessageId(), s.skipThrough);
            if (c < 0 || (c == 0 && !s.skipInclusive)) {
                // a reader's stream restarts at an entry: what it already handed out of it is dropped
                consumedLocked(s, 1);
                return;
            }
            s.skipThrough = null;
        }
        if (deadLetter != null && m.getRedeliveryCount() > deadLetter.getMaxRedeliverCount()) {
            consumedLocked(s, 1);
            dead.add(m);
            return;
        }
        CompletableFuture<Message<T>> waiting = pendingReceives.poll();
        if (waiting != null) {
            takenLocked(q);
            done.add(() -> handOver(waiting, q));
            return;
        }
        queue.add(q);
        if (listener != null) {
            dispatchLocked();
        }
    }

    /** After messages were queued: completes the batch receives that the queue now fills. */
    private void fillBatchesLocked(Completions done) {
        while (!pendingBatches.isEmpty() && batchFullLocked()) {
            PendingBatch pb = pendingBatches.poll();
            List<Queued> batch = takeBatchLocked();
            done.add(() -> handOverBatch(pb, batch));
        }
    }

    /** Orders ids of one topic by ledger, entry and batch index (the partition is the topic's). */
    private static int compareInTopic(MessageId a, MessageId b) {
        int c = Long.compare(a.getLedgerId(), b.getLedgerId());
        if (c == 0) {
            c = Long.compare(a.getEntryId(), b.getEntryId());
        }
        if (c == 0) {
            c = Integer.compare(a.getBatchIndex(), b.getBatchIndex());
        }
        return c;
    }

    /** Completes a receiveAsync; if the application cancelled it meanwhile, the message goes back in front. */
    private void handOver(CompletableFuture<Message<T>> waiting, Queued q) {
        if (complete(waiting, q.message)) {
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
                untakeLocked(q);
                notEmpty.signalAll();
            }
        } finally {
            lock.unlock();
        }
        if (next != null) {
            handOver(next, q);
        }
    }

    // ---------------------------------------------------------------- the message listener

    /** Starts handing queued messages to the listener, unless a task already does. */
    private void dispatchLocked() {
        if (dispatching || queue.isEmpty() || state != State.OPEN) {
            return;
        }
        dispatching = true;
        try {
            listenerExecutor.execute(this::dispatch);
        } catch (RejectedExecutionException e) {
            // shut down with the consumer
            dispatching = false;
        }
    }

    /**
     * On the listener thread: hands queued messages to the listener one at a time until the
     * queue is empty. A message is taken (and its permit counted) only when the listener is
     * ready for it, so the broker sends no faster than the listener works.
     */
    private void dispatch() {
        while (true) {
            Queued q;
            lock.lock();
            try {
                q = state == State.OPEN ? queue.poll() : null;
                if (q == null) {
                    dispatching = false;
                    return;
                }
                takenLocked(q);
            } finally {
                lock.unlock();
            }
            try {
                listener.received(this, q.message);
            } catch (Throwable t) {
                LOG.warn("[{}/{}] The message listener failed on message {}; it stays unacknowledged", q.stream.topic,
                        conf.subscription(), q.message.getMessageId(), t);
            }
        }
    }

    // ---------------------------------------------------------------- batch receive

    @Override
    public Messages<T> batchReceive() throws TributaryClientException {
        // convert() saturates where Duration.toNanos() would overflow
        long timeoutNanos = TimeUnit.NANOSECONDS.convert(batchPolicy.getTimeout());
        long start = System.nanoTime();
        lock.lock();
        try {
            while (true) {
                TributaryClientException refused = refusedReceiveLocked("batchReceive()");
                if (refused != null) {
                    throw refused;
                }
                long remaining = timeoutNanos - (System.nanoTime() - start);
                if (batchFullLocked() || remaining <= 0) {
                    return messagesOf(takeBatchLocked());
                }
                notEmpty.awaitNanos(remaining);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TributaryClientException("interrupted while receiving", e);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public CompletableFuture<Messages<T>> batchReceiveAsync() {
        PendingBatch pb = new PendingBatch();
        lock.lock();
        try {
            TributaryClientException refused = refusedReceiveLocked("batchReceiveAsync()");
            if (refused != null) {
                return Futures.failed(refused);
            }
            long timeoutNanos = TimeUnit.NANOSECONDS.convert(batchPolicy.getTimeout());
            if (pendingBatches.isEmpty() && (timeoutNanos == 0 || batchFullLocked())) {
                return CompletableFuture.completedFuture(messagesOf(takeBatchLocked()));
            }
            pb.timer = client.schedule(() -> batchTimedOut(pb), timeoutNanos, TimeUnit.NANOSECONDS);
            if (pb.timer == null) {
                return Futures.failed(new AlreadyClosedException("the client is closed"));
            }
            pendingBatches.add(pb);
        } finally {
            lock.unlock();
        }
        // a cancelled request gives up its place and its timer
        pb.future.whenComplete((m, t) -> {
            if (pb.future.isCancelled()) {
                pb.timer.cancel(false);
                lock.lock();
                try {
                    pendingBatches.remove(pb);
                } finally {
                    lock.unlock();
                }
            }
        });
        return pb.future;
    }

    /**
     * Whether the queue holds a full batch: the policy's message count (at most the queue size) or
     * bytes. Counting the bytes walks the queue, which holds fewer messages than a batch then;
     * it is asked once per entry received while a batch receive waits.
     */
    private boolean batchFullLocked() {
        if (queue.size() >= maxBatchMessages()) {
            return true;
        }
        long bytes = 0;
        for (Queued q : queue) {
            bytes += q.bytes;
            if (bytes >= batchPolicy.getMaxNumBytes()) {
                return true;
            }
        }
        return false;
    }

    /** A batch never waits for more messages than the receiver queue is meant to hold. */
    private int maxBatchMessages() {
        return Math.min(batchPolicy.getMaxNumMessages(), conf.receiverQueueSize());
    }

    /** Takes a batch from the queue: up to the message count, and over the byte limit only with its first message. */
    private List<Queued> takeBatchLocked() {
        int max = maxBatchMessages();
        List<Queued> out = new ArrayList<>(Math.min(max, queue.size()));
        long bytes = 0;
        Queued q;
        while (out.size() < max && (q = queue.peek()) != null) {
            if (!out.isEmpty() && bytes + q.bytes > batchPolicy.getMaxNumBytes()) {
                break;
            }
            queue.poll();
            takenLocked(q);
            out.add(q);
            bytes += q.bytes;
        }
        return out;
    }

    private Messages<T> messagesOf(List<Queued> batch) {
        List<Message<T>> messages = new ArrayList<>(batch.size());
        for (Queued q : batch) {
            messages.add(q.message);
        }
        return new MessagesImpl<>(messages);
    }

    private void batchTimedOut(PendingBatch pb) {
        List<Queued> batch = null;
        lock.lock();
        try {
            if (pendingBatches.remove(pb)) {
                batch = takeBatchLocked();
            }
        } finally {
            lock.unlock();
        }
        if (batch != null) {
            handOverBatch(pb, batch);
        }
    }

    /** Completes a batchReceiveAsync; if the application cancelled it meanwhile, the messages go back in front. */
    private void handOverBatch(PendingBatch pb, List<Queued> batch) {
        pb.timer.cancel(false);
        if (pb.future.complete(messagesOf(batch))) {
            return;
        }
        lock.lock();
        try {
            if (state != State.OPEN) {
                return;
            }
            for (int i = batch.size() - 1; i >= 0; i--) {
                untakeLocked(batch.get(i));
            }
            if (!queue.isEmpty()) {
                notEmpty.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    // ---------------------------------------------------------------- acknowledging

    /** Sends at once, on its own: the caller waits anyway, and learns if the message was acknowledged before. */
    @Override
    public void acknowledge(Message<?> message) throws TributaryClientException {
        Objects.requireNonNull(message, "message");
        Futures.await(locateAndAck(message, message.getMessageId(), false, false));
    }

    /** Sends at once, on its own: the caller waits anyway, and learns if the message was acknowledged before. */
    @Override
    public void acknowledge(MessageId messageId) throws TributaryClientException {
        Futures.await(locateAndAck(null, messageId, false, false));
    }

    /** Joins the topic's acknowledgement group, sent within the acknowledgment group time. */
    @Override
    public CompletableFuture<Void> acknowledgeAsync(Message<?> message) {
        Objects.requireNonNull(message, "message");
        return locateAndAck(message, message.getMessageId(), false, true);
    }

    /** Joins the topic's acknowledgement group, sent within the acknowledgment group time. */
    @Override
    public CompletableFuture<Void> acknowledgeAsync(MessageId messageId) {
        return locateAndAck(null, messageId, false, true);
    }

    @Override
    public void acknowledgeCumulative(MessageId messageId) throws TributaryClientException {
        Futures.await(acknowledgeCumulativeAsync(messageId));
    }

    @Override
    public CompletableFuture<Void> acknowledgeCumulativeAsync(MessageId messageId) {
        return locateAndAck(null, messageId, true, false);
    }

    @Override
    public void acknowledge(Messages<?> messages) throws TributaryClientException {
        Futures.await(acknowledgeAsync(messages));
    }

    /** One Ack request per topic, each with the ids of that topic's messages. */
    @Override
    public CompletableFuture<Void> acknowledgeAsync(Messages<?> messages) {
        Objects.requireNonNull(messages, "messages");
        List<CompletableFuture<Void>> acks = new ArrayList<>();
        lock.lock();
        try {
            if (state != State.OPEN) {
                return Futures.failed(closedErrorLocked());
            }
            Map<TopicStream, List<MessageId>> byStream = new LinkedHashMap<>();
            for (Message<?> m : messages) {
                TopicStream s = locateLocked(m, m.getMessageId());
                if (s == null) {
                    return Futures.failed(unknownId(m.getMessageId()));
                }
                byStream.computeIfAbsent(s, k -> new ArrayList<>()).add(m.getMessageId());
            }
            byStream.forEach((s, ids) -> acks.add(ackLocked(s, ids, false, false)));
        } finally {
            lock.unlock();
        }
        return CompletableFuture.allOf(acks.toArray(CompletableFuture<?>[]::new));
    }

    /**
     * The stream a message or an id belongs to: the message's topic; else the stream that handed
     * the id out, or delivered the id's ledger (ledger ids are unique in a cluster), or the only
     * stream whose partition index is the id's; failing those, the one topic of a consumer of one
     * topic (retry topic aside). Null if none of these tells.
     */
    private TopicStream locateLocked(Message<?> message, MessageId id) {
        if (message != null) {
            TopicStream s = byTopic.get(message.getTopicName());
            if (s != null) {
                return s;
            }
        }
        Tracked t = tracker.get(id);
        if (t != null) {
            return t.stream;
        }
        TopicStream s = ledgerStreams.get(id.getLedgerId());
        if (s != null) {
            return s;
        }
        TopicStream samePartition = null;
        int matches = 0;
        for (TopicStream x : streams) {
            if (x.partition == id.getPartition()) {
                samePartition = x;
                matches++;
            }
        }
        if (matches == 1) {
            return samePartition;
        }
        List<TopicStream> mains = mainStreamsLocked();
        return mains.size() == 1 ? mains.get(0) : null;
    }

    private TributaryClientException unknownId(MessageId id) {
        return new TributaryClientException.InvalidMessageIdException("cannot tell which topic of " + conf.topic()
                + " message id " + id + " belongs to: use the Message, or the id of a message this consumer received");
    }

    /**
     * Acknowledges on the stream of the message or id: at once, or ({@code grouped}, for an
     * individual acknowledgement with a group time set) in the stream's next group.
     */
    private CompletableFuture<Void> locateAndAck(Message<?> message, MessageId messageId, boolean cumulative,
                                                 boolean grouped) {
        Objects.requireNonNull(messageId, "messageId");
        lock.lock();
        try {
            if (state != State.OPEN) {
                return Futures.failed(closedErrorLocked());
            }
            TopicStream s = locateLocked(message, messageId);
            if (s == null) {
                return Futures.failed(unknownId(messageId));
            }
            if (cumulative || !grouped || conf.ackGroupTimeMs() == 0) {
                return ackLocked(s, List.of(messageId), cumulative, false);
            }
            return groupLocked(s, messageId);
        } finally {
            lock.unlock();
        }
    }

    // ---------------------------------------------------------------- acknowledgement groups

    /** Adds an individual acknowledgement to its stream's group; sends the group once full. */
    private CompletableFuture<Void> groupLocked(TopicStream s, MessageId id) {
        if (s.removed) {
            return Futures.failed(noLongerRead(s));
        }
        // no ack timeout for it while it waits in the group
        tracker.remove(id);
        CompletableFuture<Void> f = new CompletableFuture<>();
        s.groupedIds.add(id);
        s.groupedFutures.add(f);
        if (s.groupedIds.size() >= MAX_ACK_GROUP) {
            sendGroupLocked(s);
        } else if (s.groupTimer == null) {
            s.groupTimer = client.schedule(() -> groupTimeUp(s), conf.ackGroupTimeMs(), TimeUnit.MILLISECONDS);
            if (s.groupTimer == null) {
                // the timers are gone with the client
                sendGroupLocked(s);
            }
        }
        return f;
    }

    private void groupTimeUp(TopicStream s) {
        lock.lock();
        try {
            s.groupTimer = null;
            if (state == State.OPEN || state == State.CLOSING) {
                sendGroupLocked(s);
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Sends a stream's group as one Ack request. The broker applies every id it can and answers
     * with the first refusal only, so after a refusal each id is sent again alone, to tell each
     * future its own answer. "Already acknowledged" then cannot be told from "acknowledged by the
     * group", so a grouped acknowledgement never reports it: acknowledging twice just succeeds.
     */
    private void sendGroupLocked(TopicStream s) {
        if (s.groupTimer != null) {
            s.groupTimer.cancel(false);
            s.groupTimer = null;
        }
        if (s.groupedIds.isEmpty()) {
            return;
        }
        List<MessageId> ids = List.copyOf(s.groupedIds);
        List<CompletableFuture<Void>> futures = List.copyOf(s.groupedFutures);
        s.groupedIds.clear();
        s.groupedFutures.clear();
        ackLocked(s, ids, false, false).whenComplete((v, t) -> {
            if (t == null) {
                futures.forEach(f -> f.complete(null));
                return;
            }
            Throwable cause = ErrorReasons.unwrap(t);
            if (ids.size() == 1 && cause instanceof TributaryClientException.AlreadyAcknowledgedException) {
                futures.get(0).complete(null);
                return;
            }
            if (ids.size() == 1 || cause instanceof TimeoutException || cause instanceof AlreadyClosedException) {
                futures.forEach(f -> f.completeExceptionally(cause));
                return;
            }
            for (int i = 0; i < ids.size(); i++) {
                CompletableFuture<Void> f = futures.get(i);
                MessageId id = ids.get(i);
                CompletableFuture<Void> alone;
                lock.lock();
                try {
                    alone = state == State.OPEN || state == State.CLOSING ? ackLocked(s, List.of(id), false, true)
                            : Futures.failed(closedErrorLocked());
                } finally {
                    lock.unlock();
                }
                alone.whenComplete((x, e) -> {
                    if (e == null) {
                        f.complete(null);
                    } else {
                        f.completeExceptionally(ErrorReasons.unwrap(e));
                    }
                });
            }
        });
    }

    /** Fails what waits in a stream's group. */
    private void failGroupLocked(TopicStream s, TributaryClientException e, Completions done) {
        if (s.groupTimer != null) {
            s.groupTimer.cancel(false);
            s.groupTimer = null;
        }
        List<CompletableFuture<Void>> futures = List.copyOf(s.groupedFutures);
        s.groupedIds.clear();
        s.groupedFutures.clear();
        done.add(() -> futures.forEach(f -> f.completeExceptionally(e)));
    }

    /** Acknowledges on {@code s}, at once. */
    private CompletableFuture<Void> ack(TopicStream s, MessageId messageId, boolean cumulative) {
        lock.lock();
        try {
            if (state != State.OPEN) {
                return Futures.failed(closedErrorLocked());
            }
            return ackLocked(s, List.of(messageId), cumulative, false);
        } finally {
            lock.unlock();
        }
    }

    /**
     * One Ack request with {@code ids}, all of stream {@code s}; it waits for a stream if there is
     * none. {@code recheck}: the ids were in an acknowledgement already sent, so "already
     * acknowledged" counts as done.
     */
    private CompletableFuture<Void> ackLocked(TopicStream s, List<MessageId> ids, boolean cumulative, boolean recheck) {
        if (s.removed) {
            return Futures.failed(noLongerRead(s));
        }
        Ack.Builder ack = Ack.newBuilder().setCumulative(cumulative);
        for (MessageId id : ids) {
            if (cumulative) {
                tracker.values().removeIf(t -> t.stream == s && compareInTopic(t.message.getMessageId(), id) <= 0);
            } else {
                tracker.remove(id);
            }
            ack.addMessageIds(EntryCodec.toProto(id));
        }
        long requestId = ++lastRequestId;
        PendingAck pa = new PendingAck(ack.setRequestId(requestId).build(), s);
        pa.resent = recheck;
        pendingAcks.put(requestId, pa);
        pa.timer = client.schedule(() -> ackTimedOut(requestId), operationTimeoutNanos, TimeUnit.NANOSECONDS);
        // without a stream the ack waits in pendingAcks and goes out after the next Subscribed
        s.send(SubscribeRequest.newBuilder().setAck(pa.ack).build());
        return pa.future.thenApply(v -> null);
    }

    private AlreadyClosedException noLongerRead(TopicStream s) {
        return new AlreadyClosedException("the consumer no longer reads " + s.topic
                + " (it no longer matches the pattern, or failed)");
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
        if (response.hasError()
                && !(pa.resent && response.getError().getReason() == ErrorReason.MESSAGE_ALREADY_ACKNOWLEDGED)) {
            TributaryClientException e = TributaryClientException.of(response.getError());
            done.add(() -> pa.future.completeExceptionally(e));
        } else {
            done.add(() -> pa.future.complete(null));
        }
    }

    @Override
    public void negativeAcknowledge(Message<?> message) {
        Objects.requireNonNull(message, "message");
        TopicStream s;
        lock.lock();
        try {
            if (state != State.OPEN) {
                return;
            }
            s = locateLocked(message, message.getMessageId());
            if (s == null) {
                throw new IllegalArgumentException(unknownId(message.getMessageId()).getMessage());
            }
            tracker.remove(message.getMessageId());
            if (!goesToDeadLetter(message.getRedeliveryCount())) {
                nackLocked(s, List.of(message.getMessageId()), conf.nackDelayMs());
                return;
            }
        } finally {
            lock.unlock();
        }
        deadLetterOrRedeliver(message, s);
    }

    @Override
    public void negativeAcknowledge(MessageId messageId) {
        Objects.requireNonNull(messageId, "messageId");
        Tracked t;
        lock.lock();
        try {
            if (state != State.OPEN) {
                return;
            }
            TopicStream s = locateLocked(null, messageId);
            if (s == null) {
                throw new IllegalArgumentException(unknownId(messageId).getMessage());
            }
            t = tracker.remove(messageId);
            if (t == null || !goesToDeadLetter(t.message.getRedeliveryCount())) {
                nackLocked(s, List.of(messageId), conf.nackDelayMs());
                return;
            }
        } finally {
            lock.unlock();
        }
        deadLetterOrRedeliver(t.message, t.stream);
    }

    private boolean goesToDeadLetter(int redeliveryCount) {
        return deadLetter != null && redeliveryCount >= deadLetter.getMaxRedeliverCount();
    }

    /** Without a stream there is nothing to do: the broker redelivers every unacked message on reconnect. */
    private void nackLocked(TopicStream s, List<MessageId> ids, long delayMs) {
        if (ids.isEmpty()) {
            return;
        }
        NegativeAck.Builder nack = NegativeAck.newBuilder().setDelayMs(delayMs);
        for (MessageId id : ids) {
            nack.addMessageIds(EntryCodec.toProto(id));
        }
        s.send(SubscribeRequest.newBuilder().setNegativeAck(nack).build());
    }

    /** Asks again for what the application did not acknowledge in time. */
    private void checkAckTimeouts() {
        List<Tracked> dead = new ArrayList<>();
        lock.lock();
        try {
            if (state != State.OPEN) {
                return;
            }
            long now = System.nanoTime();
            long limit = TimeUnit.MILLISECONDS.toNanos(conf.ackTimeoutMs());
            Map<TopicStream, List<MessageId>> expired = new HashMap<>();
            Iterator<Tracked> it = tracker.values().iterator();
            while (it.hasNext()) {
                Tracked t = it.next();
                // in hand-out order, so the first one not expired ends the scan
                if (now - t.handedNanos < limit) {
                    break;
                }
                it.remove();
                if (goesToDeadLetter(t.message.getRedeliveryCount())) {
                    dead.add(t);
                } else {
                    expired.computeIfAbsent(t.stream, k -> new ArrayList<>()).add(t.message.getMessageId());
                }
            }
            expired.forEach((s, ids) -> {
                LOG.debug("[{}/{}] {} messages not acknowledged within {} ms; asking for them again", s.topic,
                        conf.subscription(), ids.size(), conf.ackTimeoutMs());
                nackLocked(s, ids, 0);
            });
        } finally {
            lock.unlock();
        }
        for (Tracked t : dead) {
            deadLetterOrRedeliver(t.message, t.stream);
        }
    }

    // ---------------------------------------------------------------- dead letters and retries

    /**
     * Publishes the message to the dead-letter topic and then acknowledges it; if the publish
     * fails, asks for the message again so that the next delivery tries once more.
     */
    private void deadLetterOrRedeliver(Message<?> message, TopicStream s) {
        deadLetter(message, s, id -> {
            lock.lock();
            try {
                if (state == State.OPEN) {
                    nackLocked(s, List.of(message.getMessageId()), conf.nackDelayMs());
                }
            } finally {
                lock.unlock();
            }
        }).whenComplete((v, t) -> {
            if (t != null) {
                LOG.warn("[{}/{}] Could not dead-letter message {}: {}", s.topic, conf.subscription(),
                        message.getMessageId(), t.toString());
            }
        });
    }

    private CompletableFuture<Void> deadLetter(Message<?> message, TopicStream s,
                                               java.util.function.Consumer<Throwable> onPublishFailure) {
        Map<String, String> props = new LinkedHashMap<>(message.getProperties());
        props.putIfAbsent(DeadLetterPolicy.REAL_TOPIC, message.getTopicName());
        props.putIfAbsent(DeadLetterPolicy.ORIGIN_MESSAGE_ID, message.getMessageId().toString());
        CompletableFuture<MessageId> published = producer(false)
                .thenCompose(p -> copy(p, message, props).sendAsync());
        published.whenComplete((id, t) -> {
            if (t != null && onPublishFailure != null) {
                onPublishFailure.accept(t);
            }
        });
        return published.thenCompose(id -> ack(s, message.getMessageId(), false));
    }

    private static TypedMessageBuilder<byte[]> copy(Producer<byte[]> p, Message<?> message, Map<String, String> props) {
        TypedMessageBuilder<byte[]> b = p.newMessage().value(message.getData()).properties(props)
                .eventTime(message.getEventTime());
        if (message.hasKey()) {
            b.key(message.getKey());
        }
        return b;
    }

    /** The dead-letter or the retry producer, created on first use (and again after a failed creation). */
    private CompletableFuture<Producer<byte[]>> producer(boolean forRetry) {
        synchronized (producerLock) {
            CompletableFuture<Producer<byte[]>> f = forRetry ? retryProducer : deadLetterProducer;
            if (f == null || f.isCompletedExceptionally()) {
                String topic = forRetry ? deadLetter.getRetryLetterTopic() : deadLetter.getDeadLetterTopic();
                f = client.newProducer(Schema.BYTES).topic(topic).createAsync();
                if (forRetry) {
                    retryProducer = f;
                } else {
                    deadLetterProducer = f;
                }
            }
            return f;
        }
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
        if (retry == null) {
            throw new IllegalStateException("reconsumeLater needs a consumer built with enableRetry(true)");
        }
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(unit, "unit");
        if (delay < 0) {
            throw new IllegalArgumentException("the delay must not be negative");
        }
        TopicStream s;
        lock.lock();
        try {
            if (state != State.OPEN) {
                return Futures.failed(closedErrorLocked());
            }
            s = locateLocked(message, message.getMessageId());
            if (s == null) {
                return Futures.failed(unknownId(message.getMessageId()));
            }
            // no ack timeout while it is being moved
            tracker.remove(message.getMessageId());
        } finally {
            lock.unlock();
        }
        int times = reconsumeTimes(message) + 1;
        if (times > deadLetter.getMaxRedeliverCount()) {
            return deadLetter(message, s, null);
        }
        Map<String, String> props = new LinkedHashMap<>(message.getProperties());
        props.put(DeadLetterPolicy.RECONSUME_TIMES, Integer.toString(times));
        props.putIfAbsent(DeadLetterPolicy.REAL_TOPIC, message.getTopicName());
        props.putIfAbsent(DeadLetterPolicy.ORIGIN_MESSAGE_ID, message.getMessageId().toString());
        return producer(true)
                .thenCompose(p -> copy(p, message, props).deliverAfter(delay, unit).sendAsync())
                .thenCompose(id -> ack(s, message.getMessageId(), false));
    }

    private static int reconsumeTimes(Message<?> message) {
        String v = message.getProperty(DeadLetterPolicy.RECONSUME_TIMES);
        if (v == null) {
            return 0;
        }
        try {
            return Math.max(0, Integer.parseInt(v.trim()));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    // ---------------------------------------------------------------- seeking

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
     * consumer reads; any other id moves only the topic it belongs to (see {@link #locateLocked}).
     */
    @Override
    public CompletableFuture<Void> seekAsync(MessageId messageId) {
        Objects.requireNonNull(messageId, "messageId");
        Seek.Builder seek = Seek.newBuilder();
        InitialPosition position = null;
        if (messageId.equals(MessageId.earliest)) {
            position = InitialPosition.EARLIEST;
        } else if (messageId.equals(MessageId.latest)) {
            position = InitialPosition.LATEST;
        }
        if (position != null) {
            seek.setPosition(position);
        } else {
            seek.setMessageId(EntryCodec.toProto(messageId));
        }
        InitialPosition p = position;
        java.util.function.Consumer<TopicStream> readerMoved = s -> {
            if (p != null) {
                s.startId = null;
                s.startPosition = p;
                s.skipThrough = null;
            } else {
                s.startId = messageId;
                s.startInclusive = true;
                s.skipThrough = messageId;
                s.skipInclusive = true;
            }
            s.startTimeMs = -1;
        };
        lock.lock();
        try {
            if (state != State.OPEN) {
                return Futures.failed(closedErrorLocked());
            }
            if (p != null) {
                return seekLocked(mainStreamsLocked(), seek, readerMoved);
            }
            TopicStream target = locateLocked(null, messageId);
            if (target == null) {
                return Futures.failed(unknownId(messageId));
            }
            if (target == retry) {
                return Futures.failed(new TributaryClientException.InvalidMessageIdException("message id " + messageId
                        + " is on the retry topic " + retry.topic + "; seek moves the consumer's main topics only"));
            }
            return seekLocked(List.of(target), seek, readerMoved);
        } finally {
            lock.unlock();
        }
    }

    /** Moves every topic (and partition) the consumer reads. */
    @Override
    public CompletableFuture<Void> seekAsync(long publishTimeMs) {
        if (publishTimeMs < 0) {
            throw new IllegalArgumentException("the publish time must not be negative");
        }
        lock.lock();
        try {
            if (state != State.OPEN) {
                return Futures.failed(closedErrorLocked());
            }
            return seekLocked(mainStreamsLocked(), Seek.newBuilder().setPublishTimeMs(publishTimeMs), s -> {
                s.startId = null;
                s.skipThrough = null;
                s.startTimeMs = publishTimeMs;
            });
        } finally {
            lock.unlock();
        }
    }

    /**
     * Seeks the given topics at once; done when all moved. {@code readerMoved} updates where a
     * reader reconnects, once the broker answered.
     */
    private CompletableFuture<Void> seekLocked(List<TopicStream> targets, Seek.Builder seek,
                                               java.util.function.Consumer<TopicStream> readerMoved) {
        for (TopicStream s : targets) {
            if (s.seek != null) {
                return Futures.failed(new TributaryClientException("another seek is in progress"));
            }
            if (!s.ready()) {
                return Futures.failed(new TributaryClientException(ErrorReason.BROKER_UNAVAILABLE,
                        "the consumer is not connected to " + s.topic + "; seek again once it is", null));
            }
        }
        List<CompletableFuture<Void>> moves = new ArrayList<>(targets.size());
        for (TopicStream s : List.copyOf(targets)) {
            CompletableFuture<Void> f = new CompletableFuture<>();
            moves.add(f);
            startSeekLocked(s, seek, f, reader ? () -> readerMoved.accept(s) : null);
        }
        return moves.size() == 1 ? moves.get(0) : CompletableFuture.allOf(moves.toArray(CompletableFuture<?>[]::new));
    }

    private void startSeekLocked(TopicStream s, Seek.Builder seek, CompletableFuture<Void> future, Runnable onMoved) {
        PendingSeek ps = new PendingSeek(seek.setRequestId(++lastRequestId).build(), future, onMoved);
        s.seek = ps;
        s.send(SubscribeRequest.newBuilder().setSeek(ps.seek).build());
        ps.timer = client.schedule(() -> seekTimedOut(s, ps), operationTimeoutNanos, TimeUnit.NANOSECONDS);
    }

    /** Drops what {@code s} prefetched and the application has not taken yet; returns how many. */
    private int dropQueued(TopicStream s) {
        int dropped = 0;
        Iterator<Queued> it = queue.iterator();
        while (it.hasNext()) {
            if (it.next().stream == s) {
                it.remove();
                dropped++;
            }
        }
        return dropped;
    }

    private void onSeekResponse(TopicStream s, SeekResponse response, Completions done) {
        PendingSeek ps = s.seek;
        if (ps == null || ps.seek.getRequestId() != response.getRequestId()) {
            LOG.debug("[{}/{}] Ignoring the answer to seek {}", s.topic, conf.subscription(), response.getRequestId());
            return;
        }
        s.seek = null;
        if (ps.timer != null) {
            ps.timer.cancel(false);
        }
        if (response.hasError()) {
            TributaryClientException e = TributaryClientException.of(response.getError());
            seekFailedLocked(s, ps, e, done);
            return;
        }
        // everything received before the answer is from before the seek
        int dropped = s.heldDuringSeek.size();
        s.heldDuringSeek.clear();
        dropped += dropQueued(s);
        tracker.values().removeIf(t -> t.stream == s);
        s.lastHanded = null;
        if (ps.onMoved != null) {
            ps.onMoved.run();
        }
        if (dropped > 0) {
            s.send(SubscribeRequest.newBuilder().setFlow(Flow.newBuilder().setPermits(dropped)).build());
        }
        LOG.info("[{}/{}] Consumer {} moved ({}); dropped {} messages from before", s.topic, conf.subscription(),
                consumerName, ps.seek.getTargetCase(), dropped);
        if (ps.future != null) {
            done.add(() -> ps.future.complete(null));
        }
    }

    /** The cursor did not move (as far as known): what was held back is from the old position, still valid. */
    private void seekFailedLocked(TopicStream s, PendingSeek ps, TributaryClientException e, Completions done) {
        List<MessageImpl<T>> dead = new ArrayList<>(0);
        List<Queued> held = List.copyOf(s.heldDuringSeek);
        s.heldDuringSeek.clear();
        for (Queued q : held) {
            arrivedLocked(q, done, dead);
        }
        if (!queue.isEmpty()) {
            fillBatchesLocked(done);
            notEmpty.signalAll();
        }
        for (MessageImpl<T> m : dead) {
            done.add(() -> deadLetterOrRedeliver(m, s));
        }
        if (ps.future != null) {
            done.add(() -> ps.future.completeExceptionally(e));
        } else {
            LOG.warn("[{}/{}] The reader could not return to its position: {}", s.topic, conf.subscription(),
                    e.getMessage());
        }
    }

    private void seekTimedOut(TopicStream s, PendingSeek ps) {
        Completions done = new Completions();
        lock.lock();
        try {
            if (s.seek == ps) {
                s.seek = null;
                seekFailedLocked(s, ps, new TimeoutException("the broker did not answer the seek within "
                        + client.operationTimeout()), done);
            }
        } finally {
            lock.unlock();
        }
        done.run();
    }

    // ---------------------------------------------------------------- last message id, availability

    @Override
    public MessageId getLastMessageId() throws TributaryClientException {
        return Futures.await(getLastMessageIdAsync());
    }

    @Override
    public CompletableFuture<MessageId> getLastMessageIdAsync() {
        if (single() == null) {
            return Futures.failed(new TributaryClientException.NotAllowedException(
                    "getLastMessageId needs a consumer of one topic or partition; this one reads " + getTopic()));
        }
        return lastMessageId(null).thenApply(r -> r.hasLastMessageId() ? fromProto(r.getLastMessageId()) : MessageId.earliest);
    }

    /** The stream of a consumer or reader of one topic (or partition); null for one of several or a pattern. */
    private TopicStream single() {
        lock.lock();
        try {
            return dynamicTopics || mainStreamsLocked().size() != 1 ? null : streams.get(0);
        } finally {
            lock.unlock();
        }
    }

    /** Asks the topic's owner for its last message id (and where {@code subscription} stands, if given). */
    private CompletableFuture<GetLastMessageIdResponse> lastMessageId(String subscription) {
        TopicStream main = single();
        GetLastMessageIdRequest request = GetLastMessageIdRequest.newBuilder().setTopic(main.topic)
                .setSubscription(subscription == null ? "" : subscription).build();
        return UnaryCalls.withRetries("asking for the last message id of " + main.topic, left -> {
            CompletableFuture<GetLastMessageIdResponse> f = new CompletableFuture<>();
            client.stub().withDeadlineAfter(left, TimeUnit.NANOSECONDS).getLastMessageId(request, UnaryCalls.into(f));
            return f;
        }, UnaryCalls::retriable, client.operationTimeout(), client.scheduler());
    }

    private MessageId fromProto(io.tributary.api.v1.MessageId id) {
        TopicStream main = single();
        return new MessageId(id.getLedgerId(), id.getEntryId(), id.getBatchIndex(),
                EntryCodec.partitionOf(id.getPartition(), main.partition), id.getBatchSize());
    }

    /**
     * Whether a message after the reader's position is stored: true at once when one is
     * prefetched; otherwise the topic's last message id is compared with the last message handed
     * out (or the start id), or, for a reader that has handed out nothing since it started at
     * earliest, latest or a time (or sought there), with the position of its cursor on the broker.
     * While the reader reconnects or a seek is under way the question waits, up to the operation
     * timeout.
     */
    CompletableFuture<Boolean> hasMessageAvailableAsync() {
        CompletableFuture<Boolean> result = new CompletableFuture<>();
        availabilityAttempt(result, System.nanoTime() + operationTimeoutNanos, new Backoff());
        return result;
    }

    private void availabilityAttempt(CompletableFuture<Boolean> result, long deadline, Backoff backoff) {
        // readers have exactly one stream
        TopicStream main = streams.get(0);
        MessageId position;
        boolean inclusive;
        String cursorName;
        lock.lock();
        try {
            if (state != State.OPEN) {
                result.completeExceptionally(closedErrorLocked());
                return;
            }
            for (Queued q : queue) {
                if (q.stream == main) {
                    result.complete(true);
                    return;
                }
            }
            // after a hand-out, startId is the last message handed out (exclusive)
            position = main.startId;
            inclusive = main.startInclusive;
            cursorName = main.ready() && main.seek == null ? main.streamSubscription : null;
        } finally {
            lock.unlock();
        }
        if (cursorName == null) {
            retryAvailability(result, deadline, backoff, ErrorReasons.detail(ErrorReason.BROKER_UNAVAILABLE,
                    "the reader is reconnecting or seeking"));
            return;
        }
        long left = deadline - System.nanoTime();
        GetLastMessageIdRequest request = GetLastMessageIdRequest.newBuilder().setTopic(main.topic)
                .setSubscription(position == null ? cursorName : "").build();
        CompletableFuture<GetLastMessageIdResponse> call = new CompletableFuture<>();
        try {
            client.stub().withDeadlineAfter(Math.max(1, left), TimeUnit.NANOSECONDS)
                    .getLastMessageId(request, UnaryCalls.into(call));
        } catch (RuntimeException e) {
            call.completeExceptionally(e);
        }
        call.whenComplete((r, t) -> {
            if (t != null) {
                ErrorDetail d = ErrorReasons.detailOf(t);
                // the reader's cursor is gone when its stream was replaced meanwhile: ask again
                if ((ErrorReasons.isRetriable(d.getReason()) && d.getReason() != ErrorReason.TIMEOUT)
                        || (position == null && d.getReason() == ErrorReason.SUBSCRIPTION_NOT_FOUND)) {
                    retryAvailability(result, deadline, backoff, d);
                } else {
                    result.completeExceptionally(TributaryClientException.from(t));
                }
                return;
            }
            if (!r.hasLastMessageId()) {
                result.complete(false);
                return;
            }
            io.tributary.api.v1.MessageId last = r.getLastMessageId();
            if (position != null) {
                int c = compareInTopic(fromProto(last), position);
                result.complete(c > 0 || (c == 0 && inclusive));
                return;
            }
            // nothing handed out since the start or a seek: the cursor sits just before the next entry to deliver
            io.tributary.api.v1.MessageId md = r.getMarkDeletePosition();
            int c = Long.compare(last.getLedgerId(), md.getLedgerId());
            result.complete(c > 0 || (c == 0 && last.getEntryId() > md.getEntryId()));
        });
    }

    private void retryAvailability(CompletableFuture<Boolean> result, long deadline, Backoff backoff, ErrorDetail cause) {
        long delayMs = backoff.nextDelayMs(cause);
        if (System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(delayMs) >= deadline) {
            result.completeExceptionally(new TimeoutException(ErrorReasons.detail(ErrorReason.TIMEOUT,
                    "could not tell whether " + streams.get(0).topic + " has more messages within " + client.operationTimeout()
                            + "; last error " + cause.getReason() + ": " + cause.getMessage()), null));
            return;
        }
        if (client.schedule(() -> availabilityAttempt(result, deadline, backoff), delayMs, TimeUnit.MILLISECONDS) == null) {
            result.completeExceptionally(new AlreadyClosedException("the client is closed"));
        }
    }

    // ---------------------------------------------------------------- the stream

    /** One Subscribe call; callbacks of calls that are no longer their stream's {@code cnx} are ignored. */
    private final class Connection implements ClientResponseObserver<SubscribeRequest, SubscribeResponse> {
        final TopicStream stream;
        private ClientCallStreamObserver<SubscribeRequest> requests;
        // guarded by lock
        boolean ready;
        boolean halfClosed;
        ScheduledFuture<?> timer;

        Connection(TopicStream stream) {
            this.stream = stream;
        }

        @Override
        public void beforeStart(ClientCallStreamObserver<SubscribeRequest> requestStream) {
            this.requests = requestStream;
        }

        void send(SubscribeRequest request) {
            try {
                requests.onNext(request);
            } catch (RuntimeException e) {
                // the call is already over; its onError brings the reconnect
                LOG.debug("[{}/{}] Could not send on a finished stream: {}", stream.topic, conf.subscription(),
                        e.toString());
            }
        }

        void cancel(String why) {
            cancelTimer();
            try {
                requests.cancel(why, null);
            } catch (RuntimeException e) {
                LOG.debug("[{}/{}] Cancel failed: {}", stream.topic, conf.subscription(), e.toString());
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

    private void connectLocked(TopicStream s) {
        Connection c = new Connection(s);
        s.cnx = c;
        // the topics of a consumer share its receiver queue; a retry topic has a queue's worth of its own
        int topics = mainStreamsLocked().size();
        s.permits = s == retry || topics <= 1 ? conf.receiverQueueSize() : Math.max(1, conf.receiverQueueSize() / topics);
        s.flowThreshold = Math.max(1, s.permits / 2);
        SubscribeOpen.Builder open = SubscribeOpen.newBuilder()
                .setTopic(s.topic)
                .setInitialPermits(s.permits)
                .setPriority(conf.priority());
        if (reader) {
            // a fresh name each time: the broker may not have noticed yet that the last stream is gone
            s.streamSubscription = conf.subscription() + "-" + Long.toHexString(ThreadLocalRandom.current().nextLong());
            open.setSubscription(s.streamSubscription)
                    .setType(io.tributary.api.v1.SubscriptionType.EXCLUSIVE)
                    .setNonDurable(true);
            s.lastHanded = null;
            if (s.startId != null) {
                open.setStartMessageId(EntryCodec.toProto(s.startId)).setStartInclusive(s.startInclusive);
                s.skipThrough = s.startId;
                s.skipInclusive = s.startInclusive;
            } else {
                open.setInitialPosition(s.startPosition);
                s.skipThrough = null;
            }
        } else {
            s.streamSubscription = conf.subscription();
            open.setSubscription(conf.subscription())
                    .setType(toProto(conf.type()))
                    .setInitialPosition(s.initialPosition);
        }
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
            if (c == c.stream.cnx && !c.ready) {
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
            if (c != c.stream.cnx) {
                return;
            }
            switch (response.getResponseCase()) {
                case SUBSCRIBED:
                    onSubscribed(c, response.getSubscribed(), done);
                    break;
                case ACK_RESPONSE:
                    onAckResponse(response.getAckResponse(), done);
                    break;
                case SEEK_RESPONSE:
                    onSeekResponse(c.stream, response.getSeekResponse(), done);
                    break;
                case NOTICE:
                    onNotice(c.stream, response.getNotice(), done);
                    break;
                default:
                    LOG.warn("[{}/{}] Ignoring an unknown subscribe response {}", c.stream.topic, conf.subscription(),
                            response.getResponseCase());
            }
        } finally {
            lock.unlock();
        }
        done.run();
    }

    private void onNotice(TopicStream s, ConsumerNotice notice, Completions done) {
        if (notice.hasError()) {
            ErrorDetail d = notice.getError();
            LOG.warn("[{}/{}] Broker notice: {}: {}", s.topic, conf.subscription(), d.getReason(), d.getMessage());
        }
        if (notice.hasActive()) {
            boolean active = notice.getActive();
            LOG.info("[{}/{}] Consumer {} is now {}", s.topic, conf.subscription(), consumerName,
                    active ? "active" : "a standby");
            if (!active) {
                // the broker hands what this consumer prefetched to the new active consumer
                int dropped = dropQueued(s);
                if (dropped > 0) {
                    s.send(SubscribeRequest.newBuilder().setFlow(Flow.newBuilder().setPermits(dropped)).build());
                }
            }
            ConsumerEventListener listener = conf.listener();
            if (listener != null && state == State.OPEN) {
                done.add(() -> {
                    if (active) {
                        listener.becameActive(this);
                    } else {
                        listener.becameInactive(this);
                    }
                });
            }
        }
    }

    private void onSubscribed(Connection c, Subscribed sub, Completions done) {
        TopicStream s = c.stream;
        if (c.ready) {
            LOG.warn("[{}/{}] Ignoring a second Subscribed", s.topic, conf.subscription());
            return;
        }
        c.cancelTimer();
        c.ready = true;
        s.backoff.reset();
        if (s == streams.get(0) && s != retry && !sub.getConsumerName().isEmpty()) {
            consumerName = sub.getConsumerName();
        }
        if (state == State.CLOSING) {
            return;
        }
        if (!s.subscribed) {
            s.subscribed = true;
            if (!subscribed && streams.stream().allMatch(x -> x.subscribed)) {
                subscribed = true;
                LOG.info("[{}/{}] Consumer {} subscribed", conf.topic(), conf.subscription(), consumerName);
                done.add(() -> subscribeFuture.complete(this));
            }
        } else {
            int resent = 0;
            // acks are idempotent, and the answers to those sent on the lost stream will never come
            for (PendingAck pa : pendingAcks.values()) {
                if (pa.stream == s) {
                    pa.resent = true;
                    c.send(SubscribeRequest.newBuilder().setAck(pa.ack).build());
                    resent++;
                }
            }
            LOG.info("[{}/{}] Consumer {} subscribed again, resent {} acks", s.topic, conf.subscription(),
                    consumerName, resent);
        }
        if (reader && s.startId == null && s.startTimeMs >= 0) {
            // SubscribeOpen cannot start at a time: go back there with a seek, held back like any other
            startSeekLocked(s, Seek.newBuilder().setPublishTimeMs(s.startTimeMs), null, null);
        }
    }

    /** The stream ended: {@code t} is null when the server completed it. */
    private void handleEnd(Connection c, Throwable t) {
        TopicStream s = c.stream;
        Completions done = new Completions();
        lock.lock();
        try {
            if (c != s.cnx) {
                return;
            }
            s.cnx = null;
            c.cancelTimer();
            ErrorDetail detail = t == null
                    ? ErrorReasons.detail(ErrorReason.BROKER_UNAVAILABLE, "the server ended the stream")
                    : ErrorReasons.detailOf(t);
            boolean retriable = ErrorReasons.isRetriable(detail.getReason());
            if (state == State.CLOSING) {
                if (streams.stream().allMatch(x -> x.cnx == null)) {
                    finishCloseLocked(done);
                }
            } else if (state != State.OPEN) {
                return;
            } else if (!s.subscribed) {
                if (retriable && System.nanoTime() < s.subscribeDeadlineNanos) {
                    LOG.info("[{}/{}] Could not subscribe yet ({}: {}); retrying", s.topic, conf.subscription(),
                            detail.getReason(), detail.getMessage());
                    scheduleReconnectLocked(s, done, detail);
                } else if (dynamicTopics && subscribed) {
                    // a topic the pattern found later: the consumer goes on without it
                    LOG.warn("[{}/{}] Could not subscribe to a topic matching the pattern ({}: {}); trying again "
                            + "at the next discovery", s.topic, conf.subscription(), detail.getReason(), detail.getMessage());
                    removeStreamLocked(s, done);
                } else if (retriable) {
                    failLocked(new TimeoutException("could not subscribe to " + s.topic + " within "
                            + client.operationTimeout() + "; last error " + detail.getReason() + ": "
                            + detail.getMessage()), done);
                } else {
                    failLocked(TributaryClientException.of(detail, t), done);
                }
            } else if (retriable) {
                LOG.info("[{}/{}] Consumer {} lost its stream ({}: {}); dropping its prefetched messages and reconnecting",
                        s.topic, conf.subscription(), consumerName, detail.getReason(), detail.getMessage());
                dropStreamLocked(s, detail, done);
                scheduleReconnectLocked(s, done, detail);
            } else if (dynamicTopics) {
                LOG.warn("[{}/{}] Consumer {} stops reading the topic: {}: {}", s.topic, conf.subscription(),
                        consumerName, detail.getReason(), detail.getMessage());
                removeStreamLocked(s, done);
            } else {
                LOG.warn("[{}/{}] Consumer {} failed: {}: {}", s.topic, conf.subscription(), consumerName,
                        detail.getReason(), detail.getMessage());
                failLocked(TributaryClientException.of(detail, t), done);
            }
        } finally {
            lock.unlock();
        }
        done.run();
    }

    // ---------------------------------------------------------------- topics coming and going

    /**
     * A pattern consumer's topics from now on (the retry topic aside): streams open for the new
     * ones and close for those gone. The new ones start at the subscription's initial position
     * when their subscription is new.
     */
    void updateTopics(Collection<String> topics) {
        Completions done = new Completions();
        lock.lock();
        try {
            if (state != State.OPEN) {
                return;
            }
            Set<String> wanted = new LinkedHashSet<>(topics);
            for (TopicStream s : List.copyOf(mainStreamsLocked())) {
                if (!wanted.contains(s.topic)) {
                    LOG.info("[{}/{}] {} no longer matches the pattern; unsubscribing it", s.topic,
                            conf.subscription(), s.topic);
                    removeStreamLocked(s, done);
                }
            }
            for (String topic : wanted) {
                if (!byTopic.containsKey(topic)) {
                    LOG.info("[{}/{}] Subscribing to a new topic matching {}", topic, conf.subscription(), conf.topic());
                    connectLocked(addStream(topic));
                }
            }
        } finally {
            lock.unlock();
        }
        done.run();
    }

    /** Stops reading a topic: its prefetched messages go, and acknowledgements on it fail from now on. */
    private void removeStreamLocked(TopicStream s, Completions done) {
        s.removed = true;
        streams.remove(s);
        byTopic.remove(s.topic);
        if (s.reconnectTask != null) {
            s.reconnectTask.cancel(false);
            s.reconnectTask = null;
        }
        if (s.cnx != null) {
            s.cnx.cancel("the consumer stopped reading " + s.topic);
            s.cnx = null;
        }
        dropStreamLocked(s, ErrorReasons.detail(ErrorReason.NOT_ALLOWED, "the consumer stopped reading " + s.topic),
                done);
        List<PendingAck> acks = new ArrayList<>();
        pendingAcks.values().removeIf(pa -> pa.stream == s && acks.add(pa));
        AlreadyClosedException e = noLongerRead(s);
        failGroupLocked(s, e, done);
        for (PendingAck pa : acks) {
            if (pa.timer != null) {
                pa.timer.cancel(false);
            }
            done.add(() -> pa.future.completeExceptionally(e));
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

    /** Forgets what a lost stream delivered: the broker delivers every unacknowledged message again. */
    private void dropStreamLocked(TopicStream s, ErrorDetail cause, Completions done) {
        dropQueued(s);
        s.heldDuringSeek.clear();
        s.consumedSinceFlow = 0;
        tracker.values().removeIf(t -> t.stream == s);
        PendingSeek ps = s.seek;
        if (ps != null) {
            s.seek = null;
            if (ps.timer != null) {
                ps.timer.cancel(false);
            }
            if (ps.future != null) {
                TributaryClientException e = new TributaryClientException(cause.getReason(),
                        "the stream was lost before the broker answered the seek: " + cause.getMessage(), null);
                done.add(() -> ps.future.completeExceptionally(e));
            }
        }
    }

    private void scheduleReconnectLocked(TopicStream s, Completions done, ErrorDetail cause) {
        s.reconnectTask = client.schedule(() -> reconnect(s), s.backoff.nextDelayMs(cause), TimeUnit.MILLISECONDS);
        if (s.reconnectTask == null) {
            failLocked(new AlreadyClosedException("the client is closed"), done);
        }
    }

    private void reconnect(TopicStream s) {
        lock.lock();
        try {
            s.reconnectTask = null;
            if (state == State.OPEN && s.cnx == null) {
                connectLocked(s);
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
            if (!subscribed) {
                AlreadyClosedException e = new AlreadyClosedException("the consumer was closed while subscribing");
                done.add(() -> subscribeFuture.completeExceptionally(e));
            }
            for (TopicStream s : streams) {
                // grouped acknowledgements go out before the stream is half-closed
                sendGroupLocked(s);
            }
            for (TopicStream s : streams) {
                Connection c = s.cnx;
                if (subscribed && c != null && c.ready) {
                    // the server answers the acks already sent, then ends the stream
                    c.halfClosed = true;
                    c.cancelTimer();
                    try {
                        c.requests.onCompleted();
                    } catch (RuntimeException e) {
                        LOG.debug("[{}/{}] Half-close failed: {}", s.topic, conf.subscription(), e.toString());
                    }
                    c.timer = client.schedule(() -> closeTimedOut(c), operationTimeoutNanos, TimeUnit.NANOSECONDS);
                    if (c.timer == null) {
                        c.cancel("the client is closed");
                        s.cnx = null;
                    }
                } else if (c != null) {
                    c.cancel("the consumer was closed");
                    s.cnx = null;
                }
            }
            if (streams.stream().allMatch(s -> s.cnx == null)) {
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
            if (c == c.stream.cnx && state == State.CLOSING) {
                c.cancel("the server did not end the stream after the consumer closed it");
                c.stream.cnx = null;
                if (streams.stream().allMatch(s -> s.cnx == null)) {
                    finishCloseLocked(done);
                }
            }
        } finally {
            lock.unlock();
        }
        done.run();
    }

    private void finishCloseLocked(Completions done) {
        state = State.CLOSED;
        cancelTimersLocked();
        endLocked(done);
        AlreadyClosedException e = new AlreadyClosedException("the consumer was closed before the broker answered");
        failAcksLocked(e, done);
        failSeeksLocked(e, done);
        client.unregister(this);
        LOG.info("[{}/{}] Consumer {} closed", conf.topic(), conf.subscription(), consumerName);
        done.add(() -> closeProducers().whenComplete((v, t) -> closeFuture.complete(null)));
    }

    /** A failure the consumer cannot recover from: every waiting receive and ack fails with it. */
    private void failLocked(TributaryClientException e, Completions done) {
        state = State.FAILED;
        terminalError = e;
        cancelTimersLocked();
        endLocked(done);
        for (TopicStream s : streams) {
            if (s.cnx != null) {
                s.cnx.cancel("the consumer failed");
                s.cnx = null;
            }
        }
        queue.clear();
        failReceiversLocked(e, done);
        failAcksLocked(e, done);
        failSeeksLocked(e, done);
        client.unregister(this);
        done.add(() -> {
            subscribeFuture.completeExceptionally(e);
            closeProducers().whenComplete((v, t) -> closeFuture.complete(null));
        });
    }

    private CompletableFuture<Void> closeProducers() {
        List<CompletableFuture<Producer<byte[]>>> made = new ArrayList<>(2);
        synchronized (producerLock) {
            if (deadLetterProducer != null) {
                made.add(deadLetterProducer);
            }
            if (retryProducer != null) {
                made.add(retryProducer);
            }
        }
        CompletableFuture<?>[] closing = made.stream()
                .map(f -> f.handle((p, t) -> p).thenCompose(p -> p == null
                        ? CompletableFuture.<Void>completedFuture(null)
                        : p.closeAsync().exceptionally(t -> null)))
                .toArray(CompletableFuture<?>[]::new);
        return CompletableFuture.allOf(closing);
    }

    private void failReceiversLocked(TributaryClientException e, Completions done) {
        List<CompletableFuture<Message<T>>> waiting = List.copyOf(pendingReceives);
        pendingReceives.clear();
        List<PendingBatch> batches = List.copyOf(pendingBatches);
        pendingBatches.clear();
        for (PendingBatch pb : batches) {
            pb.timer.cancel(false);
        }
        notEmpty.signalAll();
        done.add(() -> {
            waiting.forEach(f -> f.completeExceptionally(e));
            batches.forEach(pb -> pb.future.completeExceptionally(e));
        });
    }

    /** Once closed or failed: the listener thread ends after the call it is in, and the close hooks run. */
    private void endLocked(Completions done) {
        if (listenerExecutor != null) {
            listenerExecutor.shutdown();
        }
        List<Runnable> hooks = List.copyOf(closeHooks);
        closeHooks.clear();
        hooks.forEach(done::add);
    }

    private void failAcksLocked(TributaryClientException e, Completions done) {
        for (TopicStream s : streams) {
            failGroupLocked(s, e, done);
        }
        List<PendingAck> acks = List.copyOf(pendingAcks.values());
        pendingAcks.clear();
        for (PendingAck pa : acks) {
            if (pa.timer != null) {
                pa.timer.cancel(false);
            }
        }
        done.add(() -> acks.forEach(pa -> pa.future.completeExceptionally(e)));
    }

    private void failSeeksLocked(TributaryClientException e, Completions done) {
        for (TopicStream s : streams) {
            PendingSeek ps = s.seek;
            s.seek = null;
            s.heldDuringSeek.clear();
            if (ps != null) {
                if (ps.timer != null) {
                    ps.timer.cancel(false);
                }
                if (ps.future != null) {
                    done.add(() -> ps.future.completeExceptionally(e));
                }
            }
        }
    }

    private void cancelTimersLocked() {
        for (TopicStream s : streams) {
            if (s.reconnectTask != null) {
                s.reconnectTask.cancel(false);
                s.reconnectTask = null;
            }
            if (s.cnx != null) {
                s.cnx.cancelTimer();
            }
        }
        if (ackTimeoutTask != null) {
            ackTimeoutTask.cancel(false);
            ackTimeoutTask = null;
        }
        tracker.clear();
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

    /** Whether every stream of the consumer is connected. */
    @Override
    public boolean isConnected() {
        lock.lock();
        try {
            return streams.stream().allMatch(TopicStream::ready);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public String toString() {
        return (reader ? "Reader{topic=" : "Consumer{topic=") + conf.topic() + ", subscription=" + conf.subscription()
                + ", name=" + consumerName + "}";
    }
}
