package io.tributary.storage;

import java.time.Duration;
import org.apache.bookkeeper.client.api.BookKeeper;
import org.apache.bookkeeper.conf.ClientConfiguration;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;

/** Builds the ZooKeeper and BookKeeper clients a broker uses. */
public final class StorageClients {
    private StorageClients() {}

    /**
     * A started Curator client rooted at {@code root} (e.g. {@code /tributary}).
     *
     * @param sessionTimeout how long ZooKeeper waits before it declares this process dead and
     *                       drops its ephemeral nodes (ownership, registration)
     */
    public static CuratorFramework curator(String connectString, String root, Duration sessionTimeout) {
        String ns = root.startsWith("/") ? root.substring(1) : root;
        CuratorFramework c = CuratorFrameworkFactory.builder()
                .connectString(connectString)
                .namespace(ns.isEmpty() ? null : ns)
                .sessionTimeoutMs((int) sessionTimeout.toMillis())
                // never longer than the session: Curator warns, and a connection should fail before the session would
                .connectionTimeoutMs((int) Math.min(15_000, sessionTimeout.toMillis()))
                .retryPolicy(new ExponentialBackoffRetry(100, 10, 2_000))
                .build();
        c.start();
        return c;
    }

    /** {@code zk+hierarchical://host:port/ledgers}, BookKeeper's metadata in the same ZooKeeper. */
    public static String metadataServiceUri(String zkConnect, String ledgersRoot) {
        return "zk+hierarchical://" + zkConnect.replace(',', ';') + ledgersRoot;
    }

    public static BookKeeper bookKeeper(String zkConnect, String ledgersRoot) throws Exception {
        ClientConfiguration conf = new ClientConfiguration();
        conf.setMetadataServiceUri(metadataServiceUri(zkConnect, ledgersRoot));
        conf.setZkTimeout(30_000);
        conf.setAddEntryTimeout(30);
        conf.setReadEntryTimeout(30);
        // one bookie per machine is enough in standalone mode; more bookies need no setting here
        conf.setEnforceMinNumRacksPerWriteQuorum(false);
        // the client's default throttle caps a broker at 5,000 entries a second; back-pressure comes
        // from the brokers' bounded appends in flight instead
        conf.setThrottleValue(0);
        return BookKeeper.newBuilder(conf).build();
    }
}
