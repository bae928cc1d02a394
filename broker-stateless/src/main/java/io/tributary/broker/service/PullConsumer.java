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
import java.util.List;
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
 * All methods run on the topic's executor.
 */
final class PullConsumer extends Consumer {
    private static final Logger LOG = LoggerFactory.getLogger(PullConsumer.class);
    private final Subscription subscription;
    private final Executor executor;
    private final ScheduledExecutorService scheduler;
    private final long idleTimeoutMs;
    private final int partition;
    private final ArrayDeque<ReceivedMessage> buffered = new ArrayDeque<>();
    private CompletableFuture<List<ReceivedMessage>> waiting;
    private int waitingMax;
    private ScheduledFuture<?> idleTimer;
    private boolean closed;
    private Runnable onClose = () -> {};

    PullConsumer(String name, Subscription subscription, Executor executor, ScheduledExecutorService scheduler,
                 long idleTimeoutMs, int partition) {
        super(name, 0);
        this.subscription = subscription;
        this.executor = executor;
        this.scheduler = scheduler;
        this.idleTimeoutMs = idleTimeoutMs;
        this.partition = partition;
    }

    void onClose(Runnable r) {
        this.onClose = r;
    }

    boolean isClosed() {
        return closed;
    }

    /** Up to {@code max} messages, waiting at most {@code waitMs} for the first. */
    CompletableFuture<List<ReceivedMessage>> receive(int max, long waitMs) {
        touch();
        if (waiting != null) {
            // a newer call replaces an older one still waiting: answer the older one empty
            waiting.complete(List.of());
        }
        if (!buffered.isEmpty()) {
            return CompletableFuture.completedFuture(drain(max));
        }
        CompletableFuture<List<ReceivedMessage>> f = new CompletableFuture<>();
        waiting = f;
        waitingMax = max;
        int want = max - Math.max(0, permits());
        if (want > 0) {
            subscription.flow(this, want);
        }
        if (!f.isDone()) {
            scheduler.schedule(() -> executor.execute(() -> {
                if (waiting == f) {
                    waiting = null;
                    f.complete(drain(max));
                }
            }), Math.max(0, waitMs), TimeUnit.MILLISECONDS);
        }
        return f;
    }

    private List<ReceivedMessage> drain(int max) {
        List<ReceivedMessage> out = new ArrayList<>(Math.min(max, buffered.size()));
        while (out.size() < max && !buffered.isEmpty()) {
            out.add(buffered.poll());
        }
        return out;
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
        subscription.removeConsumer(this);
        onClose.run();
    }

    @Override
    protected void deliver(Position position, byte[] entry, int messageCount, int redeliveryCount, BitSet ackedIndexes) {
        EntryCodec.Decoded d;
        try {
            d = EntryCodec.decode(entry);
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
            CompletableFuture<List<ReceivedMessage>> f = waiting;
            waiting = null;
            f.complete(drain(waitingMax));
        }
    }

    @Override
    protected void disconnect(ErrorDetail reason) {
        closed = true;
        buffered.clear();
        if (waiting != null) {
            waiting.complete(List.of());
            waiting = null;
        }
        onClose.run();
    }
}
