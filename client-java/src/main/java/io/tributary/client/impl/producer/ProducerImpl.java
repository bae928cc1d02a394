package io.tributary.client.impl.producer;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.tributary.api.v1.ErrorReason;
import io.tributary.api.v1.PlainMessage;
import io.tributary.api.v1.ProducerOpened;
import io.tributary.api.v1.SendRequest;
import io.tributary.api.v1.SingleMessage;
import io.tributary.client.MessageId;
import io.tributary.client.Producer;
import io.tributary.client.ProducerStats;
import io.tributary.client.Schema;
import io.tributary.client.Transaction;
import io.tributary.client.TributaryClientException;
import io.tributary.client.TributaryClientException.AlreadyClosedException;
import io.tributary.client.TypedMessageBuilder;
import io.tributary.client.impl.BatchCodec;
import io.tributary.client.impl.ClientContext;
import io.tributary.client.impl.ClientResource;
import io.tributary.client.impl.Futures;
import io.tributary.client.impl.stream.Completions;
import io.tributary.client.impl.transaction.TransactionCheckStream;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A producer of one topic (or partition): the API facade over its parts.
 *
 * <ul>
 *   <li>{@link SendBudget} bounds the messages and bytes between {@code sendAsync} and their answer;
 *   <li>{@link BatchAccumulator} numbers messages and fills batches;
 *   <li>{@link PublishStream} encodes closed batches, sends them on the Publish stream, resends
 *       them on a new stream after a lost one, and completes the futures from the answers.
 * </ul>
 *
 * <p><b>Threading: one lock, owned here.</b> {@link #lock} guards the state below and is handed to
 * the accumulator and the stream, which are guarded by it too (their gRPC callbacks and timers
 * take it). A serial executor per producer would remove even that lock, but would make every
 * blocking {@code send()} hop threads and change when {@code sendAsync} fails; one lock keeps
 * the behaviour as it was, in the one idiom the consumer uses too (a {@link ReentrantLock}).
 * Nothing costly runs under it: a message is serialised once, in {@code sendAsync} before the
 * lock, and a batch is encoded and compressed after the lock is released by the thread that
 * closed it. Futures complete after the lock is released ({@link Completions}).
 *
 * <p><b>Duplicates.</b> A send succeeds only with the position of a stored entry. When the broker
 * answers a (re)sent batch as a duplicate, the send completes with the original's id, which the
 * broker returns while it remembers the producer's recent batches; a duplicate answer without a
 * position fails the send with a {@link io.tributary.client.TributaryClientException} instead of
 * reporting as stored a message this producer never saw stored. It is not resent: the broker would
 * answer the same, and storing it again would duplicate it.
 */
final class ProducerImpl<T> implements Producer<T>, ClientResource {
    private static final Logger LOG = LoggerFactory.getLogger(ProducerImpl.class);

    private enum State { OPEN, CLOSING, CLOSED, FAILED }

    private final ClientContext client;
    private final ProducerBuilderImpl.Config conf;
    private final Schema<T> schema;
    private final ProducerStatsRecorder stats;
    private final SendBudget budget;
    private final CompletableFuture<Producer<T>> createFuture = new CompletableFuture<>();
    private final CompletableFuture<Void> closeFuture = new CompletableFuture<>();

    /** The producer's one lock; the accumulator's and the stream's state are guarded by it too. */
    private final ReentrantLock lock = new ReentrantLock();
    private final BatchAccumulator accumulator;
    private final PublishStream stream;
    // guarded by lock
    private State state = State.OPEN;
    private boolean created;
    private TributaryClientException terminalError;

    // written under lock, read without it
    private volatile String producerName;
    /**
     * Sequence ids of this producer's transactional messages (the coordinator de-duplicates resends by them per
     * transaction, topic and producer name): from the clock in microseconds, so a producer of the same name made
     * again during a transaction starts above what its predecessor sent.
     */
    private final java.util.concurrent.atomic.AtomicLong transactionSequence =
            new java.util.concurrent.atomic.AtomicLong(System.currentTimeMillis() * 1000);
    /** The producer group's check-back stream, when this producer has a transaction checker. */
    private TransactionCheckStream checks;
    private final int topicPartition;

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
        this.producerName = conf.producerName();
        this.topicPartition = topicPartition;
        this.budget = new SendBudget(conf.maxPendingMessages(), conf.blockIfQueueFull(), client.memory(), stats);
        this.stream = new PublishStream(lock, client, conf, schema.name(), topicPartition, stats, budget,
                new StreamEvents());
        this.accumulator = new BatchAccumulator(conf, client, lock, BatchCodec.overhead(producerName, schema.name()),
                stream);
    }

    CompletableFuture<Producer<T>> start() {
        if (!client.register(this)) {
            return Futures.failed(new AlreadyClosedException("the client is closed"));
        }
        lock.lock();
        try {
            stream.start();
        } finally {
            lock.unlock();
        }
        if (conf.transactionChecker() != null && topicPartition <= 0) {
            // a partitioned producer's partitions share one stream: its first partition's
            createFuture.thenRun(() -> {
                TransactionCheckStream s = TransactionCheckStream.open(client, conf.producerGroup(), conf.transactionChecker());
                lock.lock();
                try {
                    if (state == State.OPEN) {
                        checks = s;
                        return;
                    }
                } finally {
                    lock.unlock();
                }
                if (s != null) {
                    s.closeAsync();
                }
            });
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

    @Override
    public TypedMessageBuilder<T> newMessage(Transaction transaction) {
        return new TypedMessageBuilderImpl<>(this).inTransaction(transaction);
    }

    CompletableFuture<MessageId> sendAsync(TypedMessageBuilderImpl<T> m) {
        if (m.value == null) {
            return rejected(new TributaryClientException(ErrorReason.INVALID_REQUEST, "the message has no value", null));
        }
        ByteString value;
        try {
            // no copy: the message is serialised below, before the caller gets the array back
            value = UnsafeByteOperations.unsafeWrap(schema.encode(m.value));
        } catch (RuntimeException e) {
            return rejected(new TributaryClientException.SchemaSerializationException(null,
                    "the schema " + schema.name() + " could not encode the value: " + e.getMessage(), e));
        }
        if (m.transaction != null) {
            return sendInTransaction(m, value);
        }
        SingleMessage.Builder b = SingleMessage.newBuilder().setValue(value);
        if (m.key != null) {
            b.setKey(m.key).setHasKey(true);
        }
        if (!m.properties.isEmpty()) {
            b.putAllProperties(m.properties);
        }
        b.setEventTimeMs(m.eventTime).setDeliverAtMs(m.deliverAtMs);
        // the one serialisation of the message: its sequence id is added to these bytes when its batch is encoded
        BatchCodec.Serialized message = BatchCodec.Serialized.of(b.build());
        int sizeInList = BatchCodec.sizeInList(message, 0);

        TributaryClientException refused = accumulator.checkSize(sizeInList, m.key);
        if (refused == null) {
            refused = closedError();
        }
        if (refused == null) {
            refused = budget.reserve(sizeInList, this::flushOwnBatches);
        }
        if (refused != null) {
            return rejected(refused);
        }
        CompletableFuture<MessageId> future = new CompletableFuture<>();
        PendingMessage accepted = new PendingMessage(message, PendingMessage.UNNUMBERED, sizeInList, future,
                sizeInList, System.nanoTime());
        Completions done = new Completions();
        lock.lock();
        try {
            if (state != State.OPEN) {
                budget.release(1, sizeInList);
                return rejected(closedErrorLocked());
            }
            accumulator.add(accepted, m.key, m.sequenceId, m.deliverAtMs > 0, done);
        } finally {
            lock.unlock();
        }
        done.run(); // encodes the batches this message closed
        return future;
    }

    /** A send refused before it was accepted: counted as a failure, like one the broker refused. */
    private CompletableFuture<MessageId> rejected(TributaryClientException e) {
        stats.failed(1);
        return Futures.failed(e);
    }

    /** Sends the batches being filled now: a sender waits for memory they may hold. */
    private void flushOwnBatches() {
        Completions.underLock(lock, done -> {
            accumulator.flushAll(done);
        });
    }

    @Override
    public void flush() throws TributaryClientException {
        Futures.await(flushAsync());
    }

    @Override
    public CompletableFuture<Void> flushAsync() {
        Completions done = new Completions();
        PendingBatch last;
        lock.lock();
        try {
            accumulator.flushAll(done);
            last = stream.lastPending();
        } finally {
            lock.unlock();
        }
        done.run();
        // answers come in order, so the last batch's answer means every earlier one has come
        return last == null ? CompletableFuture.completedFuture(null) : last.done.thenApply(v -> null);
    }

    /**
     * A message of a transaction: one Send to the transaction's coordinator (not through this producer's stream),
     * numbered with this producer's own transactional sequence ids so a resend is not stored twice.
     */
    private CompletableFuture<MessageId> sendInTransaction(TypedMessageBuilderImpl<T> m, ByteString value) {
        TributaryClientException refused = closedError();
        if (refused != null) {
            return rejected(refused);
        }
        PlainMessage.Builder b = PlainMessage.newBuilder().setValue(value);
        if (m.key != null) {
            b.setKey(m.key);
        }
        b.putAllProperties(m.properties).setEventTimeMs(m.eventTime).setSequenceId(transactionSequence.getAndIncrement());
        if (m.deliverAtMs > 0) {
            b.setDeliverAtMs(m.deliverAtMs);
        }
        SendRequest.Builder req = SendRequest.newBuilder().setTopic(conf.topic()).setProducerName(producerName)
                .addMessages(b);
        return m.transaction.send(req, conf.producerGroup());
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
            if (!created) {
                stream.abort("the producer was closed");
                AlreadyClosedException e = new AlreadyClosedException("the producer was closed while being created");
                done.add(() -> createFuture.completeExceptionally(e));
                finishCloseLocked(done);
            } else {
                accumulator.flushAll(done);
                maybeFinishCloseLocked(done);
            }
        });
        return closeFuture;
    }

    /** Once closing and nothing is pending: the stream half-closes, and the producer is closed when it ends. */
    private void maybeFinishCloseLocked(Completions done) {
        if (state == State.CLOSING && stream.nothingPending()) {
            stream.close(done);
        }
    }

    private void finishCloseLocked(Completions done) {
        state = State.CLOSED;
        stopLocked();
        LOG.info("[{}] Producer {} closed", conf.topic(), producerName);
        done.add(() -> closeFuture.complete(null));
    }

    /** A failure the producer cannot recover from: everything pending fails with it. */
    private void failLocked(TributaryClientException e, Completions done) {
        state = State.FAILED;
        terminalError = e;
        accumulator.flushAll(done);
        stream.failAll(e, done);
        stopLocked();
        done.add(() -> {
            createFuture.completeExceptionally(e);
            closeFuture.complete(null);
        });
    }

    private void stopLocked() {
        if (checks != null) {
            checks.closeAsync();
        }
        accumulator.stopTimer();
        stream.stopTimers();
        stream.logUnloggedFailures();
        client.unregister(this);
    }

    private TributaryClientException closedError() {
        lock.lock();
        try {
            return state == State.OPEN ? null : closedErrorLocked();
        } finally {
            lock.unlock();
        }
    }

    private TributaryClientException closedErrorLocked() {
        if (state == State.FAILED && terminalError != null) {
            return terminalError;
        }
        return new AlreadyClosedException("the producer is closed");
    }

    /** What the stream tells the producer; called with the lock held. */
    private final class StreamEvents implements PublishStream.Owner {
        @Override
        public String producerName() {
            return producerName;
        }

        @Override
        public void opened(ProducerOpened opened, boolean first, Completions done) {
            if (!opened.getProducerName().isEmpty()) {
                producerName = opened.getProducerName();
            }
            long max = opened.getMaxMessageSize() > 0 ? opened.getMaxMessageSize() : BatchAccumulator.DEFAULT_MAX_MESSAGE_SIZE;
            accumulator.limits(max, BatchCodec.overhead(producerName, schema.name()));
            if (first) {
                created = true;
                accumulator.lastSequenceIdPushed(opened.getLastSequenceId());
                LOG.info("[{}] Producer {} created, last sequence id {}", conf.topic(), producerName,
                        opened.getLastSequenceId());
                done.add(() -> createFuture.complete(ProducerImpl.this));
            }
        }

        @Override
        public void drained(Completions done) {
            maybeFinishCloseLocked(done);
        }

        @Override
        public void failed(TributaryClientException e, Completions done) {
            if (state == State.OPEN || state == State.CLOSING) {
                failLocked(e, done);
            }
        }

        @Override
        public void closed(Completions done) {
            if (state == State.CLOSING) {
                finishCloseLocked(done);
            }
        }
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
        return stream.lastSequenceIdPublished();
    }

    @Override
    public ProducerStats getStats() {
        return stats.snapshot();
    }

    @Override
    public boolean isConnected() {
        lock.lock();
        try {
            return stream.state() == PublishStream.State.OPEN || stream.state() == PublishStream.State.CLOSING;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public String toString() {
        return "Producer{topic=" + conf.topic() + ", name=" + producerName + "}";
    }
}
