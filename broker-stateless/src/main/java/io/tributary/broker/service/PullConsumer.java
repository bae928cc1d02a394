package io.tributary.broker.service;

import io.tributary.api.v1.ChangeInvisibleDurationRequest;
import io.tributary.api.v1.ErrorDetail;
import io.tributary.api.v1.ErrorReason;
import io.tributary.api.v1.MessageId;
import io.tributary.api.v1.NegativeAcknowledgeRequest;
import io.tributary.api.v1.ReceivedMessage;
import io.tributary.broker.ServiceLimits;
import io.tributary.broker.dispatch.Consumer;
import io.tributary.broker.dispatch.FailureReason;
import io.tributary.broker.dispatch.Subscription;
import io.tributary.protocol.TributaryException;
import io.tributary.storage.log.Position;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The consumer behind unary Receive calls on one subscription, shared by any number of concurrent
 * calls. Calls that find nothing buffered wait in a queue and are served in the order they came,
 * each within its own maximum of messages and bytes, until its deadline; the consumer asks the
 * subscription for as many messages as the waiting calls want together (at most
 * {@link #MAX_WANTED}, whatever the calls ask). If no call comes for the idle timeout (and no
 * message is held), the consumer leaves the subscription and its unacknowledged messages go to
 * other consumers.
 *
 * <p>A unary response can be lost on its way (the caller's deadline passed, it cancelled, its
 * connection dropped) while other callers keep the consumer alive, so what a call takes is
 * <em>held</em>: invisible to other calls until acknowledged, and delivered again when the call is
 * cancelled, when it is negatively acknowledged, or when its invisible duration passes without an
 * acknowledgement (RocketMQ's invisible time), with its redelivery count raised. Holds are per
 * stored entry, as the subscription delivers whole entries: the messages of one entry that went to
 * one or several calls share one hold (one receipt, the latest expiry of those calls), and
 * changing the invisible duration of, or negatively acknowledging, one message of a batch does so
 * for the messages of its entry not acknowledged yet. Each delivery of an entry gets a new receipt,
 * so a receipt names that delivery only. An acknowledgement that comes after a redelivery is still
 * applied. All methods run on the topic's executor unless they say otherwise.
 */
final class PullConsumer extends Consumer {
    private static final Logger LOG = LoggerFactory.getLogger(PullConsumer.class);
    /** The most messages the consumer asks the subscription for, however many calls wait and however much they want. */
    static final int MAX_WANTED = 10_000;

    private final Subscription subscription;
    private final Executor executor;
    private final ScheduledExecutorService scheduler;
    private final long idleTimeoutMs;
    private final int partition;
    private final int maxEntrySize;
    /** Makes this consumer's receipts differ from those of an earlier consumer of the subscription (or broker). */
    private final String receiptPrefix = Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE);
    private long deliveries;
    /** Messages received from the subscription and not handed out yet, in order. */
    private final ArrayDeque<ReceivedMessage> buffered = new ArrayDeque<>();
    /** Calls waiting for messages, in the order they came; never non-empty while messages are buffered. */
    private final ArrayDeque<Lease> waiting = new ArrayDeque<>();
    /** The sum of the waiting calls' maximum messages. */
    private long wanted;
    /** The entries handed out (some of their messages) and neither given back nor expired. */
    private final Map<Position, Hold> holds = new HashMap<>();
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
     * One Receive call: how much it may take, and the entries it took. Created on the call's thread;
     * {@link #cancel()} may come from any thread, everything else runs on the topic's executor.
     */
    static final class Lease {
        final int maxMessages;
        final long maxBytes;
        final long invisibleMs;
        final CompletableFuture<List<ReceivedMessage>> result = new CompletableFuture<>();
        /** The entries of which this call took messages (those it still holds have a {@link Hold} naming it). */
        private final List<Position> positions = new ArrayList<>();
        private ScheduledFuture<?> deadline;
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
                c.executor.execute(() -> c.cancelled(this));
            }
        }

        /** False if the call was already cancelled. */
        private synchronized boolean bind(PullConsumer c) {
            consumer = c;
            return !cancelled;
        }
    }

    /** One delivery of an entry, handed out (some of its messages) to Receive calls and not given back. */
    private static final class Hold {
        final Position position;
        final String receipt;
        /** The last call that took messages of the entry: if it is cancelled, the entry goes back. */
        Lease call;
        ScheduledFuture<?> expiry;
        long visibleAtMs;

        Hold(Position position, String receipt) {
            this.position = position;
            this.receipt = receipt;
        }

        void cancelExpiry() {
            if (expiry != null) {
                expiry.cancel(false);
            }
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
        if (!call.bind(this) || closed) {
            call.result.complete(List.of());
            return call.result;
        }
        waiting.add(call);
        wanted += call.maxMessages;
        serve();
        if (!call.result.isDone()) {
            askForMessages();
        }
        if (!call.result.isDone()) {
            call.deadline = scheduler.schedule(() -> executor.execute(() -> {
                if (leaveQueue(call)) {
                    call.result.complete(List.of());
                }
            }), Math.max(0, waitMs), TimeUnit.MILLISECONDS);
        }
        return call.result;
    }

    /** Grants the subscription what the waiting calls want beyond the permits held and the messages buffered. */
    private void askForMessages() {
        long more = Math.min(wanted, MAX_WANTED) - Math.max(0, permits()) - buffered.size();
        if (more > 0) {
            subscription.flow(this, (int) more);
        }
    }

    /** Removes a waiting call from the queue; false if it was not waiting any more. */
    private boolean leaveQueue(Lease call) {
        if (!waiting.remove(call)) {
            return false;
        }
        wanted -= call.maxMessages;
        if (call.deadline != null) {
            call.deadline.cancel(false);
        }
        return true;
    }

    /** Hands buffered messages to the waiting calls, in the order they came. */
    private void serve() {
        while (!buffered.isEmpty() && !waiting.isEmpty()) {
            Lease call = waiting.peek();
            leaveQueue(call);
            handOut(call);
        }
    }

    /** Completes the call with what is buffered (within its limits) and holds those entries for it. */
    private void handOut(Lease call) {
        List<ReceivedMessage> out = new ArrayList<>(Math.min(call.maxMessages, buffered.size()));
        long bytes = 0;
        long now = System.currentTimeMillis();
        while (out.size() < call.maxMessages && !buffered.isEmpty()) {
            int size = buffered.peek().getSerializedSize();
            // always at least one message: a stored entry is within the maximum message size
            if (!out.isEmpty() && bytes + size > call.maxBytes) {
                break;
            }
            bytes += size;
            ReceivedMessage m = buffered.poll();
            out.add(m);
            Position p = position(m.getMessageId());
            Hold h = holds.get(p);
            if (h == null || !h.receipt.equals(m.getReceipt())) {
                if (h != null) {
                    h.cancelExpiry();
                }
                h = new Hold(p, m.getReceipt());
                holds.put(p, h);
            }
            if (h.call != call) {
                h.call = call;
                call.positions.add(p);
            }
            if (now + call.invisibleMs > h.visibleAtMs) {
                hold(h, call.invisibleMs, "its invisible duration of " + call.invisibleMs
                        + " ms passed without an acknowledgement");
            }
        }
        call.result.complete(out);
    }

    /** The entry stays invisible for {@code ms} from now; then it is delivered again. */
    private void hold(Hold h, long ms, String why) {
        h.cancelExpiry();
        h.visibleAtMs = System.currentTimeMillis() + ms;
        h.expiry = scheduler.schedule(() -> executor.execute(() -> {
            if (holds.get(h.position) == h) {
                giveBack(List.of(h), 0, why, null);
            }
        }), ms, TimeUnit.MILLISECONDS);
    }

    /** A call was cancelled: it stops waiting, and the entries it was the last to take are delivered again. */
    private void cancelled(Lease call) {
        if (leaveQueue(call)) {
            call.result.complete(List.of());
        }
        List<Hold> back = new ArrayList<>();
        for (Position p : call.positions) {
            Hold h = holds.get(p);
            if (h != null && h.call == call) {
                back.add(h);
            }
        }
        call.positions.clear();
        giveBack(back, 0, "its call was cancelled", null);
    }

    /**
     * The held entries are delivered again (but for their acknowledged messages), no sooner than
     * {@code delayMs} from now, with their redelivery count raised; their messages not handed out
     * yet go with them.
     */
    private void giveBack(List<Hold> hs, long delayMs, String why, String reason) {
        if (closed || hs.isEmpty()) {
            return;
        }
        List<MessageId> back = new ArrayList<>(hs.size());
        for (Hold h : hs) {
            if (holds.remove(h.position, h)) {
                h.cancelExpiry();
                buffered.removeIf(m -> position(m.getMessageId()).equals(h.position));
                back.add(MessageId.newBuilder().setLedgerId(h.position.ledgerId()).setEntryId(h.position.entryId()).build());
            }
        }
        if (!back.isEmpty()) {
            LOG.debug("consumer {} of subscription {}: {} entries delivered again, {}", name(), subscription.name(),
                    back.size(), why);
            subscription.negativeAcknowledge(this, back, delayMs, reason);
        }
    }

    /**
     * ChangeInvisibleDuration: the message's entry stays invisible for {@code ms} from now if it is
     * held under the request's receipt; returns when it becomes visible, or -1 if it is not held so.
     */
    long changeInvisibleDuration(MessageId id, String receipt, long ms) {
        touch();
        Hold h = holds.get(position(id));
        if (closed || h == null || !h.receipt.equals(receipt)) {
            return -1;
        }
        hold(h, ms, "its invisible duration of " + ms + " ms (changed) passed without an acknowledgement");
        return h.visibleAtMs;
    }

    /** NegativeAcknowledge: the held entries of these messages are delivered again, no sooner than {@code delayMs} from now. */
    void negativeAcknowledge(List<MessageId> ids, long delayMs, String reason) {
        touch();
        Map<Position, Hold> back = new LinkedHashMap<>();
        for (MessageId id : ids) {
            Position p = position(id);
            Hold h = holds.get(p);
            if (h != null) {
                back.put(p, h);
            }
        }
        giveBack(new ArrayList<>(back.values()), delayMs, "negatively acknowledged", reason);
    }

    /** Refuses a ChangeInvisibleDuration that no subscription state can make valid (INVALID_REQUEST). */
    static void check(ChangeInvisibleDurationRequest req) {
        if (!req.hasMessageId()) {
            throw new TributaryException(ErrorReason.INVALID_REQUEST, "message_id is required");
        }
        if (req.getInvisibleDurationMs() < 0) {
            throw new TributaryException(ErrorReason.INVALID_REQUEST, "invisible_duration_ms must not be negative, was "
                    + req.getInvisibleDurationMs() + " for message " + text(req.getMessageId()));
        }
        if (req.getReceipt().isEmpty()) {
            throw new TributaryException(ErrorReason.INVALID_REQUEST, "receipt is required (as Receive returned it with"
                    + " message " + text(req.getMessageId()) + ")");
        }
    }

    /** Refuses a NegativeAcknowledge with a negative delay (INVALID_REQUEST). */
    static void check(NegativeAcknowledgeRequest req) {
        String tooLong = FailureReason.problem(req.getReason());
        if (tooLong != null) {
            throw new TributaryException(ErrorReason.INVALID_REQUEST, tooLong);
        }
        if (req.getDelayMs() < 0) {
            throw new TributaryException(ErrorReason.INVALID_REQUEST, "delay_ms must not be negative, was "
                    + req.getDelayMs() + (req.getMessageIdsCount() == 0 ? "" : " for message " + text(req.getMessageIds(0))
                    + (req.getMessageIdsCount() > 1 ? " and " + (req.getMessageIdsCount() - 1) + " more" : "")));
        }
    }

    /**
     * The answer to a ChangeInvisibleDuration on {@code sub}, whose Receive consumer is {@code pc}
     * (null if it has none): the time the message becomes visible again, or the reason it cannot
     * be changed. Runs on the topic's executor.
     */
    static long changeInvisibleDuration(Subscription sub, PullConsumer pc, ChangeInvisibleDurationRequest req,
                                        ServiceLimits limits) {
        MessageId id = req.getMessageId();
        ErrorDetail bad = sub.checkMessageId(id);
        if (bad != null) {
            throw new TributaryException(bad, null);
        }
        if (sub.isAcknowledged(id)) {
            throw new TributaryException(ErrorReason.MESSAGE_ALREADY_ACKNOWLEDGED,
                    "message " + text(id) + " was already acknowledged on subscription " + sub.name());
        }
        long visibleAt = pc == null ? -1 : pc.changeInvisibleDuration(id, req.getReceipt(),
                limits.invisibleMs(Math.max(1, req.getInvisibleDurationMs())));
        if (visibleAt < 0) {
            throw new TributaryException(ErrorReason.MESSAGE_NOT_HELD, "message " + text(id) + " is not held under this"
                    + " receipt on subscription " + sub.name() + ": never delivered by Receive, given back (negatively"
                    + " acknowledged, its call cancelled, its invisible duration passed) or delivered again since");
        }
        return visibleAt;
    }

    /**
     * A unary NegativeAcknowledge on {@code sub}, whose Receive consumer is {@code pc} (null if it
     * has none): every id must name a message of the topic (else INVALID_MESSAGE_ID and nothing is
     * given back); the entries held among them are delivered again, the others (acknowledged, given
     * back already, never delivered) are left as they are. Runs on the topic's executor.
     */
    static void negativeAcknowledge(Subscription sub, PullConsumer pc, NegativeAcknowledgeRequest req) {
        for (MessageId id : req.getMessageIdsList()) {
            ErrorDetail bad = sub.checkMessageId(id);
            if (bad != null) {
                throw new TributaryException(bad, null);
            }
        }
        if (pc != null) {
            pc.negativeAcknowledge(req.getMessageIdsList(), req.getDelayMs(), req.getReason());
        }
    }

    private static String text(MessageId id) {
        return id.getLedgerId() + ":" + id.getEntryId() + ":" + id.getBatchIndex();
    }

    private static Position position(MessageId id) {
        return new Position(id.getLedgerId(), id.getEntryId());
    }

    void touch() {
        if (idleTimer != null) {
            idleTimer.cancel(false);
        }
        idleTimer = scheduler.schedule(() -> executor.execute(this::idle), idleTimeoutMs, TimeUnit.MILLISECONDS);
    }

    /** No call came for the idle timeout: the consumer leaves, unless it holds messages still invisible. */
    private void idle() {
        if (closed) {
            return;
        }
        // holds of entries acknowledged since are over
        holds.values().removeIf(h -> {
            boolean acknowledged = subscription.cursor().isAcknowledged(h.position);
            if (acknowledged) {
                h.cancelExpiry();
            }
            return acknowledged;
        });
        if (!holds.isEmpty() || !waiting.isEmpty()) {
            // an invisible duration outlasts the idle timeout: it is kept (it ends with the hold's expiry)
            touch();
            return;
        }
        close();
        subscription.removeConsumer(this);
    }

    private void close() {
        closed = true;
        buffered.clear();
        holds.values().forEach(Hold::cancelExpiry);
        holds.clear();
        for (Lease call : waiting) {
            if (call.deadline != null) {
                call.deadline.cancel(false);
            }
            call.result.complete(List.of());
        }
        waiting.clear();
        wanted = 0;
        if (idleTimer != null) {
            idleTimer.cancel(false);
        }
        onClose.run();
    }

    @Override
    protected void deliver(Position position, byte[] entry, int messageCount, int redeliveryCount, BitSet ackedIndexes,
                           String lastFailureReason, long firstDeliveryMs) {
        List<ReceivedMessage> ms;
        try {
            ms = EntryMessages.decode(position, entry, partition,
                    new EntryMessages.Delivery(redeliveryCount, lastFailureReason, firstDeliveryMs), ackedIndexes, maxEntrySize,
                    receiptPrefix + "." + position.ledgerId() + "." + position.entryId() + "." + (++deliveries));
        } catch (RuntimeException e) {
            // it stays unacknowledged; the streaming API hands such entries to the client as they are
            LOG.warn("consumer {} of subscription {}: entry {} cannot be decoded for a unary Receive, skipped: {}",
                    name(), subscription.name(), position, e.getMessage());
            return;
        }
        buffered.addAll(ms);
        serve();
    }

    @Override
    protected void disconnect(ErrorDetail reason) {
        if (!closed) {
            close();
        }
    }
}
