package io.tributary.storage;

import io.tributary.protocol.security.TlsFiles;
import io.tributary.storage.tls.BookKeeperTls;
import io.tributary.storage.tls.StorageTls;
import io.tributary.storage.tls.ZooKeeperTls;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.apache.bookkeeper.client.api.BKException;
import org.apache.bookkeeper.client.api.BookKeeper;
import org.apache.bookkeeper.client.api.CreateBuilder;
import org.apache.bookkeeper.client.api.DeleteBuilder;
import org.apache.bookkeeper.client.api.LedgerMetadata;
import org.apache.bookkeeper.client.api.ListLedgersResultBuilder;
import org.apache.bookkeeper.client.api.OpenBuilder;
import org.apache.bookkeeper.conf.ClientConfiguration;
import org.apache.bookkeeper.stats.NullStatsLogger;
import org.apache.bookkeeper.stats.StatsLogger;
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
        return curator(connectString, root, sessionTimeout, null);
    }

    /**
     * A started Curator client rooted at {@code root}, connecting over TLS with {@code tls} (null: plaintext, or
     * whatever the JVM-wide ZooKeeper properties say). The TLS settings are this client's own, not the JVM's.
     */
    public static CuratorFramework curator(String connectString, String root, Duration sessionTimeout, TlsFiles tls) {
        String ns = root.startsWith("/") ? root.substring(1) : root;
        CuratorFrameworkFactory.Builder builder = CuratorFrameworkFactory.builder()
                .connectString(connectString)
                .namespace(ns.isEmpty() ? null : ns)
                .sessionTimeoutMs((int) sessionTimeout.toMillis())
                // never longer than the session: Curator warns, and a connection should fail before the session would
                .connectionTimeoutMs((int) Math.min(15_000, sessionTimeout.toMillis()))
                .retryPolicy(new ExponentialBackoffRetry(100, 10, 2_000));
        if (tls != null) {
            builder.zkClientConfig(ZooKeeperTls.clientConfig(tls));
        }
        CuratorFramework c = builder.build();
        c.start();
        return c;
    }

    /** {@code zk+hierarchical://host:port/ledgers}, BookKeeper's metadata in the same ZooKeeper. */
    public static String metadataServiceUri(String zkConnect, String ledgersRoot) {
        return "zk+hierarchical://" + zkConnect.replace(',', ';') + ledgersRoot;
    }

    public static BookKeeper bookKeeper(String zkConnect, String ledgersRoot) throws Exception {
        return bookKeeper(zkConnect, ledgersRoot, StorageTls.NONE);
    }

    /**
     * A BookKeeper client that reaches the bookies, and its metadata in ZooKeeper, over TLS where {@code tls}
     * says. BookKeeper's ZooKeeper client takes its TLS from JVM-wide system properties only: they are set
     * while the returned client is open (see {@link ZooKeeperTls#jvmClientProperties}).
     */
    public static BookKeeper bookKeeper(String zkConnect, String ledgersRoot, StorageTls tls) throws Exception {
        return bookKeeper(zkConnect, ledgersRoot, tls, NullStatsLogger.INSTANCE);
    }

    /**
     * As {@link #bookKeeper(String, String, StorageTls)}, reporting BookKeeper's client statistics (add and read
     * latency as the client sees them, per-bookie errors...) to {@code stats}: e.g.
     * {@code BookKeeperStats.registerInto(registry, 60).statsLogger("bookkeeper_client")} puts them in a
     * broker's registry as {@code bookkeeper_client_*} families.
     */
    public static BookKeeper bookKeeper(String zkConnect, String ledgersRoot, StorageTls tls, StatsLogger stats)
            throws Exception {
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
        // BookKeeper's original binary protocol for adds and reads: entries travel as Netty buffers, where the
        // protobuf (v3) protocol copies each into a ByteString and parses a message around it
        conf.setUseV2WireProtocol(true);
        if (tls.bookkeeper() != null) {
            BookKeeperTls.configureClient(conf, tls.bookkeeper());
        }
        if (tls.zookeeper() == null) {
            return BookKeeper.newBuilder(conf).statsLogger(stats).build();
        }
        ZooKeeperTls.Lease lease = ZooKeeperTls.jvmClientProperties(tls.zookeeper());
        try {
            return new LeaseHoldingBookKeeper(BookKeeper.newBuilder(conf).statsLogger(stats).build(), lease);
        } catch (Exception | Error e) {
            lease.close();
            throw e;
        }
    }

    /** A BookKeeper client that gives back the JVM-wide ZooKeeper TLS properties it needed when it closes. */
    private record LeaseHoldingBookKeeper(BookKeeper delegate, ZooKeeperTls.Lease lease) implements BookKeeper {
        @Override
        public CreateBuilder newCreateLedgerOp() {
            return delegate.newCreateLedgerOp();
        }

        @Override
        public OpenBuilder newOpenLedgerOp() {
            return delegate.newOpenLedgerOp();
        }

        @Override
        public DeleteBuilder newDeleteLedgerOp() {
            return delegate.newDeleteLedgerOp();
        }

        @Override
        public ListLedgersResultBuilder newListLedgersOp() {
            return delegate.newListLedgersOp();
        }

        @Override
        public CompletableFuture<LedgerMetadata> getLedgerMetadata(long ledgerId) {
            return delegate.getLedgerMetadata(ledgerId);
        }

        @Override
        public void close() throws BKException, InterruptedException {
            try {
                delegate.close();
            } finally {
                lease.close();
            }
        }
    }
}
