package io.tributary.broker.topic;

import io.tributary.api.v1.BacklogQuotaPolicy;
import io.tributary.api.v1.ErrorDetail;
import io.tributary.api.v1.ErrorReason;
import io.tributary.api.v1.GetLastMessageIdResponse;
import io.tributary.api.v1.InitialPosition;
import io.tributary.api.v1.MessageId;
import io.tributary.api.v1.TopicStats;
import io.tributary.broker.dispatch.Subscription;
import io.tributary.broker.dispatch.SubscriptionContext;
import io.tributary.broker.metrics.Rate;
import io.tributary.broker.service.Errors;
import io.tributary.protocol.EntryCodec;
import io.tributary.protocol.ErrorReasons;
import io.tributary.protocol.TopicName;
import io.tributary.protocol.TributaryException;
import io.tributary.storage.cursor.CursorConfig;
import io.tributary.storage.cursor.ManagedCursor;
import io.tributary.storage.log.ManagedLog;
import io.tributary.storage.log.ManagedLogException;
import io.tributary.storage.log.Position;
import io.tributary.storage.log.SequenceMark;
import io.tributary.storage.meta.MetadataPaths;
import io.tributary.storage.meta.MetadataStore;
import java.time.Duration;
import org.apache.bookkeeper.client.api.BookKeeper;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A topic served by this broker: its managed log, its producers' deduplication state and its
 * subscriptions. Its state is owned by {@link #executor()}, the topic's thread of the broker's
 * ordered executor; the managed log runs on the same thread.
 */
public final class Topic {
    private static final Logger LOG = LoggerFactory.getLogger(Topic.class);

    /** The result of one publish: where the batch is, or that it was there already. */
    public record PublishResult(Position position, boolean duplicate) {}

    private final TopicName name;
    private final ManagedLog log;
    private final ExecutorService executor;
    private final MetadataStore store;
    private final ScheduledExecutorService scheduler;
    private final BookKeeper bookKeeper;
    private final CursorConfig cursorConfig;
    private final int dispatchBatchSize;

    private static final int RECENT_PRODUCERS = 1024;
    private static final int RECENT_BATCHES_PER_PRODUCER = 1024;
    /**
     * Highest sequence id handed to the log per producer (stored or in flight), and the append of
     * the highest one; what is stored lives in the log itself, which keeps it across owners.
     */
    private final Map<String, Long> lastPushedSequence = new HashMap<>();
    private final Map<String, CompletableFuture<?>> lastPushed = new HashMap<>();
    /**
     * Where this broker stored each producer's recent batches, by first sequence id, so that a resend
     * answered as a duplicate carries the original's position. A producer resends at most its pending
     * batches (1000 messages by default), so 1024 batches cover it; at most 1024 producers are
     * remembered (24 KiB each). An older resend, or one after a move, is answered without a position.
     */
    private final Map<String, RecentBatches> recentPositions = boundedLru(RECENT_PRODUCERS);
    private final Map<String, CompletableFuture<Subscription>> subscriptions = new HashMap<>();
    private final Set<Consumer<ErrorDetail>> producerClosers = ConcurrentHashMap.newKeySet();
    private volatile boolean closing;
    /** The last entry this broker appended and its message count, so GetLastMessageId need not read it back. */
    private Position lastAppended;
    private int lastAppendedCount;

    /** What retention, expiry and the backlog quota allow; refreshed by {@link #maintain}. */
    private volatile Policies policies = Policies.NONE;
    /** Whether some subscription's backlog is over the quota (as of the last check). */
    private boolean overQuota;
    /** Publishes held while the backlog is over a producer_request_hold quota, in arrival order. */
    private final ArrayDeque<HeldPublish> held = new ArrayDeque<>();
    private ScheduledFuture<?> holdCheck;
    private final Duration quotaHoldTimeout;

    private record HeldPublish(String producerName, long sequenceId, int messageCount, byte[] entry,
                               CompletableFuture<PublishResult> result, long deadlineMs) {}

    Topic(TopicName name, ManagedLog log, ExecutorService executor, MetadataStore store,
          ScheduledExecutorService scheduler, BookKeeper bookKeeper, CursorConfig cursorConfig, int dispatchBatchSize,
          Duration quotaHoldTimeout) {
        this.quotaHoldTimeout = quotaHoldTimeout;
        this.name = name;
        this.log = log;
        this.executor = executor;
        this.store = store;
        this.scheduler = scheduler;
        this.bookKeeper = bookKeeper;
        this.cursorConfig = cursorConfig;
        this.dispatchBatchSize = dispatchBatchSize;
    }

    public TopicName name() {
        return name;
    }

    public ManagedLog log() {
        return log;
    }

    public ExecutorService executor() {
        return executor;
    }

    public ScheduledExecutorService scheduler() {
        return scheduler;
    }

    public boolean isClosing() {
        return closing;
    }

    /** The highest sequence id stored for {@code producerName}, or -1. Runs on the topic's executor. */
    public CompletableFuture<Long> lastSequenceId(String producerName) {
        return CompletableFuture.supplyAsync(() -> log.lastSequenceId(producerName), executor);
    }

    /** Counters the load report turns into rates. */

    /** Cumulative totals since the topic was loaded here: messages in, bytes in, messages out, bytes out. */
    public long[] totals() {
        return new long[] {messagesInRate.total(), bytesInRate.total(), messagesOutRate.total(), bytesOutRate.total()};
    }

    private final Rate messagesInRate = new Rate();
    private final Rate bytesInRate = new Rate();
    private final Rate messagesOutRate = new Rate();
    private final Rate bytesOutRate = new Rate();

    /** Called by dispatch for every entry handed to a consumer. */
    public void recordDelivered(int messages, int bytes) {
        messagesOutRate.record(messages);
        bytesOutRate.record(bytes);
    }

    /** Registers a way to disconnect a producer when the topic closes; returns its deregistration. */
    public Runnable addProducer(Consumer<ErrorDetail> closer) {
        producerClosers.add(closer);
        return () -> producerClosers.remove(closer);
    }

    /**
     * Stores one batch unless its sequence ids were stored already (then answers duplicate).
     * Batches of one producer complete in the order they were published.
     */
    public CompletableFuture<PublishResult> publish(String producerName, long sequenceId, int messageCount, byte[] entry) {
        CompletableFuture<PublishResult> result = new CompletableFuture<>();
        executor.execute(() -> {
            if (closing) {
                result.completeExceptionally(new TributaryException(ErrorReason.BUNDLE_MOVING,
                        "topic " + name + " is closing on this broker"));
                return;
            }
            if (overQuota && policies.backlogQuotaPolicy() == BacklogQuotaPolicy.PRODUCER_EXCEPTION) {
                result.completeExceptionally(quotaExceeded());
                return;
            }
            if (!held.isEmpty() || (overQuota && policies.backlogQuotaPolicy() == BacklogQuotaPolicy.PRODUCER_REQUEST_HOLD)) {
                // later publishes queue behind held ones, so that each producer's order is kept
                held.add(new HeldPublish(producerName, sequenceId, messageCount, entry, result,
                        System.currentTimeMillis() + quotaHoldTimeout.toMillis()));
                scheduleHoldCheck();
                return;
            }
            publishNow(producerName, sequenceId, messageCount, entry, result);
        });
        return result;
    }

    private void publishNow(String producerName, long sequenceId, int messageCount, byte[] entry,
                            CompletableFuture<PublishResult> result) {
        {
            long lastEnd = sequenceId + Math.max(1, messageCount) - 1;
            long pushed = lastPushedSequence.getOrDefault(producerName, log.lastSequenceId(producerName));
            if (sequenceId <= pushed) {
                // a resend of something stored or in flight: answer once the original is durable
                CompletableFuture<?> inFlight = lastPushed.getOrDefault(producerName, CompletableFuture.completedFuture(null));
                inFlight.handle((v, e) -> null).thenRunAsync(() -> {
                    if (log.lastSequenceId(producerName) >= sequenceId) {
                        RecentBatches recent = recentPositions.get(producerName);
                        result.complete(new PublishResult(recent == null ? null : recent.find(sequenceId), true));
                    } else {
                        lastPushedSequence.put(producerName, log.lastSequenceId(producerName));
                        appendNew(producerName, sequenceId, lastEnd, messageCount, entry, result);
                    }
                }, executor);
                return;
            }
            appendNew(producerName, sequenceId, lastEnd, messageCount, entry, result);
        }
    }

    private static <K, V> Map<K, V> boundedLru(int max) {
        return new java.util.LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<K, V> eldest) {
                return size() > max;
            }
        };
    }

    private void appendNew(String producerName, long firstSequenceId, long lastEnd, int messageCount, byte[] entry,
                           CompletableFuture<PublishResult> result) {
        lastPushedSequence.put(producerName, lastEnd);
        CompletableFuture<Position> append = log.appendAsync(entry, new SequenceMark(producerName, lastEnd));
        lastPushed.put(producerName, append);
        append.whenCompleteAsync((p, err) -> {
            if (err != null) {
                // not stored: a resend with the same ids must be appended, not answered as duplicate
                lastPushedSequence.put(producerName, log.lastSequenceId(producerName));
                result.completeExceptionally(err);
                if (ErrorReasons.unwrap(err) instanceof ManagedLogException.FencedException) {
                    onFenced();
                }
                return;
            }
            messagesInRate.record(Math.max(1, messageCount));
            bytesInRate.record(entry.length);
            recentPositions.computeIfAbsent(producerName, k -> new RecentBatches(RECENT_BATCHES_PER_PRODUCER))
                    .add(firstSequenceId, p);
            if (lastAppended == null || p.compareTo(lastAppended) > 0) {
                // the count the producer declared (0: not declared, then GetLastMessageId reads the entry)
                lastAppended = messageCount > 0 ? p : null;
                lastAppendedCount = messageCount;
            }
            result.complete(new PublishResult(p, false));
        }, executor);
    }

    private Runnable fencedListener = () -> {};

    void onFenced(Runnable listener) {
        this.fencedListener = listener;
    }

    private void onFenced() {
        fencedListener.run();
    }

    /** The subscription, opening its cursor (and creating it at {@code start} if asked). */
    public CompletableFuture<Subscription> subscription(String subscription, ManagedCursor.Start start, boolean create) {
        return CompletableFuture.supplyAsync(() -> {
            CompletableFuture<Subscription> existing = subscriptions.get(subscription);
            if (existing != null && !existing.isCompletedExceptionally()) {
                return existing.thenApply(sub -> {
                    if (!sub.cursor().isDurable()) {
                        throw new TributaryException(ErrorReason.CONSUMER_BUSY, "subscription name " + subscription
                                + " of " + name + " is taken by a reader");
                    }
                    return sub;
                });
            }
            CompletableFuture<Subscription> f = ManagedCursor.newOpenOp(log).name(subscription).start(start)
                    .createIfMissing(create).metadataStore(store).bookKeeper(bookKeeper).scheduler(scheduler)
                    .config(cursorConfig).execute()
                    .thenApplyAsync(cursor -> {
                        if (cursor == null) {
                            subscriptions.remove(subscription);
                            throw new TributaryException(ErrorReason.SUBSCRIPTION_NOT_FOUND,
                                    "subscription " + subscription + " does not exist on topic " + name);
                        }
                        return new Subscription(subscriptionContext(), subscription, cursor);
                    }, executor);
            subscriptions.put(subscription, f);
            return f;
        }, executor).thenCompose(f -> f);
    }

    /** Opens every stored subscription, so that retention and stats know all of them. Call once, at load. */
    CompletableFuture<Void> loadSubscriptions() {
        return subscriptionNames().thenCompose(names -> CompletableFuture.allOf(names.stream()
                .map(n -> subscription(n, ManagedCursor.Start.LATEST, false).exceptionally(e -> null))
                .toArray(CompletableFuture[]::new)));
    }

    /**
     * A reader's subscription: a cursor that is not stored, starting at {@code startId} (after it
     * unless {@code inclusive}), or at {@code initial} when there is no id. Gone when its consumer leaves.
     */
    public CompletableFuture<Subscription> reader(String subscription, MessageId startId, boolean inclusive,
                                                  InitialPosition initial) {
        return CompletableFuture.supplyAsync(() -> {
            CompletableFuture<Subscription> existing = subscriptions.get(subscription);
            if (existing != null && !existing.isCompletedExceptionally()) {
                throw new TributaryException(ErrorReason.CONSUMER_BUSY, "subscription " + subscription
                        + " already exists on topic " + name + "; a reader needs a name of its own");
            }
            Position next;
            int ackedUpTo = -1;
            int batchSize = 0;
            if (startId != null) {
                Position p = positionOf(startId);
                if (inclusive || p.equals(log.endPosition())) {
                    next = p;
                } else if (startId.getBatchSize() > 1 && startId.getBatchIndex() >= 0
                        && startId.getBatchIndex() < startId.getBatchSize() - 1) {
                    // after a message inside a batch: the rest of that batch comes first
                    next = p;
                    ackedUpTo = startId.getBatchIndex();
                    batchSize = startId.getBatchSize();
                } else {
                    next = log.nextPosition(p);
                }
            } else {
                next = initial == InitialPosition.EARLIEST ? log.firstPosition() : log.endPosition();
            }
            ManagedCursor cursor = ManagedCursor.nonDurable(log, subscription, new Position(next.ledgerId(), next.entryId() - 1));
            for (int i = 0; i <= ackedUpTo; i++) {
                cursor.acknowledgeIndex(next, i, batchSize);
            }
            Subscription sub = new Subscription(subscriptionContext(), subscription, cursor);
            subscriptions.put(subscription, CompletableFuture.completedFuture(sub));
            return sub;
        }, executor);
    }

    /** What a subscription needs from this topic (it does not see the topic itself). */
    private SubscriptionContext subscriptionContext() {
        return new SubscriptionContext(name.toString(), log, executor, scheduler, dispatchBatchSize,
                this::checkMessageId, this::recordDelivered, this::removeSubscription);
    }

    /** Called by a reader's subscription when its consumer left. Runs on the executor. */
    public void removeSubscription(Subscription sub) {
        CompletableFuture<Subscription> f = subscriptions.get(sub.name());
        if (f != null && f.isDone() && !f.isCompletedExceptionally() && f.join() == sub) {
            subscriptions.remove(sub.name());
        }
    }

    /** Null if {@code p} can be the position of a message of this topic, else why not. */
    public ErrorDetail checkMessageId(Position p) {
        if (p.entryId() < 0 || p.isAfter(log.lastConfirmed())) {
            return ErrorReasons.detail(ErrorReason.INVALID_MESSAGE_ID, "message id " + p + " does not belong to topic "
                    + name + " (its last message is " + log.lastConfirmed() + ")");
        }
        if (log.nextPosition(new Position(p.ledgerId(), p.entryId() - 1)).equals(p)) {
            return null;
        }
        if (p.ledgerId() < log.firstPosition().ledgerId()) {
            return null; // in a ledger deleted after everyone acknowledged it
        }
        return ErrorReasons.detail(ErrorReason.INVALID_MESSAGE_ID, "message id " + p + " does not belong to topic " + name);
    }

    /**
     * Where a seek to {@code id} starts: the id's entry; the first stored entry for an id before it
     * (deleted by retention); the end for the id just after the last message.
     * Throws POSITION_OUT_OF_RANGE past the end and INVALID_MESSAGE_ID for an id of no ledger of the topic.
     */
    private Position positionOf(MessageId id) {
        Position p = new Position(id.getLedgerId(), id.getEntryId());
        Position end = log.endPosition();
        if (p.isAfter(end)) {
            throw new TributaryException(ErrorReason.POSITION_OUT_OF_RANGE, "message id " + id.getLedgerId() + ":"
                    + id.getEntryId() + " is past the end of topic " + name + " (its last message is " + log.lastConfirmed() + ")");
        }
        if (p.equals(end)) {
            return end;
        }
        Position first = log.firstPosition();
        if (p.isBefore(first)) {
            return first;
        }
        ErrorDetail invalid = checkMessageId(p);
        if (invalid != null) {
            throw new TributaryException(invalid, null);
        }
        return p;
    }

    /** The position a seek target names (runs on the executor; reads the log for a publish time). */
    public CompletableFuture<Position> resolve(MessageId id, Long publishTimeMs, InitialPosition position) {
        if (id != null) {
            return CompletableFuture.supplyAsync(() -> positionOf(id), executor);
        }
        if (publishTimeMs != null) {
            if (publishTimeMs < 0) {
                return CompletableFuture.failedFuture(new TributaryException(ErrorReason.INVALID_REQUEST,
                        "a publish time must be >= 0, was " + publishTimeMs));
            }
            return log.findFirst(e -> EntryCodec.header(e).getPublishTimeMs(), publishTimeMs);
        }
        if (position == null) {
            return CompletableFuture.failedFuture(new TributaryException(ErrorReason.INVALID_REQUEST,
                    "a seek needs a message id, a publish time or a position"));
        }
        return CompletableFuture.supplyAsync(() -> position == InitialPosition.EARLIEST ? log.firstPosition() : log.endPosition(), executor);
    }

    /** The subscription if it is open here, else SUBSCRIPTION_NOT_FOUND. */
    private CompletableFuture<Subscription> existing(String subscription) {
        return subscription(subscription, ManagedCursor.Start.LATEST, false);
    }

    /** Moves a subscription's cursor (admin reset, clear backlog); its consumers are disconnected and come back. */
    public CompletableFuture<Void> resetSubscription(String subscription, MessageId id, Long publishTimeMs, InitialPosition position) {
        return existing(subscription).thenCompose(sub -> resolve(id, publishTimeMs, position)
                .thenComposeAsync(p -> sub.seek(p, null), executor));
    }

    /**
     * Acknowledges the first {@code messages} unacknowledged messages of a subscription (admin skip);
     * completes with how many were skipped.
     */
    public CompletableFuture<Long> skipMessages(String subscription, long messages) {
        return existing(subscription).thenComposeAsync(sub -> sub.skipMessages(messages), executor);
    }

    /**
     * The id of the last stored message (the last message of the last entry, whose batch size is
     * known if this broker appended it and read otherwise), unset when the log holds none; with a subscription name (a reader's too), also that
     * subscription's mark-delete position, or SUBSCRIPTION_NOT_FOUND if it is not open here.
     */
    public CompletableFuture<GetLastMessageIdResponse> lastMessageId(String subscription) {
        return CompletableFuture.supplyAsync(() -> {
            GetLastMessageIdResponse.Builder r = GetLastMessageIdResponse.newBuilder();
            int partition = name.partitionIndex();
            if (subscription != null && !subscription.isEmpty()) {
                CompletableFuture<Subscription> f = subscriptions.get(subscription);
                if (f == null || !f.isDone() || f.isCompletedExceptionally()) {
                    throw new TributaryException(ErrorReason.SUBSCRIPTION_NOT_FOUND,
                            "subscription " + subscription + " is not open on topic " + name);
                }
                Position md = f.join().cursor().markDeletePosition();
                r.setMarkDeletePosition(MessageId.newBuilder().setLedgerId(md.ledgerId()).setEntryId(md.entryId())
                        .setBatchIndex(-1).setPartition(partition));
            }
            // a log whose ledgers retention deleted holds nothing, though lastConfirmed still names an entry
            if (log.firstPosition().equals(log.endPosition())) {
                return CompletableFuture.completedFuture(r.build());
            }
            Position last = log.lastConfirmed();
            if (last.equals(lastAppended)) {
                return CompletableFuture.completedFuture(r.setLastMessageId(MessageId.newBuilder()
                        .setLedgerId(last.ledgerId()).setEntryId(last.entryId()).setBatchIndex(lastAppendedCount - 1)
                        .setBatchSize(lastAppendedCount).setPartition(partition)).build());
            }
            // written before this broker served the topic: read its message count
            return log.readAsync(last, 1).thenApply(entries -> {
                if (entries.isEmpty()) {
                    return r.build();
                }
                int size = EntryCodec.messageCount(entries.get(0).data());
                return r.setLastMessageId(MessageId.newBuilder().setLedgerId(last.ledgerId()).setEntryId(last.entryId())
                        .setBatchIndex(size - 1).setBatchSize(size).setPartition(partition)).build();
            });
        }, executor).thenCompose(f -> f);
    }

    /** Deletes a subscription and its stored state; with consumers attached only if {@code force}. */
    public CompletableFuture<Void> deleteSubscription(String subscription, boolean force) {
        return existing(subscription).thenComposeAsync(sub -> {
            if (!sub.consumers().isEmpty() && !force) {
                throw new TributaryException(ErrorReason.CONSUMER_BUSY, "subscription " + subscription + " of " + name
                        + " has " + sub.consumers().size() + " consumer(s); disconnect them or delete with force");
            }
            subscriptions.remove(subscription);
            ErrorDetail gone = ErrorReasons.detail(ErrorReason.SUBSCRIPTION_NOT_FOUND,
                    "subscription " + subscription + " of " + name + " was deleted");
            return sub.close(gone).thenCompose(v -> sub.cursor().deleteAsync());
        }, executor);
    }

    private List<Subscription> openSubscriptions() {
        List<Subscription> out = new ArrayList<>();
        for (CompletableFuture<Subscription> f : subscriptions.values()) {
            if (f.isDone() && !f.isCompletedExceptionally()) {
                out.add(f.join());
            }
        }
        return out;
    }

    private List<Subscription> durableSubscriptions() {
        return openSubscriptions().stream().filter(s -> s.cursor().isDurable()).toList();
    }

    // ------------------------------------------------------------------ policies

    private TributaryException quotaExceeded() {
        return new TributaryException(ErrorReason.BACKLOG_QUOTA_EXCEEDED, "a subscription of " + name
                + " has a backlog over the namespace's quota of " + policies.backlogQuotaBytes() + " bytes");
    }

    private boolean computeOverQuota() {
        Policies p = policies;
        if (!p.hasBacklogQuota()) {
            return false;
        }
        for (Subscription s : durableSubscriptions()) {
            if (s.backlogBytes() > p.backlogQuotaBytes()) {
                return true;
            }
        }
        return false;
    }

    private void scheduleHoldCheck() {
        if (holdCheck == null && !closing) {
            holdCheck = scheduler.schedule(() -> executor.execute(this::checkHeld), 100, TimeUnit.MILLISECONDS);
        }
    }

    /** Releases held publishes once the backlog is under the quota; fails those held too long. */
    private void checkHeld() {
        holdCheck = null;
        overQuota = computeOverQuota();
        long now = System.currentTimeMillis();
        while (!held.isEmpty()) {
            HeldPublish h = held.peek();
            if (!overQuota || policies.backlogQuotaPolicy() != BacklogQuotaPolicy.PRODUCER_REQUEST_HOLD) {
                held.poll();
                publishNow(h.producerName(), h.sequenceId(), h.messageCount(), h.entry(), h.result());
            } else if (h.deadlineMs() <= now) {
                held.poll();
                h.result().completeExceptionally(new TributaryException(ErrorReason.BACKLOG_QUOTA_EXCEEDED,
                        "held for " + quotaHoldTimeout.toMillis() + " ms: a subscription of " + name
                                + " has a backlog over the namespace's quota of " + policies.backlogQuotaBytes() + " bytes"));
            } else {
                break;
            }
        }
        if (!held.isEmpty()) {
            scheduleHoldCheck();
        }
    }

    /**
     * Applies the policies once: rolls an old ledger over, expires messages past the TTL, enforces
     * the backlog quota, and deletes ledgers that every subscription acknowledged and retention no
     * longer covers. Returns the ledgers deleted.
     */
    public CompletableFuture<List<Long>> maintain(Policies p) {
        return CompletableFuture.supplyAsync(() -> {
            policies = p;
            return log.rolloverIfAged().exceptionally(e -> false);
        }, executor).thenCompose(f -> f).thenCompose(rolled -> {
            if (p.messageTtlMs() <= 0 || durableSubscriptions().stream().allMatch(s -> s.cursor().backlog() == 0)) {
                return CompletableFuture.<Void>completedFuture(null);
            }
            long cutoff = System.currentTimeMillis() - p.messageTtlMs();
            return log.findFirst(e -> EntryCodec.header(e).getPublishTimeMs(), cutoff).thenAcceptAsync(firstLive -> {
                for (Subscription s : durableSubscriptions()) {
                    s.recordExpired(s.skipTo(firstLive));
                }
            }, executor);
        }).thenComposeAsync(v -> {
            if (p.hasBacklogQuota() && p.backlogQuotaPolicy() == BacklogQuotaPolicy.CONSUMER_BACKLOG_EVICTION) {
                for (Subscription s : durableSubscriptions()) {
                    if (s.backlogBytes() > p.backlogQuotaBytes()) {
                        long skipped = s.skipTo(log.positionWithBytesAfter(p.backlogQuotaBytes()));
                        LOG.info("{}/{}: backlog over the quota of {} bytes; evicted {} entries", name, s.name(),
                                p.backlogQuotaBytes(), skipped);
                    }
                }
            }
            overQuota = computeOverQuota();
            if (!held.isEmpty()) {
                checkHeld();
            }
            Position consumed = log.lastConfirmed();
            for (Subscription s : durableSubscriptions()) {
                Position md = s.cursor().markDeletePosition();
                if (md.isBefore(consumed)) {
                    consumed = md;
                }
            }
            return log.trimLedgers(consumed, p.retentionTimeMs(), p.retentionSizeBytes(), System.currentTimeMillis());
        }, executor);
    }

    /** Stats of this topic and its subscriptions. */
    public CompletableFuture<TopicStats> stats() {
        return CompletableFuture.supplyAsync(() -> {
            TopicStats.Builder b = TopicStats.newBuilder()
                    .setTopic(name.toString())
                    .setMsgRateIn(messagesInRate.perSecond())
                    .setMsgRateOut(messagesOutRate.perSecond())
                    .setBytesRateIn(bytesInRate.perSecond())
                    .setBytesRateOut(bytesOutRate.perSecond())
                    .setMsgInTotal(messagesInRate.total())
                    .setMsgOutTotal(messagesOutRate.total())
                    .setStorageSizeBytes(log.sizeBytes())
                    .setEntries(log.numberOfEntries())
                    .setLedgers(log.ledgerCount())
                    .setProducers(producerClosers.size());
            long backlog = 0;
            List<Subscription> subs = new ArrayList<>(openSubscriptions());
            subs.sort(Comparator.comparing(Subscription::name));
            for (Subscription s : subs) {
                var st = s.stats();
                backlog = Math.max(backlog, st.getBacklogBytes());
                b.addSubscriptions(st);
            }
            return b.setBacklogBytes(backlog).build();
        }, executor);
    }

    /** Names of the subscriptions stored for this topic (also those with no consumer now). */
    public CompletableFuture<List<String>> subscriptionNames() {
        return store.children(MetadataPaths.cursors(name.toString()));
    }

    /**
     * Stops serving: disconnects producers and consumers with {@code reason}, persists cursors
     * and closes the log (its open ledger is sealed, so the next owner need not recover it).
     */
    public CompletableFuture<Void> close(ErrorDetail reason) {
        return CompletableFuture.supplyAsync(() -> {
            closing = true;
            if (holdCheck != null) {
                holdCheck.cancel(false);
            }
            while (!held.isEmpty()) {
                held.poll().result().completeExceptionally(new TributaryException(ErrorReason.BUNDLE_MOVING,
                        "topic " + name + " is closing on this broker"));
            }
            for (Consumer<ErrorDetail> p : List.copyOf(producerClosers)) {
                p.accept(reason);
            }
            producerClosers.clear();
            List<CompletableFuture<Void>> closes = new ArrayList<>();
            for (CompletableFuture<Subscription> s : subscriptions.values()) {
                closes.add(s.handle((sub, e) -> sub).thenCompose(sub -> sub == null
                        ? CompletableFuture.completedFuture(null)
                        : CompletableFuture.supplyAsync(() -> sub.close(reason), executor).thenCompose(x -> x)));
            }
            return CompletableFuture.allOf(closes.toArray(CompletableFuture[]::new));
        }, executor).thenCompose(f -> f).thenCompose(v -> log.closeAsync());
    }

    /** Closes the topic and removes its data: ledgers, log metadata and cursors. */
    public CompletableFuture<Void> delete() {
        ErrorDetail reason = Errors.detailOf(new TributaryException(ErrorReason.TOPIC_NOT_FOUND, "topic " + name + " was deleted"));
        return close(reason).thenCompose(v -> log.deleteAsync())
                .thenCompose(v -> store.deleteRecursively(MetadataPaths.cursors(name.toString())));
    }
}
