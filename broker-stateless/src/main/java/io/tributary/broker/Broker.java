package io.tributary.broker;

import io.grpc.CallCredentials;
import io.grpc.Server;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.tributary.api.v1.BatchHeader;
import io.tributary.api.v1.ErrorDetail;
import io.tributary.api.v1.ErrorReason;
import io.tributary.broker.auth.AuthorizationService;
import io.tributary.broker.auth.GrantStore;
import io.tributary.broker.cluster.BrokerClients;
import io.tributary.broker.cluster.ClusterView;
import io.tributary.broker.loadmanager.LoadManager;
import io.tributary.broker.loadmanager.LoadReporter;
import io.tributary.broker.metrics.BrokerMetrics;
import io.tributary.broker.metrics.RejectionCounter;
import io.tributary.broker.namespace.Bundle;
import io.tributary.broker.namespace.NamespaceService;
import io.tributary.broker.ownership.BundleMover;
import io.tributary.broker.ownership.OwnershipService;
import io.tributary.broker.service.AdminServiceImpl;
import io.tributary.broker.service.ControlServiceImpl;
import io.tributary.broker.service.DeadLetterAdmin;
import io.tributary.broker.service.LookupServiceImpl;
import io.tributary.broker.service.MessagingServiceImpl;
import io.tributary.broker.service.OwnerSend;
import io.tributary.broker.topic.TopicService;
import io.tributary.broker.transaction.TransactionCoordinators;
import io.tributary.broker.transaction.TransactionServiceImpl;
import io.tributary.internal.v1.BrokerRegistration;
import io.tributary.metrics.MetricsServer;
import io.tributary.protocol.EntryCodec;
import io.tributary.protocol.ErrorReasons;
import io.tributary.protocol.security.BearerCredentials;
import io.tributary.protocol.security.TokenFile;
import io.tributary.storage.StorageClients;
import io.tributary.storage.log.ManagedLogFactory;
import io.tributary.storage.log.SequenceMark;
import io.tributary.storage.meta.MetadataPaths;
import io.tributary.storage.meta.MetadataStore;
import io.tributary.storage.metrics.BookKeeperStats;
import java.io.IOException;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.bookkeeper.client.api.BookKeeper;
import org.apache.bookkeeper.common.util.OrderedExecutor;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.cache.ChildData;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A stateless broker: it keeps nothing on local disk. It registers in ZooKeeper, serves the
 * topics of the bundles it owns from BookKeeper, and can be stopped or killed at any time.
 */
public final class Broker implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Broker.class);
    public static final String VERSION = "0.1.0";
    /** The namespace every cluster has, created at start-up if missing. */
    public static final String DEFAULT_NAMESPACE = "public/default";

    private final BrokerConfig config;
    private final String brokerId;
    private CuratorFramework curator;
    private MetadataStore store;
    private BookKeeper bookKeeper;
    private OrderedExecutor executor;
    private ScheduledExecutorService scheduler;
    private BrokerMetrics metrics;
    private BookKeeperStats bookKeeperStats;
    private TopicService topics;
    private OwnershipService ownership;
    private LoadManager loadManager;
    private BrokerClients clients;
    private CuratorCache policiesWatch;
    private BrokerListeners listeners;
    private Server server;
    private Server internalServer;
    private MessagingServiceImpl messaging;
    private TransactionCoordinators transactions;
    private HealthStatusManager health;
    private String address;
    private String internalAddress;
    private int metricsPort = -1;
    private MetricsServer metricsServer;
    private volatile boolean stopping;
    /** Why the broker is stopping (for /health/ready), null while it is not. */
    private volatile String stopReason;
    /** Start-up is complete. */
    private volatile boolean started;
    /** This session's registration znode exists (false from a lost session until it is created again). */
    private volatile boolean registered;

    public Broker(BrokerConfig config) {
        this.config = config;
        this.brokerId = "broker-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** Starts the broker; if any step fails, everything started so far is closed again. */
    public Broker start() throws Exception {
        try {
            return doStart();
        } catch (Exception e) {
            stopping = true;
            stopReason = "the broker failed to start: " + e;
            closeResources();
            throw e;
        }
    }

    private Broker doStart() throws Exception {
        metrics = new BrokerMetrics();
        // up first, so that /health/live answers and /health/ready says why not while the broker starts
        metricsServer = MetricsServer.start(config.metricsSettings(), metrics.registry(), this::notReadyBecause);
        curator = StorageClients.curator(config.zookeeperServers(), config.metadataRoot(), config.zkSessionTimeout(),
                config.storageTls().zookeeper());
        if (!curator.blockUntilConnected((int) config.zkSessionTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IOException("cannot reach ZooKeeper at " + config.zookeeperServers());
        }
        store = new MetadataStore(curator);
        // the BookKeeper client's own statistics (add latency as the broker sees it, ...) in the broker's registry
        bookKeeperStats = BookKeeperStats.registerInto(metrics.registry(), 60);
        bookKeeper = StorageClients.bookKeeper(config.zookeeperServers(), config.ledgersRoot(), config.storageTls(),
                bookKeeperStats.statsLogger(""));
        executor = OrderedExecutor.newBuilder().name("tributary-topic").numThreads(Math.max(2, Runtime.getRuntime().availableProcessors())).build();
        scheduler = Executors.newScheduledThreadPool(2, r -> {
            Thread t = new Thread(r, "tributary-scheduler");
            t.setDaemon(true);
            return t;
        });
        metricsPort = metricsServer == null ? -1 : metricsServer.port();
        ManagedLogFactory logs = new ManagedLogFactory(store, bookKeeper, config.log(), name -> executor.chooseThread(name),
                Broker::sequenceMark);
        NamespaceService namespaces = new NamespaceService(store, config.defaultBundles(), config.maxMessageSize(),
                config.topicLimits().maxPartitions());
        namespaces.ensureNamespace(DEFAULT_NAMESPACE).get(30, TimeUnit.SECONDS);
        // every broker drops its cached policies of a namespace when they change (a split elsewhere)
        policiesWatch = CuratorCache.build(curator, MetadataPaths.POLICIES);
        policiesWatch.listenable().addListener(CuratorCacheListener.builder().forAll((type, before, after) -> {
            ChildData d = after != null ? after : before;
            String[] parts = d == null ? new String[0] : d.getPath().split("/");
            if (parts.length == 4) {
                namespaces.invalidate(parts[2] + "/" + parts[3]);
            }
        }).build());
        // grants and tenant admins, for authorization: fed by the same watch, loaded before the first call
        AuthorizationService authorization = new AuthorizationService(config.authorization());
        policiesWatch.listenable().addListener(authorization.listener());
        policiesWatch.start();
        if (config.authorization().enabled()) {
            authorization.whenLoaded().get(30, TimeUnit.SECONDS);
        }

        // the address goes into ownership records before the server starts, so pick the port first
        health = new HealthStatusManager();
        int port = config.port();
        if (port == 0) {
            try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
                port = s.getLocalPort();
            }
        }
        address = config.serviceAddress(port);
        ownership = new OwnershipService(store, brokerId, address, metrics);
        topics = new TopicService(config, store, namespaces, ownership, logs, executor, scheduler);
        metrics.registerTopics(topics::loadedTopicsNow, config.clusterName(), config.metricsTopicLevel(),
                config.metricsProducerLevel());
        metrics.registerEntryCache(logs.cacheBudget());
        metrics.registerStorage(logs.stats());
        ClusterView cluster = new ClusterView(store);
        InternalListenerConfig internal = config.internal();
        CallCredentials brokerCredentials = internal.clientAuthTokenFile() == null ? null
                : new BearerCredentials(new TokenFile(internal.clientAuthTokenFile()));
        clients = new BrokerClients(cluster, internal.clientTls(), brokerCredentials);
        BundleMover mover = new BundleMover(ownership, topics, namespaces, store, clients, metrics, config.bundleMoveTimeout());
        LoadReporter reporter = new LoadReporter(store, brokerId, address, ownership, topics);
        reporter.exportTopicCount(metrics.topicsLoaded);
        metrics.registerLoad(brokerId, reporter::latest);
        loadManager = new LoadManager(config.loadBalancer(), curator, ownership, mover, reporter, namespaces, cluster, clients,
                metrics, scheduler);
        ownership.setAssigner(loadManager);

        messaging = new MessagingServiceImpl(topics, config, brokerId, scheduler, metrics);
        DeadLetterAdmin deadLetters = new DeadLetterAdmin(topics, namespaces, ownership, clients, messaging, config.maxMessageSize());
        OwnerSend owners = new OwnerSend(namespaces, ownership, clients, messaging);
        transactions = new TransactionCoordinators(topics, namespaces, config.transactions(), metrics,
                (topic, send) -> owners.send(topic, send, 1));
        TransactionServiceImpl transactionService = new TransactionServiceImpl(transactions, config.maxMessageSize(),
                config.limits().maxSendMessages());
        messaging.transactions(transactionService);
        listeners = new BrokerListeners(config, authorization, new RejectionCounter(metrics.rejections));
        // the control service is on the internal listener only: a client reaching the client port cannot
        // acquire, unload, split or drain anything
        server = listeners.startClientPort(port, health.getHealthService().bindService(), List.of(messaging, transactionService,
                new LookupServiceImpl(namespaces, ownership, topics),
                new AdminServiceImpl(namespaces, topics, loadManager, ownership, cluster, new GrantStore(store, authorization::written),
                        deadLetters),
                // grpcurl-style tools list and describe the services without the .proto files
                ProtoReflectionServiceV1.newInstance()));
        internalServer = listeners.startInternal(new ControlServiceImpl(namespaces, ownership, mover, loadManager, messaging,
                deadLetters));
        internalAddress = config.internalAddress(internalServer.getPort());

        register().get(30, TimeUnit.SECONDS);
        registered = true;
        loadManager.start();
        transactions.watch(scheduler, ownership, ns -> policiesWatch.get(MetadataPaths.namespace(ns)).isPresent());
        curator.getConnectionStateListenable().addListener((c, state) -> {
            if (state != ConnectionState.SUSPENDED) {
                connectionState = state;
            }
            if (state == ConnectionState.SUSPENDED) {
                // another broker may own our bundles once the session expires: stop handing out
                // messages and taking acknowledgements until we know
                LOG.warn("broker {}: ZooKeeper connection suspended; pausing dispatch and acknowledgements", brokerId);
                metrics.zookeeperSuspensions.inc();
                topics.pauseAll();
            } else if (state == ConnectionState.LOST) {
                metrics.zookeeperSessionsLost.inc();
                registered = false; // the session's ephemeral znodes are gone
                stepDown();
            } else if (state == ConnectionState.RECONNECTED && !stopping) {
                register().thenRun(() -> registered = true).exceptionally(e -> null);
                reporter.publish();
                regainOwnership();
            }
            // SUSPENDED once the topics are paused (tests wait for it)
            connectionState = state;
        });
        health.setStatus("", io.grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING);
        started = true;
        LOG.info("broker {} serving at {}{}", brokerId, address, metricsPort > 0
                ? ", metrics and health at " + config.metricsSettings().scheme() + "://" + config.metricsSettings().bindAddress()
                        + ":" + metricsPort : "");
        if (listeners.httpPort() >= 0) {
            LOG.info("broker {} REST admin API at {}://{}:{}/admin/v1/", brokerId, config.tls() != null ? "https" : "http",
                    config.bindAddress(), listeners.httpPort());
        }
        LOG.info("broker {} internal listener (other brokers only) at {}{}{}", brokerId, internalAddress,
                internal.tls() != null ? ", TLS" : "", config.authentication().enabled() ? ", authenticated" : "");
        return this;
    }

    /**
     * Null when the broker serves: started, registered in ZooKeeper with its session connected, both
     * listeners accepting calls, and not stopping; else why not ({@code /health/ready}).
     */
    String notReadyBecause() {
        String stop = stopReason;
        if (stop != null) {
            return stop;
        }
        if (!started) {
            return "starting";
        }
        if (server.isShutdown() || server.isTerminated()) {
            return "the client port (" + address + ") is not accepting calls";
        }
        if (internalServer.isShutdown() || internalServer.isTerminated()) {
            return "the internal listener (" + internalAddress + ") is not accepting calls";
        }
        ConnectionState zk = connectionState;
        if (zk == ConnectionState.SUSPENDED) {
            return "the ZooKeeper connection is suspended (dispatch paused until it is back)";
        }
        if (zk == ConnectionState.LOST) {
            return "the ZooKeeper session expired; not registered until it reconnects";
        }
        if (!registered) {
            return "not registered in ZooKeeper";
        }
        return null;
    }

    /** The last connection state Curator reported. */
    private volatile ConnectionState connectionState = ConnectionState.CONNECTED;

    /**
     * The connection is back: bundles whose ownership znode is no longer this session's are dropped
     * (their cursors not persisted), and the rest resume, unless the connection was suspended again.
     */
    private void regainOwnership() {
        ownership.verifyClaims().whenComplete((lost, e) -> {
            if (lost != null && !lost.isEmpty()) {
                LOG.warn("broker {}: {} bundles are no longer ours after reconnecting; not serving them", brokerId, lost.size());
                ErrorDetail reason = ErrorReasons.detail(ErrorReason.NOT_OWNER, "broker " + brokerId + " lost its bundle");
                for (Bundle b : lost) {
                    topics.unloadBundle(b, reason, true);
                }
            }
            if (connectionState == ConnectionState.RECONNECTED || connectionState == ConnectionState.CONNECTED) {
                LOG.info("broker {}: ZooKeeper connection back; resuming dispatch and acknowledgements", brokerId);
                topics.resumeAll();
            }
        });
    }

    private CompletableFuture<Void> register() {
        BrokerRegistration reg = BrokerRegistration.newBuilder().setBrokerId(brokerId).setAddress(address)
                .setInternalAddress(internalAddress).setVersion(VERSION).setStartTimeMs(System.currentTimeMillis()).build();
        return store.create(MetadataPaths.broker(brokerId), reg.toByteArray(), CreateMode.EPHEMERAL)
                .thenApply(v -> (Void) null)
                .exceptionally(e -> {
                    if (MetadataStore.is(e, KeeperException.Code.NODEEXISTS)) {
                        return null;
                    }
                    throw ErrorReasons.asCompletion(e);
                });
    }

    /**
     * The ZooKeeper session expired (a long pause, a partition): every ownership znode of this broker
     * is gone and other brokers may already serve its bundles. Stop serving them at once; a write that
     * still reaches an old ledger is refused by BookKeeper's fencing.
     */
    private void stepDown() {
        Set<Bundle> lost = ownership.stepDown();
        if (lost.isEmpty()) {
            return;
        }
        LOG.warn("broker {} lost its ZooKeeper session: no longer serving {} bundles", brokerId, lost.size());
        ErrorDetail reason = ErrorReasons.detail(ErrorReason.NOT_OWNER, "broker " + brokerId + " lost its ZooKeeper session");
        for (Bundle b : lost) {
            // not ours any more: close without persisting cursors (the new owner's state counts)
            topics.unloadBundle(b, reason, true);
        }
    }

    public String brokerId() {
        return brokerId;
    }

    /** The last state of the ZooKeeper connection, once this broker acted on it. */
    public ConnectionState zooKeeperState() {
        return connectionState;
    }

    /** host:port where this broker serves gRPC. */
    public String address() {
        return address;
    }

    /** The most bytes of publish requests this broker held unstored at once (its publish buffer's peak). */
    public long publishBufferPeakBytes() {
        return messaging == null ? 0 : messaging.publishBufferPeakBytes();
    }

    public int port() {
        return server.getPort();
    }

    /** host:port of the internal listener, where other brokers call this broker's control service. */
    public String internalAddress() {
        return internalAddress;
    }

    /** The internal listener's port. */
    public int internalPort() {
        return internalServer.getPort();
    }

    /** Port of the REST admin API ({@code broker.httpPort}), -1 if off. */
    public int httpPort() {
        return listeners == null ? -1 : listeners.httpPort();
    }

    /** Port of the metrics and health endpoint ({@code /metrics}, {@code /health/*}), -1 if off. */
    public int metricsPort() {
        return metricsPort;
    }

    public TopicService topics() {
        return topics;
    }

    public OwnershipService ownership() {
        return ownership;
    }

    public LoadManager loadManager() {
        return loadManager;
    }

    public BrokerMetrics metrics() {
        return metrics;
    }

    /**
     * Stops serving. With {@code broker.drainOnShutdown} (default), every bundle is first handed to
     * another broker, so clients move on without an error; then topics are closed (sealing ledgers,
     * persisting cursors) and the broker leaves ZooKeeper.
     */
    @Override
    public void close() {
        stopping = true;
        boolean drain = loadManager != null && config.drainOnShutdown() && !ownership.ownedBundles().isEmpty();
        stopReason = drain ? "stopping: handing its bundles to other brokers first" : "stopping";
        if (drain) {
            try {
                int moved = loadManager.drainSelf().get(config.bundleMoveTimeout().toMillis() * 4, TimeUnit.MILLISECONDS);
                LOG.info("broker {} handed {} bundles to other brokers before stopping", brokerId, moved);
            } catch (Exception e) {
                LOG.warn("draining before shutdown did not finish: {}", e.toString());
            }
            stopReason = "stopping";
        }
        closeResources();
    }

    private void closeResources() {
        if (stopReason == null) {
            stopReason = "stopping";
        }
        if (loadManager != null) {
            loadManager.close();
        }
        if (health != null) {
            health.enterTerminalState();
        }
        if (listeners != null) {
            listeners.shutdown();
        }
        if (transactions != null) {
            transactions.close();
        }
        try {
            if (topics != null) {
                topics.closeAll().get(30, TimeUnit.SECONDS);
            }
        } catch (Exception e) {
            LOG.warn("closing topics failed: {}", e.toString());
        }
        try {
            if (listeners != null) {
                listeners.awaitTermination(5);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (clients != null) {
            clients.close();
        }
        if (policiesWatch != null) {
            policiesWatch.close();
        }
        if (bookKeeper != null) {
            try {
                bookKeeper.close();
            } catch (Exception e) {
                LOG.warn("closing the BookKeeper client failed: {}", e.toString());
            }
        }
        if (bookKeeperStats != null) {
            bookKeeperStats.close();
        }
        if (curator != null) {
            curator.close();
        }
        if (executor != null) {
            executor.shutdown();
        }
        if (scheduler != null) {
            scheduler.shutdownNow();
        }
        if (metricsServer != null) {
            metricsServer.close();
        }
        if (metrics != null) {
            metrics.close();
        }
        LOG.info("broker {} stopped", brokerId);
    }

    /** The producer and last sequence id of an entry, to rebuild deduplication state; null if it has none. */
    private static SequenceMark sequenceMark(byte[] entry) {
        BatchHeader h = EntryCodec.header(entry);
        if (h.getProducerName().isEmpty()) {
            return null;
        }
        long first = h.getFirstSequenceId();
        long last = first + Math.max(1, h.getMessageCount()) - 1;
        if (first < 0 || last < first) {
            return null; // not a header this broker accepts (checked on publish); never a mark
        }
        return new SequenceMark(h.getProducerName(), last);
    }
}
