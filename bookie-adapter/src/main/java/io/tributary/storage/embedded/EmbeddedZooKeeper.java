package io.tributary.storage.embedded;

import io.prometheus.client.CollectorRegistry;
import io.tributary.metrics.MetricsServer;
import io.tributary.metrics.MetricsSettings;
import io.tributary.storage.metrics.ZooKeeperStats;
import io.tributary.storage.tls.ZooKeeperServerTls;
import io.tributary.storage.tls.ZooKeeperTls;
import java.io.File;
import java.io.IOException;
import java.lang.reflect.Constructor;
import java.net.InetSocketAddress;
import org.apache.zookeeper.server.ServerCnxnFactory;
import org.apache.zookeeper.server.ZooKeeperServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A single ZooKeeper server in this JVM, for standalone mode and tests. Its data survives restarts. With TLS
 * it also listens on a secure client port (ZooKeeper's Netty connection factory), and can close the plaintext one.
 */
public final class EmbeddedZooKeeper implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedZooKeeper.class);

    private final ZooKeeperServer server;
    private final ServerCnxnFactory plain;
    private final ServerCnxnFactory secure;
    private final ZooKeeperTls.Lease tlsProperties;
    /** Its /metrics and /health endpoint, or null. */
    private MetricsServer metricsServer;

    private EmbeddedZooKeeper(ZooKeeperServer server, ServerCnxnFactory plain, ServerCnxnFactory secure,
            ZooKeeperTls.Lease tlsProperties) {
        this.server = server;
        this.plain = plain;
        this.secure = secure;
        this.tlsProperties = tlsProperties;
    }

    /**
     * Starts ZooKeeper with its snapshots and transaction log under {@code dataDir}, plaintext only.
     *
     * @param port 0 picks a free port
     */
    public static EmbeddedZooKeeper start(File dataDir, String host, int port) throws IOException, InterruptedException {
        return start(dataDir, host, port, null);
    }

    /**
     * Starts ZooKeeper with a secure client port as {@code tls} says (null: plaintext only). ZooKeeper's server
     * reads its TLS from JVM-wide system properties (see {@link ZooKeeperTls}): they stay set until it closes.
     *
     * @param port the plaintext client port, 0 picks a free one; unused when {@code tls} closes it
     */
    public static EmbeddedZooKeeper start(File dataDir, String host, int port, ZooKeeperServerTls tls)
            throws IOException, InterruptedException {
        return start(dataDir, host, port, tls, MetricsSettings.OFF);
    }

    /**
     * As {@link #start(File, String, int, ZooKeeperServerTls)}, serving {@code /metrics} (ZooKeeper's own statistics
     * under its names, and the JVM's) and {@code /health/live}, {@code /health/ready} (ready while it serves) as
     * {@code metrics} says. ZooKeeper's statistics are JVM-wide: one ZooKeeper per process.
     */
    public static EmbeddedZooKeeper start(File dataDir, String host, int port, ZooKeeperServerTls tls, MetricsSettings metrics)
            throws IOException, InterruptedException {
        CollectorRegistry registry = null;
        if (metrics.port() >= 0) {
            // before the server: it registers its gauges with the provider in force as it starts
            registry = MetricsServer.newRegistry();
            ZooKeeperStats.registerInto(registry);
        }
        File snap = new File(dataDir, "snapshots");
        File txn = new File(dataDir, "txnlog");
        if (!snap.isDirectory() && !snap.mkdirs() || !txn.isDirectory() && !txn.mkdirs()) {
            throw new IOException("cannot create ZooKeeper directories under " + dataDir);
        }
        // single-server mode needs no admin HTTP server nor four-letter commands
        System.setProperty("zookeeper.admin.enableServer", "false");
        ZooKeeperTls.Lease lease = tls == null ? null : ZooKeeperTls.serverProperties(tls.files());
        ZooKeeperServer zks = null;
        ServerCnxnFactory plain = null;
        ServerCnxnFactory secure = null;
        try {
            zks = new ZooKeeperServer(snap, txn, ZooKeeperPeer.TICK_MS);
            zks.setMinSessionTimeout(ZooKeeperPeer.MIN_SESSION_MS);
            zks.setMaxSessionTimeout(ZooKeeperPeer.MAX_SESSION_MS);
            if (tls == null || tls.plaintextPortEnabled()) {
                plain = ServerCnxnFactory.createFactory(new InetSocketAddress(host, port), 1000);
                plain.startup(zks);
            }
            if (tls != null) {
                secure = nettyFactory();
                secure.configure(new InetSocketAddress(host, tls.port()), 1000, -1, true);
                // the first factory started the server; the second only serves it
                secure.startup(zks, plain == null);
            }
        } catch (IOException | InterruptedException | RuntimeException e) {
            if (secure != null) {
                secure.shutdown();
            }
            if (plain != null) {
                plain.shutdown();
            }
            if (zks != null) {
                zks.shutdown(true);
            }
            if (lease != null) {
                lease.close();
            }
            throw e;
        }
        EmbeddedZooKeeper zk = new EmbeddedZooKeeper(zks, plain, secure, lease);
        if (registry != null) {
            try {
                zk.metricsServer = MetricsServer.start(metrics, registry, zk::notReadyBecause);
            } catch (IOException e) {
                zk.close();
                throw e;
            }
            LOG.info("ZooKeeper serves metrics on {}://{}:{}", metrics.scheme(), metrics.bindAddress(), zk.metricsServer.port());
        }
        LOG.info("ZooKeeper listening on {}{} with data in {}", plain == null ? "" : host + ":" + plain.getLocalPort(),
                secure == null ? "" : (plain == null ? "" : " and ") + host + ":" + secure.getLocalPort() + " (TLS)", dataDir);
        return zk;
    }

    /**
     * ZooKeeper's Netty connection factory (the only one with TLS), made directly rather than through the
     * JVM-wide {@code zookeeper.serverCnxnFactory} property that would change every server of this process.
     */
    static ServerCnxnFactory nettyFactory() throws IOException {
        try {
            Constructor<?> c = Class.forName("org.apache.zookeeper.server.NettyServerCnxnFactory").getDeclaredConstructor();
            c.setAccessible(true);
            return (ServerCnxnFactory) c.newInstance();
        } catch (ReflectiveOperationException e) {
            throw new IOException("cannot create ZooKeeper's Netty connection factory: " + e, e);
        }
    }

    /** Null while the server serves requests, else why not (its /health/ready answer). */
    public String notReadyBecause() {
        return server.isRunning() ? null : "ZooKeeper is " + server.getState();
    }

    /** The port of its metrics endpoint, or -1 when it serves none. */
    public int metricsPort() {
        return metricsServer == null ? -1 : metricsServer.port();
    }

    /** The port clients connect to: the plaintext one when it is open, else the secure one. */
    public int port() {
        return (plain != null ? plain : secure).getLocalPort();
    }

    /** {@code host:port} of {@link #port()}. */
    public String connectString() {
        return (plain != null ? plain : secure).getLocalAddress().getHostString() + ":" + port();
    }

    /** The secure client port, or -1 without TLS. */
    public int securePort() {
        return secure == null ? -1 : secure.getLocalPort();
    }

    /** {@code host:port} of the secure client port, or null without TLS. */
    public String secureConnectString() {
        return secure == null ? null : secure.getLocalAddress().getHostString() + ":" + secure.getLocalPort();
    }

    @Override
    public void close() {
        if (metricsServer != null) {
            metricsServer.close();
        }
        if (secure != null) {
            secure.shutdown();
        }
        if (plain != null) {
            plain.shutdown();
        }
        server.shutdown(true);
        if (tlsProperties != null) {
            tlsProperties.close();
        }
    }
}
