package io.tributary.broker.service;

import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.prometheus.client.Counter;
import io.tributary.api.v1.ErrorDetail;
import io.tributary.api.v1.ErrorReason;
import io.tributary.api.v1.MessageId;
import io.tributary.api.v1.ProducerOpen;
import io.tributary.api.v1.ProducerOpened;
import io.tributary.api.v1.PublishAck;
import io.tributary.api.v1.PublishBatch;
import io.tributary.api.v1.PublishError;
import io.tributary.api.v1.PublishMessages;
import io.tributary.api.v1.PublishRequest;
import io.tributary.api.v1.PublishResponse;
import io.tributary.api.v1.SingleMessage;
import io.tributary.broker.ratelimit.PublishHold;
import io.tributary.broker.topic.Topic;
import io.tributary.broker.topic.TopicService;
import io.tributary.broker.transaction.TransactionCoordinators;
import io.tributary.protocol.ByteStrings;
import io.tributary.protocol.EntryCodec;
import io.tributary.protocol.ErrorReasons;
import io.tributary.protocol.SubscriptionName;
import io.tributary.protocol.TopicName;
import io.tributary.protocol.TributaryException;
import io.tributary.storage.cursor.ManagedCursor;
import io.tributary.storage.log.Position;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One producer's Publish stream: batches encoded by the producer, or plain messages the broker
 * encodes into one entry ({@link PlainMessages}) and then treats as a batch. Requests are pulled from gRPC one at a time and at most
 * {@code maxPending} appends are in flight, and no stream reads on while the broker-wide
 * {@link PublishBuffer} is full, so fast producers cannot grow the broker's memory.
 * Replies go out in request order; a refused batch gets a {@link PublishError} and the stream
 * goes on.
 */
final class PublishHandler implements StreamObserver<PublishRequest> {
    private static final Logger LOG = LoggerFactory.getLogger(PublishHandler.class);
    private static final AtomicLong PRODUCER_IDS = new AtomicLong();

    private final ServerCallStreamObserver<PublishResponse> out;
    private final TopicService topics;
    private final String brokerId;
    private final int maxMessageSize;
    private final int maxPending;
    private final io.tributary.broker.metrics.BrokerMetrics metrics;
    private final PublishBuffer buffer;
    private final int maxSendMessages;
    private final Runnable resumeReading = this::resumeReading;

    private final Object lock = new Object();
    private Topic topic;
    private String producerName;
    private Runnable deregister = () -> {};
    /** Completes when the previous reply was sent: replies are chained to keep request order. */
    private CompletableFuture<Void> lastReply = CompletableFuture.completedFuture(null);
    private int pending;
    private boolean paused;
    private boolean done;
    /** Why this stream is not read now, for the throttling metrics: null while it is read. */
    private Counter.Child throttledBy;
    private long throttledSince;
    /** Waits for publish tokens (the topic's and namespace's rate limits). */
    private final PublishHold rateHold = new PublishHold();

    PublishHandler(StreamObserver<PublishResponse> out, TopicService topics, String brokerId, int maxMessageSize, int maxPending,
                   io.tributary.broker.metrics.BrokerMetrics metrics, PublishBuffer buffer,
                   int maxSendMessages) {
        this.metrics = metrics;
        this.maxSendMessages = maxSendMessages;
        this.buffer = buffer;
        this.out = (ServerCallStreamObserver<PublishResponse>) out;
        this.topics = topics;
        this.brokerId = brokerId;
        this.maxMessageSize = maxMessageSize;
        this.maxPending = maxPending;
        this.out.disableAutoRequest();
        this.out.setOnCancelHandler(this::cleanup);
        this.out.request(1);
    }

    @Override
    public void onNext(PublishRequest req) {
        switch (req.getRequestCase()) {
            case OPEN -> open(req.getOpen());
            case BATCH -> batch(req.getBatch());
            case MESSAGES -> messages(req.getMessages());
            default -> fail(ErrorReasons.detail(ErrorReason.INVALID_REQUEST, "expected open, batch or messages, got "
                    + req.getRequestCase()));
        }
    }

    private void open(ProducerOpen open) {
        if (topic != null) {
            fail(ErrorReasons.detail(ErrorReason.INVALID_REQUEST, "the producer is already open"));
            return;
        }
        TopicName name;
        try {
            name = TopicName.of(open.getTopic());
        } catch (RuntimeException e) {
            fail(Errors.detailOf(e));
            return;
        }
        String requested = open.getProducerName();
        if (TransactionCoordinators.isReservedProducer(requested)) {
            fail(ErrorReasons.detail(ErrorReason.INVALID_REQUEST, "producer names starting with "
                    + TransactionCoordinators.RESERVED_PRODUCER_PREFIX + " are the brokers' own"));
            return;
        }
        String initial = open.getInitialSubscription();
        topics.topic(name, true).thenCompose(t -> initial.isEmpty() ? CompletableFuture.completedFuture(t)
                // created at the end of the topic before the producer publishes: what it publishes is kept for it
                : t.subscription(SubscriptionName.check(initial), ManagedCursor.Start.LATEST, true).thenApply(s -> t)
        ).thenCompose(t -> {
            String pname = requested.isEmpty() ? brokerId + "-" + PRODUCER_IDS.incrementAndGet() : requested;
            return t.lastSequenceId(pname).thenAccept(last -> {
                synchronized (lock) {
                    if (done) {
                        return;
                    }
                    // PRODUCER_BUSY (thrown, so this stream gets no topic to publish to) while another
                    // live stream publishes under this name, or the topic has its maximum of producers
                    deregister = t.addProducer(pname, this::disconnect);
                    topic = t;
                    producerName = pname;
                    send(PublishResponse.newBuilder().setOpened(ProducerOpened.newBuilder()
                            .setProducerName(pname).setLastSequenceId(last).setMaxMessageSize(t.limits().now().messageSize().max())).build());
                }
                out.request(1);
            });
        }).exceptionally(e -> {
            fail(Errors.detailOf(e));
            return null;
        });
    }

    /** The stream's topic and producer name, once it is open. */
    private record Opened(Topic topic, String producerName) {}

    /** The stream's topic and producer name; null, after failing the stream, if it is not open. */
    private Opened openedOrFail() {
        synchronized (lock) {
            if (topic != null) {
                return new Opened(topic, producerName);
            }
        }
        fail(ErrorReasons.detail(ErrorReason.INVALID_REQUEST, "the first request of a Publish stream must be open"));
        return null;
    }

    private void batch(PublishBatch b) {
        Opened o = openedOrFail();
        if (o == null) {
            return;
        }
        Topic t = o.topic();
        String pname = o.producerName();
        long seq = b.getSequenceId();
        int bytes = b.getSerializedSize();
        buffer.add(bytes);
        CompletableFuture<PublishResponse> reply;
        String invalid;
        int uncompressed;
        if ((invalid = t.limits().messageTooLarge(b.getEntry().size())) != null) {
            // the namespace's max_message_size_bytes, or the broker's when it sets none
            reply = CompletableFuture.completedFuture(error(seq, ErrorReasons.detail(ErrorReason.MESSAGE_TOO_LARGE, invalid)));
        } else if ((uncompressed = EntryCodec.header(b.getEntry()).getUncompressedSize()) > maxMessageSize
                || uncompressed < 0) {
            // readers decompress it into one array: the claim is bounded like the entry itself
            reply = CompletableFuture.completedFuture(error(seq, ErrorReasons.detail(ErrorReason.MESSAGE_TOO_LARGE,
                    "batch announces " + uncompressed + " bytes uncompressed, outside [0, " + maxMessageSize
                            + "], the maximum message size")));
        } else if (b.getEntry().isEmpty()) {
            reply = CompletableFuture.completedFuture(error(seq, ErrorReasons.detail(ErrorReason.INVALID_REQUEST, "empty batch")));
        } else if ((invalid = EntryCodec.checkPublished(b.getEntry(), pname, seq, b.getMessageCount())) != null) {
            // a header that does not match the stream would be trusted later (deduplication after a
            // takeover, batch sizes): never store one; a negative sequence id is no duplicate either
            reply = CompletableFuture.completedFuture(error(seq, ErrorReasons.detail(ErrorReason.INVALID_REQUEST, invalid)));
        } else {
            reply = store(t, pname, seq, b.getMessageCount(), ByteStrings.readOnlyArray(b.getEntry()));
        }
        enqueue(reply, bytes);
    }

    /**
     * Plain messages: encoded here into one entry under the stream's producer name, numbered from the
     * request's sequence id, then stored and answered exactly as a batch (one PublishAck or PublishError
     * with that sequence id, in order, through the same deduplication, flow control and buffer).
     */
    private void messages(PublishMessages m) {
        Opened o = openedOrFail();
        if (o == null) {
            return;
        }
        Topic t = o.topic();
        String pname = o.producerName();
        long seq = m.getSequenceId();
        int bytes = m.getSerializedSize();
        buffer.add(bytes);
        CompletableFuture<PublishResponse> reply;
        try {
            int n = m.getMessagesCount();
            PlainMessages.checkCount(n, maxSendMessages, "a PublishMessages request");
            if (seq < 0 || seq > Long.MAX_VALUE - n) {
                throw new TributaryException(ErrorReason.INVALID_REQUEST, "sequence id " + seq
                        + " is out of range: sequence ids are at least 0 and must not overflow");
            }
            long now = System.currentTimeMillis();
            List<SingleMessage> singles = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                singles.add(PlainMessages.toSingle(m.getMessages(i), i, now));
            }
            long size = PlainMessages.entrySizeBound(pname, singles);
            String tooLarge = t.limits().messageTooLarge(size);
            if (tooLarge != null) {
                throw new TributaryException(ErrorReason.MESSAGE_TOO_LARGE, "the " + n + " messages take up to " + size
                        + " bytes as one entry: " + tooLarge + "; nothing was stored");
            }
            reply = store(t, pname, seq, n, PlainMessages.encode(pname, seq, singles, now));
        } catch (TributaryException e) {
            reply = CompletableFuture.completedFuture(error(seq, Errors.detailOf(e)));
        }
        enqueue(reply, bytes);
    }

    /** Stores one entry through the topic (deduplicated by its sequence ids) and makes its reply. */
    private CompletableFuture<PublishResponse> store(Topic t, String pname, long seq, int count, byte[] entry) {
        long arrived = System.nanoTime();
        int size = entry.length;
        t.limits().rates().chargePublish(count, size);
        return t.publish(pname, seq, count, entry)
                .handle((r, e) -> {
                    if (e != null) {
                        return error(seq, Errors.detailOf(e));
                    }
                    if (!r.duplicate()) {
                        metrics.messagesIn.inc(count);
                        metrics.bytesIn.inc(size);
                        metrics.publishLatency.observe((System.nanoTime() - arrived) / 1e9);
                    }
                    return ack(seq, r.position(), r.duplicate(), t.name().partitionIndex());
                });
    }

    /** Queues a request's reply behind the earlier ones and reads on (or pauses); its bytes leave the buffer when it completes. */
    private void enqueue(CompletableFuture<PublishResponse> reply, int bytes) {
        reply.whenComplete((r, e) -> buffer.release(bytes));
        synchronized (lock) {
            pending++;
            lastReply = lastReply.thenCombine(reply, (v, resp) -> resp).thenAccept(resp -> {
                if (resp.hasError() && ErrorReasons.isRetriable(resp.getError().getError().getReason())) {
                    // the topic is moving or was taken over: end the stream so the producer resends
                    // everything pending to the new owner, where deduplication applies; a per-batch
                    // error would reach the application
                    fail(resp.getError().getError());
                    return;
                }
                synchronized (lock) {
                    send(resp);
                    pending--;
                    if (paused) {
                        paused = false;
                        readNextOrPause();
                    }
                }
            });
            readNextOrPause();
        }
    }

    /** Asks gRPC for the next request, unless this stream has too many appends in flight or the broker's buffer is full. */
    private void readNextOrPause() {
        synchronized (lock) {
            if (done) {
                return;
            }
            if (pending >= maxPending) {
                paused = true;
                throttled(metrics.throttledPending);
                return;
            }
            if (!buffer.roomOrWait(resumeReading)) {
                paused = true;
                throttled(metrics.throttledBuffer);
                return;
            }
            if (topic != null && rateHold.holdBack(topic.limits().rates(), producerName, topic.scheduler(), resumeReading)) {
                paused = true; // over the publish rate limit: read on once tokens return
                return;
            }
            throttled(null);
            out.request(1);
        }
    }

    /**
     * Notes, under the lock, why the stream is not read ({@code by}) or that it is read again (null): a
     * stop is counted once, however often it is checked, and its time is added when it ends or its
     * reason changes. Nothing is allocated.
     */
    private void throttled(Counter.Child by) {
        if (by == throttledBy) {
            return;
        }
        long now = System.nanoTime();
        if (throttledBy != null) {
            (throttledBy == metrics.throttledPending ? metrics.throttledPendingSeconds : metrics.throttledBufferSeconds)
                    .inc((now - throttledSince) / 1e9);
        }
        if (by != null) {
            by.inc();
        }
        throttledBy = by;
        throttledSince = now;
    }

    /** The broker's buffer has room again. */
    private void resumeReading() {
        synchronized (lock) {
            if (paused) {
                paused = false;
                readNextOrPause();
            }
        }
    }

    private static PublishResponse ack(long seq, Position p, boolean duplicate, int partition) {
        PublishAck.Builder a = PublishAck.newBuilder().setSequenceId(seq).setDuplicate(duplicate);
        if (p != null) {
            a.setMessageId(MessageId.newBuilder().setLedgerId(p.ledgerId()).setEntryId(p.entryId()).setPartition(partition));
        }
        return PublishResponse.newBuilder().setAck(a).build();
    }

    private static PublishResponse error(long seq, ErrorDetail detail) {
        return PublishResponse.newBuilder().setError(PublishError.newBuilder().setSequenceId(seq).setError(detail)).build();
    }

    private void send(PublishResponse resp) {
        synchronized (lock) {
            if (!done) {
                out.onNext(resp);
            }
        }
    }

    /** Ends the stream with a status carrying {@code detail}. */
    private void fail(ErrorDetail detail) {
        synchronized (lock) {
            if (done) {
                return;
            }
            done = true;
        }
        // the name is free before the producer hears of the end: it may reopen at once
        cleanup();
        synchronized (lock) {
            out.onError(ErrorReasons.toStatus(detail));
        }
    }

    /** The topic closes under this producer: end the stream once replies already owed are sent. */
    private void disconnect(ErrorDetail reason) {
        CompletableFuture<Void> tail;
        synchronized (lock) {
            tail = lastReply;
        }
        tail.whenComplete((v, e) -> fail(reason));
    }

    @Override
    public void onError(Throwable t) {
        LOG.debug("producer {} stream failed: {}", producerName, t.toString());
        synchronized (lock) {
            done = true;
        }
        cleanup();
    }

    @Override
    public void onCompleted() {
        CompletableFuture<Void> tail;
        synchronized (lock) {
            tail = lastReply;
        }
        tail.whenComplete((v, e) -> {
            boolean complete;
            synchronized (lock) {
                // done first: an open still completing then registers nothing that cleanup() would miss
                complete = !done;
                done = true;
            }
            // the name is free before the producer hears its stream ended: it may create another at once
            cleanup();
            if (complete) {
                synchronized (lock) {
                    out.onCompleted();
                }
            }
        });
    }

    private void cleanup() {
        buffer.forget(resumeReading);
        Runnable d;
        synchronized (lock) {
            throttled(null); // a stream that ended waits no more
            if (topic != null) {
                rateHold.end(topic.limits().rates(), producerName);
                topic.limits().rates().forgetProducer(producerName);
            }
            d = deregister;
            deregister = () -> {};
        }
        d.run();
    }
}
