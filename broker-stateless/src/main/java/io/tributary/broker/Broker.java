package io.tributary.broker;

import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.tributary.broker.namespace.NamespaceService;
import io.tributary.broker.ownership.OwnershipService;
import io.tributary.broker.service.AdminServiceImpl;
import io.tributary.broker.service.LookupServiceImpl;
import io.tributary.broker.service.MessagingServiceImpl;
import io.tributary.broker.topic.TopicService;
import io.tributary.internal.v1.BrokerRegistration;
import io.tributary.storage.StorageClients;
import io.tributary.storage.log.ManagedLogFactory;
import io.tributary.storage.meta.MetadataPaths;
import io.tributary.storage.meta.MetadataStore;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.bookkeeper.client.api.BookKeeper;
import org.apache.bookkeeper.common.util.OrderedExecutor;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.CreateMode;
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
    private BookKeeper bookKeeper;
    private OrderedExecutor executor;
    private ScheduledExecutorService scheduler;
    private TopicService topics;
    private Server server;
    private HealthStatusManager health;
    private String address;

    public Broker(BrokerConfig config) {
        this.config = config;
        this.brokerId = "broker-" + UUID.randomUUID().toString().substring(0, 8);
    }

    public Broker start() throws Exception {
        curator = StorageClients.curator(config.zookeeperServers(), config.metadataRoot(), config.zkSessionTimeout());
        if (!curator.blockUntilConnected((int) config.zkSessionTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IOException("cannot reach ZooKeeper at " + config.zookeeperServers());
        }
        MetadataStore store = new MetadataStore(curator);
        bookKeeper = StorageClients.bookKeeper(config.zookeeperServers(), config.ledgersRoot());
        executor = OrderedExecutor.newBuilder().name("tributary-topic").numThreads(Math.max(2, Runtime.getRuntime().availableProcessors())).build();
        scheduler = Executors.newScheduledThreadPool(1, r -> {
            Thread t = new Thread(r, "tributary-scheduler");
            t.setDaemon(true);
            return t;
        });
        ManagedLogFactory logs = new ManagedLogFactory(store, bookKeeper, config.log(), name -> executor.chooseThread(name));
        NamespaceService namespaces = new NamespaceService(store, config.defaultBundles());
        namespaces.ensureNamespace(DEFAULT_NAMESPACE).get(30, TimeUnit.SECONDS);

        // the address goes into ownership records before the server starts, so pick the port first
        health = new HealthStatusManager();
        int port = config.port();
        if (port == 0) {
            try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
                port = s.getLocalPort();
            }
        }
        address = config.serviceAddress(port);
        OwnershipService ownership = new OwnershipService(store, brokerId, address);
        topics = new TopicService(config, store, namespaces, ownership, logs, executor, scheduler);
        server = NettyServerBuilder.forAddress(new InetSocketAddress(config.bindAddress(), port))
                .maxInboundMessageSize(config.maxMessageSize() + 1024 * 1024)
                .permitKeepAliveTime(10, TimeUnit.SECONDS)
                .permitKeepAliveWithoutCalls(true)
                .addService(health.getHealthService())
                .addService(new MessagingServiceImpl(topics, config, brokerId, scheduler))
                .addService(new LookupServiceImpl(namespaces, ownership))
                .addService(new AdminServiceImpl(namespaces, topics))
                .build()
                .start();

        BrokerRegistration reg = BrokerRegistration.newBuilder().setBrokerId(brokerId).setAddress(address)
                .setVersion(VERSION).setStartTimeMs(System.currentTimeMillis()).build();
        store.create(MetadataPaths.broker(brokerId), reg.toByteArray(), CreateMode.EPHEMERAL).get(30, TimeUnit.SECONDS);
        health.setStatus("", io.grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING);
        LOG.info("broker {} serving at {}", brokerId, address);
        return this;
    }

    public String brokerId() {
        return brokerId;
    }

    /** host:port where this broker serves gRPC. */
    public String address() {
        return address;
    }

    public int port() {
        return server.getPort();
    }

    public TopicService topics() {
        return topics;
    }

    /** Stops serving: closes topics (sealing ledgers, persisting cursors), then leaves ZooKeeper. */
    @Override
    public void close() {
        if (health != null) {
            health.enterTerminalState();
        }
        if (server != null) {
            server.shutdown();
        }
        try {
            if (topics != null) {
                topics.closeAll().get(30, TimeUnit.SECONDS);
            }
        } catch (Exception e) {
            LOG.warn("closing topics failed: {}", e.toString());
        }
        try {
            if (server != null && !server.awaitTermination(5, TimeUnit.SECONDS)) {
                server.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (bookKeeper != null) {
            try {
                bookKeeper.close();
            } catch (Exception e) {
                LOG.warn("closing the BookKeeper client failed: {}", e.toString());
            }
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
        LOG.info("broker {} stopped", brokerId);
    }
}
