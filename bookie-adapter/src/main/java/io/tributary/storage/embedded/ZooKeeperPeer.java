package io.tributary.storage.embedded;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicReference;
import io.prometheus.client.CollectorRegistry;
import io.tributary.metrics.MetricsServer;
import io.tributary.metrics.MetricsSettings;
import io.tributary.storage.metrics.ZooKeeperStats;
import io.tributary.storage.tls.ZooKeeperServerTls;
import io.tributary.storage.tls.ZooKeeperTls;
import org.apache.zookeeper.server.ZooKeeperServer;
import org.apache.zookeeper.server.quorum.QuorumPeer;
import org.apache.zookeeper.server.quorum.QuorumPeerConfig;
import org.apache.zookeeper.server.quorum.QuorumPeerMain;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One member of a replicated ZooKeeper ensemble in this JVM (ZooKeeper's own {@code QuorumPeer}), for
 * multi-process test clusters. Its data and its id ({@code myid}) survive restarts under the data directory.
 */
public final class ZooKeeperPeer implements AutoCloseable {
    /**
     * ZooKeeper's tick. A session expires at the first tick after its timeout, so a dead broker's
     * bundles are free within its session timeout plus one tick: 0.5 s here, where ZooKeeper's usual
     * 2 s tick made crash takeovers up to 2 s longer.
     */
    static final int TICK_MS = 500;
    /** The session timeouts a client may ask for (ZooKeeper's defaults with a 2 s tick). */
    static final int MIN_SESSION_MS = 4_000;
    static final int MAX_SESSION_MS = 40_000;

    private static final Logger LOG = LoggerFactory.getLogger(ZooKeeperPeer.class);

    private final Main main;
    private final Thread runner;
    private final int clientPort;
    private final ZooKeeperTls.Lease tlsProperties;
    /** Its /metrics and /health endpoint, or null. */
    private MetricsServer metricsServer;

    /** ZooKeeper's launcher, with its running peer in view (for readiness). */
    private static final class Main extends QuorumPeerMain {
        QuorumPeer peer() {
            return quorumPeer;
        }
    }

    private ZooKeeperPeer(Main main, Thread runner, int clientPort, ZooKeeperTls.Lease tlsProperties) {
        this.main = main;
        this.runner = runner;
        this.clientPort = clientPort;
        this.tlsProperties = tlsProperties;
    }

    /**
     * Starts member {@code myid} of the ensemble {@code servers} and returns once its client port listens (the
     * ensemble serves clients only once a majority of its members run and have elected a leader).
     *
     * @param servers every member as {@code host:quorumPort:electionPort}, member {@code i} (1-based) at index
     *                {@code i - 1}
     */
    public static ZooKeeperPeer start(File dataDir, int myid, List<String> servers, String clientHost, int clientPort,
            Duration listenTimeout) throws IOException, QuorumPeerConfig.ConfigException, InterruptedException {
        return start(dataDir, myid, servers, clientHost, clientPort, listenTimeout, null);
    }

    /**
     * As {@link #start(File, int, List, String, int, Duration)}, with a secure client port (and, if {@code tls}
     * says so, TLS between the members) when {@code tls} is not null. ZooKeeper reads its TLS from JVM-wide
     * system properties: a member owns its process.
     *
     * @param clientPort the plaintext client port; unused when {@code tls} closes it
     */
    public static ZooKeeperPeer start(File dataDir, int myid, List<String> servers, String clientHost, int clientPort,
            Duration listenTimeout, ZooKeeperServerTls tls) throws IOException, QuorumPeerConfig.ConfigException, InterruptedException {
        return start(dataDir, myid, servers, clientHost, clientPort, listenTimeout, tls, MetricsSettings.OFF);
    }

    /**
     * As {@link #start(File, int, List, String, int, Duration, ZooKeeperServerTls)}, serving {@code /metrics}
     * (ZooKeeper's own statistics, JVM-wide, and the JVM's) and {@code /health/live}, {@code /health/ready} (ready
     * while the member serves clients, as leader or follower) as {@code metrics} says.
     */
    public static ZooKeeperPeer start(File dataDir, int myid, List<String> servers, String clientHost, int clientPort,
            Duration listenTimeout, ZooKeeperServerTls tls, MetricsSettings metrics)
            throws IOException, QuorumPeerConfig.ConfigException, InterruptedException {
        if (myid < 1 || myid > servers.size()) {
            throw new IllegalArgumentException("myid must be within 1.." + servers.size() + " (one per server), was " + myid);
        }
        if (!dataDir.isDirectory() && !dataDir.mkdirs()) {
            throw new IOException("cannot create " + dataDir);
        }
        Files.writeString(dataDir.toPath().resolve("myid"), Integer.toString(myid), StandardCharsets.US_ASCII);
        System.setProperty("zookeeper.admin.enableServer", "false");
        Properties p = new Properties();
        p.setProperty("dataDir", dataDir.getAbsolutePath());
        if (tls == null || tls.plaintextPortEnabled()) {
            p.setProperty("clientPort", Integer.toString(clientPort));
            p.setProperty("clientPortAddress", clientHost);
        }
        ZooKeeperTls.Lease lease = null;
        if (tls != null) {
            if (tls.port() == 0) {
                throw new IllegalArgumentException("an ensemble member needs a fixed zookeeper.tls.port, not 0");
            }
            p.setProperty("secureClientPort", Integer.toString(tls.port()));
            p.setProperty("secureClientPortAddress", clientHost);
            if (tls.quorum()) {
                // members authenticate each other with their certificates; reloaded by ZooKeeper when they change
                p.setProperty("sslQuorum", "true");
                p.setProperty("sslQuorumReloadCertFiles", "true");
            }
            lease = ZooKeeperTls.peerProperties(tls);
        }
        int listenPort = tls != null && !tls.plaintextPortEnabled() ? tls.port() : clientPort;
        p.setProperty("tickTime", Integer.toString(TICK_MS));
        p.setProperty("minSessionTimeout", Integer.toString(MIN_SESSION_MS));
        p.setProperty("maxSessionTimeout", Integer.toString(MAX_SESSION_MS));
        // followers have 20 s to connect and sync with a new leader and 10 s to answer it, as with ZooKeeper's
        // usual 2 s tick and limits of 10 and 5 ticks
        p.setProperty("initLimit", Integer.toString(20_000 / TICK_MS));
        p.setProperty("syncLimit", Integer.toString(10_000 / TICK_MS));
        p.setProperty("4lw.commands.whitelist", "ruok,srvr,stat,mntr");
        CollectorRegistry registry = null;
        if (metrics.port() >= 0) {
            // ZooKeeper's launcher makes the provider it is told: ours hands everything to the JVM's shared one
            p.setProperty("metricsProvider.className", ZooKeeperStats.Provider.class.getName());
            registry = MetricsServer.newRegistry();
            ZooKeeperStats.registerInto(registry);
        }
        for (int i = 0; i < servers.size(); i++) {
            p.setProperty("server." + (i + 1), servers.get(i));
        }
        QuorumPeerConfig config = new QuorumPeerConfig();
        try {
            config.parseProperties(p);
        } catch (QuorumPeerConfig.ConfigException | IOException | RuntimeException e) {
            if (lease != null) {
                lease.close();
            }
            throw e;
        }
        Main main = new Main();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread runner = new Thread(() -> {
            try {
                main.runFromConfig(config);
            } catch (Throwable t) {
                failure.set(t);
                LOG.error("ZooKeeper peer {} stopped", myid, t);
            }
        }, "zookeeper-peer-" + myid);
        runner.setDaemon(true);
        runner.start();
        long deadline = System.nanoTime() + listenTimeout.toNanos();
        // listening on every interface: loopback answers too
        String probeHost = "0.0.0.0".equals(clientHost) || "::".equals(clientHost) ? "127.0.0.1" : clientHost;
        while (!listening(probeHost, listenPort)) {
            if (failure.get() != null) {
                if (lease != null) {
                    lease.close();
                }
                throw new IOException("ZooKeeper peer " + myid + " failed to start: " + failure.get(), failure.get());
            }
            if (System.nanoTime() > deadline) {
                main.close();
                if (lease != null) {
                    lease.close();
                }
                throw new IOException("ZooKeeper peer " + myid + " did not listen on " + clientHost + ":" + listenPort
                        + " within " + listenTimeout);
            }
            Thread.sleep(50); // polling a port that is about to open: no event to wait for
        }
        LOG.info("ZooKeeper peer {} of {} listening on {}:{}{} with data in {}", myid, servers.size(), clientHost, listenPort,
                tls == null ? "" : " (TLS on " + tls.port() + (tls.quorum() ? ", quorum TLS" : "") + ")", dataDir);
        ZooKeeperPeer peer = new ZooKeeperPeer(main, runner, listenPort, lease);
        if (registry != null) {
            try {
                peer.metricsServer = MetricsServer.start(metrics, registry, peer::notReadyBecause);
            } catch (IOException e) {
                peer.close();
                throw e;
            }
            LOG.info("ZooKeeper peer {} serves metrics on {}://{}:{}", myid, metrics.scheme(), metrics.bindAddress(),
                    peer.metricsServer.port());
        }
        return peer;
    }

    /** Null while this member serves clients (as leader or follower), else why not (its /health/ready answer). */
    public String notReadyBecause() {
        QuorumPeer peer = main.peer();
        if (peer == null) {
            return "the ZooKeeper peer is starting";
        }
        ZooKeeperServer active = peer.getActiveServer();
        if (active == null || !active.isRunning()) {
            return "the ZooKeeper peer is " + peer.getPeerState() + " (not serving: no quorum yet, or still syncing with the leader)";
        }
        return null;
    }

    /** The port of its metrics endpoint, or -1 when it serves none. */
    public int metricsPort() {
        return metricsServer == null ? -1 : metricsServer.port();
    }

    private static boolean listening(String host, int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** The client port it was checked to listen on: the plaintext one, or the secure one when that is closed. */
    public int clientPort() {
        return clientPort;
    }

    @Override
    public void close() throws InterruptedException {
        if (metricsServer != null) {
            metricsServer.close();
        }
        main.close();
        runner.join(10_000);
        if (tlsProperties != null) {
            tlsProperties.close();
        }
    }
}
