package io.tributary.storage.tls;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.tributary.protocol.security.ServerTlsSettings;
import io.tributary.protocol.security.TlsFiles;
import io.tributary.security.tls.CertificateAuthority;
import io.tributary.storage.StorageClients;
import io.tributary.storage.embedded.EmbeddedBookie;
import io.tributary.storage.embedded.EmbeddedZooKeeper;
import io.tributary.storage.log.LogEntry;
import io.tributary.storage.log.ManagedLog;
import io.tributary.storage.log.ManagedLogConfig;
import io.tributary.storage.log.ManagedLogFactory;
import io.tributary.storage.meta.MetadataStore;
import java.io.File;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import org.apache.bookkeeper.client.api.BKException;
import org.apache.bookkeeper.client.api.BookKeeper;
import org.apache.bookkeeper.client.api.DigestType;
import org.apache.bookkeeper.client.api.WriteHandle;
import org.apache.bookkeeper.common.util.OrderedExecutor;
import org.apache.curator.framework.CuratorFramework;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ZooKeeper's and BookKeeper's own TLS, set up from PEM files made here by a test CA: real servers in this JVM,
 * real clients.
 */
class StorageTlsTest {
    @TempDir
    static Path certs;
    @TempDir
    Path data;

    static CertificateAuthority ca;
    static Path caFile;
    /** localhost and 127.0.0.1, usable as a server's and a client's certificate. */
    static CertificateAuthority.Issued server;
    /** A client certificate with no host name. */
    static CertificateAuthority.Issued client;

    private final List<AutoCloseable> open = new ArrayList<>();

    @BeforeAll
    static void makeCertificates() {
        ca = CertificateAuthority.create("storage-test-ca", Duration.ofDays(1));
        caFile = ca.writeCertificate(certs.resolve("ca.crt"));
        server = issue(ca, certs, "server");
        client = ca.issue(certs, "client", "broker", List.of(), List.of(), Instant.now().minusSeconds(60), Duration.ofDays(1));
    }

    private static CertificateAuthority.Issued issue(CertificateAuthority by, Path dir, String name) {
        return by.issue(dir, name, "localhost", List.of("localhost"), List.of("127.0.0.1"), Instant.now().minusSeconds(60),
                Duration.ofDays(1));
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }

    private <T extends AutoCloseable> T track(T c) {
        open.add(c);
        return c;
    }

    private static ServerTlsSettings serverFiles(ServerTlsSettings.ClientAuth clientAuth) {
        return new ServerTlsSettings(server.certFile(), server.keyFile(), caFile, clientAuth);
    }

    private EmbeddedZooKeeper tlsOnlyZooKeeper(ServerTlsSettings.ClientAuth clientAuth) throws Exception {
        return track(EmbeddedZooKeeper.start(new File(data.toFile(), "zk"), "127.0.0.1", 0,
                ZooKeeperServerTls.only(serverFiles(clientAuth), 0)));
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** Creates a ledger on the (single) bookie and writes one entry to it. */
    private static void writeOneEntry(BookKeeper bk) throws Exception {
        try (WriteHandle w = bk.newCreateLedgerOp().withEnsembleSize(1).withWriteQuorumSize(1).withAckQuorumSize(1)
                .withDigestType(DigestType.CRC32C).withPassword(new byte[0]).execute().get(30, SECONDS)) {
            w.appendAsync("entry".getBytes(UTF_8)).get(60, SECONDS);
        }
    }

    @Test
    void aManagedLogWritesAndReadsThroughTlsZooKeeperAndBookie() throws Exception {
        // ZooKeeper on its secure port only, with client certificates required; a bookie that takes TLS only
        EmbeddedZooKeeper zk = tlsOnlyZooKeeper(ServerTlsSettings.ClientAuth.REQUIRE);
        String zkConnect = zk.secureConnectString();
        assertThat(zk.connectString()).isEqualTo(zkConnect); // no plaintext port
        // BookKeeper's ZooKeeper clients take their key JVM-wide, shared with the ZooKeeper server in this JVM
        TlsFiles zkClientOfBookKeeper = new TlsFiles(server.certFile(), server.keyFile(), caFile);
        TlsFiles clientCert = new TlsFiles(client.certFile(), client.keyFile(), caFile);
        track(EmbeddedBookie.start(StorageClients.metadataServiceUri(zkConnect, "/ledgers"), new File(data.toFile(), "bookie"),
                null, "127.0.0.1", freePort(), false, 30_000, serverFiles(ServerTlsSettings.ClientAuth.REQUIRE), zkClientOfBookKeeper));

        CuratorFramework curator = track(StorageClients.curator(zkConnect, "/tributary", Duration.ofSeconds(10), clientCert));
        assertThat(curator.blockUntilConnected(30, SECONDS)).isTrue();
        BookKeeper bk = track(StorageClients.bookKeeper(zkConnect, "/ledgers", new StorageTls(zkClientOfBookKeeper, clientCert)));
        OrderedExecutor executor = OrderedExecutor.newBuilder().numThreads(1).name("tls-log").build();
        track(executor::shutdown);
        ManagedLogFactory logs = new ManagedLogFactory(new MetadataStore(curator), bk, ManagedLogConfig.DEFAULT,
                name -> executor.chooseThread(name));

        ManagedLog log = logs.open("t/ns/over-tls", true).get(60, SECONDS);
        for (String m : List.of("one", "two", "three")) {
            log.appendAsync(m.getBytes(UTF_8)).get(60, SECONDS);
        }
        List<String> read = log.readAsync(log.firstPosition(), 10).get(60, SECONDS).stream()
                .map(LogEntry::data).map(b -> new String(b, UTF_8)).toList();
        assertThat(read).containsExactly("one", "two", "three");
        log.close();
    }

    @Test
    void aPlaintextClientCannotReachTheSecureZooKeeperPort() throws Exception {
        EmbeddedZooKeeper zk = tlsOnlyZooKeeper(ServerTlsSettings.ClientAuth.NONE);

        CuratorFramework plaintext = track(StorageClients.curator(zk.secureConnectString(), "/tributary", Duration.ofSeconds(10)));
        assertThat(plaintext.blockUntilConnected(4, SECONDS)).as("a plaintext client connected to the TLS port").isFalse();

        CuratorFramework secure = track(StorageClients.curator(zk.secureConnectString(), "/tributary", Duration.ofSeconds(10),
                TlsFiles.trusting(caFile)));
        assertThat(secure.blockUntilConnected(30, SECONDS)).isTrue();
        secure.create().forPath("/reached", "yes".getBytes(UTF_8));
        assertThat(new String(secure.getData().forPath("/reached"), UTF_8)).isEqualTo("yes");
    }

    @Test
    void aZooKeeperClientWithoutACertificateIsRefusedWhenOneIsRequired() throws Exception {
        EmbeddedZooKeeper zk = tlsOnlyZooKeeper(ServerTlsSettings.ClientAuth.REQUIRE);

        CuratorFramework anonymous = track(StorageClients.curator(zk.secureConnectString(), "/tributary", Duration.ofSeconds(10),
                TlsFiles.trusting(caFile)));
        assertThat(anonymous.blockUntilConnected(4, SECONDS)).as("a client without a certificate connected").isFalse();

        CuratorFramework withCert = track(StorageClients.curator(zk.secureConnectString(), "/tributary", Duration.ofSeconds(10),
                new TlsFiles(client.certFile(), client.keyFile(), caFile)));
        assertThat(withCert.blockUntilConnected(30, SECONDS)).isTrue();
    }

    @Test
    void aZooKeeperWhoseKeyDoesNotFitItsCertificateRefusesToStartNamingBothFiles() {
        ServerTlsSettings mismatched = new ServerTlsSettings(server.certFile(), client.keyFile(), null, ServerTlsSettings.ClientAuth.NONE);
        assertThatThrownBy(() -> EmbeddedZooKeeper.start(new File(data.toFile(), "zk"), "127.0.0.1", 0,
                ZooKeeperServerTls.only(mismatched, 0)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(client.keyFile().toString()).hasMessageContaining(server.certFile().toString());
    }

    @Test
    void aZooKeeperAskingForOptionalCertificatesServesClientsWithAndWithoutOne() throws Exception {
        EmbeddedZooKeeper zk = tlsOnlyZooKeeper(ServerTlsSettings.ClientAuth.OPTIONAL);

        CuratorFramework anonymous = track(StorageClients.curator(zk.secureConnectString(), "/tributary", Duration.ofSeconds(10),
                TlsFiles.trusting(caFile)));
        CuratorFramework withCert = track(StorageClients.curator(zk.secureConnectString(), "/tributary", Duration.ofSeconds(10),
                new TlsFiles(client.certFile(), client.keyFile(), caFile)));
        assertThat(anonymous.blockUntilConnected(30, SECONDS)).isTrue();
        assertThat(withCert.blockUntilConnected(30, SECONDS)).isTrue();
    }

    @Test
    void aRotatedZooKeeperCertificateIsServedWithoutRestart() throws Exception {
        // the server's files live where a rotation (cert-manager, say) replaces them
        Path serverDir = Files.createDirectories(data.resolve("zk-certs"));
        CertificateAuthority.Issued files = issue(ca, serverDir, "zk");
        EmbeddedZooKeeper zk = track(EmbeddedZooKeeper.start(new File(data.toFile(), "zk"), "127.0.0.1", 0,
                ZooKeeperServerTls.only(new ServerTlsSettings(files.certFile(), files.keyFile(), null,
                        ServerTlsSettings.ClientAuth.NONE), 0)));
        CertificateAuthority newCa = CertificateAuthority.create("storage-test-ca-2", Duration.ofDays(1));
        Path newCaFile = newCa.writeCertificate(data.resolve("new-ca.crt"));

        CuratorFramework early = track(StorageClients.curator(zk.secureConnectString(), "/tributary", Duration.ofSeconds(10),
                TlsFiles.trusting(newCaFile)));
        assertThat(early.blockUntilConnected(3, SECONDS)).as("the new CA was trusted before the rotation").isFalse();

        issue(newCa, serverDir, "zk"); // replaces zk.crt and zk.key
        CuratorFramework late = track(StorageClients.curator(zk.secureConnectString(), "/tributary", Duration.ofSeconds(10),
                TlsFiles.trusting(newCaFile)));
        assertThat(late.blockUntilConnected(30, SECONDS)).isTrue();
    }

    @Test
    void aBookieRefusesAPlaintextClient() throws Exception {
        EmbeddedZooKeeper zk = track(EmbeddedZooKeeper.start(new File(data.toFile(), "zk"), "127.0.0.1", 0));
        track(EmbeddedBookie.start(StorageClients.metadataServiceUri(zk.connectString(), "/ledgers"), new File(data.toFile(), "bookie"),
                null, "127.0.0.1", freePort(), false, 30_000, serverFiles(ServerTlsSettings.ClientAuth.NONE), null));

        BookKeeper plaintext = track(StorageClients.bookKeeper(zk.connectString(), "/ledgers"));
        assertThatThrownBy(() -> writeOneEntry(plaintext)).isInstanceOf(ExecutionException.class).hasCauseInstanceOf(BKException.class);

        BookKeeper secure = track(StorageClients.bookKeeper(zk.connectString(), "/ledgers",
                new StorageTls(null, TlsFiles.trusting(caFile))));
        writeOneEntry(secure);
    }

    @Test
    void aBookieRefusesAClientWithoutACertificateWhenRequired() throws Exception {
        EmbeddedZooKeeper zk = track(EmbeddedZooKeeper.start(new File(data.toFile(), "zk"), "127.0.0.1", 0));
        track(EmbeddedBookie.start(StorageClients.metadataServiceUri(zk.connectString(), "/ledgers"), new File(data.toFile(), "bookie"),
                null, "127.0.0.1", freePort(), false, 30_000, serverFiles(ServerTlsSettings.ClientAuth.REQUIRE), null));

        BookKeeper anonymous = track(StorageClients.bookKeeper(zk.connectString(), "/ledgers",
                new StorageTls(null, TlsFiles.trusting(caFile))));
        assertThatThrownBy(() -> writeOneEntry(anonymous)).isInstanceOf(ExecutionException.class).hasCauseInstanceOf(BKException.class);

        BookKeeper withCert = track(StorageClients.bookKeeper(zk.connectString(), "/ledgers",
                new StorageTls(null, new TlsFiles(client.certFile(), client.keyFile(), caFile))));
        writeOneEntry(withCert);
    }

    @Test
    void aRotatedBookieCertificateIsServedWithoutRestart() throws Exception {
        Path bookieDir = Files.createDirectories(data.resolve("bookie-certs"));
        CertificateAuthority.Issued files = issue(ca, bookieDir, "bookie");
        EmbeddedZooKeeper zk = track(EmbeddedZooKeeper.start(new File(data.toFile(), "zk"), "127.0.0.1", 0));
        track(EmbeddedBookie.start(StorageClients.metadataServiceUri(zk.connectString(), "/ledgers"), new File(data.toFile(), "bookie"),
                null, "127.0.0.1", freePort(), false, 30_000,
                new ServerTlsSettings(files.certFile(), files.keyFile(), null, ServerTlsSettings.ClientAuth.NONE), null));
        CertificateAuthority newCa = CertificateAuthority.create("storage-test-ca-2", Duration.ofDays(1));
        StorageTls trustingNewCa = new StorageTls(null, TlsFiles.trusting(newCa.writeCertificate(data.resolve("new-ca.crt"))));

        BookKeeper early = track(StorageClients.bookKeeper(zk.connectString(), "/ledgers", trustingNewCa));
        assertThatThrownBy(() -> writeOneEntry(early)).as("the new CA was trusted before the rotation")
                .isInstanceOf(ExecutionException.class);

        issue(newCa, bookieDir, "bookie"); // replaces bookie.crt and bookie.key
        // each attempt is a new client, so a new connection: the bookie looks at its files again
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1)).ignoreExceptions().untilAsserted(() -> {
            try (BookKeeper late = StorageClients.bookKeeper(zk.connectString(), "/ledgers", trustingNewCa)) {
                writeOneEntry(late);
            }
        });
    }
}
