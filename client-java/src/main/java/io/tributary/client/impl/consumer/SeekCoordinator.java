package io.tributary.client.impl.consumer;

import io.tributary.api.v1.ErrorDetail;
import io.tributary.api.v1.ErrorReason;
import io.tributary.api.v1.InitialPosition;
import io.tributary.api.v1.Seek;
import io.tributary.api.v1.SeekResponse;
import io.tributary.api.v1.SubscribeRequest;
import io.tributary.client.MessageId;
import io.tributary.client.TributaryClientException;
import io.tributary.client.TributaryClientException.TimeoutException;
import io.tributary.client.impl.stream.Completions;
import io.tributary.client.impl.BatchCodec;
import io.tributary.client.impl.Futures;
import io.tributary.client.impl.MessageImpl;
import io.tributary.client.impl.TributaryClientImpl;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Seeks: one at a time per topic, each waiting for its SeekResponse (up to the operation
 * timeout). While one is pending, messages arriving on that topic are held back: after a
 * successful seek they are from before it and are dropped (with what was prefetched), after a
 * failed one they are delivered as usual. A reader's position moves only once the broker
 * answered.
 *
 * <p>Guarded by the consumer's lock ({@link ConsumerImpl#lock}); futures are completed after it
 * is released.
 */
final class SeekCoordinator<T> {
    private static final Logger LOG = LoggerFactory.getLogger(SeekCoordinator.class);

    /** A seek waiting for its SeekResponse; a null future marks the reader's own seek after a reconnect. */
    private final class PendingSeek {
        final Seek seek;
        final CompletableFuture<Void> future;
        final Runnable onMoved;
        /** Messages that arrived while the seek was pending: from before the seek. */
        final List<Queued<T>> held = new ArrayList<>();
        ScheduledFuture<?> timer;

        PendingSeek(Seek seek, CompletableFuture<Void> future, Runnable onMoved) {
            this.seek = seek;
            this.future = future;
            this.onMoved = onMoved;
        }
    }

    private final ConsumerImpl<T> consumer;
    private final TributaryClientImpl client;
    // guarded by the consumer's lock
    private final Map<TopicSubscription<T>, PendingSeek> pending = new HashMap<>();

    SeekCoordinator(ConsumerImpl<T> consumer, TributaryClientImpl client) {
        this.consumer = consumer;
        this.client = client;
    }

    /**
     * {@link MessageId#earliest} and {@link MessageId#latest} move every topic (and partition) the
     * consumer reads; any other id moves only the topic it belongs to.
     */
    CompletableFuture<Void> seek(MessageId messageId) {
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
            seek.setMessageId(BatchCodec.toProto(messageId));
        }
        InitialPosition p = position;
        Consumer<ReaderPosition> readerMoved = r -> {
            if (p != null) {
                r.movedTo(p);
            } else {
                r.movedTo(messageId);
            }
        };
        consumer.lock.lock();
        try {
            if (!consumer.openLocked()) {
                return Futures.failed(consumer.closedErrorLocked());
            }
            TopicSet<T> topics = consumer.topics();
            if (p != null) {
                return seekLocked(topics.mains(), seek, readerMoved);
            }
            TopicSubscription<T> target = consumer.locateLocked(null, messageId);
            if (target == null) {
                return Futures.failed(consumer.unknownId(messageId));
            }
            if (target == topics.retry()) {
                return Futures.failed(new TributaryClientException.InvalidMessageIdException("message id " + messageId
                        + " is on the retry topic " + target.topic() + "; seek moves the consumer's main topics only"));
            }
            return seekLocked(List.of(target), seek, readerMoved);
        } finally {
            consumer.lock.unlock();
        }
    }

    /** Moves every topic (and partition) the consumer reads. */
    CompletableFuture<Void> seek(long publishTimeMs) {
        if (publishTimeMs < 0) {
            throw new IllegalArgumentException("the publish time must not be negative");
        }
        consumer.lock.lock();
        try {
            if (!consumer.openLocked()) {
                return Futures.failed(consumer.closedErrorLocked());
            }
            return seekLocked(consumer.topics().mains(), Seek.newBuilder().setPublishTimeMs(publishTimeMs),
                    r -> r.movedToTime(publishTimeMs));
        } finally {
            consumer.lock.unlock();
        }
    }

    /**
     * Seeks the given topics at once; done when all moved. {@code readerMoved} updates where a
     * reader reconnects, once the broker answered.
     */
    private CompletableFuture<Void> seekLocked(List<TopicSubscription<T>> targets, Seek.Builder seek,
                                               Consumer<ReaderPosition> readerMoved) {
        for (TopicSubscription<T> s : targets) {
            if (pending.containsKey(s)) {
                return Futures.failed(new TributaryClientException("another seek is in progress"));
            }
            if (!s.ready()) {
                return Futures.failed(new TributaryClientException(ErrorReason.BROKER_UNAVAILABLE,
                        "the consumer is not connected to " + s.topic() + "; seek again once it is", null));
            }
        }
        List<CompletableFuture<Void>> moves = new ArrayList<>(targets.size());
        for (TopicSubscription<T> s : List.copyOf(targets)) {
            CompletableFuture<Void> f = new CompletableFuture<>();
            moves.add(f);
            ReaderPosition r = s.position();
            startLocked(s, seek, f, r != null ? () -> readerMoved.accept(r) : null);
        }
        return moves.size() == 1 ? moves.get(0) : CompletableFuture.allOf(moves.toArray(CompletableFuture<?>[]::new));
    }

    /** Sends a seek on {@code s}; {@code future} null for the reader's own return to a publish time. */
    void startLocked(TopicSubscription<T> s, Seek.Builder seek, CompletableFuture<Void> future, Runnable onMoved) {
        PendingSeek ps = new PendingSeek(seek.setRequestId(consumer.acks().nextRequestId()).build(), future, onMoved);
        pending.put(s, ps);
        s.send(SubscribeRequest.newBuilder().setSeek(ps.seek).build());
        ps.timer = client.schedule(() -> timedOut(s, ps), client.operationTimeout().toNanos(), TimeUnit.NANOSECONDS);
    }

    /** Whether a seek on {@code s} waits for its answer. */
    boolean seekingLocked(TopicSubscription<T> s) {
        return pending.containsKey(s);
    }

    /** Holds a message back if its topic is seeking; returns whether it did. */
    boolean holdLocked(Queued<T> q) {
        PendingSeek ps = pending.get(q.stream);
        if (ps == null) {
            return false;
        }
        ps.held.add(q);
        return true;
    }

    void onSeekResponse(TopicSubscription<T> s, SeekResponse response, Completions done) {
        PendingSeek ps = pending.get(s);
        if (ps == null || ps.seek.getRequestId() != response.getRequestId()) {
            LOG.debug("[{}/{}] Ignoring the answer to seek {}", s.topic(), consumer.conf().subscription(),
                    response.getRequestId());
            return;
        }
        pending.remove(s);
        if (ps.timer != null) {
            ps.timer.cancel(false);
        }
        if (response.hasError()) {
            failedLocked(s, ps, TributaryClientException.of(response.getError()), done);
            return;
        }
        // everything received before the answer is from before the seek
        int dropped = ps.held.size();
        dropped += consumer.receiverQueue().dropLocked(s);
        consumer.unacked().removeAll(s);
        if (s.position() != null) {
            s.position().forgetHanded();
        }
        if (ps.onMoved != null) {
            ps.onMoved.run();
        }
        s.grant(dropped);
        LOG.info("[{}/{}] Consumer {} moved ({}); dropped {} messages from before", s.topic(),
                consumer.conf().subscription(), consumer.getConsumerName(), ps.seek.getTargetCase(), dropped);
        if (ps.future != null) {
            done.add(() -> ps.future.complete(null));
        }
    }

    /** The cursor did not move (as far as known): what was held back is from the old position, still valid. */
    private void failedLocked(TopicSubscription<T> s, PendingSeek ps, TributaryClientException e, Completions done) {
        List<MessageImpl<T>> dead = new ArrayList<>(0);
        for (Queued<T> q : ps.held) {
            consumer.receiverQueue().arrivedLocked(q, done, dead);
        }
        consumer.receiverQueue().afterArrivalsLocked(done);
        for (MessageImpl<T> m : dead) {
            done.add(() -> consumer.deadLetters().deadLetterOrRedeliver(m, s, ""));
        }
        if (ps.future != null) {
            done.add(() -> ps.future.completeExceptionally(e));
        } else {
            LOG.warn("[{}/{}] The reader could not return to its position: {}", s.topic(),
                    consumer.conf().subscription(), e.getMessage());
        }
    }

    private void timedOut(TopicSubscription<T> s, PendingSeek ps) {
        Completions.underLock(consumer.lock, done -> {
            if (pending.get(s) == ps) {
                pending.remove(s);
                failedLocked(s, ps, new TimeoutException("the broker did not answer the seek within "
                        + client.operationTimeout()), done);
            }
        });
    }

    /** The stream of {@code s} was lost: a pending seek fails, and what it held back goes (it is delivered again). */
    void streamLostLocked(TopicSubscription<T> s, ErrorDetail cause, Completions done) {
        PendingSeek ps = pending.remove(s);
        if (ps == null) {
            return;
        }
        if (ps.timer != null) {
            ps.timer.cancel(false);
        }
        if (ps.future != null) {
            TributaryClientException e = new TributaryClientException(cause.getReason(),
                    "the stream was lost before the broker answered the seek: " + cause.getMessage(), null);
            done.add(() -> ps.future.completeExceptionally(e));
        }
    }

    /** Closed or failed: every pending seek fails with {@code e}. */
    void failAllLocked(TributaryClientException e, Completions done) {
        List<PendingSeek> all = List.copyOf(pending.values());
        pending.clear();
        for (PendingSeek ps : all) {
            if (ps.timer != null) {
                ps.timer.cancel(false);
            }
            if (ps.future != null) {
                done.add(() -> ps.future.completeExceptionally(e));
            }
        }
    }
}
