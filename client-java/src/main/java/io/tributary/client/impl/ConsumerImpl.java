package io.tributary.client.impl;

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
import io.tributary.client.Consumer;
import io.tributary.client.ConsumerEventListener;
import io.tributary.client.DeadLetterPolicy;
import io.tributary.client.Message;
import io.tributary.client.MessageId;
import io.tributary.client.Producer;
import io.tributary.client.Schema;
import io.tributary.client.SubscriptionInitialPosition;
import io.tributary.client.SubscriptionType;
import io.tributary.client.TributaryClientException;
import io.tributary.client.TributaryClientException.AlreadyClosedException;
import io.tributary.client.TributaryClientException.TimeoutException;
import io.tributary.client.TypedMessageBuilder;
import io.tributary.protocol.ErrorReasons;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A consumer: one Subscribe stream per topic it reads (the topic, and the retry topic when retry
 * is enabled), all feeding one receiver queue. A reader is this class too, on one non-durable
 * stream that it reopens after the last message it handed out.
 *
 * <p>The broker sends no more messages than the permits granted (the receiver queue size at
 * subscription, then {@link Flow}s as the application takes messages), so the receiver queue
 * never holds more than the queue size plus the rest of one entry per stream. A retriable
 * stream failure drops that stream's messages from the queue (the broker redelivers what was not
 * acknowledged) and subscribes again with full permits. All state is guarded by {@link #lock};
 * futures are completed after it is released ({@link Completions}).
 */
final class ConsumerImpl<T> implements Consumer<T> {
    private static final Logger LOG = LoggerFactory.getLogger(ConsumerImpl.class);
    /** How many ledger-to-topic entries a consumer with a retry topic remembers for acks by id. */
    private static final int MAX_LEDGERS_REMEMBERED = 10_000;

    private enum State { OPEN, CLOSING, CLOSED, FAILED }

    /** A prefetched message and the stream it came on. */
    private final class Queued {
        final MessageImpl<T> message;
        final TopicStream stream;

        Queued(MessageImpl<T> message, TopicStream stream) {
            this.message = message;
            this.stream = stream;
        }
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
        Connection cnx;
        boolean subscribed;
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
    private final int flowThreshold;
    private final long operationTimeoutNanos;
    private final long subscribeDeadlineNanos;
    private final CompletableFuture<Consumer<T>> subscribeFuture = new CompletableFuture<>();
    private final CompletableFuture<Void> closeFuture = new CompletableFuture<>();
    private final List<TopicStream> streams = new ArrayList<>(2);
    private final TopicStream main;
    private final TopicStream retry;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition notEmpty = lock.newCondition();
    // guarded by lock
    private State state = State.OPEN;
    private boolean subscribed;
    private TributaryClientException terminalError;
    private final ArrayDeque<Queued> queue = new ArrayDeque<>();
    private final ArrayDeque<CompletableFuture<Message<T>>> pendingReceives = new ArrayDeque<>();
    private final Map<Long, PendingAck> pendingAcks = new LinkedHashMap<>();
    private long lastRequestId;
    /** Handed out, unacknowledged messages that may time out or go to the dead-letter topic, in hand-out order. */
    private final LinkedHashMap<MessageId, Tracked> tracker = new LinkedHashMap<>();
    private ScheduledFuture<?> ackTimeoutTask;
    /** With a retry topic: which stream a ledger's messages came from, to route acks by id. */
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

    ConsumerImpl(TributaryClientImpl client, ConsumerBuilderImpl.Config conf, Schema<T> schema, int topicPartition) {
        this.client = client;
        this.conf = conf;
        this.schema = schema;
        this.reader = conf.reader() != null;
        this.deadLetter = conf.deadLetter();
        this.flowThreshold = Math.max(1, conf.receiverQueueSize() / 2);
        this.operationTimeoutNanos = client.operationTimeout().toNanos();
        this.subscribeDeadlineNanos = System.nanoTime() + operationTimeoutNanos;
        this.consumerName = conf.consumerName();
        this.main = new TopicStream(conf.topic(), topicPartition,
                conf.initialPosition() == SubscriptionInitialPosition.Earliest ? InitialPosition.EARLIEST
                        : InitialPosition.LATEST);
        streams.add(main);
        if (conf.retryTopic() != null) {
            // retried messages exist only because this subscription put them there: read them all
            this.retry = new TopicStream(conf.retryTopic(), -1, InitialPosition.EARLIEST);
            streams.add(retry);
        } else {
            this.retry = null;
        }
        if (reader) {
            MessageId start = conf.reader().startId();
            if (start.equals(MessageId.earliest)) {
                main.startPosition = InitialPosition.EARLIEST;
            } else if (start.equals(MessageId.latest)) {
                main.startPosition = InitialPosition.LATEST;
            } else {
                main.startId = start;
                main.startInclusive = conf.reader().inclusive();
            }
        }
    }

    CompletableFuture<Consumer<T>> start() {
        if (!client.register(this)) {
            return Futures.failed(new AlreadyClosedException("the client is closed"));
        }
        lock.lock();
        try {
            for (TopicStream s : streams) {
                connectLocked(s);
            }
            if (conf.ackTimeoutMs() > 0) {
                long period = Math.max(10, Math.min(1000, conf.ackTimeoutMs() / 5));
                ackTimeoutTask = client.scheduleWithFixedDelay(this::checkAckTimeouts, period, TimeUnit.MILLISECONDS);
            }
        } finally {
            lock.unlock();
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
                if (state != State.OPEN) {
                    throw closedErrorLocked();
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
            if (state != State.OPEN) {
                return Futures.failed(closedErrorLocked());
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
        if (s.consumedSinceFlow >= flowThreshold && s.ready()) {
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
            if (retry != null) {
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
        } else {
            queue.add(q);
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
                queue.addFirst(q);
                // the message was counted as taken when it was handed over; it is back in the queue
                q.stream.consumedSinceFlow--;
                tracker.remove(q.message.getMessageId());
                if (reader && q.message.getMessageId().equals(q.stream.startId)) {
                    q.stream.startInclusive = true;
                }
                notEmpty.signalAll();
            }
        } finally {
            lock.unlock();
        }
        if (next != null) {
            handOver(next, q);
        }
    }

    // ---------------------------------------------------------------- acknowledging

    @Override
    public void acknowledge(Message<?> message) throws TributaryClientException {
        Futures.await(acknowledgeAsync(message));
    }

    @Override
    public void acknowledge(MessageId messageId) throws TributaryClientException {
        Futures.await(acknowledgeAsync(messageId));
    }

    @Override
    public CompletableFuture<Void> acknowledgeAsync(Message<?> message) {
        return ack(streamOf(message), message.getMessageId(), false);
    }

    @Override
    public CompletableFuture<Void> acknowledgeAsync(MessageId messageId) {
        return ack(null, messageId, false);
    }

    @Override
    public void acknowledgeCumulative(MessageId messageId) throws TributaryClientException {
        Futures.await(acknowledgeCumulativeAsync(messageId));
    }

    @Override
    public CompletableFuture<Void> acknowledgeCumulativeAsync(MessageId messageId) {
        return ack(null, messageId, true);
    }

    /** The stream a received message came on, told by its topic. */
    private TopicStream streamOf(Message<?> message) {
        return retry != null && retry.topic.equals(message.getTopicName()) ? retry : main;
    }

    /** The stream of an id: the one that delivered its ledger, as far as known. */
    private TopicStream streamOfLocked(MessageId id) {
        if (retry == null) {
            return main;
        }
        Tracked t = tracker.get(id);
        if (t != null) {
            return t.stream;
        }
        return ledgerStreams.getOrDefault(id.getLedgerId(), main);
    }

    /** Acknowledges on {@code stream}, or on the stream of the id when null. */
    private CompletableFuture<Void> ack(TopicStream stream, MessageId messageId, boolean cumulative) {
        Objects.requireNonNull(messageId, "messageId");
        lock.lock();
        try {
            if (state != State.OPEN) {
                return Futures.failed(closedErrorLocked());
            }
            TopicStream s = stream != null ? stream : streamOfLocked(messageId);
            if (cumulative) {
                tracker.values().removeIf(t -> t.stream == s && compareInTopic(t.message.getMessageId(), messageId) <= 0);
            } else {
                tracker.remove(messageId);
            }
            long requestId = ++lastRequestId;
            Ack ack = Ack.newBuilder()
                    .addMessageIds(EntryCodec.toProto(messageId))
                    .setCumulative(cumulative)
                    .setRequestId(requestId)
                    .build();
            PendingAck pa = new PendingAck(ack, s);
            pendingAcks.put(requestId, pa);
            pa.timer = client.schedule(() -> ackTimedOut(requestId), operationTimeoutNanos, TimeUnit.NANOSECONDS);
            // without a stream the ack waits in pendingAcks and goes out after the next Subscribed
            s.send(SubscribeRequest.newBuilder().setAck(ack).build());
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
        TopicStream s = streamOf(message);
        lock.lock();
        try {
            if (state != State.OPEN) {
                return;
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
            TopicStream s = streamOfLocked(messageId);
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
                f = new ProducerBuilderImpl<>(client, Schema.BYTES).topic(topic).createAsync();
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
        TopicStream s = streamOf(message);
        lock.lock();
        try {
            if (state != State.OPEN) {
                return Futures.failed(closedErrorLocked());
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
        return seek(seek, () -> {
            if (p != null) {
                main.startId = null;
                main.startPosition = p;
                main.skipThrough = null;
            } else {
                main.startId = messageId;
                main.startInclusive = true;
                main.skipThrough = messageId;
                main.skipInclusive = true;
            }
            main.startTimeMs = -1;
        });
    }

    @Override
    public CompletableFuture<Void> seekAsync(long publishTimeMs) {
        if (publishTimeMs < 0) {
            throw new IllegalArgumentException("the publish time must not be negative");
        }
        return seek(Seek.newBuilder().setPublishTimeMs(publishTimeMs), () -> {
            main.startId = null;
            main.skipThrough = null;
            main.startTimeMs = publishTimeMs;
        });
    }

    /** Seeks the main topic; {@code readerMoved} updates where a reader reconnects, once the broker answered. */
    private CompletableFuture<Void> seek(Seek.Builder seek, Runnable readerMoved) {
        CompletableFuture<Void> f = new CompletableFuture<>();
        lock.lock();
        try {
            if (state != State.OPEN) {
                return Futures.failed(closedErrorLocked());
            }
            if (main.seek != null) {
                return Futures.failed(new TributaryClientException("another seek is in progress"));
            }
            if (!main.ready()) {
                return Futures.failed(new TributaryClientException(ErrorReason.BROKER_UNAVAILABLE,
                        "the consumer is not connected; seek again once it is", null));
            }
            startSeekLocked(main, seek, f, reader ? readerMoved : null);
        } finally {
            lock.unlock();
        }
        return f;
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
        return lastMessageId(null).thenApply(r -> r.hasLastMessageId() ? fromProto(r.getLastMessageId()) : MessageId.earliest);
    }

    /** Asks the topic's owner for its last message id (and where {@code subscription} stands, if given). */
    private CompletableFuture<GetLastMessageIdResponse> lastMessageId(String subscription) {
        GetLastMessageIdRequest request = GetLastMessageIdRequest.newBuilder().setTopic(main.topic)
                .setSubscription(subscription == null ? "" : subscription).build();
        return UnaryCalls.withRetries("asking for the last message id of " + main.topic, left -> {
            CompletableFuture<GetLastMessageIdResponse> f = new CompletableFuture<>();
            client.stub().withDeadlineAfter(left, TimeUnit.NANOSECONDS).getLastMessageId(request, UnaryCalls.into(f));
            return f;
        }, UnaryCalls::retriable, client.operationTimeout(), client.scheduler());
    }

    private MessageId fromProto(io.tributary.api.v1.MessageId id) {
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
                    "could not tell whether " + main.topic + " has more messages within " + client.operationTimeout()
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
        SubscribeOpen.Builder open = SubscribeOpen.newBuilder()
                .setTopic(s.topic)
                .setInitialPermits(conf.receiverQueueSize())
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
        if (s == main && !sub.getConsumerName().isEmpty()) {
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
                if (retriable && System.nanoTime() < subscribeDeadlineNanos) {
                    LOG.info("[{}/{}] Could not subscribe yet ({}: {}); retrying", s.topic, conf.subscription(),
                            detail.getReason(), detail.getMessage());
                    scheduleReconnectLocked(s, done, detail);
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

    /** Forgets what a lost stream delivered: the broker delivers every unacknowledged message again. */
    private void dropStreamLocked(TopicStream s, ErrorDetail cause, Completions done) {
        queue.removeIf(q -> q.stream == s);
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
