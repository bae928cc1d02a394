package io.tributary.it;

import io.tributary.broker.BrokerConfig;
import io.tributary.chaos.cluster.FreePorts;
import io.tributary.cli.Standalone;
import java.io.File;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.zookeeper.ClientCnxnSocketNIO;
import org.apache.zookeeper.client.ZKClientConfig;

/** Standalone clusters on free ports, for tests. */
public final class TestClusters {
    private TestClusters() {}

    /** A free port below the ephemeral range ({@link FreePorts}). */
    public static int freePort() {
        return FreePorts.one();
    }

    /**
     * The first of {@code n} consecutive free ports, none of {@code taken}: a standalone with several
     * bookies listens on the bookie port and the ones after it.
     */
    public static int freePorts(int n, int... taken) {
        return FreePorts.consecutive(n, taken);
    }

    /** Options on free ports; reuse the same options to restart on the same data. */
    public static Standalone.Options options(File dataDir, UnaryOperator<BrokerConfig> brokerSettings) {
        UnaryOperator<BrokerConfig> settings = c -> brokerSettings.apply(c.toBuilder().metricsPort(0).build());
        // several bookies listen on the bookie port and the ones after it, several brokers likewise
        int bookies = freePorts(4);
        int brokers = freePorts(4, bookies, bookies + 1, bookies + 2, bookies + 3);
        return new Standalone.Options(dataDir, 1, freePort(), bookies, brokers, freePort(), false, settings);
    }

    public static Standalone start(File dataDir) throws Exception {
        return new Standalone(options(dataDir, UnaryOperator.identity())).start();
    }

    /**
     * Whether a ZooKeeper client without TLS connects to {@code connectString} within four seconds.
     * Said explicitly, as this JVM's ZooKeeper clients may default to TLS while a TLS cluster runs.
     */
    public static boolean plaintextZooKeeperClientConnects(String connectString) throws InterruptedException {
        ZKClientConfig plaintextConfig = new ZKClientConfig();
        plaintextConfig.setProperty(ZKClientConfig.SECURE_CLIENT, "false");
        plaintextConfig.setProperty(ZKClientConfig.ZOOKEEPER_CLIENT_CNXN_SOCKET, ClientCnxnSocketNIO.class.getName());
        try (CuratorFramework plaintext = CuratorFrameworkFactory.builder().connectString(connectString)
                .zkClientConfig(plaintextConfig).retryPolicy(new RetryOneTime(100)).build()) {
            plaintext.start();
            return plaintext.blockUntilConnected(4, TimeUnit.SECONDS);
        }
    }
}
