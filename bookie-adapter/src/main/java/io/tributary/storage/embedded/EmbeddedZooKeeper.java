package io.tributary.storage.embedded;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import org.apache.zookeeper.server.ServerCnxnFactory;
import org.apache.zookeeper.server.ZooKeeperServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A single ZooKeeper server in this JVM, for standalone mode and tests. Its data survives restarts. */
public final class EmbeddedZooKeeper implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedZooKeeper.class);

    private final ZooKeeperServer server;
    private final ServerCnxnFactory factory;

    private EmbeddedZooKeeper(ZooKeeperServer server, ServerCnxnFactory factory) {
        this.server = server;
        this.factory = factory;
    }

    /**
     * Starts ZooKeeper with its snapshots and transaction log under {@code dataDir}.
     *
     * @param port 0 picks a free port
     */
    public static EmbeddedZooKeeper start(File dataDir, String host, int port) throws IOException, InterruptedException {
        File snap = new File(dataDir, "snapshots");
        File txn = new File(dataDir, "txnlog");
        if (!snap.isDirectory() && !snap.mkdirs() || !txn.isDirectory() && !txn.mkdirs()) {
            throw new IOException("cannot create ZooKeeper directories under " + dataDir);
        }
        // single-server mode needs no admin HTTP server nor four-letter commands
        System.setProperty("zookeeper.admin.enableServer", "false");
        ZooKeeperServer zks = new ZooKeeperServer(snap, txn, 2000);
        ServerCnxnFactory f = ServerCnxnFactory.createFactory(new InetSocketAddress(host, port), 1000);
        f.startup(zks);
        LOG.info("ZooKeeper listening on {}:{} with data in {}", host, f.getLocalPort(), dataDir);
        return new EmbeddedZooKeeper(zks, f);
    }

    public int port() {
        return factory.getLocalPort();
    }

    public String connectString() {
        return factory.getLocalAddress().getHostString() + ":" + port();
    }

    @Override
    public void close() {
        factory.shutdown();
        server.shutdown(true);
    }
}
