package io.tributary.storage.tls;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.protocol.security.ServerTlsSettings;
import io.tributary.protocol.security.TlsFiles;
import io.tributary.security.tls.CertificateAuthority;
import io.tributary.storage.StorageClients;
import io.tributary.storage.embedded.ZooKeeperPeer;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.util.PemReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A three-member ZooKeeper ensemble whose members talk TLS to each other and serve TLS clients only. */
class ZooKeeperEnsembleTlsTest {
    @TempDir
    Path dir;

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** Completes a TLS handshake on {@code port} presenting {@code cert} and returns the server certificate's subject. */
    private static String handshakeSubject(int port, CertificateAuthority.Issued cert, Path caFile) throws Exception {
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(PemReader.loadKeyStore(cert.certFile().toFile(), cert.keyFile().toFile(), Optional.empty()), new char[0]);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(PemReader.loadTrustStore(caFile.toFile()));
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        try (SSLSocket socket = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            socket.startHandshake();
            return ((X509Certificate) socket.getSession().getPeerCertificates()[0]).getSubjectX500Principal().getName();
        }
    }

    @Test
    void anEnsembleWithQuorumTlsElectsALeaderAndServesTlsClients() throws Exception {
        CertificateAuthority ca = CertificateAuthority.create("ensemble-ca", Duration.ofDays(1));
        Path caFile = ca.writeCertificate(dir.resolve("ca.crt"));
        // one certificate for every member (all on 127.0.0.1 here), usable for client and server authentication
        CertificateAuthority.Issued member = ca.issue(dir, "member", "localhost", List.of("localhost"), List.of("127.0.0.1"),
                Instant.now().minusSeconds(60), Duration.ofDays(1));
        ServerTlsSettings files = new ServerTlsSettings(member.certFile(), member.keyFile(), caFile, ServerTlsSettings.ClientAuth.NONE);
        List<String> servers = new ArrayList<>();
        List<Integer> securePorts = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            servers.add("127.0.0.1:" + freePort() + ":" + freePort());
            securePorts.add(freePort());
        }
        List<ZooKeeperPeer> peers = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                peers.add(ZooKeeperPeer.start(dir.resolve("zk-" + (i + 1)).toFile(), i + 1, servers, "127.0.0.1", 0,
                        Duration.ofSeconds(60), new ZooKeeperServerTls(files, securePorts.get(i), false, true)));
            }
            TlsFiles trusting = TlsFiles.trusting(caFile);
            try (CuratorFramework first = StorageClients.curator("127.0.0.1:" + securePorts.get(0), "/t", Duration.ofSeconds(10), trusting);
                 CuratorFramework third = StorageClients.curator("127.0.0.1:" + securePorts.get(2), "/t", Duration.ofSeconds(10), trusting)) {
                // a client is served only once the members have elected a leader, over their TLS quorum links
                assertThat(first.blockUntilConnected(60, SECONDS)).isTrue();
                first.create().forPath("/written-at-1", "hello".getBytes(UTF_8));
                assertThat(third.blockUntilConnected(60, SECONDS)).isTrue();
                third.sync().forPath("/written-at-1");
                assertThat(new String(third.getData().forPath("/written-at-1"), UTF_8)).isEqualTo("hello");
            }
            // the members' election port speaks TLS: a handshake with a member's certificate succeeds there
            int electionPort = Integer.parseInt(servers.get(0).split(":")[2]);
            assertThat(handshakeSubject(electionPort, member, caFile)).contains("CN=localhost");
        } finally {
            for (ZooKeeperPeer p : peers) {
                p.close();
            }
        }
    }
}
