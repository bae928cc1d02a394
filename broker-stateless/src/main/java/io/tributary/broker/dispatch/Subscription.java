package io.tributary.broker.dispatch;

import io.tributary.api.v1.ConsumerStats;
import io.tributary.api.v1.ErrorDetail;
import io.tributary.api.v1.ErrorReason;
import io.tributary.api.v1.MessageId;
import io.tributary.api.v1.SubscriptionStats;
import io.tributary.api.v1.SubscriptionType;
import io.tributary.broker.metrics.Rate;
import io.tributary.protocol.ErrorReasons;
import io.tributary.protocol.TributaryException;
import io.tributary.storage.cursor.ManagedCursor;
import io.tributary.storage.log.Position;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One subscription of a topic: its cursor, its consumers, and the acknowledgements, seeks and
 * skips applied to them. Every method runs on the topic's executor, so none of the state here
 * needs a lock.
 *
 * <p>Delivery is made of parts: {@link EntryReadAhead} reads entries into a small buffer, in
 * position order, and the subscription type's {@link Dispatcher} hands them to consumers by their
 * permits. Negatively acknowledged entries, and those of a consumer that leaves, are read again
 * ({@link RedeliveryTracker}) and delivered before newer ones (on Shared in any order). Delayed
 * negative acknowledgements and entries with a delivery time in the future (Shared and Key_Shared
 * only) wait in the {@link DelayedDeliveryTracker}.
 */
public final class Subscription {
    private static final Logger LOG = LoggerFactory.getLogger(Subscription.class);

    private final SubscriptionContext context;
    private final String topic;
    private final String name;
    private final ManagedCursor cursor;
    private final RedeliveryTracker redeliveries = new RedeliveryTracker();
    private final DelayedDeliveryTracker delayed;
    private final EntryReadAhead readAhead;
    /** The rules of the subscription's type; null until a first consumer chose the type. */
    private Dispatcher dispatcher;
    private boolean closed;
    /**
     * Why the subscription was closed ({@link #close}), then the answer to every acknowledgement: none
     * is applied after the cursor's last write, so none answered without an error is lost in a move.
     */
    private ErrorDetail closedWith;
    /** A dispatch waits for acknowledgements still being applied ({@link #acksInOrder}). */
    private boolean dispatchAfterAcks;
    /**
     * Paused while the broker's ZooKeeper session is suspended (it may own this topic no longer):
     * nothing is dispatched, and acknowledgements are held until it resumes or closes.
     */
    private final PausedAcks paused;
    private final AckValidator acks;
    /** Completes when the acknowledgements taken so far are applied: later ones wait for it, so they apply in order. */
    private CompletableFuture<Void> acksInOrder = CompletableFuture.completedFuture(null);

    private final Rate messagesOut = new Rate();
    private final Rate redelivered = new Rate();
    private long expiredMessages;
    /** Messages its consumers acknowledged after sending them to the dead-letter topic; any thread. */
    private final LongAdder deadLettered = new LongAdder();
    private final BacklogAge backlogAge;

    public Subscription(SubscriptionContext context, String name, ManagedCursor cursor) {
        this.context = context;
        this.topic = context.topic();
        this.name = name;
        this.paused = new PausedAcks(name);
        this.cursor = cursor;
        this.delayed = new DelayedDeliveryTracker(context.executor(), context.scheduler(), this::due);
        this.readAhead = new EntryReadAhead(context, name, cursor, redeliveries, this::dispatch);
        this.backlogAge = new BacklogAge(context.log(), context.executor());
        this.acks = new AckValidator(context, cursor);
    }

    public String name() {
        return name;
    }

    public ManagedCursor cursor() {
        return cursor;
    }

    public List<Consumer> consumers() {
        return dispatcher == null ? List.of() : List.copyOf(dispatcher.consumers());
    }

    public SubscriptionType type() {
        return dispatcher == null ? null : dispatcher.type();
    }

    // ------------------------------------------------------------------ consumers

    /** Attaches a consumer, or throws CONSUMER_BUSY / INVALID_REQUEST / SERVICE_NOT_READY. */
    public void addConsumer(Consumer c, SubscriptionType requested) {
        if (requested == SubscriptionType.UNRECOGNIZED) {
            throw new TributaryException(ErrorReason.INVALID_REQUEST, "unknown subscription type");
        }
        SubscriptionType t = requested == SubscriptionType.SUBSCRIPTION_TYPE_UNSPECIFIED ? SubscriptionType.EXCLUSIVE : requested;
        if (closed) {
            throw new TributaryException(ErrorReason.SERVICE_NOT_READY, "subscription " + name + " is closing");
        }
        if (dispatcher == null || dispatcher.type() != t) {
            if (dispatcher != null && !dispatcher.consumers().isEmpty()) {
                throw new TributaryException(ErrorReason.CONSUMER_BUSY, "subscription " + name + " on " + topic
                        + " is " + dispatcher.type() + " and has consumers; a " + t + " consumer cannot join");
            }
            dispatcher = Dispatcher.forType(t, new Dispatcher.Parts(name, topic, cursor, readAhead, redeliveries,
                    delayed, this::send));
        }
        dispatcher.add(c);
        dispatch();
    }

    public void removeConsumer(Consumer c) {
        if (dispatcher == null || !dispatcher.remove(c)) {
            return;
        }
        if (!cursor.isDurable() && dispatcher.consumers().isEmpty()) {
            closeDelivery();
            context.onEmpty().closed(this);
            return;
        }
        dispatch();
    }

    /**
     * Drops a reader's subscription that no consumer joined (its stream ended, or the join was
     * refused, while it was being created): nothing else would ever remove it. Runs on the executor.
     */
    public void closeIfUnusedReader() {
        if (!cursor.isDurable() && (dispatcher == null || dispatcher.consumers().isEmpty())) {
            closeDelivery();
            context.onEmpty().closed(this);
        }
    }

    /** {@code c} grants {@code permits} more messages (saturating at {@link Consumer#MAX_PERMITS}). */
    public void flow(Consumer c, int permits) {
        c.grant(permits);
        dispatch();
    }

    /** {@code c}'s stream takes messages again after it did not: what waited for it goes out. */
    public void ready(Consumer c) {
        if (c.canTake()) {
            dispatch();
        }
    }

    // ------------------------------------------------------------------ acknowledgements

    /**
     * Applies acknowledgements from {@code c} (null: from a unary Acknowledge with no consumer
     * here), in order, and after those of earlier calls. Applies every valid id; completes with
     * null, or the reason the first refused one was refused. The stream stays usable either way.
     *
     * <p>Every id is checked against the entry it names before anything is sized by it (see
     * {@link AckValidator}): an id that names no stored entry, or whose batch index and size do not
     * match the entry's message count, is refused with INVALID_MESSAGE_ID. The count comes from
     * what this subscription delivered or read ahead; otherwise the entry is read, and the
     * acknowledgements of this call and of later ones wait for it.
     */
    public CompletableFuture<ErrorDetail> acknowledge(Consumer c, List<MessageId> ids, boolean cumulative) {
        if (closedWith != null) {
            return CompletableFuture.completedFuture(closedWith);
        }
        if (paused.paused()) {
            return paused.hold(c, ids, cumulative);
        }
        if (cumulative && dispatcher != null && !dispatcher.allowsCumulativeAck()) {
            return CompletableFuture.completedFuture(ErrorReasons.detail(ErrorReason.NOT_ALLOWED,
                    "cumulative acknowledgement is not allowed on " + dispatcher.type() + " subscription " + name));
        }
        CompletableFuture<ErrorDetail> done = acksInOrder.isDone() ? acknowledgeFrom(c, ids, 0, cumulative, null)
                : acksInOrder.thenComposeAsync(v -> acknowledgeFrom(c, ids, 0, cumulative, null), context.executor());
        acksInOrder = done.handle((v, e) -> null);
        return done;
    }

    /** Applies {@code ids} from index {@code from} on; stops to read an entry whose message count is needed and unknown. */
    private CompletableFuture<ErrorDetail> acknowledgeFrom(Consumer c, List<MessageId> ids, int from, boolean cumulative,
                                                           ErrorDetail refused) {
        for (int i = from; i < ids.size(); i++) {
            MessageId id = ids.get(i);
            AckValidator.Verdict check = acks.check(id, knownMessageCount(c, id));
            if (check.needsEntry()) {
                int next = i + 1;
                ErrorDetail soFar = refused;
                return acks.readMessageCount(check.position()).thenComposeAsync(count -> {
                    ErrorDetail err = applyChecked(c, id, acks.check(id, count), cumulative);
                    return acknowledgeFrom(c, ids, next, cumulative, soFar != null ? soFar : err);
                }, context.executor());
            }
            ErrorDetail err = applyChecked(c, id, check, cumulative);
            if (refused == null) {
                refused = err;
            }
        }
        if (!redeliveries.isEmpty() || !readAhead.isEmpty() || permits() > 0) {
            dispatch();
        }
        return CompletableFuture.completedFuture(refused);
    }

    /**
     * The message count of the entry {@code id} names if this subscription holds it (delivered to a
     * consumer, or read ahead), else {@link AckValidator#UNKNOWN}.
     */
    private int knownMessageCount(Consumer c, MessageId id) {
        Position p = new Position(id.getLedgerId(), id.getEntryId());
        Consumer.Delivered d = c == null ? null : c.pending.get(p);
        if (d == null && dispatcher != null) {
            for (Consumer other : dispatcher.consumers()) {
                d = other.pending.get(p);
                if (d != null) {
                    break;
                }
            }
        }
        return d != null ? d.messages() : readAhead.messagesOf(p);
    }

    private ErrorDetail applyChecked(Consumer c, MessageId id, AckValidator.Verdict check, boolean cumulative) {
        if (closedWith != null) {
            // closed while this acknowledgement waited for its entry: the cursor's last write is done or under way
            return closedWith;
        }
        if (check.refused() != null) {
            return check.refused();
        }
        if (check.acknowledged()) {
            return cumulative ? null : alreadyAcknowledged(id);
        }
        return acknowledgeOne(c, check.position(), id, check.wholeEntry(), cumulative);
    }

    /** Applies an id {@link AckValidator} found valid: its batch index is within the entry's real message count. */
    private ErrorDetail acknowledgeOne(Consumer c, Position p, MessageId id, boolean wholeEntry, boolean cumulative) {
        if (cumulative) {
            Position upTo = p;
            if (wholeEntry || id.getBatchIndex() >= id.getBatchSize() - 1) {
                cursor.acknowledgeCumulative(p);
            } else {
                // the entry itself stays pending until its remaining messages are acknowledged
                upTo = new Position(p.ledgerId(), p.entryId() - 1);
                cursor.acknowledgeCumulative(upTo);
                cursor.acknowledgeIndexesUpTo(p, id.getBatchIndex(), id.getBatchSize());
                if (cursor.isAcknowledged(p)) {
                    ackEntry(c, p);
                }
            }
            forgetUpTo(upTo);
            return null;
        }
        if (wholeEntry) {
            if (cursor.isAcknowledged(p)) {
                return alreadyAcknowledged(id);
            }
            ackEntry(c, p);
            return null;
        }
        if (!cursor.acknowledgeIndex(p, id.getBatchIndex(), id.getBatchSize())) {
            return alreadyAcknowledged(id);
        }
        if (cursor.isAcknowledged(p)) {
            ackEntry(c, p);
        }
        return null;
    }

    /**
     * Null if {@code id} may name a message of the topic (its batch index within its batch size, its
     * entry within the topic's ledgers), else why not (INVALID_MESSAGE_ID). Does not read the entry.
     */
    public ErrorDetail checkMessageId(MessageId id) {
        return acks.checkPosition(id);
    }

    /** Whether the message {@code id} names is acknowledged here: its whole entry, or its batch index. */
    public boolean isAcknowledged(MessageId id) {
        Position p = new Position(id.getLedgerId(), id.getEntryId());
        if (cursor.isAcknowledged(p)) {
            return true;
        }
        return id.getBatchSize() > 0 && cursor.acknowledgedIndexes(p).get(id.getBatchIndex());
    }

    private ErrorDetail alreadyAcknowledged(MessageId id) {
        return ErrorReasons.detail(ErrorReason.MESSAGE_ALREADY_ACKNOWLEDGED, "message " + id.getLedgerId() + ":"
                + id.getEntryId() + ":" + id.getBatchIndex() + " of " + topic + " was already acknowledged on subscription " + name);
    }

    private void ackEntry(Consumer c, Position p) {
        cursor.acknowledge(p);
        redeliveries.acknowledged(p);
        readAhead.remove(p);
        if (dispatcher != null) {
            dispatcher.acknowledged(c, p);
        }
    }

    /** After {@code p} and all before it were acknowledged: nothing there is pending or due again. */
    private void forgetUpTo(Position p) {
        if (dispatcher != null) {
            dispatcher.forgetUpTo(p);
        }
        redeliveries.forgetUpTo(p);
        readAhead.forgetUpTo(p);
        delayed.forgetUpTo(p);
    }

    /**
     * Delivers the given entries again, no sooner than {@code delayMs} from now; a negative delay,
     * and ids that name no entry of the topic, are refused (the consumer is told, and stays
     * attached); an entry the consumer does not hold is left alone.
     */
    public void negativeAcknowledge(Consumer c, List<MessageId> ids, long delayMs, String reason) {
        String invalid = delayMs < 0 ? "a negative acknowledgement's delay must be >= 0 ms, was " + delayMs
                : FailureReason.problem(reason);
        if (invalid != null) {
            c.refused(ErrorReasons.detail(ErrorReason.INVALID_REQUEST, invalid));
            return;
        }
        long now = System.currentTimeMillis();
        // a delay past the end of time waits for ever, rather than overflowing into "now"
        long due = delayMs > Long.MAX_VALUE - now ? Long.MAX_VALUE : now + delayMs;
        ErrorDetail refused = null;
        for (MessageId id : ids) {
            ErrorDetail bad = acks.checkPosition(id);
            if (bad != null) {
                // the others still count; the consumer hears of the first refused one
                refused = refused == null ? bad : refused;
                continue;
            }
            Position p = new Position(id.getLedgerId(), id.getEntryId());
            long deliveredMs = dispatcher == null ? -1 : dispatcher.returned(c, p);
            if (deliveredMs < 0) {
                continue;
            }
            redeliveries.countRedelivery(p, deliveredMs, reason);
            if (delayMs == 0) {
                redeliveries.add(p);
            } else {
                delayed.schedule(p, due);
            }
        }
        if (refused != null) {
            c.refused(refused);
        }
        dispatch();
    }

    /** Entries whose delay is over are read again, unless acknowledged meanwhile. */
    private void due(List<Position> positions) {
        for (Position p : positions) {
            if (!cursor.isAcknowledged(p)) {
                redeliveries.add(p);
            }
        }
        dispatch();
    }

    // ------------------------------------------------------------------ seek, skip

    /**
     * Moves the cursor so that {@code next} is the first entry delivered (the caller checked it is
     * within the log). Consumers other than {@code initiator} are disconnected with a retriable
     * reason so that they drop what they prefetched and come back.
     */
    public CompletableFuture<Void> seek(Position next, Consumer initiator) {
        ErrorDetail reset = ErrorReasons.detail(ErrorReason.SERVICE_NOT_READY,
                "subscription " + name + " of " + topic + " was reset to " + next + "; subscribe again");
        disconnectAll(reset, initiator);
        redeliveries.clearCounts();
        restartDelivery(next);
        return cursor.resetTo(next).thenRunAsync(this::dispatch, context.executor());
    }

    /**
     * Acknowledges the first {@code messages} unacknowledged messages (the admin's skip), counting
     * every message of a batch: of a batch that holds more than are left to skip, the first
     * unacknowledged indexes are acknowledged. Every consumer is then disconnected with a retriable
     * reason, as after a reset, so that it drops what it prefetched (some of it skipped now) and
     * subscribes again at the new position. Completes with the number of messages skipped (fewer
     * than asked when the backlog held fewer) once the cursor is stored.
     */
    public CompletableFuture<Long> skipMessages(long messages) {
        if (messages <= 0) {
            return CompletableFuture.failedFuture(new TributaryException(ErrorReason.INVALID_REQUEST,
                    "the number of messages to skip must be > 0, was " + messages));
        }
        CompletableFuture<Long> skipped = new BacklogSkip(context, cursor, p -> ackEntry(null, p), () -> closed).skip(messages);
        return skipped.thenComposeAsync(n -> {
            ErrorDetail why = ErrorReasons.detail(ErrorReason.SERVICE_NOT_READY,
                    n + " messages of subscription " + name + " of " + topic + " were skipped; subscribe again");
            disconnectAll(why, null);
            restartDelivery(cursor.firstUnacknowledged());
            dispatch();
            LOG.info("{}/{}: skipped {} of {} messages asked for", topic, name, n, messages);
            return cursor.flush().thenApply(v -> n);
        }, context.executor());
    }

    /**
     * Forgets everything read, buffered, pending or scheduled, so that delivery starts again at
     * {@code next} for the consumers still attached (the caller dispatches once the cursor is right).
     */
    private void restartDelivery(Position next) {
        readAhead.restartAt(next);
        redeliveries.clear();
        delayed.clear();
        if (dispatcher != null) {
            dispatcher.restart();
        }
    }

    /**
     * Acknowledges everything before {@code next} (message expiry, backlog eviction); returns the
     * number of entries that were skipped unacknowledged.
     */
    public long skipTo(Position next) {
        Position last = new Position(next.ledgerId(), next.entryId() - 1);
        if (!last.isAfter(cursor.markDeletePosition())) {
            return 0;
        }
        long before = cursor.backlog();
        cursor.acknowledgeCumulative(last);
        long skipped = Math.max(0, before - cursor.backlog());
        forgetUpTo(last);
        readAhead.skipTo(next);
        dispatch();
        return skipped;
    }

    /** Counts messages acknowledged by expiry (TTL). */
    public void recordExpired(long entries) {
        expiredMessages += Math.round(entries * readAhead.messagesPerEntry());
    }

    // ------------------------------------------------------------------ dispatch loop

    private int permits() {
        return dispatcher == null ? 0 : dispatcher.permits();
    }

    /** Delivers what it can, then reads more: redeliveries first, then new entries. */
    void dispatch() {
        if (readAhead.isReading() || closed || paused.paused() || dispatcher == null || readAhead.heldBack()) {
            return;
        }
        if (!acksInOrder.isDone()) {
            // an acknowledgement that came first (one a proxy resent to a new owner, before its Flow) is
            // applied first, so what it acknowledges is not delivered again
            if (!dispatchAfterAcks) {
                dispatchAfterAcks = true;
                acksInOrder.thenRunAsync(() -> {
                    dispatchAfterAcks = false;
                    dispatch();
                }, context.executor());
            }
            return;
        }
        dispatcher.deliverBuffered();
        int permits = dispatcher.permits();
        if (permits == 0 || readAhead.isFull()) {
            return;
        }
        if (!redeliveries.isEmpty()) {
            readAhead.readRedeliveries();
            return;
        }
        if (!readAhead.isEmpty() && !dispatcher.readsPastWaitingEntries()) {
            return;
        }
        readAhead.readNew(permits);
    }

    /** Sends an entry a dispatcher gave {@code c}, counting it. */
    private void send(Consumer c, BufferedEntry e) {
        Position p = e.position();
        RedeliveryTracker.Redelivery r = redeliveries.redelivery(p);
        int count = r == null ? 0 : r.count;
        readAhead.countDelivered(e.messages());
        context.deliveries().delivered(e.messages(), e.entry().data().length);
        messagesOut.record(e.messages());
        c.messagesOut.record(e.messages());
        if (count > 0) {
            redelivered.record(e.messages());
        }
        c.deliver(p, e.entry().data(), e.messages(), count, cursor.acknowledgedIndexes(p), r == null ? "" : r.lastReason,
                r == null ? 0 : r.firstDeliveryMs);
    }

    // ------------------------------------------------------------------ stats, close

    /** {@code messages} acknowledged by a consumer were sent to the dead-letter topic first. Any thread. */
    public void countDeadLettered(int messages) {
        deadLettered.add(messages);
    }

    /** Backlog bytes: what the slowest reader of this subscription still has to consume. */
    public long backlogBytes() {
        return context.backlogSize().bytesFrom(cursor.firstUnacknowledged());
    }

    public SubscriptionStats stats() {
        Position md = cursor.markDeletePosition();
        SubscriptionType type = type();
        SubscriptionStats.Builder s = SubscriptionStats.newBuilder()
                .setSubscription(name)
                .setType(type == null ? SubscriptionType.SUBSCRIPTION_TYPE_UNSPECIFIED : type)
                .setDurable(cursor.isDurable())
                .setMsgBacklog(Math.round(cursor.backlog() * readAhead.messagesPerEntry()))
                .setBacklogBytes(backlogBytes())
                .setMsgRateOut(messagesOut.perSecond())
                .setMsgOutTotal(messagesOut.total())
                .setMsgRateRedeliver(redelivered.perSecond())
                .setRedeliveredTotal(redelivered.total())
                .setDelayedMessages(delayed.delayedCount())
                .setMarkDeletePosition(MessageId.newBuilder().setLedgerId(md.ledgerId()).setEntryId(md.entryId()).setPartition(-1))
                .setAckedRanges(cursor.ackedRangeCount())
                .setExpiredTotal(expiredMessages)
                .setDeadLetteredTotal(deadLettered.sum())
                .setOldestBacklogPublishTimeMs(backlogAge.oldestPublishTimeMs(cursor.firstUnacknowledged(),
                        cursor.backlog() > 0));
        long unacked = 0;
        for (Consumer c : consumers()) {
            long u = c.unackedMessages();
            unacked += u;
            s.addConsumers(ConsumerStats.newBuilder().setConsumerName(c.name()).setPermits(c.permits)
                    .setUnackedMessages(u).setMsgRateOut(c.messagesOut.perSecond()).setMsgOutTotal(c.messagesOut.total())
                    .setActive(dispatcher.isActive(c)).setPriority(c.priority()));
        }
        return readAhead.throttle.stats(s.setUnackedMessages(unacked)).build();
    }

    /** Detaches every consumer but {@code except} and disconnects it with {@code why}, so that it comes back. */
    private void disconnectAll(ErrorDetail why, Consumer except) {
        for (Consumer c : consumers()) {
            if (c != except) {
                dispatcher.detach(c);
                c.disconnect(why);
            }
        }
    }

    /** Acknowledgement requests held, unanswered, while paused. */
    public int heldAcknowledgements() {
        return paused.size();
    }

    /** Stops dispatching and holds acknowledgements (the broker's ZooKeeper session is suspended). */
    public void pause() {
        paused.pause();
    }

    /** Applies the held acknowledgements and dispatches again (the session is back, the topic still ours). */
    public void resume() {
        if (paused.resume(consumers()::contains, this::acknowledge)) {
            dispatch();
        }
    }

    /**
     * Detaches all consumers and writes the cursor for the last time: acknowledgements taken from now
     * on are answered with {@code reason} and not applied. Completes when the cursor is stored (fails
     * if it could not be); it persists nothing afterwards, so a new owner that loads it next has every
     * acknowledgement answered here without an error.
     */
    public CompletableFuture<Void> close(ErrorDetail reason) {
        closedWith = reason;
        closeDelivery();
        List<Consumer> attached = consumers();
        for (Consumer c : attached) {
            c.disconnect(reason);
        }
        for (Consumer c : attached) {
            dispatcher.detach(c);
        }
        return cursor.close();
    }

    private void closeDelivery() {
        closed = true;
        paused.close(closedWith != null ? closedWith : ErrorReasons.detail(ErrorReason.SERVICE_NOT_READY,
                "subscription " + name + " closed"));
        readAhead.close();
        delayed.close();
    }
}
