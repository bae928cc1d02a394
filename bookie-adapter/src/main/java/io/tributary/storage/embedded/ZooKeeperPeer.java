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
import org.apache.zookeeper.server.quorum.QuorumPeerConfig;
import org.apache.zookeeper.server.quorum.QuorumPeerMain;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One member of a replicated ZooKeeper ensemble in this JVM (ZooKeeper's own {@code QuorumPeer}), for
 * multi-process test clusters. Its data and its id ({@code myid}) survive restarts under the data directory.
 */
public final class ZooKeeperPeer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ZooKeeperPeer.class);

    private final QuorumPeerMain main;
    private final Thread runner;
    private final int clientPort;

    private ZooKeeperPeer(QuorumPeerMain main, Thread runner, int clientPort) {
        this.main = main;
        this.runner = runner;
        this.clientPort = clientPort;
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
        p.setProperty("clientPort", Integer.toString(clientPort));
        p.setProperty("clientPortAddress", clientHost);
        // a tick of 2 s allows sessions of 4 s to 40 s, like the single-node server
        p.setProperty("tickTime", "2000");
        p.setProperty("initLimit", "10");
        p.setProperty("syncLimit", "5");
        p.setProperty("4lw.commands.whitelist", "ruok,srvr,stat,mntr");
        for (int i = 0; i < servers.size(); i++) {
            p.setProperty("server." + (i + 1), servers.get(i));
        }
        QuorumPeerConfig config = new QuorumPeerConfig();
        config.parseProperties(p);
        QuorumPeerMain main = new QuorumPeerMain();
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
        while (!listening(clientHost, clientPort)) {
            if (failure.get() != null) {
                throw new IOException("ZooKeeper peer " + myid + " failed to start: " + failure.get(), failure.get());
            }
            if (System.nanoTime() > deadline) {
                main.close();
                throw new IOException("ZooKeeper peer " + myid + " did not listen on " + clientHost + ":" + clientPort
                        + " within " + listenTimeout);
            }
            Thread.sleep(50); // polling a port that is about to open: no event to wait for
        }
        LOG.info("ZooKeeper peer {} of {} listening on {}:{} with data in {}", myid, servers.size(), clientHost, clientPort, dataDir);
        return new ZooKeeperPeer(main, runner, clientPort);
    }

    private static boolean listening(String host, int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    public int clientPort() {
        return clientPort;
    }

    @Override
    public void close() throws InterruptedException {
        main.close();
        runner.join(10_000);
    }
}
