package io.tributary.broker.topic;

import io.tributary.api.v1.ErrorDetail;
import io.tributary.api.v1.ErrorReason;
import io.tributary.broker.dispatch.Subscription;
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
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Consumer;

/**
 * A topic served by this broker: its managed log, its producers' deduplication state and its
 * subscriptions. Its state is owned by {@link #executor()}, the topic's thread of the broker's
 * ordered executor; the managed log runs on the same thread.
 */
public final class Topic {
    /** The result of one publish: where the batch is, or that it was there already. */
    public record PublishResult(Position position, boolean duplicate) {}

    private final TopicName name;
    private final ManagedLog log;
    private final ExecutorService executor;
    private final MetadataStore store;
    private final ScheduledExecutorService scheduler;
    private final Duration cursorPersistInterval;
    private final int dispatchBatchSize;

    /**
     * Highest sequence id handed to the log per producer (stored or in flight), and the append of
     * the highest one; what is stored lives in the log itself, which keeps it across owners.
     */
    private final Map<String, Long> lastPushedSequence = new HashMap<>();
    private final Map<String, CompletableFuture<?>> lastPushed = new HashMap<>();
    private final Map<String, CompletableFuture<Subscription>> subscriptions = new HashMap<>();
    private final Set<Consumer<ErrorDetail>> producerClosers = ConcurrentHashMap.newKeySet();
    private volatile boolean closing;

    Topic(TopicName name, ManagedLog log, ExecutorService executor, MetadataStore store,
          ScheduledExecutorService scheduler, Duration cursorPersistInterval, int dispatchBatchSize) {
        this.name = name;
        this.log = log;
        this.executor = executor;
        this.store = store;
        this.scheduler = scheduler;
        this.cursorPersistInterval = cursorPersistInterval;
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

    public boolean isClosing() {
        return closing;
    }

    /** The highest sequence id stored for {@code producerName}, or -1. Runs on the topic's executor. */
    public CompletableFuture<Long> lastSequenceId(String producerName) {
        return CompletableFuture.supplyAsync(() -> log.lastSequenceId(producerName), executor);
    }

    /** Counters the load report turns into rates. */
    private final java.util.concurrent.atomic.LongAdder messagesIn = new java.util.concurrent.atomic.LongAdder();
    private final java.util.concurrent.atomic.LongAdder bytesIn = new java.util.concurrent.atomic.LongAdder();
    private final java.util.concurrent.atomic.LongAdder messagesOut = new java.util.concurrent.atomic.LongAdder();
    private final java.util.concurrent.atomic.LongAdder bytesOut = new java.util.concurrent.atomic.LongAdder();

    /** Cumulative totals since the topic was loaded here: messages in, bytes in, messages out, bytes out. */
    public long[] totals() {
        return new long[] {messagesIn.sum(), bytesIn.sum(), messagesOut.sum(), bytesOut.sum()};
    }

    /** Called by dispatch for every entry handed to a consumer. */
    public void recordDelivered(int messages, int bytes) {
        messagesOut.add(messages);
        bytesOut.add(bytes);
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
            long lastEnd = sequenceId + Math.max(1, messageCount) - 1;
            long pushed = lastPushedSequence.getOrDefault(producerName, log.lastSequenceId(producerName));
            if (sequenceId <= pushed) {
                // a resend of something stored or in flight: answer once the original is durable
                CompletableFuture<?> inFlight = lastPushed.getOrDefault(producerName, CompletableFuture.completedFuture(null));
                inFlight.handle((v, e) -> null).thenRunAsync(() -> {
                    if (log.lastSequenceId(producerName) >= sequenceId) {
                        result.complete(new PublishResult(null, true));
                    } else {
                        lastPushedSequence.put(producerName, log.lastSequenceId(producerName));
                        appendNew(producerName, lastEnd, messageCount, entry, result);
                    }
                }, executor);
                return;
            }
            appendNew(producerName, lastEnd, messageCount, entry, result);
        });
        return result;
    }

    private void appendNew(String producerName, long lastEnd, int messageCount, byte[] entry,
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
            messagesIn.add(Math.max(1, messageCount));
            bytesIn.add(entry.length);
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
                return existing;
            }
            // no BookKeeper client reaches the topic yet, so cursor state stays in ZooKeeper whatever its size
            CompletableFuture<Subscription> f = ManagedCursor.open(store, null, log, subscription, start, create,
                            scheduler, CursorConfig.DEFAULT.withPersistInterval(cursorPersistInterval))
                    .thenApplyAsync(cursor -> {
                        if (cursor == null) {
                            subscriptions.remove(subscription);
                            throw new TributaryException(ErrorReason.SUBSCRIPTION_NOT_FOUND,
                                    "subscription " + subscription + " does not exist on topic " + name);
                        }
                        return new Subscription(this, subscription, cursor, dispatchBatchSize);
                    }, executor);
            subscriptions.put(subscription, f);
            return f;
        }, executor).thenCompose(f -> f);
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
