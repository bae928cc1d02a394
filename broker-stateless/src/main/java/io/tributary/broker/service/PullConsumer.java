package io.tributary.broker.service;

import io.tributary.api.v1.ErrorDetail;
import io.tributary.api.v1.MessageId;
import io.tributary.api.v1.ReceivedMessage;
import io.tributary.api.v1.SingleMessage;
import io.tributary.broker.dispatch.Consumer;
import io.tributary.broker.dispatch.Subscription;
import io.tributary.protocol.EntryCodec;
import io.tributary.storage.log.Position;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The consumer behind unary Receive calls on one subscription. Each Receive grants permits for
 * the messages it asks for and waits (up to its deadline) for the first ones; delivered messages
 * stay unacknowledged until Acknowledge. If no call comes for the idle timeout, the consumer
 * leaves the subscription and its unacknowledged messages go to other consumers.
 *
 * <p>A unary response can be lost on its way (the caller's deadline passed, it cancelled, its
 * connection dropped) while other callers keep the consumer alive, so what a call takes is held
 * by a {@link Lease}: the messages are invisible to other calls until acknowledged, and are
 * delivered again to the next caller when the call is cancelled or when the lease's invisible
 * duration passes without an acknowledgement (RocketMQ's invisible time). An acknowledgement that
 * comes after such a redelivery is still applied.
 * All methods run on the topic's executor unless they say otherwise.
 */
final class PullConsumer extends Consumer {
    private static final Logger LOG = LoggerFactory.getLogger(PullConsumer.class);
    private final Subscription subscription;
    private final Executor executor;
    private final ScheduledExecutorService scheduler;
    private final long idleTimeoutMs;
    private final int partition;
    private final int maxEntrySize;
    private final ArrayDeque<ReceivedMessage> buffered = new ArrayDeque<>();
    /** The call holding each entry handed out and not yet given back: the last call that took any of its messages. */
    private final Map<Position, Lease> leased = new HashMap<>();
    private Lease waiting;
    private ScheduledFuture<?> idleTimer;
    private boolean closed;
    private Runnable onClose = () -> {};

    PullConsumer(String name, Subscription subscription, Executor executor, ScheduledExecutorService scheduler,
                 long idleTimeoutMs, int partition, int maxEntrySize) {
        super(name, 0);
        this.maxEntrySize = maxEntrySize;
        this.subscription = subscription;
        this.executor = executor;
        this.scheduler = scheduler;
        this.idleTimeoutMs = idleTimeoutMs;
        this.partition = partition;
    }

    /**
     * One Receive call: how much it may take, and the entries it took until they are acknowledged,
     * given back on cancel, or expire. Created on the call's thread; {@link #cancel()} may come from
     * any thread, everything else runs on the topic's executor.
     */
    static final class Lease {
        final int maxMessages;
        final long maxBytes;
        final long invisibleMs;
        final CompletableFuture<List<ReceivedMessage>> result = new CompletableFuture<>();
        private final List<Position> positions = new ArrayList<>();
        private ScheduledFuture<?> expiry;
        private PullConsumer consumer;
        private boolean cancelled;

        Lease(int maxMessages, long maxBytes, long invisibleMs) {
            this.maxMessages = maxMessages;
            this.maxBytes = maxBytes;
            this.invisibleMs = invisibleMs;
        }

        /** The call was cancelled (deadline, client cancel, lost connection): what it took goes back. Any thread. */
        void cancel() {
            PullConsumer c;
            synchronized (this) {
                cancelled = true;
                c = consumer;
            }
            if (c != null) {
                c.executor.execute(() -> c.giveBack(this, "its call was cancelled"));
            }
        }

        /** False if the call was already cancelled. */
        private synchronized boolean bind(PullConsumer c) {
            consumer = c;
            return !cancelled;
        }
    }

    void onClose(Runnable r) {
        this.onClose = r;
    }

    boolean isClosed() {
        return closed;
    }

    /** Up to the lease's messages and bytes, waiting at most {@code waitMs} for the first. */
    CompletableFuture<List<ReceivedMessage>> receive(Lease call, long waitMs) {
        touch();
        if (!call.bind(this)) {
            call.result.complete(List.of());
            return call.result;
        }
        if (waiting != null) {
            // a newer call replaces an older one still waiting: answer the older one empty
            Lease older = waiting;
            waiting = null;
            older.result.complete(List.of());
        }
        if (!buffered.isEmpty()) {
            handOut(call);
            return call.result;
        }
        waiting = call;
        int want = call.maxMessages - Math.max(0, permits());
        if (want > 0) {
            subscription.flow(this, want);
        }
        if (!call.result.isDone()) {
            scheduler.schedule(() -> executor.execute(() -> {
                if (waiting == call) {
                    waiting = null;
                    handOut(call);
                }
            }), Math.max(0, waitMs), TimeUnit.MILLISECONDS);
        }
        return call.result;
    }

    /** Completes the call with what is buffered (within its limits) and makes those entries invisible. */
    private void handOut(Lease call) {
        List<ReceivedMessage> out = new ArrayList<>(Math.min(call.maxMessages, buffered.size()));
        long bytes = 0;
        while (out.size() < call.maxMessages && !buffered.isEmpty()) {
            int size = buffered.peek().getSerializedSize();
            // always at least one message: a stored entry is within the maximum message size
            if (!out.isEmpty() && bytes + size > call.maxBytes) {
                break;
            }
            bytes += size;
            ReceivedMessage m = buffered.poll();
            out.add(m);
            Position p = position(m);
            if (leased.put(p, call) != call) {
                call.positions.add(p);
            }
        }
        if (!call.positions.isEmpty()) {
            call.expiry = scheduler.schedule(() -> executor.execute(() -> giveBack(call, "its invisible duration of "
                    + call.invisibleMs + " ms passed without an acknowledgement")), call.invisibleMs, TimeUnit.MILLISECONDS);
        }
        call.result.complete(out);
    }

    /**
     * The entries {@code call} holds are delivered again (but those acknowledged meanwhile, and those a
     * later call took messages of: that call's lease covers them).
     */
    private void giveBack(Lease call, String why) {
        if (waiting == call) {
            waiting = null;
            call.result.complete(List.of());
        }
        if (call.expiry != null) {
            call.expiry.cancel(false);
        }
        if (closed || call.positions.isEmpty()) {
            return;
        }
        List<MessageId> back = new ArrayList<>();
        for (Position p : call.positions) {
            if (leased.remove(p, call)) {
                // its messages not handed out yet come back with the redelivery
                buffered.removeIf(m -> position(m).equals(p));
                back.add(MessageId.newBuilder().setLedgerId(p.ledgerId()).setEntryId(p.entryId()).build());
            }
        }
        call.positions.clear();
        if (!back.isEmpty()) {
            LOG.debug("consumer {} of subscription {}: {} entries delivered again, {}", name(), subscription.name(),
                    back.size(), why);
            subscription.negativeAcknowledge(this, back, 0);
        }
    }

    private static Position position(ReceivedMessage m) {
        return new Position(m.getMessageId().getLedgerId(), m.getMessageId().getEntryId());
    }

    void touch() {
        if (idleTimer != null) {
            idleTimer.cancel(false);
        }
        idleTimer = scheduler.schedule(() -> executor.execute(this::expire), idleTimeoutMs, TimeUnit.MILLISECONDS);
    }

    private void expire() {
        if (closed) {
            return;
        }
        closed = true;
        buffered.clear();
        leased.clear();
        subscription.removeConsumer(this);
        onClose.run();
    }

    @Override
    protected void deliver(Position position, byte[] entry, int messageCount, int redeliveryCount, BitSet ackedIndexes) {
        EntryCodec.Decoded d;
        try {
            // no allocation beyond the broker's own maximum, whatever the header claims
            d = EntryCodec.decode(com.google.protobuf.ByteString.copyFrom(entry), maxEntrySize);
        } catch (RuntimeException e) {
            // it stays unacknowledged; the streaming API hands such entries to the client as they are
            LOG.warn("consumer {} of subscription {}: entry {} cannot be decoded for a unary Receive, skipped: {}",
                    name(), subscription.name(), position, e.getMessage());
            return;
        }
        List<SingleMessage> ms = d.messages();
        for (int i = 0; i < ms.size(); i++) {
            if (ackedIndexes.get(i)) {
                continue;
            }
            SingleMessage m = ms.get(i);
            buffered.add(ReceivedMessage.newBuilder()
                    .setMessageId(MessageId.newBuilder().setLedgerId(position.ledgerId()).setEntryId(position.entryId())
                            .setBatchIndex(i).setBatchSize(ms.size()).setPartition(partition))
                    .setValue(m.getValue())
                    .setKey(m.getKey())
                    .putAllProperties(m.getPropertiesMap())
                    .setPublishTimeMs(d.header().getPublishTimeMs())
                    .setEventTimeMs(m.getEventTimeMs())
                    .setProducerName(d.header().getProducerName())
                    .setSequenceId(d.header().getFirstSequenceId() + i)
                    .setRedeliveryCount(redeliveryCount)
                    .build());
        }
        if (waiting != null && !buffered.isEmpty()) {
            Lease call = waiting;
            waiting = null;
            handOut(call);
        }
    }

    @Override
    protected void disconnect(ErrorDetail reason) {
        closed = true;
        buffered.clear();
        leased.clear();
        if (waiting != null) {
            waiting.result.complete(List.of());
            waiting = null;
        }
        onClose.run();
    }
}
