package io.tributary.broker.transaction;

import io.tributary.api.v1.ErrorReason;
import io.tributary.broker.TransactionSettings;
import io.tributary.broker.dispatch.Subscription;
import io.tributary.broker.metrics.BrokerMetrics;
import io.tributary.broker.namespace.NamespaceService;
import io.tributary.broker.ownership.OwnershipService;
import io.tributary.broker.topic.Topic;
import io.tributary.broker.topic.TopicService;
import io.tributary.protocol.SystemTopics;
import io.tributary.protocol.TopicName;
import io.tributary.protocol.TributaryException;
import io.tributary.storage.cursor.ManagedCursor;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * Where this broker's transaction coordinator comes from: the owner of the transaction log
 * ({@value #LOG_TOPIC}, created with its namespace on first use) runs one, started by the first call that
 * needs it and again after the log moved here. A broker that does not own the log answers NOT_OWNER with the
 * owner's address, as for any topic, and the proxy follows it.
 */
public final class TransactionCoordinators {
    /** The transaction log: a topic of the system namespace, owned through its bundle like any topic. */
    public static final String LOG_TOPIC = SystemTopics.TRANSACTION_LOG;
    static final String SYSTEM_NAMESPACE = SystemTopics.NAMESPACE;
    private static final long WATCH_SECONDS = 2;
    /** The coordinator's own subscription: it acknowledges a transaction's records once it finished. */
    static final String CURSOR = "__coordinator";
    /** Producer names the brokers use for transactions (their records and commits): refused to clients. */
    public static final String RESERVED_PRODUCER_PREFIX = "__transactions";

    private final TopicService topics;
    private final NamespaceService namespaces;
    private final TransactionSettings settings;
    private final BrokerMetrics metrics;
    private final CommitApplier applier;
    private final CheckStreams checks = new CheckStreams();
    private CompletableFuture<TransactionCoordinator> current;
    private ScheduledFuture<?> watcher;
    private volatile boolean closed;

    public TransactionCoordinators(TopicService topics, NamespaceService namespaces, TransactionSettings settings,
                                   BrokerMetrics metrics, CommitApplier applier) {
        this.topics = topics;
        this.namespaces = namespaces;
        this.settings = settings;
        this.metrics = metrics;
        this.applier = applier;
    }

    public static boolean isReservedProducer(String producerName) {
        return producerName.startsWith(RESERVED_PRODUCER_PREFIX);
    }

    public TransactionSettings settings() {
        return settings;
    }

    CheckStreams checks() {
        return checks;
    }

    /** The running coordinator, started if this broker owns the log; NOT_OWNER (with the owner) if another does. */
    synchronized CompletableFuture<TransactionCoordinator> coordinator() {
        if (closed) {
            return CompletableFuture.failedFuture(new TributaryException(ErrorReason.SERVICE_NOT_READY, "the broker is stopping"));
        }
        CompletableFuture<TransactionCoordinator> c = current;
        if (c != null && (!c.isDone() || !c.isCompletedExceptionally() && !c.join().isClosed())) {
            return c;
        }
        if (c != null && c.isDone() && !c.isCompletedExceptionally()) {
            c.join().close();
        }
        TopicName name = TopicName.of(LOG_TOPIC);
        CompletableFuture<TransactionCoordinator> started = namespaces.ensureNamespace(SYSTEM_NAMESPACE, 1)
                .thenCompose(v -> topics.topic(name, true))
                .thenCompose(t -> t.subscription(CURSOR, ManagedCursor.Start.EARLIEST, true).thenCompose(sub -> start(t, sub)));
        current = started;
        started.whenComplete((x, e) -> {
            if (e != null) {
                synchronized (this) {
                    if (current == started) {
                        current = null;
                    }
                }
            }
        });
        return started;
    }

    private CompletableFuture<TransactionCoordinator> start(Topic log, Subscription sub) {
        return new TransactionCoordinator(log, sub.cursor(), settings, metrics, applier, checks).start();
    }

    /**
     * Every two seconds: looks the transaction log's bundle up (which has it assigned if no broker owns it, after a
     * crash say) and starts the coordinator if this broker owns it, so decided transactions are applied and open ones
     * checked back even when no client calls. Nothing while no transaction was ever begun: {@code namespaceKnown}
     * answers from the broker's watched copy of the policies, without a ZooKeeper read.
     */
    public void watch(ScheduledExecutorService scheduler, OwnershipService ownership, Predicate<String> namespaceKnown) {
        watcher = scheduler.scheduleWithFixedDelay(() -> {
            if (closed || !namespaceKnown.test(SYSTEM_NAMESPACE)) {
                return;
            }
            namespaces.bundleOf(TopicName.of(LOG_TOPIC)).thenCompose(ownership::lookup).thenAccept(owner -> {
                if (owner.brokerId().equals(ownership.brokerId())) {
                    coordinator();
                }
            }).exceptionally(e -> null);
        }, WATCH_SECONDS, WATCH_SECONDS, TimeUnit.SECONDS);
    }

    /** Stops the coordinator running here, if any (the broker stops). */
    public synchronized void close() {
        closed = true;
        if (watcher != null) {
            watcher.cancel(false);
        }
        if (current != null && current.isDone() && !current.isCompletedExceptionally()) {
            current.join().close();
        }
        current = null;
    }
}
