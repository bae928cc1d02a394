package io.tributary.it;

import io.tributary.broker.BrokerConfig;
import io.tributary.cli.Standalone;
import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.IntStream;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.zookeeper.ClientCnxnSocketNIO;
import org.apache.zookeeper.client.ZKClientConfig;

/** Standalone clusters on free ports, for tests. */
public final class TestClusters {
    private TestClusters() {}

    /**
     * Ports tests choose come from below the ephemeral range (32768 and up on Linux), from which
     * every listener bound to port 0 draws: a port chosen here and bound a moment later cannot
     * have been handed to such a listener meanwhile.
     */
    private static final int LOWEST = 20_000;
    private static final int HIGHEST = 32_000;

    public static int freePort() {
        return freePorts(1);
    }

    /**
     * The first of {@code n} consecutive ports that are free now and none of {@code taken}: a
     * standalone with several bookies listens on the bookie port and the ones after it.
     */
    public static int freePorts(int n, int... taken) {
        for (int attempt = 0; attempt < 200; attempt++) {
            int first = LOWEST + ThreadLocalRandom.current().nextInt(HIGHEST - LOWEST - n);
            if (IntStream.of(taken).anyMatch(t -> t >= first && t < first + n)) {
                continue;
            }
            List<ServerSocket> held = new ArrayList<>();
            try {
                for (int i = 0; i < n; i++) {
                    held.add(new ServerSocket(first + i));
                }
                return first;
            } catch (IOException busy) {
                // one of them is in use: try another range
            } finally {
                for (ServerSocket s : held) {
                    try {
                        s.close();
                    } catch (IOException ignored) {
                        // closing a socket we only opened to test the port
                    }
                }
            }
        }
        throw new IllegalStateException("no " + n + " consecutive free ports found");
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
