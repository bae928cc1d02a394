package io.tributary.broker.topic;

import com.google.protobuf.InvalidProtocolBufferException;
import io.tributary.api.v1.AutoTopicCreationType;
import io.tributary.api.v1.ErrorDetail;
import io.tributary.api.v1.ErrorReason;
import io.tributary.broker.BrokerConfig;
import io.tributary.broker.namespace.Bundle;
import io.tributary.broker.namespace.NamespaceService;
import io.tributary.broker.ownership.OwnershipService;
import io.tributary.broker.ratelimit.NamespaceRates;
import io.tributary.broker.service.Errors;
import io.tributary.internal.v1.CursorState;
import io.tributary.internal.v1.LogMetadata;
import io.tributary.protocol.ErrorReasons;
import io.tributary.protocol.TopicName;
import io.tributary.protocol.TributaryException;
import io.tributary.storage.cursor.CursorConfig;
import io.tributary.storage.cursor.ManagedCursor;
import io.tributary.storage.log.ManagedLogFactory;
import io.tributary.storage.meta.MetadataPaths;
import io.tributary.storage.meta.MetadataStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.ScheduledExecutorService;
import org.apache.bookkeeper.common.util.OrderedExecutor;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The topics this broker serves: loading one checks namespace, ownership and existence first. */
public final class TopicService {
    private static final Logger LOG = LoggerFactory.getLogger(TopicService.class);

    private final BrokerConfig config;
    private final MetadataStore store;
    private final NamespaceService namespaces;
    private final OwnershipService ownership;
    private final ManagedLogFactory logs;
    private final OrderedExecutor executor;
    private final ScheduledExecutorService scheduler;
    /** The namespaces' publish buckets on this broker, each enforcing this broker's share of the namespace's limit. */
    private final NamespaceRates namespaceRates;
    private final Map<TopicName, CompletableFuture<Topic>> topics = new ConcurrentHashMap<>();
    private final NamespaceTopics autoCreation;

    public TopicService(BrokerConfig config, MetadataStore store, NamespaceService namespaces, OwnershipService ownership,
                        ManagedLogFactory logs, OrderedExecutor executor, ScheduledExecutorService scheduler) {
        this.config = config;
        this.store = store;
        this.namespaces = namespaces;
        this.ownership = ownership;
        this.logs = logs;
        this.executor = executor;
        this.scheduler = scheduler;
        this.namespaceRates = new NamespaceRates(this::bundleShare, scheduler);
        this.autoCreation = new NamespaceTopics(store, this::createTopic);
        // a namespace's persistence policy gives the replication of the ledgers its topics create from now on
        logs.ledgerConfig(log -> limits(TopicName.of(log).namespace()).thenApply(TopicLimits.Effective::ledgers));
        long every = config.policyCheckInterval().toMillis();
        scheduler.scheduleWithFixedDelay(this::maintainAll, every, every, TimeUnit.MILLISECONDS);
    }

    private final AtomicBoolean maintaining = new AtomicBoolean();

    /**
     * Applies retention, message TTL, backlog quotas and rollover by age to every loaded topic, with
     * its namespace's policies; one round at a time.
     */
    private void maintainAll() {
        if (!maintaining.compareAndSet(false, true)) {
            return;
        }
        List<CompletableFuture<?>> rounds = new ArrayList<>();
        for (Topic t : loadedTopicsNow()) {
            rounds.add(maintain(t)
                    .whenComplete((deleted, e) -> {
                        if (e != null) {
                            if (!t.isClosing()) {
                                LOG.warn("applying policies to {} failed: {}", t.name(), e.toString());
                            }
                        } else if (!deleted.isEmpty()) {
                            LOG.info("{}: deleted ledgers {} (acknowledged by every subscription, past retention)", t.name(), deleted);
                        }
                    }));
        }
        CompletableFuture.allOf(rounds.toArray(CompletableFuture[]::new)).whenComplete((v, e) -> maintaining.set(false));
    }

    /** Runs one round of {@link #maintainAll} on one topic now (tests, admin). */
    public CompletableFuture<List<Long>> maintain(TopicName name) {
        return topic(name, false).thenCompose(this::maintain);
    }

    private CompletableFuture<List<Long>> maintain(Topic t) {
        return namespaces.policies(t.name().namespace())
                .thenCompose(p -> t.maintain(Policies.of(p.getPolicies(), config.defaultPolicies())))
                .thenCompose(deleted -> t.forgetInactiveProducers(config.dedupProducerInactivityTimeout(),
                        config.dedupMaxProducersPerTopic()).thenApply(forgotten -> deleted))
                .thenCompose(deleted -> NamespaceTopics.expireSubscriptions(t).thenApply(v -> deleted));
    }

    /** This broker's share of a namespace's bundles: those it owns (at least one, as it serves a topic) over all. */
    private double bundleShare(String namespace) {
        List<Bundle> all = namespaces.bundles(namespace).getNow(null);
        if (all == null || all.isEmpty()) {
            throw new IllegalStateException("the bundles of " + namespace + " are not known yet");
        }
        long owned = ownership.ownedBundles().stream().filter(b -> b.namespace().equals(namespace)).count();
        return Math.min(1.0, Math.max(1, owned) / (double) all.size());
    }

    /** The limits in force for a namespace now: its policies over this broker's defaults. */
    public CompletableFuture<TopicLimits.Effective> limits(String namespace) {
        return namespaces.policies(namespace).thenApply(p -> TopicLimits.Effective.of(namespace, p.getPolicies(), config));
    }

    /**
     * The topic, loaded on this broker. Fails with NOT_OWNER if another broker serves its bundle,
     * TOPIC_NOT_FOUND if it does not exist and may not be created here, NAMESPACE_NOT_FOUND if
     * its namespace does not exist.
     */
    public CompletableFuture<Topic> topic(TopicName name, boolean createIfMissing) {
        CompletableFuture<Topic> existing = topics.get(name);
        if (existing != null && !existing.isCompletedExceptionally()) {
            return existing.thenCompose(t -> t.isClosing() ? topic(name, createIfMissing) : CompletableFuture.completedFuture(t));
        }
        TopicLimits.Effective[] limits = new TopicLimits.Effective[1];
        CompletableFuture<Topic> f = new CompletableFuture<>();
        CompletableFuture<Topic> raced = topics.putIfAbsent(name, f);
        if (raced != null && !raced.isCompletedExceptionally()) {
            return raced;
        } else if (raced != null) {
            topics.put(name, f);
        }
        limits(name.namespace()).thenCompose(l -> {
                    limits[0] = l;
                    return namespaces.bundleOf(name);
                })
                .thenCompose(ownership::checkOwnership)
                .thenCompose(v -> store.get(MetadataPaths.topic(name.toString())))
                .thenCompose(md -> {
                    if (md.isPresent()) {
                        int partitions = partitionsOf(md.get().value());
                        if (partitions > 0) {
                            throw new CompletionException(new TributaryException(ErrorReason.NOT_ALLOWED, "topic " + name
                                    + " is partitioned into " + partitions + " partitions; use " + name.partition(0) + " ..."));
                        }
                        // before the log is taken over: a topic whose cursor cannot load is not served
                        return checkCursors(name).thenCompose(v -> logs.open(name.toString(), false));
                    }
                    return autoCreation.create(name, createIfMissing, limits[0])
                            .thenCompose(v -> checkCursors(name)).thenCompose(v -> logs.open(name.toString(), true));
                })
                .thenApply(log -> {
                    Topic t = new Topic(name, log, executor.chooseThread(name.toString()), store, scheduler,
                            logs.bookKeeper(), CursorConfig.of(config.cursorPersistInterval(), logs.config()),
                            config.dispatchBatchSize(), config.backlogQuotaHoldTimeout(),
                            new TopicLimits(name, () -> namespaces.currentPolicies(name.namespace()),
                                    p -> TopicLimits.Effective.of(name.namespace(), p, config), limits[0]).sharing(namespaceRates));
                    t.onFenced(() -> {
                        LOG.warn("topic {} was taken over by another broker; unloading it here", name);
                        unload(name, ErrorReasons.detail(ErrorReason.TOPIC_FENCED, "topic " + name + " moved to another broker"),
                                true);
                    });
                    if (paused) {
                        t.pause();
                    }
                    return t;
                })
                .thenCompose(t -> t.loadSubscriptions().handle((v, e) -> e)
                        .thenCompose(e -> e == null ? CompletableFuture.completedFuture(t)
                                // a cursor that failed to load after all: give the log up again, serve nothing
                                : t.close(Errors.detailOf(ErrorReasons.unwrap(e))).handle((x, ce) -> {
                                    throw ErrorReasons.asCompletion(e);
                                })))
                .whenComplete((t, e) -> {
                    if (e != null) {
                        topics.remove(name, f);
                        f.completeExceptionally(e);
                    } else {
                        f.complete(t);
                    }
                });
        return f;
    }

    /** Completes if every stored cursor of the topic can be loaded; else fails with {@link CursorNotLoadedException}. */
    private CompletableFuture<Void> checkCursors(TopicName name) {
        return store.children(MetadataPaths.cursors(name.toString())).thenCompose(subs -> {
            Map<String, Throwable> failed = new ConcurrentHashMap<>();
            CompletableFuture<?>[] checks = subs.stream()
                    .map(sub -> ManagedCursor.checkLoadable(store, logs.bookKeeper(), name.toString(), sub)
                            .exceptionally(e -> {
                                failed.put(sub, ErrorReasons.unwrap(e));
                                return null;
                            }))
                    .toArray(CompletableFuture[]::new);
            return CompletableFuture.allOf(checks).thenRun(() -> {
                if (!failed.isEmpty()) {
                    Throwable first = failed.values().iterator().next();
                    LOG.warn("topic {}: the cursor(s) of {} cannot be loaded; not serving the topic: {}", name,
                            failed.keySet(), first.toString());
                    throw new CompletionException(new CursorNotLoadedException(name.toString(),
                            new TreeSet<>(failed.keySet()), first));
                }
            });
        });
    }

    /**
     * Deletes a stored subscription whose cursor cannot be loaded (so its topic is not served): its
     * znode, at the version read, and the cursor ledger it names if it can still be read. The topic
     * must belong to this broker's bundles; it loads again on the next request.
     */
    public CompletableFuture<Void> deleteUnloadableSubscription(TopicName name, String subscription) {
        String path = MetadataPaths.cursor(name.toString(), subscription);
        return namespaces.bundleOf(name).thenCompose(ownership::checkOwnership)
                .thenCompose(v -> store.get(path))
                .thenCompose(read -> {
                    if (read.isEmpty()) {
                        return CompletableFuture.completedFuture(null);
                    }
                    long ledger = -1;
                    try {
                        CursorState state = CursorState.parseFrom(read.get().value());
                        if (state.getAcksCase() == CursorState.AcksCase.STATE_LEDGER_ID) {
                            ledger = state.getStateLedgerId();
                        }
                    } catch (InvalidProtocolBufferException e) {
                        // corrupt: no ledger to name; one it named before is an orphan now
                    }
                    long named = ledger;
                    LOG.warn("topic {}: deleting subscription {} whose cursor cannot be loaded", name, subscription);
                    return store.delete(path, read.get().version()).thenCompose(x -> named < 0
                            ? CompletableFuture.<Void>completedFuture(null)
                            : logs.bookKeeper().newDeleteLedgerOp().withLedgerId(named).execute().exceptionally(e -> null));
                });
    }

    private static int partitionsOf(byte[] data) {
        try {
            return LogMetadata.parseFrom(data).getPartitions();
        } catch (InvalidProtocolBufferException e) {
            return 0;
        }
    }

    /** Creates a topic (N > 0: a partitioned topic and its N partitions). */
    public CompletableFuture<Void> createTopic(TopicName name, int partitions) {
        int max = config.topicLimits().maxPartitions();
        if (partitions < 0 || partitions > max) {
            return CompletableFuture.failedFuture(new TributaryException(ErrorReason.INVALID_REQUEST,
                    "partitions must be in [0, " + max + "] (broker.maxPartitions), was " + partitions));
        }
        return limits(name.namespace()).thenCompose(l -> autoCreation.checkTopicCount(name, Math.max(1, partitions), l))
                .thenCompose(p -> {
            LogMetadata md = LogMetadata.newBuilder().setCreatedMs(System.currentTimeMillis()).setPartitions(partitions).build();
            return store.create(MetadataPaths.topic(name.toString()), md.toByteArray(), CreateMode.PERSISTENT)
                    .exceptionally(e -> {
                        if (MetadataStore.is(e, KeeperException.Code.NODEEXISTS)) {
                            throw new CompletionException(new TributaryException(ErrorReason.TOPIC_ALREADY_EXISTS,
                                    "topic " + name + " already exists"));
                        }
                        throw new CompletionException(e);
                    });
        }).thenCompose(v -> {
            List<CompletableFuture<Integer>> parts = new ArrayList<>();
            LogMetadata empty = LogMetadata.newBuilder().setCreatedMs(System.currentTimeMillis()).build();
            for (int i = 0; i < partitions; i++) {
                parts.add(store.create(MetadataPaths.topic(name.partition(i).toString()), empty.toByteArray(), CreateMode.PERSISTENT)
                        .exceptionally(e -> 0));
            }
            return CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new));
        });
    }

    public CompletableFuture<Integer> partitions(TopicName name) {
        return partitionsVersioned(name).thenApply(MetadataStore.Versioned::value);
    }

    /**
     * The partitions of a topic as a producer or consumer asks before it connects (GetPartitions): a
     * missing topic whose namespace creates topics partitioned on first use is created here with its
     * partitions, so that the client connects to those (as Pulsar's partitioned-metadata lookup does).
     */
    public CompletableFuture<Integer> partitionsCreatingIfPartitioned(TopicName name) {
        return partitions(name).exceptionallyCompose(e -> {
            if (ErrorReasons.detailOf(e).getReason() != ErrorReason.TOPIC_NOT_FOUND || name.partitionIndex() >= 0) {
                return CompletableFuture.failedFuture(e);
            }
            return limits(name.namespace()).thenCompose(l -> {
                if (l.autoTopicCreation() != AutoTopicCreationType.AUTO_TOPIC_CREATION_TYPE_PARTITIONED) {
                    return CompletableFuture.<Integer>failedFuture(e);
                }
                // created meanwhile by another client: its partitions stand
                return createTopic(name, l.partitions()).handle((v, ce) -> null).thenCompose(v -> partitions(name));
            });
        });
    }

    /** The topic's partitions with the version of its metadata znode they were read at. */
    private CompletableFuture<MetadataStore.Versioned<Integer>> partitionsVersioned(TopicName name) {
        return store.get(MetadataPaths.topic(name.toString())).thenApply(md -> {
            if (md.isEmpty()) {
                throw new CompletionException(new TributaryException(ErrorReason.TOPIC_NOT_FOUND, "topic " + name + " does not exist"));
            }
            return new MetadataStore.Versioned<>(partitionsOf(md.get().value()), md.get().version());
        });
    }

    public CompletableFuture<List<String>> listTopics(String namespace) {
        return namespaces.policies(namespace).thenCompose(p -> store.children(MetadataPaths.topicsOfNamespace(namespace)))
                .thenApply(names -> names.stream().map(n -> namespace + "/" + n).toList());
    }

    /** Deletes a topic (and the partitions of a partitioned one); it must be served here. */
    public CompletableFuture<Void> deleteTopic(TopicName name) {
        return partitionsVersioned(name).thenCompose(read -> {
            int n = read.value();
            List<CompletableFuture<Void>> parts = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                TopicName part = name.partition(i);
                parts.add(deleteOne(part));
            }
            return CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new)).thenCompose(v -> n > 0
                    // at the version read: a partitioned topic changed meanwhile (partitions added) stays
                    ? store.delete(MetadataPaths.topic(name.toString()), read.version())
                    : deleteOne(name));
        });
    }

    private CompletableFuture<Void> deleteOne(TopicName name) {
        return topic(name, false).thenCompose(t -> {
            topics.remove(name);
            return t.delete();
        });
    }

    /** Closes a topic here without deleting anything (ownership moving, broker stopping). */
    public CompletableFuture<Void> unload(TopicName name, ErrorDetail reason) {
        return unload(name, reason, false);
    }

    /**
     * Closes a topic here; {@code lost}: this broker no longer owns it (session ended, log taken
     * over), so its cursors write nothing more ({@link Topic#closeLost}).
     */
    CompletableFuture<Void> unload(TopicName name, ErrorDetail reason, boolean lost) {
        CompletableFuture<Topic> f = topics.remove(name);
        if (f == null) {
            return CompletableFuture.completedFuture(null);
        }
        return f.handle((t, e) -> t).thenCompose(t -> t == null ? CompletableFuture.completedFuture(null)
                : lost ? t.closeLost(reason) : t.close(reason));
    }

    private volatile boolean paused;

    /**
     * The broker's ZooKeeper session is suspended: every topic (and every topic loaded until
     * {@link #resumeAll}) stops dispatching and holds acknowledgements; publishes go on.
     */
    public void pauseAll() {
        paused = true;
        loadedTopicsNow().forEach(Topic::pause);
    }

    /** The session is back and the bundles still owned: dispatch and acknowledgements resume. */
    public void resumeAll() {
        paused = false;
        loadedTopicsNow().forEach(Topic::resume);
    }

    public boolean isPaused() {
        return paused;
    }

    public List<TopicName> loadedTopics() {
        return List.copyOf(topics.keySet());
    }

    /** Topics loaded and ready here now. */
    public List<Topic> loadedTopicsNow() {
        List<Topic> out = new ArrayList<>();
        for (CompletableFuture<Topic> f : topics.values()) {
            if (f.isDone() && !f.isCompletedExceptionally()) {
                out.add(f.join());
            }
        }
        return out;
    }

    /** Loaded topics whose name hashes into {@code bundle}. */
    public List<TopicName> topicsOf(io.tributary.broker.namespace.Bundle bundle) {
        return topics.keySet().stream()
                .filter(t -> t.namespace().equals(bundle.namespace()) && bundle.contains(t.bundleHash()))
                .toList();
    }

    /**
     * Closes every loaded topic of a bundle: in-flight appends complete, ledgers are sealed, cursors
     * persisted, and clients are told {@code reason} (naming the new owner). Returns the topics closed.
     */
    public CompletableFuture<List<TopicName>> unloadBundle(io.tributary.broker.namespace.Bundle bundle, ErrorDetail reason) {
        return unloadBundle(bundle, reason, false);
    }

    /**
     * {@link #unloadBundle(io.tributary.broker.namespace.Bundle, ErrorDetail)}; {@code lost}: the
     * bundle is no longer this broker's (its session ended), so cursors are not persisted.
     */
    public CompletableFuture<List<TopicName>> unloadBundle(io.tributary.broker.namespace.Bundle bundle, ErrorDetail reason,
                                                           boolean lost) {
        List<TopicName> names = topicsOf(bundle);
        List<CompletableFuture<Void>> closes = new ArrayList<>();
        for (TopicName t : names) {
            closes.add(unload(t, reason, lost).exceptionally(e -> {
                LOG.warn("closing topic {} for the move of {} failed: {}", t, bundle, e.toString());
                return null;
            }));
        }
        return CompletableFuture.allOf(closes.toArray(CompletableFuture[]::new)).thenApply(v -> names);
    }

    /** Closes every topic: used when the broker stops. Clients are told to look the topics up again. */
    public CompletableFuture<Void> closeAll() {
        ErrorDetail reason = ErrorReasons.detail(ErrorReason.BROKER_UNAVAILABLE, "broker " + ownership.brokerId() + " is stopping");
        List<CompletableFuture<Void>> closes = new ArrayList<>();
        for (TopicName t : loadedTopics()) {
            closes.add(unload(t, reason).exceptionally(e -> {
                LOG.warn("closing topic {} failed: {}", t, e.toString());
                return null;
            }));
        }
        return CompletableFuture.allOf(closes.toArray(CompletableFuture[]::new));
    }
}
