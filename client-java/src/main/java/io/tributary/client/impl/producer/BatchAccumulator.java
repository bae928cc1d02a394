package io.tributary.client.impl.producer;

import io.tributary.client.BatchingType;
import io.tributary.client.TributaryClientException;
import io.tributary.client.TributaryClientException.MessageTooLargeException;
import io.tributary.client.impl.BatchCodec;
import io.tributary.client.impl.ClientContext;
import io.tributary.client.impl.stream.Completions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The batches being filled: it numbers messages, groups them into batches (one, or one per key
 * with KEY_BASED batching), and closes a batch when it is full, when the batching delay has
 * passed, or when the producer flushes. A closed batch goes to the {@link Sink} (the
 * {@link PublishStream}), which encodes it outside the lock.
 *
 * <p>Guarded by the producer's lock, which the batch timer takes too; only
 * {@link #checkSize} and the size limits are read without it.
 */
final class BatchAccumulator {
    static final long DEFAULT_MAX_MESSAGE_SIZE = 5L * 1024 * 1024;

    /** Where closed batches go, in sequence order. */
    interface Sink {
        /** {@code messages} (numbered, consecutive) make a batch; called with the lock held. */
        void enqueue(List<PendingMessage> messages, Completions done);
    }

    /** A batch being filled. */
    private static final class OpenBatch {
        final String key;
        final List<PendingMessage> messages = new ArrayList<>();
        int bytes;

        OpenBatch(String key) {
            this.key = key;
        }

        long firstSequenceId() {
            return messages.get(0).sequenceId();
        }
    }

    private final ProducerBuilderImpl.Config conf;
    private final ClientContext client;
    private final ReentrantLock lock;
    private final boolean keyBased;
    private final Sink sink;

    // written under the lock when the producer (re)opens, read by senders without it
    private volatile long maxMessageSize = DEFAULT_MAX_MESSAGE_SIZE;
    private volatile int entryOverhead;

    // guarded by lock
    private long lastSequenceIdPushed = -1;
    /** The batches being filled, by key (null: the one batch of DEFAULT batching, or messages without key). */
    private final Map<String, OpenBatch> openBatches = new LinkedHashMap<>();
    private int openMessages;
    /** Counts the times the open batches were emptied, so that a stale batch timer does nothing. */
    private long batchEpoch;
    private ScheduledFuture<?> batchTimer;

    BatchAccumulator(ProducerBuilderImpl.Config conf, ClientContext client, ReentrantLock lock, int entryOverhead,
                     Sink sink) {
        this.conf = conf;
        this.client = client;
        this.lock = lock;
        this.keyBased = conf.batchingType() == BatchingType.KEY_BASED;
        this.entryOverhead = entryOverhead;
        this.sink = sink;
    }

    /** What the broker takes: its largest message, and the framing of an entry around its messages. */
    void limits(long maxMessageSize, int entryOverhead) {
        this.maxMessageSize = maxMessageSize;
        this.entryOverhead = entryOverhead;
    }

    /** The highest sequence id the broker stored for this producer's name, when it first opened. */
    void lastSequenceIdPushed(long sequenceId) {
        lastSequenceIdPushed = sequenceId;
    }

    /**
     * Null if a message taking {@code sizeInList} bytes with {@code key} fits an entry with its
     * framing, else why not. Measured before a permit is taken, so an oversized message never waits.
     */
    TributaryClientException checkSize(int sizeInList, String key) {
        long size = (long) entryOverhead + BatchCodec.keyFieldSize(key) + sizeInList + BatchCodec.maxSequenceIdSize();
        long max = maxMessageSize;
        if (size > max) {
            return new MessageTooLargeException(
                    "the message takes " + size + " bytes with its framing; the broker takes at most " + max);
        }
        return null;
    }

    /**
     * Adds an accepted message.
     *
     * @param explicitSequenceId the sequence id the application gave, null for the next one
     * @param delayed whether it has a delivery time, which the entry header carries: it travels alone
     */
    void add(PendingMessage op, String key, Long explicitSequenceId, boolean delayed, Completions done) {
        assert lock.isHeldByCurrentThread();
        if (keyBased) {
            addKeyBased(op, key, explicitSequenceId, delayed, done);
            return;
        }
        long seq = explicitSequenceId != null ? explicitSequenceId : lastSequenceIdPushed + 1;
        lastSequenceIdPushed = Math.max(lastSequenceIdPushed, seq);
        PendingMessage numbered = op.numbered(seq, BatchCodec.sizeInList(op.message(), seq));
        OpenBatch open = openBatches.get(null);
        // a batch's messages must carry consecutive sequence ids: its header names only the first
        if (open != null && (delayed || seq != open.firstSequenceId() + open.messages.size()
                || open.bytes + numbered.size() > batchLimitBytes(open))) {
            closeBatch(open, done);
        }
        if (delayed) {
            sink.enqueue(List.of(numbered), done);
        } else {
            addToBatch(null, numbered, done);
        }
    }

    /**
     * KEY_BASED batching: sequence ids are given when a batch closes, so that every batch holds
     * consecutive ones although the messages of several keys were sent interleaved.
     */
    private void addKeyBased(PendingMessage op, String key, Long explicitSequenceId, boolean delayed,
                             Completions done) {
        if (explicitSequenceId != null) {
            // the messages sent before keep their place before it
            flushAll(done);
            long seq = explicitSequenceId;
            lastSequenceIdPushed = Math.max(lastSequenceIdPushed, seq);
            sink.enqueue(List.of(op.numbered(seq, BatchCodec.sizeInList(op.message(), seq))), done);
            return;
        }
        OpenBatch open = openBatches.get(key);
        if (open != null && (delayed || open.bytes + op.size() > batchLimitBytes(open))) {
            closeBatch(open, done);
        }
        if (delayed) {
            sink.enqueue(List.of(numberNext(op)), done);
        } else {
            addToBatch(key, op, done);
        }
    }

    /** Adds a message to the open batch of its key (null: the only one, or the one without key). */
    private void addToBatch(String key, PendingMessage op, Completions done) {
        OpenBatch open = openBatches.computeIfAbsent(key, OpenBatch::new);
        open.messages.add(op);
        open.bytes += op.size();
        openMessages++;
        if (!conf.batching() || open.messages.size() >= conf.batchingMaxMessages()
                || open.bytes >= batchLimitBytes(open)) {
            closeBatch(open, done);
        } else if (openMessages == 1) {
            scheduleBatchTimer(done);
        }
    }

    /** Gives a KEY_BASED message the next sequence id (its size is kept: the limits allow for it). */
    private PendingMessage numberNext(PendingMessage op) {
        return op.numbered(++lastSequenceIdPushed, op.size());
    }

    /** The room for messages in a batch whose header may carry the key of its first message. */
    private int batchLimitBytes(OpenBatch open) {
        String firstKey = open.messages.get(0).message().key();
        long room = maxMessageSize - entryOverhead - BatchCodec.keyFieldSize(firstKey);
        return (int) Math.max(1, Math.min(conf.batchingMaxBytes(), room));
    }

    private void scheduleBatchTimer(Completions done) {
        long epoch = batchEpoch;
        batchTimer = client.schedule(() -> Completions.underLock(lock, later -> {
            if (batchEpoch == epoch) {
                flushAll(later);
            }
        }), conf.batchingMaxPublishDelay().toNanos(), TimeUnit.NANOSECONDS);
        if (batchTimer == null) {
            // the timers are gone with the client; nothing would ever send this batch otherwise
            flushAll(done);
        }
    }

    /** Closes every open batch, oldest first. */
    void flushAll(Completions done) {
        assert lock.isHeldByCurrentThread();
        while (!openBatches.isEmpty()) {
            closeBatch(openBatches.values().iterator().next(), done);
        }
    }

    /** Closes one open batch: it goes to the sink. */
    private void closeBatch(OpenBatch open, Completions done) {
        openBatches.remove(open.key);
        openMessages -= open.messages.size();
        if (openMessages == 0) {
            stopTimer();
        }
        List<PendingMessage> msgs = open.messages;
        if (keyBased) {
            msgs = new ArrayList<>(open.messages.size());
            for (PendingMessage op : open.messages) {
                msgs.add(numberNext(op));
            }
        }
        sink.enqueue(msgs, done);
    }

    /** Cancels the batch timer; a timer already firing finds the epoch changed and does nothing. */
    void stopTimer() {
        batchEpoch++;
        if (batchTimer != null) {
            batchTimer.cancel(false);
            batchTimer = null;
        }
    }
}
