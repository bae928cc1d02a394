package io.tributary.storage.embedded;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.apache.bookkeeper.bookie.storage.ldb.DbLedgerStorage;
import org.apache.bookkeeper.common.util.nativeio.NativeIO;
import org.apache.bookkeeper.common.util.nativeio.NativeIOImpl;
import org.apache.bookkeeper.conf.ServerConfiguration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a bookie keeps its entries. New bookies use {@link DbLedgerStorage}: entries appended to
 * entry logs through a write cache, their locations in RocksDB, and reads served from a read-ahead
 * cache filled by sequential entry-log reads, which is what catch-up readers need. The entry logs
 * are written with direct I/O (O_DIRECT, BookKeeper's native library) where the file system takes
 * it: the journal already holds every entry in the page cache, and copying each a second time into
 * it cost a sixth of a standalone's CPU at full publish rate (see docs/performance.md). Where direct
 * I/O is refused (a file system without O_DIRECT, a platform without the library) the entry logs
 * are buffered.
 *
 * <p>Before DbLedgerStorage, bookies used BookKeeper's sorted ledger storage (an in-memory skip
 * list flushed to per-ledger index files): a ledger directory laid out that way keeps it, since
 * DbLedgerStorage cannot find entries indexed by the other.
 */
final class LedgerStorageChoice {
    private static final Logger LOG = LoggerFactory.getLogger(LedgerStorageChoice.class);
    /** The write cache (half filling, half being flushed) and the read-ahead cache, in MiB. */
    static final int WRITE_CACHE_MB = 64;
    static final int READ_AHEAD_CACHE_MB = 64;
    /** RocksDB's block cache for the entry locations, in bytes. */
    static final long LOCATIONS_BLOCK_CACHE_BYTES = 32L * 1024 * 1024;
    /** Direct I/O buffers of the entry logs: all writers together, all readers together, one reader, in MiB. */
    static final int DIRECT_WRITE_BUFFERS_MB = 32;
    static final int DIRECT_READ_BUFFERS_MB = 32;
    static final int DIRECT_READ_BUFFER_MB = 4;

    /** One aligned block written by the direct I/O probe: the largest logical block size in use. */
    private static final int PROBE_BLOCK = 4096;

    /** What a ledger directory was given; for the log line and the tests. */
    enum Storage { SORTED, DB_BUFFERED, DB_DIRECT_IO }

    private LedgerStorageChoice() {}

    /** Sets {@code conf}'s ledger storage for the ledger directory {@code ledgers}. */
    static Storage configure(ServerConfiguration conf, File ledgers) {
        if (laidOutBySortedStorage(ledgers.toPath().resolve("current"))) {
            LOG.info("Ledger directory {} was written by the sorted ledger storage: the bookie keeps it", ledgers);
            conf.setProperty("skipListSizeLimit", 16 * 1024 * 1024);
            conf.setProperty("sortedLedgerStorageEnabled", true);
            return Storage.SORTED;
        }
        conf.setLedgerStorageClass(DbLedgerStorage.class.getName());
        // sized for small machines; BookKeeper's defaults take a quarter of the direct memory each
        conf.setProperty(DbLedgerStorage.WRITE_CACHE_MAX_SIZE_MB, WRITE_CACHE_MB);
        conf.setProperty(DbLedgerStorage.READ_AHEAD_CACHE_MAX_SIZE_MB, READ_AHEAD_CACHE_MB);
        conf.setProperty("dbStorage_rocksDB_blockCacheSize", LOCATIONS_BLOCK_CACHE_BYTES);
        String refused = directIoRefused(ledgers.toPath());
        if (refused != null) {
            LOG.info("Entry logs in {} are buffered: direct I/O is not available there ({})", ledgers, refused);
            return Storage.DB_BUFFERED;
        }
        conf.setProperty(DbLedgerStorage.DIRECT_IO_ENTRYLOGGER, true);
        conf.setProperty(DbLedgerStorage.DIRECT_IO_ENTRYLOGGER_TOTAL_WRITEBUFFER_SIZE_MB, DIRECT_WRITE_BUFFERS_MB);
        conf.setProperty(DbLedgerStorage.DIRECT_IO_ENTRYLOGGER_TOTAL_READBUFFER_SIZE_MB, DIRECT_READ_BUFFERS_MB);
        conf.setProperty(DbLedgerStorage.DIRECT_IO_ENTRYLOGGER_READBUFFER_SIZE_MB, DIRECT_READ_BUFFER_MB);
        return Storage.DB_DIRECT_IO;
    }

    /** Entry logs without DbLedgerStorage's RocksDB location index beside them. */
    private static boolean laidOutBySortedStorage(Path current) {
        if (!Files.isDirectory(current) || Files.isDirectory(current.resolve("locations"))) {
            return false;
        }
        try (Stream<Path> files = Files.list(current)) {
            return files.anyMatch(p -> p.getFileName().toString().endsWith(".log"));
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Null when the entry logger can write {@code dir} with direct I/O: BookKeeper's native library loads and
     * the file system writes a file there with O_DIRECT. Else why not.
     */
    static String directIoRefused(Path dir) {
        Path probe = dir.resolve(".direct-io-probe");
        try {
            NativeIO io = new NativeIOImpl();
            int fd = io.open(probe.toString(), NativeIO.O_CREAT | NativeIO.O_WRONLY | NativeIO.O_DIRECT, 0644);
            long block = io.posix_memalign(PROBE_BLOCK, PROBE_BLOCK);
            try {
                // some file systems open with O_DIRECT and refuse the write
                io.pwrite(fd, block, PROBE_BLOCK, 0);
                io.fsync(fd);
            } finally {
                io.free(block);
                io.close(fd);
            }
            return null;
        } catch (Exception | LinkageError e) {
            return e.toString();
        } finally {
            try {
                Files.deleteIfExists(probe);
            } catch (IOException e) {
                LOG.debug("Could not delete {}: {}", probe, e.toString());
            }
        }
    }
}
