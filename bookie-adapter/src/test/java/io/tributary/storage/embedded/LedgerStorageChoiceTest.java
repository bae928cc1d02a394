package io.tributary.storage.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.nio.file.ExtendedOpenOption;
import io.tributary.storage.StorageClients;
import io.tributary.storage.log.Ledgers;
import java.io.File;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.apache.bookkeeper.client.api.BookKeeper;
import org.apache.bookkeeper.client.api.DigestType;
import org.apache.bookkeeper.client.api.LedgerEntries;
import org.apache.bookkeeper.client.api.LedgerEntry;
import org.apache.bookkeeper.client.api.ReadHandle;
import org.apache.bookkeeper.client.api.WriteHandle;
import org.apache.bookkeeper.conf.ServerConfiguration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which ledger storage a bookie picks for its directory, and that entries written with it are read
 * back after the bookie restarts: DbLedgerStorage with direct I/O where the file system takes it,
 * buffered where it does not, and the sorted ledger storage kept for a directory it laid out.
 */
class LedgerStorageChoiceTest {
    @TempDir
    static Path dir;
    private static EmbeddedZooKeeper zk;

    @BeforeAll
    static void startZooKeeper() throws Exception {
        zk = EmbeddedZooKeeper.start(dir.resolve("zk").toFile(), "127.0.0.1", 0);
    }

    @AfterAll
    static void stopZooKeeper() throws Exception {
        zk.close();
    }

    @Test
    void aDirectoryThatTakesDirectIoGetsItAndOneThatCannotIsBuffered() throws Exception {
        Path disk = Files.createDirectories(dir.resolve("disk"));
        boolean takesDirectIo = jdkWritesWithDirectIo(disk);
        assertThat(LedgerStorageChoice.directIoRefused(disk)).as("this machine's %s", Files.getFileStore(disk).type())
                .matches(refused -> (refused == null) == takesDirectIo);
        ServerConfiguration conf = new ServerConfiguration();
        assertThat(LedgerStorageChoice.configure(conf, disk.toFile())).isEqualTo(takesDirectIo
                ? LedgerStorageChoice.Storage.DB_DIRECT_IO : LedgerStorageChoice.Storage.DB_BUFFERED);
        assertThat(conf.getLedgerStorageClass()).endsWith("DbLedgerStorage");
        assertThat(conf.getBoolean("dbStorage_directIOEntryLogger", false)).isEqualTo(takesDirectIo);
        assertThat(Files.list(disk)).as("the probe leaves nothing behind").isEmpty();

        // where the probe cannot write (here: under a plain file), the entry logs are buffered
        Path file = Files.write(dir.resolve("plain-file"), new byte[1]);
        assertThat(LedgerStorageChoice.directIoRefused(file)).isNotNull();
        ServerConfiguration buffered = new ServerConfiguration();
        assertThat(LedgerStorageChoice.configure(buffered, file.toFile())).isEqualTo(LedgerStorageChoice.Storage.DB_BUFFERED);
        assertThat(buffered.getLedgerStorageClass()).endsWith("DbLedgerStorage");
        assertThat(buffered.getBoolean("dbStorage_directIOEntryLogger", false)).isFalse();
    }

    @Test
    void aDirectoryTheSortedStorageLaidOutKeepsIt() throws Exception {
        Path ledgers = Files.createDirectories(dir.resolve("sorted/current"));
        Files.write(ledgers.resolve("0.log"), new byte[16]);
        assertThat(LedgerStorageChoice.configure(new ServerConfiguration(), ledgers.getParent().toFile()))
                .isEqualTo(LedgerStorageChoice.Storage.SORTED);
        // DbLedgerStorage's location index beside the entry logs: its own layout
        Files.createDirectories(ledgers.resolve("locations"));
        assertThat(LedgerStorageChoice.configure(new ServerConfiguration(), ledgers.getParent().toFile()))
                .isNotEqualTo(LedgerStorageChoice.Storage.SORTED);
    }

    @Test
    void entriesWrittenWithDirectIoAreReadAfterARestart() throws Exception {
        writeRestartRead(dir.resolve("bookie-disk").toFile());
    }

    /** The JDK's own answer (O_DIRECT through ExtendedOpenOption.DIRECT), independent of BookKeeper's library. */
    private static boolean jdkWritesWithDirectIo(Path in) throws Exception {
        Path p = in.resolve("jdk-direct-io");
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                ExtendedOpenOption.DIRECT)) {
            ByteBuffer block = ByteBuffer.allocateDirect(8192).alignedSlice(4096).limit(4096);
            ch.write(block, 0);
            return true;
        } catch (java.io.IOException | UnsupportedOperationException e) {
            return false;
        } finally {
            Files.deleteIfExists(p);
        }
    }

    private static void writeRestartRead(File data) throws Exception {
        String uri = StorageClients.metadataServiceUri(zk.connectString(), "/ledgers");
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        List<String> written = new ArrayList<>();
        long ledgerId;
        EmbeddedBookie bookie = EmbeddedBookie.start(uri, data, port, true);
        try (BookKeeper bk = StorageClients.bookKeeper(zk.connectString(), "/ledgers")) {
            try (WriteHandle w = bk.newCreateLedgerOp().withEnsembleSize(1).withWriteQuorumSize(1).withAckQuorumSize(1)
                    .withDigestType(DigestType.CRC32C).withPassword(Ledgers.PASSWORD).execute().get()) {
                ledgerId = w.getId();
                for (int i = 0; i < 200; i++) {
                    String entry = "entry " + i + " " + "x".repeat(i * 37);
                    w.append(entry.getBytes(StandardCharsets.UTF_8));
                    written.add(entry);
                }
            }
        } finally {
            bookie.close();
        }
        bookie = EmbeddedBookie.start(uri, data, port, true);
        try (BookKeeper bk = StorageClients.bookKeeper(zk.connectString(), "/ledgers");
             ReadHandle r = bk.newOpenLedgerOp().withLedgerId(ledgerId).withDigestType(DigestType.CRC32C)
                     .withPassword(Ledgers.PASSWORD).withRecovery(false).execute().get();
             LedgerEntries entries = r.read(0, r.getLastAddConfirmed())) {
            List<String> read = new ArrayList<>();
            for (LedgerEntry e : entries) {
                read.add(new String(e.getEntryBytes(), StandardCharsets.UTF_8));
            }
            assertThat(read).isEqualTo(written);
        } finally {
            bookie.close();
        }
    }
}
