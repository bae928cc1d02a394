package io.tributary.client.impl.producer;

import com.google.protobuf.ByteString;
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
import io.tributary.client.MessageId;
import io.tributary.client.TributaryClientException;
import io.tributary.client.TributaryClientException.TimeoutException;
import io.tributary.client.impl.BatchCodec;
import io.tributary.client.impl.ClientContext;
import io.tributary.client.impl.stream.Completions;
import io.tributary.client.impl.stream.StreamSession;
import io.tributary.protocol.ErrorReasons;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A producer's Publish stream and the batches it carries until the broker answers them.
 *
 * <p>Closed batches wait in {@link #waiting} until they are encoded (outside the lock, by the
 * thread that closed them) and the stream is open, then go out in sequence order and wait in
 * {@link #inFlight} for their answer, which comes in order. A lost stream puts every batch in
 * flight back in front of the waiting ones; the new stream sends them again with the same
 * sequence ids, and the broker recognises those it stored already: such a batch succeeds with the
 * original's position, or fails if the broker cannot return one (see {@link ProducerImpl}).
 * Guarded by the producer's lock.
 */
final class PublishStream extends StreamSession<PublishRequest, PublishResponse> implements BatchAccumulator.Sink {
    private static final Logger LOG = LoggerFactory.getLogger(PublishStream.class);
    /** At most one warning per interval about failed sends, which fire-and-forget senders see nowhere else. */
    private static final long FAILURE_LOG_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);

    /** What the producer learns from its stream. Called with the lock held. */
    interface Owner {
        /** The producer's name as known now (the broker names a producer that has none). */
        String producerName();

        /** The broker answered an open: {@code first} for the first one, which creates the producer. */
        void opened(ProducerOpened opened, boolean first, Completions done);

        /** Nothing is pending any more (a closing producer may now close its stream). */
        void drained(Completions done);

        /** The stream cannot go on; everything pending fails with {@code e}. */
        void failed(TributaryClientException e, Completions done);

        /** The stream closed after {@link #close}. */
        void closed(Completions done);
    }

    private final ClientContext client;
    private final ProducerBuilderImpl.Config conf;
    private final String schemaName;
    private final io.tributary.api.v1.CompressionType compression;
    private final int topicPartition;
    private final ProducerStatsRecorder stats;
    private final SendBudget budget;
    private final Owner owner;

    // guarded by lock
    /** Sent on the current call, unanswered; all older than those waiting. */
    private final ArrayDeque<PendingBatch> inFlight = new ArrayDeque<>();
    /** Not encoded yet, or not sent on the current call. */
    private final ArrayDeque<PendingBatch> waiting = new ArrayDeque<>();
    private ScheduledFuture<?> timeoutTask;
    private long lastFailureLogNanos;
    private long unloggedFailures;
    private TributaryClientException lastFailure;

    // written under lock, read by the application without it
    private volatile long lastSequenceIdPublished = -1;

    PublishStream(ReentrantLock lock, ClientContext client, ProducerBuilderImpl.Config conf, String schemaName,
                  int topicPartition, ProducerStatsRecorder stats, SendBudget budget, Owner owner) {
        super(lock, client);
        this.client = client;
        this.conf = conf;
        this.schemaName = schemaName;
        this.compression = BatchCodec.toProto(conf.compressionType());
        this.topicPartition = topicPartition;
        this.stats = stats;
        this.budget = budget;
        this.owner = owner;
        this.lastFailureLogNanos = System.nanoTime() - FAILURE_LOG_INTERVAL_NANOS;
    }

    long lastSequenceIdPublished() {
        return lastSequenceIdPublished;
    }

    boolean nothingPending() {
        return inFlight.isEmpty() && waiting.isEmpty();
    }

    /** The newest batch not answered yet; null if none. */
    PendingBatch lastPending() {
        PendingBatch last = waiting.peekLast();
        return last != null ? last : inFlight.peekLast();
    }

    // ---------------------------------------------------------------- batches

    /** A closed batch: it waits for its encoding, which runs after the lock is released. */
    @Override
    public void enqueue(List<PendingMessage> messages, Completions done) {
        PendingBatch b = new PendingBatch(messages, System.nanoTime());
        waiting.addLast(b);
        done.add(() -> encode(b));
    }

    /** Encodes a batch without the lock (compression included), then sends what is ready. */
    private void encode(PendingBatch b) {
        if (b.finished) {
            return; // failed or timed out already
        }
        ByteString entry;
        try {
            entry = BatchCodec.encodeSerialized(owner.producerName(), schemaName, b.firstSequenceId, b.serialized(),
                    System.currentTimeMillis(), compression);
        } catch (RuntimeException e) {
            LOG.warn("[{}] Could not encode a batch", conf.topic(), e);
            fail(b, new TributaryClientException("could not encode the batch: " + e, e));
            return;
        }
        lock.lock();
        try {
            b.entry = entry;
            sendReady();
        } finally {
            lock.unlock();
        }
    }

    /** Sends, in order, the waiting batches that are encoded, up to the first that is not. */
    private void sendReady() {
        PendingBatch b;
        while (isOpen() && (b = waiting.peekFirst()) != null && b.entry != null) {
            waiting.pollFirst();
            inFlight.addLast(b);
            if (!b.written) {
                b.written = true;
                stats.sent(b.size(), b.entry.size());
            }
            send(PublishRequest.newBuilder()
                    .setBatch(PublishBatch.newBuilder()
                            .setSequenceId(b.firstSequenceId)
                            .setMessageCount(b.size())
                            .setEntry(b.entry))
                    .build());
        }
    }

    private void fail(PendingBatch b, TributaryClientException e) {
        Completions.underLock(lock, done -> {
            if (inFlight.remove(b) || waiting.remove(b)) {
                failBatch(b, e, done);
                // batches behind it that are encoded already waited for it: they go now
                sendReady();
                if (nothingPending()) {
                    owner.drained(done);
                }
            }
        });
    }

    /** Fails everything pending with {@code e}. */
    void failAll(TributaryClientException e, Completions done) {
        PendingBatch b;
        while ((b = inFlight.pollFirst()) != null || (b = waiting.pollFirst()) != null) {
            failBatch(b, e, done);
        }
    }

    // ---------------------------------------------------------------- the stream's hooks

    @Override
    protected void startCall(ClientResponseObserver<PublishRequest, PublishResponse> observer) {
        stub().publish(observer);
    }

    @Override
    protected PublishRequest openRequest() {
        ProducerOpen.Builder open = ProducerOpen.newBuilder().setTopic(conf.topic());
        String name = owner.producerName();
        if (name != null) {
            open.setProducerName(name);
        }
        if (conf.initialSubscription() != null) {
            open.setInitialSubscription(conf.initialSubscription());
        }
        return PublishRequest.newBuilder().setOpen(open).build();
    }

    @Override
    protected String topic() {
        return conf.topic();
    }

    @Override
    protected String describe() {
        return "create the producer";
    }

    /**
     * The broker refuses a second live stream under one name; when this producer reconnects before the
     * broker noticed its previous stream's end, the name is still taken by that stream: try again.
     */
    @Override
    protected boolean retriesOnReconnect(ErrorReason reason) {
        return reason == ErrorReason.PRODUCER_BUSY;
    }

    @Override
    protected void onResponse(PublishResponse response, Completions done) {
        switch (response.getResponseCase()) {
            case OPENED:
                onOpened(response.getOpened(), done);
                break;
            case ACK:
                onAck(response.getAck(), done);
                break;
            case ERROR:
                onPublishError(response.getError(), done);
                break;
            default:
                LOG.warn("[{}] Ignoring an unknown publish response {}", conf.topic(), response.getResponseCase());
        }
        if (nothingPending()) {
            owner.drained(done);
        }
    }

    private void onOpened(ProducerOpened opened, Completions done) {
        boolean first = !everOpened();
        if (!opened()) {
            LOG.warn("[{}] Ignoring a second ProducerOpened", conf.topic());
            return;
        }
        if (first) {
            lastSequenceIdPublished = opened.getLastSequenceId();
            startTimeoutTicker();
        }
        owner.opened(opened, first, done);
        if (!first) {
            LOG.info("[{}] Producer {} reconnected, resending {} batches", conf.topic(), owner.producerName(),
                    waiting.size());
        }
        sendReady();
    }

    private void onAck(PublishAck ack, Completions done) {
        PendingBatch b = removeInFlight(ack.getSequenceId());
        if (b == null) {
            // a batch that already timed out, or an answer to a resend of one already answered
            LOG.debug("[{}] Ack for unknown sequence id {}", conf.topic(), ack.getSequenceId());
            return;
        }
        if (ack.getDuplicate() && !hasPosition(ack)) {
            // The broker recognised the ids as stored but cannot say where (an earlier send stored them
            // and its position is no longer known, or the application reused old ids). Success without a
            // position would make a message this producer never saw stored look stored; failing it tells
            // the application the truth. Resending would not help: the broker would answer the same.
            failBatch(b, new TributaryClientException("sequence ids " + b.firstSequenceId + ".." + b.lastSequenceId()
                    + " of producer " + owner.producerName() + " were not stored by this send: the broker already has"
                    + " these sequence ids from an earlier send but could not return the original's position, so the"
                    + " send is not reported as stored"), done);
            return;
        }
        lastSequenceIdPublished = Math.max(lastSequenceIdPublished, b.lastSequenceId());
        release(b);
        long now = System.nanoTime();
        long ledger = ack.hasMessageId() ? ack.getMessageId().getLedgerId() : -1;
        long entry = ack.hasMessageId() ? ack.getMessageId().getEntryId() : -1;
        int partition = BatchCodec.partitionOf(ack.hasMessageId() ? ack.getMessageId().getPartition() : 0, topicPartition);
        int n = b.size();
        done.add(() -> {
            for (int i = 0; i < n; i++) {
                PendingMessage op = b.messages.get(i);
                stats.acked(now - op.acceptedNanos());
                op.future().complete(new MessageId(ledger, entry, i, partition, n));
            }
            b.done.complete(null);
        });
    }

    /** Whether the broker named where the batch is stored: a message id with a real ledger and entry. */
    private static boolean hasPosition(PublishAck ack) {
        return ack.hasMessageId() && ack.getMessageId().getLedgerId() >= 0 && ack.getMessageId().getEntryId() >= 0;
    }

    private void onPublishError(PublishError error, Completions done) {
        if (ErrorReasons.isRetriable(error.getError().getReason())) {
            // the batch may succeed on another stream (the topic moving, the broker restarting): like
            // a lost stream, resend everything pending from a new one, where deduplication drops
            // what a later batch of this stream already stored
            lost(error.getError(), done);
            return;
        }
        PendingBatch b = removeInFlight(error.getSequenceId());
        if (b == null) {
            LOG.debug("[{}] Error for unknown sequence id {}: {}", conf.topic(), error.getSequenceId(), error.getError());
            return;
        }
        failBatch(b, TributaryClientException.of(error.getError()), done);
    }

    /** The batch answered: normally the first, unless earlier ones timed out or were answered twice. */
    private PendingBatch removeInFlight(long sequenceId) {
        Iterator<PendingBatch> it = inFlight.iterator();
        while (it.hasNext()) {
            PendingBatch b = it.next();
            if (b.firstSequenceId == sequenceId) {
                it.remove();
                return b;
            }
        }
        return null;
    }

    @Override
    protected void onDisconnected(ErrorDetail cause, Completions done) {
        // what was in flight goes again, first, on the next stream
        while (!inFlight.isEmpty()) {
            waiting.addFirst(inFlight.pollLast());
        }
        if (everOpened()) {
            LOG.info("[{}] Producer {} lost its stream ({}: {}); reconnecting", conf.topic(), owner.producerName(),
                    cause.getReason(), cause.getMessage());
        } else {
            LOG.info("[{}] Could not create the producer yet ({}: {}); retrying", conf.topic(), cause.getReason(),
                    cause.getMessage());
        }
    }

    @Override
    protected void onFailed(TributaryClientException e, Completions done) {
        if (everOpened()) {
            LOG.warn("[{}] Producer {} failed: {}", conf.topic(), owner.producerName(), e.getMessage());
        }
        owner.failed(e, done);
    }

    @Override
    protected void onClosed(Completions done) {
        owner.closed(done);
    }

    // ---------------------------------------------------------------- send timeouts

    private void startTimeoutTicker() {
        long timeoutMs = conf.sendTimeout().toMillis();
        if (timeoutMs <= 0) {
            return;
        }
        long period = Math.max(10, Math.min(1000, timeoutMs / 5));
        timeoutTask = client.scheduleWithFixedDelay(this::checkSendTimeouts, period, TimeUnit.MILLISECONDS);
    }

    private void checkSendTimeouts() {
        Completions.underLock(lock, done -> {
            if (state() == State.CLOSED || state() == State.FAILED) {
                return;
            }
            long now = System.nanoTime();
            long limit = conf.sendTimeout().toNanos();
            boolean expired = false;
            PendingBatch head;
            // batches were made in order, so the expired ones are at the front
            while ((head = inFlight.isEmpty() ? waiting.peekFirst() : inFlight.peekFirst()) != null
                    && now - head.createdNanos >= limit) {
                if (inFlight.pollFirst() == null) {
                    waiting.pollFirst();
                }
                ErrorDetail lastError = lastError();
                failBatch(head, new TimeoutException("not acknowledged within " + conf.sendTimeout()
                        + (lastError == null ? "" : "; last error " + lastError.getReason() + ": "
                                + lastError.getMessage())), done);
                expired = true;
            }
            if (expired && nothingPending()) {
                owner.drained(done);
            }
        });
    }

    /** Stops the send-timeout ticker (the producer ended). */
    void stopTimers() {
        if (timeoutTask != null) {
            timeoutTask.cancel(false);
            timeoutTask = null;
        }
    }

    // ---------------------------------------------------------------- failures

    private void failBatch(PendingBatch b, TributaryClientException e, Completions done) {
        release(b);
        int n = b.size();
        stats.failed(n);
        logFailure(n, e);
        done.add(() -> {
            for (PendingMessage op : b.messages) {
                op.future().completeExceptionally(e);
            }
            b.done.complete(null);
        });
    }

    private void release(PendingBatch b) {
        b.finished = true;
        budget.release(b.size(), b.memory());
    }

    /**
     * Warns about failed sends, at most once per {@link #FAILURE_LOG_INTERVAL_NANOS} and counting
     * those in between, so that a fire-and-forget sender learns of them without a flood.
     */
    private void logFailure(int messages, TributaryClientException e) {
        unloggedFailures += messages;
        lastFailure = e;
        if (System.nanoTime() - lastFailureLogNanos >= FAILURE_LOG_INTERVAL_NANOS) {
            logUnloggedFailures();
        }
    }

    /** Reports the failures not reported yet: when the interval has passed, and when the producer ends. */
    void logUnloggedFailures() {
        if (unloggedFailures > 0) {
            LOG.warn("[{}] Producer {}: {} message(s) failed to send, latest: {}", conf.topic(), owner.producerName(),
                    unloggedFailures, lastFailure.getMessage());
            lastFailureLogNanos = System.nanoTime();
            unloggedFailures = 0;
        }
    }
}
