package io.tributary.broker.topic;

import io.tributary.api.v1.ErrorDetail;
import io.tributary.api.v1.ErrorReason;
import io.tributary.api.v1.GetLastMessageIdResponse;
import io.tributary.api.v1.InitialPosition;
import io.tributary.api.v1.MessageId;
import io.tributary.api.v1.TopicStats;
import io.tributary.broker.dispatch.Subscription;
import io.tributary.broker.dispatch.SubscriptionContext;
import io.tributary.broker.service.Errors;
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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Consumer;
import org.apache.bookkeeper.client.api.BookKeeper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A topic served by this broker: the publish pipeline over its managed log, its subscriptions,
 * close and delete. The other roles are parts it owns: {@link Deduplication} (producers' sequence
 * ids), {@link BacklogQuotaGuard} (the quota's hold or refusal of publishes), {@link PolicyEnforcer}
 * (TTL, eviction, retention), {@link PositionResolver} (message ids and positions) and
 * {@link TopicCounters} (rates and stats). Its state, the parts' included, is owned by
 * {@link #executor()}, the topic's thread of the broker's ordered executor; the managed log runs on
 * the same thread.
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

    private final Deduplication dedup;
    private final PlainPublish plain;
    private final BacklogQuotaGuard quota;
    private final PolicyEnforcer policies;
    private final PositionResolver positions;
    private final TopicCounters counters = new TopicCounters();
    private final TopicLimits limits;

    private final Map<String, CompletableFuture<Subscription>> subscriptions = new HashMap<>();
    /** The live producers' streams by producer name (one each): how to disconnect them, what they published. */
    private final Map<String, ConnectedProducer> producers = new ConcurrentHashMap<>();
    private volatile boolean closing;
    /** The broker's ZooKeeper session is suspended: subscriptions dispatch nothing and hold acknowledgements. */
    private volatile boolean paused;
    /**
     * The thread of {@link #executor}, once a publish ran there: a callback already on it (the log
     * completes appends there) runs inline instead of queueing behind itself.
     */
    private volatile Thread ownerThread;

    Topic(TopicName name, ManagedLog log, ExecutorService executor, MetadataStore store,
          ScheduledExecutorService scheduler, BookKeeper bookKeeper, CursorConfig cursorConfig, int dispatchBatchSize,
          Duration quotaHoldTimeout, TopicLimits limits) {
        this.name = name;
        this.log = log;
        this.executor = executor;
        this.store = store;
        this.scheduler = scheduler;
        this.bookKeeper = bookKeeper;
        this.cursorConfig = cursorConfig;
        this.dispatchBatchSize = dispatchBatchSize;
        this.limits = limits.counting(this::openSubscriptions);
        this.dedup = new Deduplication(log::lastSequenceId, limits::deduplicationEnabled);
        this.plain = new PlainPublish(dedup, this::appendNew, this::onExecutor);
        // batches the previous owner stored but may not have acknowledged: their resend gets their position
        for (io.tributary.storage.log.RecoveredBatch b : log.recoveredBatches()) {
            dedup.stored(b.producerName(), b.lastSequenceId(), b.position());
        }
        this.quota = new BacklogQuotaGuard(name, executor, scheduler, quotaHoldTimeout, this::anyBacklogOver);
        this.policies = new PolicyEnforcer(name, log, executor, quota, this::durableSubscriptions, this::subscriptionNames);
        this.positions = new PositionResolver(name, log, executor);
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

    public TopicLimits limits() {
        return limits;
    }

    public boolean isClosing() {
        return closing;
    }

    /** The highest sequence id stored for {@code producerName}, or -1. Runs on the topic's executor. */
    public CompletableFuture<Long> lastSequenceId(String producerName) {
        return CompletableFuture.supplyAsync(() -> log.lastSequenceId(producerName), executor);
    }

    /**
     * Cumulative totals since the topic was loaded here: messages in, bytes in, messages out, bytes out
     * (counters the load report turns into rates).
     */
    public long[] totals() {
        return counters.totals();
    }

    /**
     * Registers a producer's stream under its name, with a way to disconnect it when the topic closes;
     * returns its deregistration, to run when the stream ends. One live stream per name: two writers
     * under one name would interleave sequence ids, and deduplication would drop one's messages as
     * the other's resends. So a second is refused with PRODUCER_BUSY until the first stream has
     * ended; a producer reconnecting before the broker noticed its old stream's end retries. A topic
     * takes at most its namespace's limit ({@link TopicLimits}; each holds dedup state, pending appends
     * and a stream): PRODUCER_BUSY beyond.
     */
    public Runnable addProducer(String producerName, Consumer<ErrorDetail> closer) {
        synchronized (producers) {
            if (producers.containsKey(producerName)) {
                throw new TributaryException(ErrorReason.PRODUCER_BUSY, "producer " + producerName
                        + " is already connected to topic " + name + "; producer names must be unique per topic");
            }
            limits.checkProducers(producers.size());
            ConnectedProducer connected = new ConnectedProducer(producerName, closer);
            producers.put(producerName, connected);
            return () -> producers.remove(producerName, connected);
        }
    }

    /** Whether a live Publish stream holds {@code producerName} on this topic. */
    public boolean hasProducer(String producerName) {
        return producers.containsKey(producerName);
    }

    /**
     * Forgets the deduplication state of producers that are not connected, have nothing in flight
     * and stored nothing for {@code inactivity}, then of the least recently active beyond
     * {@code maxProducers}: the topic's metadata stays small however many producers come and go.
     * Completes with how many were forgotten.
     */
    public CompletableFuture<Integer> forgetInactiveProducers(Duration inactivity, int maxProducers) {
        return CompletableFuture.supplyAsync(() -> {
            Set<String> active = new HashSet<>(producers.keySet());
            active.addAll(dedup.producersInFlight());
            return log.forgetInactiveProducers(System.currentTimeMillis() - inactivity.toMillis(), maxProducers, active);
        }, executor).thenCompose(f -> f).thenApplyAsync(forgotten -> {
            dedup.forget(forgotten);
            return forgotten.size();
        }, executor);
    }

    /**
     * Stores one batch unless its sequence ids were stored already (then answers duplicate).
     * Batches of one producer complete in the order they were published.
     */
    public CompletableFuture<PublishResult> publish(String producerName, long sequenceId, int messageCount, byte[] entry) {
        return admitted(result -> publishNow(producerName, sequenceId, messageCount, entry, result));
    }

    /** Runs {@code now} on the topic's executor once the backlog quota admits it, unless the topic is closing. */
    private <T> CompletableFuture<T> admitted(Consumer<CompletableFuture<T>> now) {
        CompletableFuture<T> result = new CompletableFuture<>();
        executor.execute(() -> {
            ownerThread = Thread.currentThread();
            if (closing) {
                result.completeExceptionally(closingException());
                return;
            }
            quota.admit(() -> now.accept(result), result);
        });
        return result;
    }

    /**
     * Stores {@code count} plain messages of a producer name as one entry that {@code encode} makes,
     * through the same quota, deduplication and log as {@link #publish}. With {@code firstSequenceId}
     * -1 they are numbered after the highest sequence id handed to the log under the name (so never
     * taken for duplicates); otherwise the leading messages whose ids the name has stored already are
     * skipped (answered as duplicates) and the rest stored, once an append of the name still in
     * flight has settled. Runs the encoder on the topic's executor.
     */
    public CompletableFuture<PlainPublish.Result> publishPlain(String producerName, long firstSequenceId, int count,
                                                          PlainPublish.Entry encode) {
        return admitted(result -> plain.publishNow(producerName, firstSequenceId, count, encode, result));
    }

    private TributaryException closingException() {
        return new TributaryException(ErrorReason.BUNDLE_MOVING, "topic " + name + " is closing on this broker");
    }

    private void publishNow(String producerName, long sequenceId, int messageCount, byte[] entry,
                            CompletableFuture<PublishResult> result) {
        long lastEnd = sequenceId + Math.max(1, messageCount) - 1;
        if (dedup.isResend(producerName, sequenceId)) {
            // a resend of something stored or in flight: answer once the original is durable
            dedup.inFlight(producerName).thenRun(() -> onExecutor(() -> {
                if (dedup.isStored(producerName, sequenceId)) {
                    result.complete(new PublishResult(dedup.storedAt(producerName, lastEnd), true));
                } else {
                    dedup.backToStored(producerName);
                    appendNew(producerName, sequenceId, lastEnd, messageCount, entry, result);
                }
            }));
            return;
        }
        appendNew(producerName, sequenceId, lastEnd, messageCount, entry, result);
    }

    private void appendNew(String producerName, long firstSequenceId, long lastEnd, int messageCount, byte[] entry,
                           CompletableFuture<PublishResult> result) {
        if (dedup.skipsFailed(producerName, firstSequenceId)) {
            // an earlier batch of this producer failed to store and was not sent again: storing this one
            // would raise the producer's stored mark past the failed ids, and their resend would then be
            // taken for a duplicate. The SDK never gets here (a failed append ends its stream and it
            // resends everything pending, oldest first); a client that skips ids is told so.
            result.completeExceptionally(new TributaryException(ErrorReason.INVALID_REQUEST, "sequence gap: producer "
                    + producerName + " sent a batch starting at sequence id " + firstSequenceId + ", but its batch from "
                    + dedup.failedFrom(producerName) + " failed to store and was not sent again; resend from there"));
            return;
        }
        dedup.appending(producerName, firstSequenceId);
        CompletableFuture<Position> append = log.appendAsync(entry, new SequenceMark(producerName, lastEnd));
        // a resend waits for the result, not the append: the result completes once the position is recorded
        dedup.pushed(producerName, lastEnd, result);
        append.whenComplete((p, err) -> onExecutor(() -> {
            if (err != null) {
                // not stored, nor anything the log had behind it: a resend with the same ids must be
                // appended, not answered as duplicate, and later ids wait for that resend
                dedup.appendFailed(producerName, firstSequenceId);
                result.completeExceptionally(err);
                if (ErrorReasons.unwrap(err) instanceof ManagedLogException.FencedException) {
                    fencedListener.run();
                }
                return;
            }
            counters.recordPublished(Math.max(1, messageCount), entry.length);
            ConnectedProducer producer = producers.get(producerName);
            if (producer != null) {
                producer.recordPublished(Math.max(1, messageCount), entry.length);
            }
            dedup.stored(producerName, lastEnd, p);
            positions.appended(p, messageCount);
            result.complete(new PublishResult(p, false));
        }));
    }

    /**
     * Runs {@code task} on the topic's executor: inline when already on its thread, else queued.
     * The log shares the topic's thread (both are the broker's ordered executor's thread for the
     * topic's name) and completes appends there, so a publish's completion runs inline instead of
     * queueing behind itself. Should a log complete elsewhere, the task is queued as before.
     */
    private void onExecutor(Runnable task) {
        if (Thread.currentThread() == ownerThread) {
            task.run();
        } else {
            executor.execute(task);
        }
    }

    private Runnable fencedListener = () -> {};

    void onFenced(Runnable listener) {
        this.fencedListener = listener;
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
            if (create && existing == null) {
                limits.checkSubscriptions(subscriptions.size());
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
                        return paused(new Subscription(subscriptionContext(), subscription, cursor));
                    }, executor);
            subscriptions.put(subscription, f);
            return f;
        }, executor).thenCompose(f -> f);
    }

    /**
     * Opens every stored subscription, so that retention and stats know all of them. Call once, at
     * load. Fails with {@link CursorNotLoadedException} if a stored cursor cannot be loaded: the topic
     * must then not be served (retention would trim the backlog that cursor holds).
     */
    CompletableFuture<Void> loadSubscriptions() {
        Map<String, Throwable> failed = new ConcurrentHashMap<>();
        return subscriptionNames().thenCompose(names -> CompletableFuture.allOf(names.stream()
                .map(n -> subscription(n, ManagedCursor.Start.LATEST, false).handle((s, e) -> {
                    Throwable cause = e == null ? null : ErrorReasons.unwrap(e);
                    if (cause != null && !(cause instanceof TributaryException te
                            && te.reason() == ErrorReason.SUBSCRIPTION_NOT_FOUND)) {
                        failed.put(n, cause);
                    }
                    return null;
                }))
                .toArray(CompletableFuture[]::new))).thenRun(() -> {
                    if (!failed.isEmpty()) {
                        throw new CompletionException(new CursorNotLoadedException(name.toString(),
                                new java.util.TreeSet<>(failed.keySet()), failed.values().iterator().next()));
                    }
                });
    }

    /**
     * A reader's subscription: a cursor that is not stored, starting at {@code startId} (after it
     * unless {@code inclusive}), or at {@code initial} when there is no id. Gone when its consumer leaves.
     */
    public CompletableFuture<Subscription> reader(String subscription, MessageId startId, boolean inclusive,
                                                  InitialPosition initial) {
        // the start id is checked against its entry (batch size included) before anything is sized by it
        CompletableFuture<Position> resolved = startId == null ? CompletableFuture.completedFuture(null)
                : positions.resolve(startId, null, null);
        return resolved.thenApplyAsync(p -> {
            CompletableFuture<Subscription> existing = subscriptions.get(subscription);
            if (existing != null && !existing.isCompletedExceptionally()) {
                throw new TributaryException(ErrorReason.CONSUMER_BUSY, "subscription " + subscription
                        + " already exists on topic " + name + "; a reader needs a name of its own");
            }
            limits.checkSubscriptions(subscriptions.size());
            PositionResolver.ReaderStart start = positions.readerStart(startId, p, inclusive, initial);
            Position next = start.next();
            ManagedCursor cursor = ManagedCursor.nonDurable(log, subscription, new Position(next.ledgerId(), next.entryId() - 1));
            if (start.ackedUpTo() >= 0) {
                cursor.acknowledgeIndexesUpTo(next, start.ackedUpTo(), start.batchSize());
            }
            Subscription sub = paused(new Subscription(subscriptionContext(), subscription, cursor));
            subscriptions.put(subscription, CompletableFuture.completedFuture(sub));
            return sub;
        }, executor);
    }

    /** A new subscription, paused if the topic is. Runs on the executor. */
    private Subscription paused(Subscription sub) {
        if (paused) {
            sub.pause();
        }
        return sub;
    }

    /**
     * Stops dispatching and holds acknowledgements on every subscription: the broker's ZooKeeper
     * session is suspended, so another broker may own the topic by now. Publishes go on: a write to
     * a ledger another owner recovered is refused by BookKeeper's fencing.
     */
    public void pause() {
        paused = true;
        executor.execute(() -> openSubscriptions().forEach(Subscription::pause));
    }

    /** Resumes dispatch and applies held acknowledgements: the session is back and the topic still ours. */
    public void resume() {
        paused = false;
        executor.execute(() -> {
            if (!paused) {
                openSubscriptions().forEach(Subscription::resume);
            }
        });
    }

    public boolean isPaused() {
        return paused;
    }

    /** Acknowledgement requests its subscriptions hold, unanswered, while the topic is paused (for tests). */
    public CompletableFuture<Integer> heldAcknowledgements() {
        return CompletableFuture.supplyAsync(() -> openSubscriptions().stream()
                .mapToInt(Subscription::heldAcknowledgements).sum(), executor);
    }

    /** What a subscription needs from this topic (it does not see the topic itself). */
    private SubscriptionContext subscriptionContext() {
        return new SubscriptionContext(name.toString(), log, log::sizeBytesFrom, executor, scheduler, dispatchBatchSize,
                positions::checkMessageId, counters::recordDelivered, this::removeSubscription, limits.rates()::newSubscription);
    }

    /** Called by a reader's subscription when its consumer left. Runs on the executor. */
    private void removeSubscription(Subscription sub) {
        CompletableFuture<Subscription> f = subscriptions.get(sub.name());
        if (f != null && f.isDone() && !f.isCompletedExceptionally() && f.join() == sub) {
            subscriptions.remove(sub.name());
        }
    }

    /** The position a seek target names (runs on the executor; reads the log for a publish time). */
    public CompletableFuture<Position> resolve(MessageId id, Long publishTimeMs, InitialPosition position) {
        return positions.resolve(id, publishTimeMs, position);
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
            if (subscription != null && !subscription.isEmpty()) {
                CompletableFuture<Subscription> f = subscriptions.get(subscription);
                if (f == null || !f.isDone() || f.isCompletedExceptionally()) {
                    throw new TributaryException(ErrorReason.SUBSCRIPTION_NOT_FOUND,
                            "subscription " + subscription + " is not open on topic " + name);
                }
                Position md = f.join().cursor().markDeletePosition();
                r.setMarkDeletePosition(MessageId.newBuilder().setLedgerId(md.ledgerId()).setEntryId(md.entryId())
                        .setBatchIndex(-1).setPartition(name.partitionIndex()));
            }
            return positions.lastMessageId(r);
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
            return sub.close(gone).handle((v, e) -> null).thenCompose(v -> sub.cursor().deleteAsync());
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

    /** Whether some durable subscription's backlog is over {@code bytes}. Runs on the executor. */
    private boolean anyBacklogOver(long bytes) {
        for (Subscription s : durableSubscriptions()) {
            if (s.backlogBytes() > bytes) {
                return true;
            }
        }
        return false;
    }

    /**
     * Applies the policies once: rolls an old ledger over, expires messages past the TTL, enforces
     * the backlog quota, and deletes ledgers that every subscription acknowledged and retention no
     * longer covers. Returns the ledgers deleted.
     */
    public CompletableFuture<List<Long>> maintain(Policies p) {
        return policies.maintain(p);
    }

    /** Stats of this topic and its subscriptions. */
    public CompletableFuture<TopicStats> stats() {
        return CompletableFuture.supplyAsync(() -> counters.stats(name, log, producers.values(), quota.limitBytes(),
                        openSubscriptions()), executor).thenApply(limits.rates()::withStats);
    }

    /** Names of the subscriptions stored for this topic (also those with no consumer now). */
    public CompletableFuture<List<String>> subscriptionNames() {
        return store.children(MetadataPaths.cursors(name.toString()));
    }

    /**
     * Stops serving (this broker still owns the topic): disconnects producers and consumers with {@code reason}, persists cursors
     * and closes the log (its open ledger is sealed, so the next owner need not recover it).
     */
    public CompletableFuture<Void> close(ErrorDetail reason) {
        return close(reason, false);
    }

    /**
     * Stops serving a topic this broker lost (its ZooKeeper session ended, or another broker took
     * the log over): as {@link #close}, but cursors write nothing more, since the new owner's state
     * is the one that counts.
     */
    public CompletableFuture<Void> closeLost(ErrorDetail reason) {
        return close(reason, true);
    }

    private CompletableFuture<Void> close(ErrorDetail reason, boolean lost) {
        return CompletableFuture.supplyAsync(() -> {
            closing = true;
            if (lost) {
                for (Subscription s : openSubscriptions()) {
                    s.cursor().abandon();
                }
            }
            quota.close(this::closingException);
            for (ConnectedProducer p : List.copyOf(producers.values())) {
                p.disconnect(reason);
            }
            producers.clear();
            List<CompletableFuture<Void>> closes = new ArrayList<>();
            for (CompletableFuture<Subscription> s : subscriptions.values()) {
                closes.add(s.handle((sub, e) -> sub).thenCompose(sub -> sub == null
                        ? CompletableFuture.completedFuture(null)
                        : CompletableFuture.supplyAsync(() -> sub.close(reason), executor).thenCompose(x -> x)
                                .exceptionally(e -> {
                                    // the log is closed all the same; the next owner may deliver again what
                                    // was acknowledged since the cursor's last stored write
                                    LOG.warn("topic {}: the last write of subscription {}'s cursor failed: {}",
                                            name, sub.name(), e.toString());
                                    return null;
                                })));
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
