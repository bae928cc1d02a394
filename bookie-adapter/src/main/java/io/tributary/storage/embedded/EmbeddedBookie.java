package io.tributary.storage.embedded;

import io.netty.buffer.ByteBuf;
import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.Gauge;
import io.tributary.metrics.MetricsServer;
import io.tributary.metrics.MetricsSettings;
import io.tributary.protocol.security.ServerTlsSettings;
import io.tributary.protocol.security.TlsFiles;
import io.tributary.storage.metrics.BookKeeperStats;
import io.tributary.storage.tls.BookKeeperTls;
import io.tributary.storage.tls.ZooKeeperTls;
import java.io.File;
import java.io.IOException;
import org.apache.bookkeeper.bookie.BookieException;
import org.apache.bookkeeper.bookie.BookieResources;
import org.apache.bookkeeper.client.BookKeeperAdmin;
import org.apache.bookkeeper.conf.ServerConfiguration;
import org.apache.bookkeeper.discover.RegistrationManager;
import org.apache.bookkeeper.meta.MetadataBookieDriver;
import org.apache.bookkeeper.server.EmbeddedServer;
import org.apache.bookkeeper.server.conf.BookieConfiguration;
import org.apache.bookkeeper.proto.BookieServer;
import org.apache.bookkeeper.stats.NullStatsLogger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One BookKeeper bookie in this JVM, for standalone mode and tests: a real bookie with a journal
 * and ledger storage on disk, registered in ZooKeeper like any other.
 */
public final class EmbeddedBookie implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedBookie.class);

    /** The bookie's ZooKeeper session timeout unless told otherwise. */
    public static final int DEFAULT_ZK_TIMEOUT_MS = 30_000;

    private final EmbeddedServer server;
    private final int port;
    private boolean closed;
    /** Created here (not by the server's component stack) when the advertised address differs: closed here. */
    private final MetadataBookieDriver driver;
    private final RegistrationManager registration;
    /** The JVM-wide ZooKeeper TLS properties BookKeeper's ZooKeeper client needs, held while the bookie runs. */
    private ZooKeeperTls.Lease zookeeperTls;
    /** BookKeeper's statistics of this bookie, or null when it serves no metrics. */
    private final BookKeeperStats stats;
    /** Its /metrics and /health endpoint, or null. */
    private MetricsServer metricsServer;

    private EmbeddedBookie(EmbeddedServer server, int port, MetadataBookieDriver driver, RegistrationManager registration,
            BookKeeperStats stats) {
        this.server = server;
        this.port = port;
        this.driver = driver;
        this.registration = registration;
        this.stats = stats;
    }

    /**
     * Starts a bookie. The port must stay the same across restarts on the same data directory:
     * it is part of the bookie's identity (its cookie).
     *
     * @param metadataServiceUri e.g. {@code zk+hierarchical://127.0.0.1:2181/ledgers}
     * @param syncJournal fsync the journal before acknowledging an entry (durable across power loss)
     */
    public static EmbeddedBookie start(String metadataServiceUri, File dataDir, int port, boolean syncJournal)
            throws Exception {
        return start(metadataServiceUri, dataDir, null, "127.0.0.1", port, syncJournal, DEFAULT_ZK_TIMEOUT_MS);
    }

    /**
     * Starts a bookie that listens on {@code bindAddress:port} but tells clients (in its BookKeeper identity and
     * registration) to reach it at {@code advertisedAddress:port}. The two differ when something in between
     * forwards the traffic, e.g. a test relay on {@code 127.0.0.2:port} in front of a bookie on {@code 127.0.0.1:port}.
     *
     * @param bindAddress null listens on every interface (then it must equal the advertised address or be unset)
     * @param zkTimeoutMs the bookie's ZooKeeper session: after this long unheard, clients stop writing to it
     */
    public static EmbeddedBookie start(String metadataServiceUri, File dataDir, String bindAddress, String advertisedAddress,
            int port, boolean syncJournal, int zkTimeoutMs) throws Exception {
        return start(metadataServiceUri, dataDir, bindAddress, advertisedAddress, port, syncJournal, zkTimeoutMs, null, null);
    }

    /**
     * As {@link #start(String, File, String, String, int, boolean, int)}, over TLS where set.
     *
     * @param tls the bookie's TLS (null: plaintext); with it, the bookie refuses clients that do not use TLS
     * @param zookeeperTls how the bookie reaches ZooKeeper (null: plaintext). BookKeeper's ZooKeeper client takes
     *                     it from JVM-wide system properties only: they stay set until the bookie closes
     */
    public static EmbeddedBookie start(String metadataServiceUri, File dataDir, String bindAddress, String advertisedAddress,
            int port, boolean syncJournal, int zkTimeoutMs, ServerTlsSettings tls, TlsFiles zookeeperTls) throws Exception {
        return start(metadataServiceUri, dataDir, bindAddress, advertisedAddress, port, syncJournal, zkTimeoutMs, tls,
                zookeeperTls, MetricsSettings.OFF);
    }

    /**
     * As {@link #start(String, File, String, String, int, boolean, int, ServerTlsSettings, TlsFiles)}, serving
     * {@code /metrics} (BookKeeper's own statistics under its names, ours as {@code tributary_bookie_*}, the JVM's)
     * and {@code /health/live}, {@code /health/ready} (ready while running and writable) as {@code metrics} says.
     */
    public static EmbeddedBookie start(String metadataServiceUri, File dataDir, String bindAddress, String advertisedAddress,
            int port, boolean syncJournal, int zkTimeoutMs, ServerTlsSettings tls, TlsFiles zookeeperTls,
            MetricsSettings metrics) throws Exception {
        ZooKeeperTls.Lease lease = zookeeperTls == null ? null : ZooKeeperTls.jvmClientProperties(zookeeperTls);
        try {
            EmbeddedBookie bookie = startBookie(metadataServiceUri, dataDir, bindAddress, advertisedAddress, port, syncJournal,
                    zkTimeoutMs, tls, metrics);
            bookie.zookeeperTls = lease;
            return bookie;
        } catch (Exception | Error e) {
            if (lease != null) {
                lease.close();
            }
            throw e;
        }
    }

    private static EmbeddedBookie startBookie(String metadataServiceUri, File dataDir, String bindAddress, String advertisedAddress,
            int port, boolean syncJournal, int zkTimeoutMs, ServerTlsSettings tls, MetricsSettings metrics) throws Exception {
        File journal = new File(dataDir, "journal");
        File ledgers = new File(dataDir, "ledgers");
        if (!journal.isDirectory() && !journal.mkdirs() || !ledgers.isDirectory() && !ledgers.mkdirs()) {
            throw new IOException("cannot create bookie directories under " + dataDir);
        }
        ServerConfiguration conf = new ServerConfiguration();
        conf.setMetadataServiceUri(metadataServiceUri);
        conf.setBookiePort(port);
        boolean split = bindAddress != null && !bindAddress.equals(advertisedAddress);
        if (split) {
            // BookKeeper binds its advertised address when a listening interface is set (and every interface
            // otherwise): advertise the bind address to the server code, and publish the other one as the
            // bookie's identity and endpoint, which is what clients resolve
            conf.setAdvertisedAddress(bindAddress);
            conf.setListeningInterface("lo");
            conf.setBookieId(advertisedAddress + ":" + port);
        } else {
            conf.setAdvertisedAddress(advertisedAddress);
            if (bindAddress != null) {
                conf.setListeningInterface("lo");
            }
        }
        conf.setAllowLoopback(true);
        conf.setJournalDirName(journal.getPath());
        conf.setLedgerDirNames(new String[] {ledgers.getPath()});
        conf.setJournalSyncData(syncJournal);
        // evicting journal pages needs reflection into the JDK that Java 17 refuses by default
        conf.setJournalRemovePagesFromCache(false);
        conf.setHttpServerEnabled(false);
        conf.setAutoRecoveryDaemonEnabled(false);
        conf.setZkTimeout(zkTimeoutMs);
        // a full disk should not make a development bookie read-only at 95%
        conf.setDiskUsageThreshold(0.99f);
        conf.setDiskUsageWarnThreshold(0.98f);
        // small machines: keep the bookie's own memory modest
        conf.setProperty("journalMaxGroupWaitMSec", 1);
        LOG.info("Bookie ledger storage in {}: {}", ledgers, LedgerStorageChoice.configure(conf, ledgers));
        if (tls != null) {
            BookKeeperTls.configureBookie(conf, tls);
        }

        synchronized (EmbeddedBookie.class) {
            // the first bookie of a new cluster lays out BookKeeper's metadata; later ones find it there
            try {
                BookKeeperAdmin.initNewCluster(conf);
            } catch (Exception e) {
                LOG.debug("BookKeeper cluster metadata already present: {}", e.toString());
            }
        }
        EmbeddedServer.Builder builder = EmbeddedServer.builder(new BookieConfiguration(conf));
        MetadataBookieDriver driver = null;
        RegistrationManager registration = null;
        if (split) {
            driver = BookieResources.createMetadataDriver(conf, NullStatsLogger.INSTANCE);
            registration = new AdvertisingRegistrationManager(driver.createRegistrationManager(), advertisedAddress);
            builder.metadataDriver(driver).registrationManager(registration);
        }
        CollectorRegistry registry = null;
        BookKeeperStats stats = null;
        if (metrics.port() >= 0) {
            registry = MetricsServer.newRegistry();
            stats = BookKeeperStats.registerInto(registry, 60);
            builder.statsProvider(stats.provider());
        }
        EmbeddedServer server;
        try {
            server = builder.build();
            server.getLifecycleComponentStack().start();
        } catch (Exception | Error e) {
            if (stats != null) {
                stats.close();
            }
            throw e;
        }
        EmbeddedBookie bookie = new EmbeddedBookie(server, port, driver, registration, stats);
        if (registry != null) {
            try {
                bookie.serveMetrics(metrics, registry, ledgers);
            } catch (IOException | RuntimeException e) {
                bookie.close();
                throw e;
            }
        }
        LOG.info("bookie listening on {}:{} (advertised {}:{}){} with data in {}", bindAddress == null ? "*" : bindAddress, port,
                advertisedAddress, port, tls == null ? "" : " with TLS only (client certificates " + (tls.clientAuth()
                        == ServerTlsSettings.ClientAuth.REQUIRE ? "required)" : "not asked for)"), dataDir);
        return bookie;
    }

    private void serveMetrics(MetricsSettings metrics, CollectorRegistry registry, File ledgers) throws IOException {
        Gauge.build("tributary_bookie_writable", "1 while the bookie accepts writes, 0 while it is read-only or stopped")
                .create().setChild(new Gauge.Child() {
                    @Override
                    public double get() {
                        return notReadyBecause() == null ? 1 : 0;
                    }
                }).register(registry);
        Gauge.build("tributary_bookie_disk_usage_ratio", "Used fraction (0 to 1) of the disk holding the bookie's ledgers")
                .create().setChild(new Gauge.Child() {
                    @Override
                    public double get() {
                        long total = ledgers.getTotalSpace();
                        return total <= 0 ? 0 : (double) (total - ledgers.getUsableSpace()) / total;
                    }
                }).register(registry);
        metricsServer = MetricsServer.start(metrics, registry, this::notReadyBecause);
        LOG.info("bookie {} serves metrics on {}://{}:{}", port, metrics.scheme(), metrics.bindAddress(), metricsServer.port());
    }

    /** Null while the bookie runs and takes writes, else why not (its /health/ready answer). */
    public String notReadyBecause() {
        BookieServer bookieServer = server.getBookieService().getServer();
        if (!bookieServer.isRunning()) {
            return "the bookie is not running";
        }
        if (bookieServer.getBookie().isReadOnly()) {
            return "the bookie is read-only (its ledger disks are full or it was put in read-only mode)";
        }
        return null;
    }

    /** The port of its metrics endpoint, or -1 when it serves none. */
    public int metricsPort() {
        return metricsServer == null ? -1 : metricsServer.port();
    }

    /**
     * Puts the bookie in read-only mode, as BookKeeper does when its disks fill up: it serves reads, refuses
     * writes and is registered as read-only. For tests and operators' drills; {@link #transitionToWritable} undoes it.
     */
    public void transitionToReadOnly() throws Exception {
        server.getBookieService().getServer().getBookie().getStateManager().transitionToReadOnlyMode().get();
    }

    /** Takes writes again after {@link #transitionToReadOnly}. */
    public void transitionToWritable() throws Exception {
        server.getBookieService().getServer().getBookie().getStateManager().transitionToWritableMode().get();
    }

    public int port() {
        return port;
    }

    /**
     * The entry as this bookie stores it (BookKeeper's header and digest, then the data), read from
     * its own storage, not through a client that could pick another copy; null if this bookie holds
     * no copy of it. For tests that check where entries are replicated.
     */
    public byte[] readStoredEntry(long ledgerId, long entryId) {
        ByteBuf buf;
        try {
            buf = server.getBookieService().getServer().getBookie().readEntry(ledgerId, entryId);
        } catch (IOException | BookieException e) {
            // NoLedgerException (an IOException) and missing entries: no copy here
            return null;
        }
        try {
            byte[] bytes = new byte[buf.readableBytes()];
            buf.getBytes(buf.readerIndex(), bytes);
            return bytes;
        } finally {
            buf.release();
        }
    }

    /**
     * Stops answering requests while staying registered and connected, like a bookie whose disk or
     * process stalls: writes to it time out. For fault tests; {@link #resumeProcessing} undoes it.
     */
    public void suspendProcessing() {
        server.getBookieService().getServer().suspendProcessing();
    }

    /** Answers requests again after {@link #suspendProcessing}. */
    public void resumeProcessing() {
        server.getBookieService().getServer().resumeProcessing();
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return; // a test stopped it already
        }
        closed = true;
        if (metricsServer != null) {
            metricsServer.close();
        }
        server.getLifecycleComponentStack().close();
        if (stats != null) {
            stats.close();
        }
        if (registration != null) {
            registration.close();
        }
        if (driver != null) {
            driver.close();
        }
        if (zookeeperTls != null) {
            zookeeperTls.close();
        }
    }
}
