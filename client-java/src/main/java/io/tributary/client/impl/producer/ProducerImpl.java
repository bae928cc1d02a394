package io.tributary.client.impl.producer;

import com.google.protobuf.ByteString;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.tributary.api.v1.ErrorDetail;
import io.tributary.api.v1.ErrorReason;
import io.tributary.api.v1.ProducerOpen;
import io.tributary.api.v1.ProducerOpened;
import io.tributary.api.v1.PublishAck;
import io.tributary.api.v1.PublishBatch;
import io.tributary.api.v1.PublishError;
import io.tributary.api.v1.PublishRequest;
import io.tributary.api.v1.PublishResponse;
import io.tributary.api.v1.SingleMessage;
import io.tributary.client.BatchingType;
import io.tributary.client.MessageId;
import io.tributary.client.Producer;
import io.tributary.client.ProducerStats;
import io.tributary.client.Schema;
import io.tributary.client.TributaryClientException;
import io.tributary.client.TributaryClientException.AlreadyClosedException;
import io.tributary.client.TributaryClientException.MemoryBufferIsFullException;
import io.tributary.client.TributaryClientException.MessageTooLargeException;
import io.tributary.client.TributaryClientException.ProducerQueueIsFullException;
import io.tributary.client.TributaryClientException.TimeoutException;
import io.tributary.client.TypedMessageBuilder;
import io.tributary.client.impl.BatchCodec;
import io.tributary.client.impl.ClientContext;
import io.tributary.client.impl.ClientResource;
import io.tributary.client.impl.Futures;
import io.tributary.client.impl.MemoryLimiter;
import io.tributary.client.impl.stream.Backoff;
import io.tributary.client.impl.stream.Completions;
import io.tributary.protocol.ErrorReasons;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A producer on one Publish stream.
 *
 * <p>Messages go into the batch being filled, batches into {@link #pending} (sent, or waiting
 * for a connection) until the broker answers them, in order. A retriable stream failure opens a
 * new stream under the same producer name and sends every pending batch again with the same
 * sequence ids; the broker recognises those it stored already. All state is guarded by
 * {@link #lock}; futures are completed after it is released ({@link Completions}).
 */
final class ProducerImpl<T> implements Producer<T>, ClientResource {
    private static final Logger LOG = LoggerFactory.getLogger(ProducerImpl.class);
    static final long DEFAULT_MAX_MESSAGE_SIZE = 5L * 1024 * 1024;
    /** At most one warning per interval about failed sends, which fire-and-forget senders see nowhere else. */
    private static final long FAILURE_LOG_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);

    private enum State { OPEN, CLOSING, CLOSED, FAILED }

    /**
     * A message waiting to be sent or acknowledged.
     *
     * @param memory the bytes it holds against the client's memory limit until answered
     * @param acceptedNanos when {@code sendAsync} accepted it, for the send latency
     */
    private record OpMsg(SingleMessage message, int size, CompletableFuture<MessageId> future, int memory,
                         long acceptedNanos) {
        long sequenceId() {
            return message.getSequenceId();
        }

        /** The same message in another form (numbered). */
        OpMsg with(SingleMessage m, int newSize) {
            return new OpMsg(m, newSize, future, memory, acceptedNanos);
        }
    }

    /** A batch: one entry once stored. {@code done} completes however the batch ends. */
    private static final class OpBatch {
        private final long firstSequenceId;
        private final List<OpMsg> messages;
        private final ByteString entry;
        private final long createdNanos;
        private final CompletableFuture<Void> done = new CompletableFuture<>();
        /** Whether it went out on a stream at least once; guarded by the producer's lock. */
        boolean written;

        OpBatch(long firstSequenceId, List<OpMsg> messages, ByteString entry, long createdNanos) {
            this.firstSequenceId = firstSequenceId;
            this.messages = messages;
            this.entry = entry;
            this.createdNanos = createdNanos;
        }

        long firstSequenceId() {
            return firstSequenceId;
        }

        List<OpMsg> messages() {
            return messages;
        }

        ByteString entry() {
            return entry;
        }

        long createdNanos() {
            return createdNanos;
        }

        CompletableFuture<Void> done() {
            return done;
        }

        long lastSequenceId() {
            return messages.get(messages.size() - 1).sequenceId();
        }

        long memory() {
            long m = 0;
            for (OpMsg op : messages) {
                m += op.memory();
            }
            return m;
        }
    }

    /** A batch being filled. */
    private static final class OpenBatch {
        final String key;
        final List<OpMsg> messages = new ArrayList<>();
        int bytes;

        OpenBatch(String key) {
            this.key = key;
        }

        long firstSequenceId() {
            return messages.get(0).sequenceId();
        }
    }

    private final ClientContext client;
    private final ProducerBuilderImpl.Config conf;
    private final Schema<T> schema;
    private final int topicPartition;
    private final boolean keyBased;
    private final io.tributary.api.v1.CompressionType compression;
    /** Shared by the client's producers: bounds the bytes of messages not yet answered. */
    private final MemoryLimiter memory;
    private final ProducerStatsRecorder stats;
    private final long operationTimeoutNanos;
    private final long createDeadlineNanos;
    /** Bounds the messages between sendAsync and their answer: the producer's memory. */
    private final Semaphore permits;
    private final CompletableFuture<Producer<T>> createFuture = new CompletableFuture<>();
    private final CompletableFuture<Void> closeFuture = new CompletableFuture<>();
    private final Backoff backoff = new Backoff();

    private final Object lock = new Object();
    // guarded by lock
    private State state = State.OPEN;
    private boolean created;
    private Connection cnx;
    private ScheduledFuture<?> reconnectTask;
    private ScheduledFuture<?> timeoutTask;
    private ErrorDetail lastError;
    private TributaryClientException terminalError;
    private long lastSequenceIdPushed = -1;
    private final ArrayDeque<OpBatch> pending = new ArrayDeque<>();
    /** The batches being filled, by key (null: the one batch of DEFAULT batching, or messages without key). */
    private final Map<String, OpenBatch> openBatches = new LinkedHashMap<>();
    private int openMessages;
    private long batchEpoch;
    private ScheduledFuture<?> batchTimer;
    private long lastFailureLogNanos;
    private long unloggedFailures;
    private TributaryClientException lastFailure;

    // written under lock, read by senders without it
    private volatile String producerName;
    private volatile long maxMessageSize = DEFAULT_MAX_MESSAGE_SIZE;
    private volatile int entryOverhead;
    private volatile long lastSequenceIdPublished = -1;

    ProducerImpl(ClientContext client, ProducerBuilderImpl.Config conf, Schema<T> schema, int topicPartition) {
        this(client, conf, schema, topicPartition, new ProducerStatsRecorder());
    }

    /** A producer whose stats go to {@code stats}, which a partitioned producer shares between its partitions. */
    ProducerImpl(ClientContext client, ProducerBuilderImpl.Config conf, Schema<T> schema, int topicPartition,
                 ProducerStatsRecorder stats) {
        this.client = client;
        this.stats = stats;
        this.conf = conf;
        this.schema = schema;
        this.topicPartition = topicPartition;
        this.operationTimeoutNanos = client.operationTimeout().toNanos();
        this.createDeadlineNanos = System.nanoTime() + operationTimeoutNanos;
        this.permits = new Semaphore(conf.maxPendingMessages());
        this.keyBased = conf.batchingType() == BatchingType.KEY_BASED;
        this.compression = BatchCodec.toProto(conf.compressionType());
        this.memory = client.memory();
        this.lastFailureLogNanos = System.nanoTime() - FAILURE_LOG_INTERVAL_NANOS;
        this.producerName = conf.producerName();
        this.entryOverhead = BatchCodec.overhead(producerName, schema.name());
    }

    CompletableFuture<Producer<T>> start() {
        if (!client.register(this)) {
            return Futures.failed(new AlreadyClosedException("the client is closed"));
        }
        synchronized (lock) {
            connectLocked();
        }
        return createFuture;
    }

    // ---------------------------------------------------------------- sending

    @Override
    public MessageId send(T value) throws TributaryClientException {
        return Futures.await(sendAsync(value));
    }

    @Override
    public CompletableFuture<MessageId> sendAsync(T value) {
        TypedMessageBuilderImpl<T> m = new TypedMessageBuilderImpl<>(this);
        m.value(value);
        return sendAsync(m);
    }

    @Override
    public TypedMessageBuilder<T> newMessage() {
        return new TypedMessageBuilderImpl<>(this);
    }

    CompletableFuture<MessageId> sendAsync(TypedMessageBuilderImpl<T> m) {
        if (m.value == null) {
            return rejected(new TributaryClientException(ErrorReason.INVALID_REQUEST, "the message has no value", null));
        }
        SingleMessage.Builder b = SingleMessage.newBuilder();
        try {
            b.setValue(ByteString.copyFrom(schema.encode(m.value)));
        } catch (RuntimeException e) {
            return rejected(new TributaryClientException.SchemaSerializationException(null,
                    "the schema " + schema.name() + " could not encode the value: " + e.getMessage(), e));
        }
        if (m.key != null) {
            b.setKey(m.key).setHasKey(true);
        }
        b.putAllProperties(m.properties).setEventTimeMs(m.eventTime).setDeliverAtMs(m.deliverAtMs);
        SingleMessage unnumbered = b.build();

        // measured before taking a permit so that an oversized message never waits for room
        int sizeInList = BatchCodec.sizeInList(unnumbered);
        long size = (long) entryOverhead + BatchCodec.keyFieldSize(m.key) + sizeInList + BatchCodec.maxSequenceIdSize();
        long max = maxMessageSize;
        if (size > max) {
            return rejected(new MessageTooLargeException(
                    "the message takes " + size + " bytes with its framing; the broker takes at most " + max));
        }
        TributaryClientException closed = closedError();
        if (closed != null) {
            return rejected(closed);
        }
        TributaryClientException noRoom = reserve(sizeInList);
        if (noRoom != null) {
            return rejected(noRoom);
        }

        CompletableFuture<MessageId> future = new CompletableFuture<>();
        OpMsg accepted = new OpMsg(unnumbered, sizeInList, future, sizeInList, System.nanoTime());
        synchronized (lock) {
            if (state != State.OPEN) {
                permits.release();
                memory.release(sizeInList);
                return rejected(closedErrorLocked());
            }
            stats.pending(1, sizeInList);
            boolean delayed = m.deliverAtMs > 0;
            if (keyBased) {
                addKeyBasedLocked(accepted, m.key, m.sequenceId, delayed);
            } else {
                long seq = m.sequenceId != null ? m.sequenceId : lastSequenceIdPushed + 1;
                lastSequenceIdPushed = Math.max(lastSequenceIdPushed, seq);
                SingleMessage msg = unnumbered.toBuilder().setSequenceId(seq).build();
                OpMsg op = accepted.with(msg, BatchCodec.sizeInList(msg));
                OpenBatch open = openBatches.get(null);
                // a batch's messages must carry consecutive sequence ids: its header names only the first
                if (open != null && (delayed || seq != open.firstSequenceId() + open.messages.size()
                        || open.bytes + op.size() > batchLimitBytes(open))) {
                    flushBatchLocked(open);
                }
                if (delayed) {
                    // the delivery time is in the entry's header, so the message travels alone
                    closeAloneLocked(op);
                } else {
                    addLocked(null, op);
                }
            }
        }
        return future;
    }

    /**
     * Takes a pending-message permit and {@code bytes} of the client's memory, waiting for both
     * when the producer blocks if full; null once both are taken, else why the send is refused.
     */
    private TributaryClientException reserve(int bytes) {
        if (conf.blockIfQueueFull()) {
            try {
                permits.acquire();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return new TributaryClientException("interrupted while waiting for room to send", e);
            }
            try {
                if (!memory.tryReserve(bytes)) {
                    // our own batches being filled may hold the memory we wait for: send them now
                    // rather than after batchingMaxPublishDelay
                    synchronized (lock) {
                        if (state == State.OPEN) {
                            flushAllLocked();
                        }
                    }
                    memory.reserve(bytes);
                }
            } catch (InterruptedException e) {
                permits.release();
                Thread.currentThread().interrupt();
                return new TributaryClientException("interrupted while waiting for the client's memory limit", e);
            }
            return null;
        }
        if (!permits.tryAcquire()) {
            return new ProducerQueueIsFullException(
                    "the producer already has " + conf.maxPendingMessages() + " pending messages");
        }
        if (!memory.tryReserve(bytes)) {
            permits.release();
            return new MemoryBufferIsFullException("the client's memory limit of " + memory.limit()
                    + " bytes is used up by messages awaiting acknowledgement (" + memory.used() + " bytes in use)");
        }
        return null;
    }

    /** A send refused before it was accepted: counted as a failure, like one the broker refused. */
    private CompletableFuture<MessageId> rejected(TributaryClientException e) {
        stats.failed(1);
        return Futures.failed(e);
    }

    /**
     * KEY_BASED batching: sequence ids are given when a batch closes, so that every batch holds
     * consecutive ones although the messages of several keys were sent interleaved.
     */
    private void addKeyBasedLocked(OpMsg op, String key, Long explicitSequenceId, boolean delayed) {
        if (explicitSequenceId != null) {
            // the messages sent before keep their place before it
            flushAllLocked();
            long seq = explicitSequenceId;
            lastSequenceIdPushed = Math.max(lastSequenceIdPushed, seq);
            SingleMessage msg = op.message().toBuilder().setSequenceId(seq).build();
            closeAloneLocked(op.with(msg, BatchCodec.sizeInList(msg)));
            return;
        }
        OpenBatch open = openBatches.get(key);
        if (open != null && (delayed || open.bytes + op.size() > batchLimitBytes(open))) {
            flushBatchLocked(open);
        }
        if (delayed) {
            closeAloneLocked(numberLocked(op));
        } else {
            addLocked(key, op);
        }
    }

    /** Adds a message to the open batch of its key (null: the only one, or the one without key). */
    private void addLocked(String key, OpMsg op) {
        OpenBatch open = openBatches.computeIfAbsent(key, OpenBatch::new);
        open.messages.add(op);
        open.bytes += op.size();
        openMessages++;
        if (!conf.batching() || open.messages.size() >= conf.batchingMaxMessages()
                || open.bytes >= batchLimitBytes(open)) {
            flushBatchLocked(open);
        } else if (openMessages == 1) {
            scheduleBatchTimerLocked();
        }
    }

    /** Gives a KEY_BASED message its sequence id. */
    private OpMsg numberLocked(OpMsg op) {
        long seq = ++lastSequenceIdPushed;
        SingleMessage msg = op.message().toBuilder().setSequenceId(seq).build();
        return op.with(msg, op.size());
    }

    /** The room for messages in a batch whose header may carry the key of its first message. */
    private int batchLimitBytes(OpenBatch open) {
        SingleMessage first = open.messages.get(0).message();
        long room = maxMessageSize - entryOverhead - BatchCodec.keyFieldSize(first.getHasKey() ? first.getKey() : null);
        return (int) Math.max(1, Math.min(conf.batchingMaxBytes(), room));
    }

    private void scheduleBatchTimerLocked() {
        long epoch = batchEpoch;
        long delayNanos = conf.batchingMaxPublishDelay().toNanos();
        batchTimer = client.schedule(() -> {
            synchronized (lock) {
                if (batchEpoch == epoch) {
                    flushAllLocked();
                }
            }
        }, delayNanos, TimeUnit.NANOSECONDS);
        if (batchTimer == null) {
            // the timers are gone with the client; nothing would ever send this batch otherwise
            flushAllLocked();
        }
    }

    /** Closes every open batch, oldest first. */
    private void flushAllLocked() {
        while (!openBatches.isEmpty()) {
            flushBatchLocked(openBatches.values().iterator().next());
        }
    }

    /** Closes one open batch: it becomes pending and is sent if there is a stream. */
    private void flushBatchLocked(OpenBatch open) {
        openBatches.remove(open.key);
        openMessages -= open.messages.size();
        if (openMessages == 0) {
            batchEpoch++;
            if (batchTimer != null) {
                batchTimer.cancel(false);
                batchTimer = null;
            }
        }
        List<OpMsg> msgs = new ArrayList<>(open.messages.size());
        for (OpMsg op : open.messages) {
            msgs.add(keyBased ? numberLocked(op) : op);
        }
        closeLocked(msgs);
    }

    /** A message that is a batch of its own. */
    private void closeAloneLocked(OpMsg op) {
        closeLocked(List.of(op));
    }

    private void closeLocked(List<OpMsg> msgs) {
        List<SingleMessage> singles = new ArrayList<>(msgs.size());
        for (OpMsg op : msgs) {
            singles.add(op.message());
        }
        long first = msgs.get(0).sequenceId();
        ByteString entry = BatchCodec.encode(producerName, schema.name(), first, singles, System.currentTimeMillis(),
                true, compression);
        OpBatch b = new OpBatch(first, List.copyOf(msgs), entry, System.nanoTime());
        pending.addLast(b);
        if (cnx != null && cnx.ready) {
            cnx.send(b);
        }
    }

    @Override
    public void flush() throws TributaryClientException {
        Futures.await(flushAsync());
    }

    @Override
    public CompletableFuture<Void> flushAsync() {
        synchronized (lock) {
            flushAllLocked();
            OpBatch last = pending.peekLast();
            // answers come in order, so the last batch's answer means every earlier one has come
            return last == null ? CompletableFuture.completedFuture(null) : last.done().thenApply(v -> null);
        }
    }

    // ---------------------------------------------------------------- the stream

    /** One Publish call; callbacks of calls that are no longer {@link #cnx} are ignored. */
    private final class Connection implements ClientResponseObserver<PublishRequest, PublishResponse> {
        private ClientCallStreamObserver<PublishRequest> requests;
        // guarded by lock
        boolean ready;
        boolean halfClosed;
        ScheduledFuture<?> timer;

        @Override
        public void beforeStart(ClientCallStreamObserver<PublishRequest> requestStream) {
            this.requests = requestStream;
        }

        void send(PublishRequest request) {
            try {
                requests.onNext(request);
            } catch (RuntimeException e) {
                // the call is already over; its onError brings the reconnect
                LOG.debug("[{}] Could not send on a finished stream: {}", conf.topic(), e.toString());
            }
        }

        void send(OpBatch b) {
            if (!b.written) {
                b.written = true;
                stats.sent(b.messages().size(), b.entry().size());
            }
            send(PublishRequest.newBuilder()
                    .setBatch(PublishBatch.newBuilder()
                            .setSequenceId(b.firstSequenceId())
                            .setMessageCount(b.messages().size())
                            .setEntry(b.entry()))
                    .build());
        }

        void cancel(String why) {
            cancelTimer();
            try {
                requests.cancel(why, null);
            } catch (RuntimeException e) {
                LOG.debug("[{}] Cancel failed: {}", conf.topic(), e.toString());
            }
        }

        void cancelTimer() {
            if (timer != null) {
                timer.cancel(false);
                timer = null;
            }
        }

        @Override
        public void onNext(PublishResponse response) {
            handleResponse(this, response);
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
        ProducerOpen.Builder open = ProducerOpen.newBuilder().setTopic(conf.topic());
        if (producerName != null) {
            open.setProducerName(producerName);
        }
        // a long-lived stream must not inherit the deadline or cancellation of whatever call the
        // application happens to be serving when it creates us
        io.grpc.Context previous = io.grpc.Context.ROOT.attach();
        try {
            client.stub().publish(c);
        } finally {
            io.grpc.Context.ROOT.detach(previous);
        }
        c.send(PublishRequest.newBuilder().setOpen(open).build());
        c.timer = client.schedule(() -> openTimedOut(c), operationTimeoutNanos, TimeUnit.NANOSECONDS);
    }

    private void openTimedOut(Connection c) {
        synchronized (lock) {
            if (c == cnx && !c.ready) {
                // cancelling ends the call with CANCELLED, which is retried like any lost stream
                c.cancel("no answer to the producer open within " + client.operationTimeout());
            }
        }
    }

    private void handleResponse(Connection c, PublishResponse response) {
        Completions done = new Completions();
        synchronized (lock) {
            if (c != cnx) {
                return;
            }
            switch (response.getResponseCase()) {
                case OPENED:
                    onOpened(c, response.getOpened(), done);
                    break;
                case ACK:
                    onAck(response.getAck(), done);
                    break;
                case ERROR:
                    onPublishError(c, response.getError(), done);
                    break;
                default:
                    LOG.warn("[{}] Ignoring an unknown publish response {}", conf.topic(), response.getResponseCase());
            }
            maybeFinishCloseLocked(done);
        }
        done.run();
    }

    private void onOpened(Connection c, ProducerOpened opened, Completions done) {
        if (c.ready) {
            LOG.warn("[{}] Ignoring a second ProducerOpened", conf.topic());
            return;
        }
        c.cancelTimer();
        c.ready = true;
        backoff.reset();
        lastError = null;
        if (!opened.getProducerName().isEmpty()) {
            producerName = opened.getProducerName();
        }
        maxMessageSize = opened.getMaxMessageSize() > 0 ? opened.getMaxMessageSize() : DEFAULT_MAX_MESSAGE_SIZE;
        entryOverhead = BatchCodec.overhead(producerName, schema.name());
        if (!created) {
            created = true;
            lastSequenceIdPushed = opened.getLastSequenceId();
            lastSequenceIdPublished = opened.getLastSequenceId();
            startTimeoutTicker();
            LOG.info("[{}] Producer {} created, last sequence id {}", conf.topic(), producerName,
                    opened.getLastSequenceId());
            done.add(() -> createFuture.complete(this));
        } else {
            LOG.info("[{}] Producer {} reconnected, resending {} batches", conf.topic(), producerName, pending.size());
            for (OpBatch b : pending) {
                c.send(b);
            }
        }
    }

    private void onAck(PublishAck ack, Completions done) {
        OpBatch b = removePending(ack.getSequenceId());
        if (b == null) {
            // a batch that already timed out, or an answer to a resend of one already answered
            LOG.debug("[{}] Ack for unknown sequence id {}", conf.topic(), ack.getSequenceId());
            return;
        }
        lastSequenceIdPublished = Math.max(lastSequenceIdPublished, b.lastSequenceId());
        releaseLocked(b);
        long now = System.nanoTime();
        long ledger = ack.hasMessageId() ? ack.getMessageId().getLedgerId() : -1;
        long entry = ack.hasMessageId() ? ack.getMessageId().getEntryId() : -1;
        int partition = BatchCodec.partitionOf(ack.hasMessageId() ? ack.getMessageId().getPartition() : 0, topicPartition);
        int n = b.messages().size();
        done.add(() -> {
            for (int i = 0; i < n; i++) {
                OpMsg op = b.messages().get(i);
                stats.acked(now - op.acceptedNanos());
                op.future().complete(new MessageId(ledger, entry, i, partition, n));
            }
            b.done().complete(null);
        });
    }

    private void onPublishError(Connection c, PublishError error, Completions done) {
        if (ErrorReasons.isRetriable(error.getError().getReason())) {
            // the batch may succeed on another stream (the topic moving, the broker restarting): like
            // a lost stream, resend everything pending from a new one, where deduplication drops
            // what a later batch of this stream already stored
            c.cancel("the broker refused a batch with a retriable error");
            lostStreamLocked(c, error.getError(), null, done);
            return;
        }
        OpBatch b = removePending(error.getSequenceId());
        if (b == null) {
            LOG.debug("[{}] Error for unknown sequence id {}: {}", conf.topic(), error.getSequenceId(), error.getError());
            return;
        }
        failBatch(b, TributaryClientException.of(error.getError()), done);
    }

    /** The pending batch answered: normally the first, unless earlier ones timed out or were answered twice. */
    private OpBatch removePending(long sequenceId) {
        Iterator<OpBatch> it = pending.iterator();
        while (it.hasNext()) {
            OpBatch b = it.next();
            if (b.firstSequenceId() == sequenceId) {
                it.remove();
                return b;
            }
        }
        return null;
    }

    private void failBatch(OpBatch b, TributaryClientException e, Completions done) {
        releaseLocked(b);
        int n = b.messages().size();
        stats.failed(n);
        logFailureLocked(n, e);
        done.add(() -> {
            for (OpMsg op : b.messages()) {
                op.future().completeExceptionally(e);
            }
            b.done().complete(null);
        });
    }

    /** Gives back the permits and memory of a batch that was answered or failed. */
    private void releaseLocked(OpBatch b) {
        int n = b.messages().size();
        long bytes = b.memory();
        permits.release(n);
        memory.release(bytes);
        stats.pending(-n, -bytes);
    }

    /**
     * Warns about failed sends, at most once per {@link #FAILURE_LOG_INTERVAL_NANOS} and counting
     * those in between, so that a fire-and-forget sender learns of them without a flood.
     */
    private void logFailureLocked(int messages, TributaryClientException e) {
        unloggedFailures += messages;
        lastFailure = e;
        if (System.nanoTime() - lastFailureLogNanos >= FAILURE_LOG_INTERVAL_NANOS) {
            logUnloggedFailuresLocked();
        }
    }

    /** Reports the failures not reported yet: when the interval has passed, and when the producer ends. */
    private void logUnloggedFailuresLocked() {
        if (unloggedFailures > 0) {
            LOG.warn("[{}] Producer {}: {} message(s) failed to send, latest: {}", conf.topic(), producerName,
                    unloggedFailures, lastFailure.getMessage());
            lastFailureLogNanos = System.nanoTime();
            unloggedFailures = 0;
        }
    }

    /** The stream ended: {@code t} is null when the server completed it. */
    private void handleEnd(Connection c, Throwable t) {
        Completions done = new Completions();
        synchronized (lock) {
            if (c != cnx) {
                return;
            }
            ErrorDetail detail = t == null
                    ? ErrorReasons.detail(ErrorReason.BROKER_UNAVAILABLE, "the server ended the stream")
                    : ErrorReasons.detailOf(t);
            lostStreamLocked(c, detail, t, done);
        }
        done.run();
    }

    /** The current stream is over: reconnect if the failure is retriable, else fail the producer. */
    private void lostStreamLocked(Connection c, ErrorDetail detail, Throwable t, Completions done) {
        cnx = null;
        c.cancelTimer();
        boolean retriable = ErrorReasons.isRetriable(detail.getReason());
        if (state == State.CLOSING && pending.isEmpty()) {
            finishCloseLocked(done);
        } else if (!created) {
            if (retriable && System.nanoTime() < createDeadlineNanos) {
                lastError = detail;
                LOG.info("[{}] Could not create the producer yet ({}: {}); retrying", conf.topic(),
                        detail.getReason(), detail.getMessage());
                scheduleReconnectLocked(done, detail);
            } else if (retriable) {
                failLocked(new TimeoutException("could not create the producer within "
                        + client.operationTimeout() + "; last error " + detail.getReason() + ": "
                        + detail.getMessage()), done);
            } else {
                failLocked(TributaryClientException.of(detail, t), done);
            }
        } else if (retriable) {
            lastError = detail;
            LOG.info("[{}] Producer {} lost its stream ({}: {}); reconnecting", conf.topic(), producerName,
                    detail.getReason(), detail.getMessage());
            scheduleReconnectLocked(done, detail);
        } else {
            LOG.warn("[{}] Producer {} failed: {}: {}", conf.topic(), producerName, detail.getReason(),
                    detail.getMessage());
            failLocked(TributaryClientException.of(detail, t), done);
        }
    }

    private void scheduleReconnectLocked(Completions done, ErrorDetail cause) {
        long delay = backoff.nextDelayMs(cause);
        reconnectTask = client.schedule(this::reconnect, delay, TimeUnit.MILLISECONDS);
        if (reconnectTask == null) {
            failLocked(new AlreadyClosedException("the client is closed"), done);
        }
    }

    private void reconnect() {
        synchronized (lock) {
            reconnectTask = null;
            if ((state == State.OPEN || state == State.CLOSING) && cnx == null) {
                connectLocked();
            }
        }
    }

    // ---------------------------------------------------------------- timeouts

    private void startTimeoutTicker() {
        long timeoutMs = conf.sendTimeout().toMillis();
        if (timeoutMs <= 0) {
            return;
        }
        long period = Math.max(10, Math.min(1000, timeoutMs / 5));
        timeoutTask = client.scheduleWithFixedDelay(this::checkSendTimeouts, period, TimeUnit.MILLISECONDS);
    }

    private void checkSendTimeouts() {
        Completions done = new Completions();
        synchronized (lock) {
            if (state == State.CLOSED || state == State.FAILED) {
                return;
            }
            long now = System.nanoTime();
            long limit = conf.sendTimeout().toNanos();
            OpBatch head;
            // batches were made in order, so the expired ones are at the front
            while ((head = pending.peekFirst()) != null && now - head.createdNanos() >= limit) {
                pending.pollFirst();
                failBatch(head, new TimeoutException("not acknowledged within " + conf.sendTimeout()
                        + (lastError == null ? "" : "; last error " + lastError.getReason() + ": "
                                + lastError.getMessage())), done);
            }
            maybeFinishCloseLocked(done);
        }
        done.run();
    }

    // ---------------------------------------------------------------- closing

    @Override
    public void close() throws TributaryClientException {
        Futures.await(closeAsync());
    }

    @Override
    public CompletableFuture<Void> closeAsync() {
        Completions done = new Completions();
        synchronized (lock) {
            if (state != State.OPEN) {
                return closeFuture;
            }
            state = State.CLOSING;
            if (!created) {
                if (cnx != null) {
                    cnx.cancel("the producer was closed");
                    cnx = null;
                }
                AlreadyClosedException e = new AlreadyClosedException("the producer was closed while being created");
                done.add(() -> createFuture.completeExceptionally(e));
                finishCloseLocked(done);
            } else {
                flushAllLocked();
                maybeFinishCloseLocked(done);
            }
        }
        done.run();
        return closeFuture;
    }

    /** Once closing and nothing is pending: half-close the stream, then wait for the server to end it. */
    private void maybeFinishCloseLocked(Completions done) {
        if (state != State.CLOSING || !pending.isEmpty()) {
            return;
        }
        Connection c = cnx;
        if (c != null && c.ready) {
            if (!c.halfClosed) {
                c.halfClosed = true;
                c.cancelTimer();
                try {
                    c.requests.onCompleted();
                } catch (RuntimeException e) {
                    LOG.debug("[{}] Half-close failed: {}", conf.topic(), e.toString());
                }
                c.timer = client.schedule(() -> closeTimedOut(c), operationTimeoutNanos, TimeUnit.NANOSECONDS);
            }
        } else {
            if (c != null) {
                c.cancel("the producer was closed");
                cnx = null;
            }
            finishCloseLocked(done);
        }
    }

    private void closeTimedOut(Connection c) {
        Completions done = new Completions();
        synchronized (lock) {
            if (c == cnx && state == State.CLOSING) {
                c.cancel("the server did not end the stream after the producer closed it");
                cnx = null;
                finishCloseLocked(done);
            }
        }
        done.run();
    }

    private void finishCloseLocked(Completions done) {
        state = State.CLOSED;
        cancelTimersLocked();
        client.unregister(this);
        logUnloggedFailuresLocked();
        LOG.info("[{}] Producer {} closed", conf.topic(), producerName);
        done.add(() -> closeFuture.complete(null));
    }

    /** A failure the producer cannot recover from: everything pending fails with it. */
    private void failLocked(TributaryClientException e, Completions done) {
        state = State.FAILED;
        terminalError = e;
        cancelTimersLocked();
        if (cnx != null) {
            cnx.cancel("the producer failed");
            cnx = null;
        }
        flushAllLocked();
        OpBatch b;
        while ((b = pending.pollFirst()) != null) {
            failBatch(b, e, done);
        }
        logUnloggedFailuresLocked();
        client.unregister(this);
        done.add(() -> {
            createFuture.completeExceptionally(e);
            closeFuture.complete(null);
        });
    }

    private void cancelTimersLocked() {
        for (ScheduledFuture<?> f : new ScheduledFuture<?>[] {reconnectTask, timeoutTask, batchTimer}) {
            if (f != null) {
                f.cancel(false);
            }
        }
        reconnectTask = null;
        timeoutTask = null;
        batchTimer = null;
        batchEpoch++;
        if (cnx != null) {
            cnx.cancelTimer();
        }
    }

    private TributaryClientException closedError() {
        synchronized (lock) {
            return state == State.OPEN ? null : closedErrorLocked();
        }
    }

    private TributaryClientException closedErrorLocked() {
        if (state == State.FAILED && terminalError != null) {
            return terminalError;
        }
        return new AlreadyClosedException("the producer is closed");
    }

    // ---------------------------------------------------------------- accessors

    @Override
    public String getTopic() {
        return conf.topic();
    }

    @Override
    public String getProducerName() {
        return producerName;
    }

    @Override
    public long getLastSequenceId() {
        return lastSequenceIdPublished;
    }

    @Override
    public ProducerStats getStats() {
        return stats.snapshot();
    }

    @Override
    public boolean isConnected() {
        synchronized (lock) {
            return cnx != null && cnx.ready;
        }
    }

    @Override
    public String toString() {
        return "Producer{topic=" + conf.topic() + ", name=" + producerName + "}";
    }
}
