package io.tributary.broker.dispatch;

import io.tributary.api.v1.BatchHeader;
import io.tributary.api.v1.ConsumerStats;
import io.tributary.api.v1.ErrorDetail;
import io.tributary.api.v1.ErrorReason;
import io.tributary.api.v1.MessageId;
import io.tributary.api.v1.SubscriptionStats;
import io.tributary.api.v1.SubscriptionType;
import io.tributary.broker.metrics.Rate;
import io.tributary.protocol.EntryCodec;
import io.tributary.protocol.ErrorReasons;
import io.tributary.protocol.TributaryException;
import io.tributary.storage.cursor.ManagedCursor;
import io.tributary.storage.log.LogEntry;
import io.tributary.storage.log.ManagedLog;
import io.tributary.storage.log.ManagedLogException;
import io.tributary.storage.log.Position;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One subscription of a topic: its cursor, its consumers and the dispatch loop that reads entries
 * and hands them to consumers by their permits. Every method runs on the topic's executor, so none
 * of the state here needs a lock.
 *
 * <p>Entries read from the log wait in a small buffer, in position order, until a consumer may take
 * them:
 * <ul>
 *   <li>Exclusive and Failover deliver to one active consumer (Failover: the first by priority,
 *       then name), in order. When the active consumer changes, what the old one had not
 *       acknowledged goes to the new one first.</li>
 *   <li>Shared hands each entry to the next consumer with permits.</li>
 *   <li>Key_Shared hands an entry to the consumer its key hashes to ({@link KeySharedSelector}). An
 *       entry whose key is still held by another consumer (delivered there and not yet
 *       acknowledged, because membership changed) waits, and so do later entries of that key, so
 *       a key is never processed by two consumers at once and never out of order. Entries
 *       without a common key are spread like Shared.</li>
 * </ul>
 * Negatively acknowledged entries, and those of a consumer that leaves, are read again and
 * delivered before newer ones (on Shared in any order). Entries with a delivery time in the future
 * (Shared and Key_Shared only) are set aside with a timer; they are not acknowledged, so after a
 * restart they are read again and set aside again.
 */
public final class Subscription {
    private static final Logger LOG = LoggerFactory.getLogger(Subscription.class);
    /** Entries read ahead on Key_Shared while the consumers of their keys are busy. */
    static final int MAX_BUFFERED = 1000;

    /** An entry read from the log and not handed to a consumer yet. */
    private record Buffered(LogEntry entry, int messages, boolean hasKey, int keyHash, long deliverAtMs) {}

    /** The consumer that holds unacknowledged entries of one key, and how many. */
    private static final class KeyHold {
        final Consumer consumer;
        int entries;

        KeyHold(Consumer consumer) {
            this.consumer = consumer;
        }
    }

    private final SubscriptionContext context;
    private final String topic;
    private final String name;
    private final ManagedLog log;
    private final ManagedCursor cursor;
    private final Executor executor;
    private final ScheduledExecutorService scheduler;
    private final int batchSize;

    private SubscriptionType type;
    private final List<Consumer> consumers = new ArrayList<>();
    private int nextConsumer;
    private Position readPosition;
    /** Bumped by seeks and skips: a read started before is dropped when it completes. */
    private long epoch;
    private final TreeMap<Position, Buffered> buffer = new TreeMap<>();
    /** Entries to read again right away (negative acks, consumers gone, timers fired). */
    private final TreeSet<Position> toRedeliver = new TreeSet<>();
    private final Map<Position, Integer> redeliveryCounts = new HashMap<>();
    /** Entries waiting for a time: delayed negative acks and deliver-at messages, by due time. */
    private final TreeMap<Long, List<Position>> scheduled = new TreeMap<>();
    /** The entries among {@link #scheduled} held back by their delivery time (for stats). */
    private final Set<Position> delayed = new HashSet<>();
    private ScheduledFuture<?> timer;
    private long timerDueMs = Long.MAX_VALUE;
    private final KeySharedSelector selector = new KeySharedSelector();
    private final Map<Integer, KeyHold> keyHolders = new HashMap<>();
    /** Messages per entry seen so far (a moving average), to size reads by the permits, which count messages. */
    private double messagesPerEntry = 1;
    private boolean reading;
    private boolean waitingForEntries;
    private boolean closed;

    private final Rate messagesOut = new Rate();
    private final Rate redelivered = new Rate();
    private long expiredMessages;

    public Subscription(SubscriptionContext context, String name, ManagedCursor cursor) {
        this.context = context;
        this.topic = context.topic();
        this.name = name;
        this.log = context.log();
        this.cursor = cursor;
        this.executor = context.executor();
        this.scheduler = context.scheduler();
        this.batchSize = context.dispatchBatchSize();
        this.readPosition = cursor.firstUnacknowledged();
    }

    public String name() {
        return name;
    }

    public ManagedCursor cursor() {
        return cursor;
    }

    public List<Consumer> consumers() {
        return List.copyOf(consumers);
    }

    public SubscriptionType type() {
        return type;
    }

    private boolean sharedLike() {
        return type == SubscriptionType.SHARED || type == SubscriptionType.KEY_SHARED;
    }

    private static SubscriptionType normalize(SubscriptionType t) {
        return t == SubscriptionType.SUBSCRIPTION_TYPE_UNSPECIFIED ? SubscriptionType.EXCLUSIVE : t;
    }

    // ------------------------------------------------------------------ consumers

    /** Attaches a consumer, or throws CONSUMER_BUSY / INVALID_REQUEST / SERVICE_NOT_READY. */
    public void addConsumer(Consumer c, SubscriptionType requested) {
        if (requested == SubscriptionType.UNRECOGNIZED) {
            throw new TributaryException(ErrorReason.INVALID_REQUEST, "unknown subscription type");
        }
        SubscriptionType t = normalize(requested);
        if (closed) {
            throw new TributaryException(ErrorReason.SERVICE_NOT_READY, "subscription " + name + " is closing");
        }
        if (!consumers.isEmpty()) {
            if (type != t) {
                throw new TributaryException(ErrorReason.CONSUMER_BUSY, "subscription " + name + " on " + topic
                        + " is " + type + " and has consumers; a " + t + " consumer cannot join");
            }
            if (t == SubscriptionType.EXCLUSIVE) {
                throw new TributaryException(ErrorReason.CONSUMER_BUSY, "exclusive subscription " + name + " on "
                        + topic + " already has a consumer");
            }
        }
        type = t;
        consumers.add(c);
        if (t == SubscriptionType.FAILOVER) {
            consumers.sort((a, b) -> a.priority() != b.priority()
                    ? Integer.compare(a.priority(), b.priority()) : a.name().compareTo(b.name()));
        }
        if (t == SubscriptionType.KEY_SHARED) {
            selector.add(c);
        }
        updateActive();
        dispatch();
    }

    public void removeConsumer(Consumer c) {
        if (!consumers.remove(c)) {
            return;
        }
        if (type == SubscriptionType.KEY_SHARED) {
            selector.remove(c);
        }
        takeBack(c, true);
        updateActive();
        if (!cursor.isDurable() && consumers.isEmpty()) {
            closed = true;
            cancelTimer();
            context.onEmpty().closed(this);
            return;
        }
        dispatch();
    }

    /** Everything {@code c} holds unacknowledged is delivered again, to whoever may take it now. */
    private void takeBack(Consumer c, boolean countAsRedelivery) {
        for (Map.Entry<Position, Consumer.Delivered> e : c.pending.entrySet()) {
            Position p = e.getKey();
            release(c, e.getValue());
            if (!cursor.isAcknowledged(p)) {
                toRedeliver.add(p);
                if (countAsRedelivery) {
                    redeliveryCounts.merge(p, 1, Integer::sum);
                }
            }
        }
        c.pending.clear();
    }

    /** Failover (and Exclusive): the first consumer is the active one; tells consumers when that changes. */
    private void updateActive() {
        if (sharedLike()) {
            return;
        }
        Consumer active = consumers.isEmpty() ? null : consumers.get(0);
        for (Consumer c : consumers) {
            boolean now = c == active;
            if (c.active != now) {
                c.active = now;
                if (!now) {
                    // what the old active consumer did not acknowledge goes to the new one, from the first unacknowledged
                    takeBack(c, false);
                }
                if (type == SubscriptionType.FAILOVER) {
                    c.activeChanged(now);
                }
            }
        }
    }

    public void flow(Consumer c, int permits) {
        c.permits += permits;
        dispatch();
    }

    // ------------------------------------------------------------------ acknowledgements

    /**
     * Applies acknowledgements from {@code c} (null: from a unary Acknowledge with no consumer
     * here). Applies every valid id; returns null, or the reason the first refused one was refused.
     * The stream stays usable either way.
     */
    public ErrorDetail acknowledge(Consumer c, List<MessageId> ids, boolean cumulative) {
        if (cumulative && sharedLike()) {
            return ErrorReasons.detail(ErrorReason.NOT_ALLOWED,
                    "cumulative acknowledgement is not allowed on " + type + " subscription " + name);
        }
        ErrorDetail refused = null;
        for (MessageId id : ids) {
            ErrorDetail err = acknowledgeOne(c, id, cumulative);
            if (err != null && refused == null) {
                refused = err;
            }
        }
        if (!toRedeliver.isEmpty() || !buffer.isEmpty() || totalPermits() > 0) {
            dispatch();
        }
        return refused;
    }

    private ErrorDetail acknowledgeOne(Consumer c, MessageId id, boolean cumulative) {
        Position p = new Position(id.getLedgerId(), id.getEntryId());
        ErrorDetail invalid = context.messageIds().check(p);
        if (invalid != null) {
            return invalid;
        }
        boolean wholeEntry = id.getBatchSize() <= 1;
        if (!wholeEntry && (id.getBatchIndex() < 0 || id.getBatchIndex() >= id.getBatchSize())) {
            return ErrorReasons.detail(ErrorReason.INVALID_MESSAGE_ID,
                    "batch index " + id.getBatchIndex() + " is outside the batch of " + id.getBatchSize() + " messages");
        }
        if (cumulative) {
            Position upTo = p;
            if (wholeEntry || id.getBatchIndex() >= id.getBatchSize() - 1) {
                cursor.acknowledgeCumulative(p);
            } else {
                // the entry itself stays pending until its remaining messages are acknowledged
                upTo = new Position(p.ledgerId(), p.entryId() - 1);
                cursor.acknowledgeCumulative(upTo);
                for (int i = 0; i <= id.getBatchIndex(); i++) {
                    cursor.acknowledgeIndex(p, i, id.getBatchSize());
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

    private ErrorDetail alreadyAcknowledged(MessageId id) {
        return ErrorReasons.detail(ErrorReason.MESSAGE_ALREADY_ACKNOWLEDGED, "message " + id.getLedgerId() + ":"
                + id.getEntryId() + ":" + id.getBatchIndex() + " of " + topic + " was already acknowledged on subscription " + name);
    }

    private void ackEntry(Consumer c, Position p) {
        cursor.acknowledge(p);
        redeliveryCounts.remove(p);
        toRedeliver.remove(p);
        buffer.remove(p);
        if (c != null) {
            Consumer.Delivered d = c.pending.remove(p);
            if (d != null) {
                release(c, d);
                return;
            }
        }
        for (Consumer other : consumers) {
            Consumer.Delivered d = other.pending.remove(p);
            if (d != null) {
                release(other, d);
                return;
            }
        }
    }

    /** An entry is no longer held by {@code c}: its key may go to another consumer once none is held. */
    private void release(Consumer c, Consumer.Delivered d) {
        if (!d.hasKey()) {
            return;
        }
        KeyHold h = keyHolders.get(d.keyHash());
        if (h != null && h.consumer == c && --h.entries <= 0) {
            keyHolders.remove(d.keyHash());
        }
    }

    /** After {@code p} and all before it were acknowledged: nothing there is pending or due again. */
    private void forgetUpTo(Position p) {
        for (Consumer x : consumers) {
            Iterator<Map.Entry<Position, Consumer.Delivered>> it = x.pending.entrySet().iterator();
            while (it.hasNext()) {
                Map.Entry<Position, Consumer.Delivered> e = it.next();
                if (!e.getKey().isAfter(p)) {
                    release(x, e.getValue());
                    it.remove();
                }
            }
        }
        toRedeliver.headSet(p, true).clear();
        buffer.headMap(p, true).clear();
        redeliveryCounts.keySet().removeIf(k -> !k.isAfter(p));
        delayed.removeIf(k -> !k.isAfter(p));
    }

    /**
     * Delivers the given entries again, no sooner than {@code delayMs} from now; a negative delay is
     * refused (the consumer is told, and stays attached).
     */
    public void negativeAcknowledge(Consumer c, List<MessageId> ids, long delayMs) {
        if (delayMs < 0) {
            c.refused(ErrorReasons.detail(ErrorReason.INVALID_REQUEST,
                    "a negative acknowledgement's delay must be >= 0 ms, was " + delayMs));
            return;
        }
        long due = System.currentTimeMillis() + delayMs;
        for (MessageId id : ids) {
            Position p = new Position(id.getLedgerId(), id.getEntryId());
            Consumer.Delivered d = c.pending.remove(p);
            if (d == null || cursor.isAcknowledged(p)) {
                continue;
            }
            release(c, d);
            redeliveryCounts.merge(p, 1, Integer::sum);
            if (delayMs == 0) {
                toRedeliver.add(p);
            } else {
                schedule(p, due);
            }
        }
        dispatch();
    }

    // ------------------------------------------------------------------ timers

    private void schedule(Position p, long dueMs) {
        scheduled.computeIfAbsent(dueMs, k -> new ArrayList<>(1)).add(p);
        armTimer();
    }

    private void armTimer() {
        if (scheduled.isEmpty() || closed) {
            return;
        }
        long first = scheduled.firstKey();
        if (timer != null && timerDueMs <= first) {
            return;
        }
        cancelTimer();
        timerDueMs = first;
        long wait = Math.max(0, first - System.currentTimeMillis());
        timer = scheduler.schedule(() -> executor.execute(this::onTimer), wait, TimeUnit.MILLISECONDS);
    }

    private void cancelTimer() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
        timerDueMs = Long.MAX_VALUE;
    }

    private void onTimer() {
        timer = null;
        timerDueMs = Long.MAX_VALUE;
        long now = System.currentTimeMillis();
        while (!scheduled.isEmpty() && scheduled.firstKey() <= now) {
            for (Position p : scheduled.pollFirstEntry().getValue()) {
                delayed.remove(p);
                if (!cursor.isAcknowledged(p)) {
                    toRedeliver.add(p);
                }
            }
        }
        armTimer();
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
        for (Consumer c : List.copyOf(consumers)) {
            if (c != initiator) {
                consumers.remove(c);
                selector.remove(c);
                c.disconnect(reset);
            }
        }
        redeliveryCounts.clear();
        restartDelivery(next);
        return cursor.resetTo(next).thenRunAsync(this::dispatch, executor);
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
        CompletableFuture<Long> skipped = new CompletableFuture<>();
        skipFrom(cursor.firstUnacknowledged(), messages, 0, skipped);
        return skipped.thenComposeAsync(n -> {
            ErrorDetail why = ErrorReasons.detail(ErrorReason.SERVICE_NOT_READY,
                    n + " messages of subscription " + name + " of " + topic + " were skipped; subscribe again");
            for (Consumer c : List.copyOf(consumers)) {
                consumers.remove(c);
                selector.remove(c);
                c.disconnect(why);
            }
            restartDelivery(cursor.firstUnacknowledged());
            dispatch();
            LOG.info("{}/{}: skipped {} of {} messages asked for", topic, name, n, messages);
            return cursor.flush().thenApply(v -> n);
        }, executor);
    }

    /** One step of {@link #skipMessages}: reads entries from {@code from} and acknowledges up to {@code left} messages. */
    private void skipFrom(Position from, long left, long skipped, CompletableFuture<Long> result) {
        if (left <= 0 || closed || from.isAfter(log.lastConfirmed())) {
            result.complete(skipped);
            return;
        }
        // every unacknowledged entry holds at least one unacknowledged message
        int n = (int) Math.min(batchSize, left);
        log.readAsync(from, n).whenCompleteAsync((entries, err) -> {
            if (err != null) {
                result.completeExceptionally(err);
                return;
            }
            if (entries.isEmpty()) {
                result.complete(skipped);
                return;
            }
            long stillToSkip = left;
            long done = skipped;
            Position next = from;
            for (LogEntry e : entries) {
                Position p = e.position();
                next = log.nextPosition(p);
                if (cursor.isAcknowledged(p)) {
                    continue;
                }
                int size = EntryCodec.messageCount(e.data());
                BitSet acked = cursor.acknowledgedIndexes(p);
                int open = size - acked.cardinality();
                if (open <= stillToSkip) {
                    ackEntry(null, p);
                    stillToSkip -= open;
                    done += open;
                } else {
                    for (int i = acked.nextClearBit(0); stillToSkip > 0 && i < size; i = acked.nextClearBit(i + 1)) {
                        cursor.acknowledgeIndex(p, i, size);
                        stillToSkip--;
                        done++;
                    }
                }
                if (stillToSkip == 0) {
                    break;
                }
            }
            skipFrom(next, stillToSkip, done, result);
        }, executor);
    }

    /**
     * Forgets everything read, buffered, pending or scheduled, so that delivery starts again at
     * {@code next} for the consumers still attached (the caller dispatches once the cursor is right).
     */
    private void restartDelivery(Position next) {
        epoch++;
        buffer.clear();
        toRedeliver.clear();
        scheduled.clear();
        delayed.clear();
        keyHolders.clear();
        cancelTimer();
        for (Consumer c : consumers) {
            c.pending.clear();
        }
        readPosition = next;
        updateActive();
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
        if (readPosition.isBefore(next)) {
            epoch++;
            readPosition = next;
        }
        dispatch();
        return skipped;
    }

    /** Counts messages acknowledged by expiry (TTL). */
    public void recordExpired(long entries) {
        expiredMessages += Math.round(entries * messagesPerEntry);
    }

    // ------------------------------------------------------------------ dispatch loop

    private Consumer nextConsumerWithPermits() {
        if (consumers.isEmpty()) {
            return null;
        }
        if (!sharedLike()) {
            Consumer active = consumers.get(0);
            return active.permits > 0 ? active : null;
        }
        for (int i = 0; i < consumers.size(); i++) {
            Consumer c = consumers.get((nextConsumer + i) % consumers.size());
            if (c.permits > 0) {
                nextConsumer = (nextConsumer + i + 1) % consumers.size();
                return c;
            }
        }
        return null;
    }

    private int totalPermits() {
        if (consumers.isEmpty()) {
            return 0;
        }
        if (!sharedLike()) {
            return Math.max(0, consumers.get(0).permits);
        }
        int n = 0;
        for (Consumer c : consumers) {
            n += Math.max(0, c.permits);
        }
        return n;
    }

    /** Delivers what it can, then reads more: redeliveries first, then new entries. */
    void dispatch() {
        if (reading || closed) {
            return;
        }
        deliverBuffered();
        if (totalPermits() == 0 || buffer.size() >= MAX_BUFFERED) {
            return;
        }
        if (!toRedeliver.isEmpty()) {
            readRedeliveries();
            return;
        }
        if (!buffer.isEmpty() && !sharedLike()) {
            return;
        }
        readNew();
    }

    private void readRedeliveries() {
        // one read for a run of consecutive entries of one ledger
        List<Position> run = new ArrayList<>();
        for (Position q : toRedeliver) {
            Position prev = run.isEmpty() ? null : run.get(run.size() - 1);
            if (prev != null && (q.ledgerId() != prev.ledgerId() || q.entryId() != prev.entryId() + 1 || run.size() >= batchSize)) {
                break;
            }
            run.add(q);
        }
        long ep = epoch;
        reading = true;
        log.readAsync(run.get(0), run.size()).whenCompleteAsync((entries, err) -> {
            reading = false;
            if (ep != epoch || closed) {
                dispatch();
                return;
            }
            if (err != null) {
                readFailed(run.get(0), err);
                return;
            }
            // entries no longer in the log (trimmed, expired) are simply gone
            run.forEach(toRedeliver::remove);
            Set<Position> wanted = new HashSet<>(run);
            for (LogEntry e : entries) {
                if (wanted.contains(e.position()) && !cursor.isAcknowledged(e.position())) {
                    buffer.put(e.position(), buffered(e));
                }
            }
            dispatch();
        }, executor);
    }

    private void readNew() {
        if (readPosition.isAfter(log.lastConfirmed())) {
            readPosition = log.nextPosition(new Position(readPosition.ledgerId(), readPosition.entryId() - 1));
            if (readPosition.isAfter(log.lastConfirmed())) {
                waitForEntries();
                return;
            }
        }
        long ep = epoch;
        reading = true;
        int n = (int) Math.max(1, Math.min(batchSize, Math.ceil(totalPermits() / messagesPerEntry)));
        Position from = readPosition;
        log.readAsync(from, n).whenCompleteAsync((entries, err) -> {
            reading = false;
            if (ep != epoch || closed) {
                dispatch();
                return;
            }
            if (err != null) {
                readFailed(from, err);
                return;
            }
            if (entries.isEmpty()) {
                waitForEntries();
                return;
            }
            for (LogEntry e : entries) {
                readPosition = log.nextPosition(e.position());
                if (!cursor.isAcknowledged(e.position())) {
                    buffer.put(e.position(), buffered(e));
                }
            }
            dispatch();
        }, executor);
    }

    private static Buffered buffered(LogEntry e) {
        BatchHeader h = EntryCodec.header(e.data());
        return new Buffered(e, Math.max(1, h.getMessageCount()), h.getHasKey(),
                h.getHasKey() ? KeySharedSelector.hashOf(h.getKey()) : 0, h.getDeliverAtMs());
    }

    /** Hands buffered entries, in position order, to the consumers that may take them. */
    private void deliverBuffered() {
        if (buffer.isEmpty() || consumers.isEmpty()) {
            return;
        }
        long now = System.currentTimeMillis();
        boolean ordered = type != SubscriptionType.SHARED;
        // on ordered types nothing overtakes an entry that is about to be read again
        Position barrier = ordered && !toRedeliver.isEmpty() ? toRedeliver.first() : null;
        Set<Integer> blockedKeys = null;
        Iterator<Map.Entry<Position, Buffered>> it = buffer.entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<Position, Buffered> en = it.next();
            Position p = en.getKey();
            Buffered b = en.getValue();
            if (barrier != null && p.isAfter(barrier)) {
                break;
            }
            if (cursor.isAcknowledged(p)) {
                it.remove();
                continue;
            }
            if (b.deliverAtMs() > now && sharedLike()) {
                it.remove();
                delayed.add(p);
                schedule(p, b.deliverAtMs());
                continue;
            }
            Consumer c;
            if (type == SubscriptionType.KEY_SHARED && b.hasKey()) {
                if (blockedKeys != null && blockedKeys.contains(b.keyHash())) {
                    continue;
                }
                c = selector.select(b.keyHash());
                KeyHold h = keyHolders.get(b.keyHash());
                if (c == null || c.permits <= 0 || (h != null && h.consumer != c)) {
                    if (blockedKeys == null) {
                        blockedKeys = new HashSet<>();
                    }
                    blockedKeys.add(b.keyHash());
                    continue;
                }
            } else {
                c = nextConsumerWithPermits();
                if (c == null) {
                    break;
                }
            }
            it.remove();
            deliverTo(c, p, b);
            if (totalPermits() == 0) {
                break;
            }
        }
    }

    private void deliverTo(Consumer c, Position p, Buffered b) {
        int count = redeliveryCounts.getOrDefault(p, 0);
        messagesPerEntry = messagesPerEntry * 0.9 + b.messages() * 0.1;
        boolean keyed = type == SubscriptionType.KEY_SHARED && b.hasKey();
        c.permits -= b.messages();
        c.pending.put(p, new Consumer.Delivered(b.messages(), keyed, b.keyHash()));
        if (keyed) {
            keyHolders.computeIfAbsent(b.keyHash(), k -> new KeyHold(c)).entries++;
        }
        context.deliveries().delivered(b.messages(), b.entry().data().length);
        messagesOut.record(b.messages());
        c.messagesOut.record(b.messages());
        if (count > 0) {
            redelivered.record(b.messages());
        }
        c.deliver(p, b.entry().data(), b.messages(), count, cursor.acknowledgedIndexes(p));
    }

    private void waitForEntries() {
        if (waitingForEntries) {
            return;
        }
        waitingForEntries = true;
        Position last = new Position(readPosition.ledgerId(), readPosition.entryId() - 1);
        log.waitForEntriesAfter(last).whenCompleteAsync((v, err) -> {
            waitingForEntries = false;
            if (err == null) {
                dispatch();
            }
        }, executor);
    }

    /** A read failed: tried again shortly, unless the log is closed (the topic is going away). */
    private void readFailed(Position at, Throwable err) {
        if (!(ErrorReasons.unwrap(err) instanceof ManagedLogException.ClosedException)) {
            LOG.warn("{}/{}: read at {} failed: {}", topic, name, at, err.toString());
            retryLater();
        }
    }

    private void retryLater() {
        CompletableFuture.delayedExecutor(100, TimeUnit.MILLISECONDS, executor).execute(this::dispatch);
    }

    // ------------------------------------------------------------------ stats, close

    /** Backlog bytes: what the slowest reader of this subscription still has to consume. */
    public long backlogBytes() {
        return log.sizeBytesFrom(cursor.firstUnacknowledged());
    }

    public SubscriptionStats stats() {
        Position md = cursor.markDeletePosition();
        SubscriptionStats.Builder s = SubscriptionStats.newBuilder()
                .setSubscription(name)
                .setType(type == null ? SubscriptionType.SUBSCRIPTION_TYPE_UNSPECIFIED : type)
                .setDurable(cursor.isDurable())
                .setMsgBacklog(Math.round(cursor.backlog() * messagesPerEntry))
                .setBacklogBytes(backlogBytes())
                .setMsgRateOut(messagesOut.perSecond())
                .setMsgOutTotal(messagesOut.total())
                .setMsgRateRedeliver(redelivered.perSecond())
                .setRedeliveredTotal(redelivered.total())
                .setDelayedMessages(delayed.size())
                .setMarkDeletePosition(MessageId.newBuilder().setLedgerId(md.ledgerId()).setEntryId(md.entryId()).setPartition(-1))
                .setAckedRanges(cursor.ackedRangeCount())
                .setExpiredTotal(expiredMessages);
        long unacked = 0;
        for (Consumer c : consumers) {
            long u = c.unackedMessages();
            unacked += u;
            s.addConsumers(ConsumerStats.newBuilder().setConsumerName(c.name()).setPermits(c.permits)
                    .setUnackedMessages(u).setMsgRateOut(c.messagesOut.perSecond()).setMsgOutTotal(c.messagesOut.total())
                    .setActive(sharedLike() || c.active).setPriority(c.priority()));
        }
        return s.setUnackedMessages(unacked).build();
    }

    /** Detaches all consumers and persists the cursor. */
    public CompletableFuture<Void> close(ErrorDetail reason) {
        closed = true;
        cancelTimer();
        for (Consumer c : List.copyOf(consumers)) {
            c.disconnect(reason);
        }
        consumers.clear();
        return cursor.close();
    }
}
