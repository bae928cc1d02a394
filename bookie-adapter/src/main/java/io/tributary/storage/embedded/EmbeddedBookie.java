package io.tributary.storage.embedded;

import java.io.File;
import java.io.IOException;
import io.netty.buffer.ByteBuf;
import org.apache.bookkeeper.bookie.BookieException;
import org.apache.bookkeeper.client.BookKeeperAdmin;
import org.apache.bookkeeper.conf.ServerConfiguration;
import org.apache.bookkeeper.server.EmbeddedServer;
import org.apache.bookkeeper.server.conf.BookieConfiguration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One BookKeeper bookie in this JVM, for standalone mode and tests: a real bookie with a journal
 * and ledger storage on disk, registered in ZooKeeper like any other.
 */
public final class EmbeddedBookie implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedBookie.class);

    private final EmbeddedServer server;
    private final int port;
    private boolean closed;

    private EmbeddedBookie(EmbeddedServer server, int port) {
        this.server = server;
        this.port = port;
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
        File journal = new File(dataDir, "journal");
        File ledgers = new File(dataDir, "ledgers");
        if (!journal.isDirectory() && !journal.mkdirs() || !ledgers.isDirectory() && !ledgers.mkdirs()) {
            throw new IOException("cannot create bookie directories under " + dataDir);
        }
        ServerConfiguration conf = new ServerConfiguration();
        conf.setMetadataServiceUri(metadataServiceUri);
        conf.setBookiePort(port);
        conf.setAdvertisedAddress("127.0.0.1");
        conf.setAllowLoopback(true);
        conf.setJournalDirName(journal.getPath());
        conf.setLedgerDirNames(new String[] {ledgers.getPath()});
        conf.setJournalSyncData(syncJournal);
        // evicting journal pages needs reflection into the JDK that Java 17 refuses by default
        conf.setJournalRemovePagesFromCache(false);
        conf.setHttpServerEnabled(false);
        conf.setAutoRecoveryDaemonEnabled(false);
        conf.setZkTimeout(30_000);
        // a full disk should not make a development bookie read-only at 95%
        conf.setDiskUsageThreshold(0.99f);
        conf.setDiskUsageWarnThreshold(0.98f);
        // small machines: keep the bookie's own memory modest
        conf.setProperty("journalMaxGroupWaitMSec", 1);
        conf.setProperty("skipListSizeLimit", 16 * 1024 * 1024);
        conf.setProperty("sortedLedgerStorageEnabled", true);

        synchronized (EmbeddedBookie.class) {
            // the first bookie of a new cluster lays out BookKeeper's metadata; later ones find it there
            try {
                BookKeeperAdmin.initNewCluster(conf);
            } catch (Exception e) {
                LOG.debug("BookKeeper cluster metadata already present: {}", e.toString());
            }
        }
        EmbeddedServer server = EmbeddedServer.builder(new BookieConfiguration(conf)).build();
        server.getLifecycleComponentStack().start();
        LOG.info("bookie listening on 127.0.0.1:{} with data in {}", port, dataDir);
        return new EmbeddedBookie(server, port);
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
        server.getLifecycleComponentStack().close();
    }
}
