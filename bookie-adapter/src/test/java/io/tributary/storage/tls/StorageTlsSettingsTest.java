package io.tributary.storage.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.protocol.config.Settings;
import io.tributary.protocol.security.ServerTlsSettings;
import io.tributary.protocol.security.TlsFiles;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/** The storage TLS keys: off by default, read by name, refused by name when incomplete. */
class StorageTlsSettingsTest {
    private static Settings settings(String... kv) {
        Properties p = new Properties();
        for (int i = 0; i < kv.length; i += 2) {
            p.setProperty(kv[i], kv[i + 1]);
        }
        return new Settings(p, Map.of());
    }

    @Test
    void storageTlsIsOffUnlessConfigured() {
        assertThat(StorageTls.from(settings(), "broker")).isEqualTo(StorageTls.NONE);
        assertThat(ZooKeeperServerTls.from(settings())).isNull();
        assertThat(ServerTlsSettings.from(settings(), "bookie.tls")).isNull();
    }

    @Test
    void aZooKeeperServerReadsItsSecurePortPlaintextPortAndQuorumKeys() {
        ZooKeeperServerTls tls = ZooKeeperServerTls.from(settings("zookeeper.tls.enabled", "true",
                "zookeeper.tls.certFile", "/tls/zk.crt", "zookeeper.tls.keyFile", "/tls/zk.key"));
        assertThat(tls).isEqualTo(new ZooKeeperServerTls(new ServerTlsSettings(Path.of("/tls/zk.crt"), Path.of("/tls/zk.key"), null,
                ServerTlsSettings.ClientAuth.NONE), 2281, true, false));
        ZooKeeperServerTls strict = ZooKeeperServerTls.from(settings("zookeeper.tls.enabled", "true",
                "zookeeper.tls.certFile", "/tls/zk.crt", "zookeeper.tls.keyFile", "/tls/zk.key",
                "zookeeper.tls.trustCertsFile", "/tls/ca.crt", "zookeeper.tls.clientAuth", "require",
                "zookeeper.tls.port", "3281", "zookeeper.tls.plaintextPortEnabled", "false", "zookeeper.tls.quorum", "true"));
        assertThat(strict.port()).isEqualTo(3281);
        assertThat(strict.plaintextPortEnabled()).isFalse();
        assertThat(strict.quorum()).isTrue();
        assertThat(strict.files().clientAuth()).isEqualTo(ServerTlsSettings.ClientAuth.REQUIRE);
    }

    @Test
    void incompleteTlsSettingsAreRefusedNamingTheirKeys() {
        assertThatThrownBy(() -> ServerTlsSettings.from(settings("bookie.tls.enabled", "true", "bookie.tls.certFile", "/c"), "bookie.tls"))
                .hasMessageContaining("bookie.tls.keyFile");
        assertThatThrownBy(() -> ServerTlsSettings.from(settings("bookie.tls.enabled", "true", "bookie.tls.certFile", "/c",
                "bookie.tls.keyFile", "/k", "bookie.tls.clientAuth", "require"), "bookie.tls"))
                .hasMessageContaining("trustCertsFile");
        assertThatThrownBy(() -> ServerTlsSettings.from(settings("bookie.tls.enabled", "true", "bookie.tls.certFile", "/c",
                "bookie.tls.keyFile", "/k", "bookie.tls.clientAuth", "always"), "bookie.tls"))
                .hasMessageContaining("bookie.tls.clientAuth");
        assertThatThrownBy(() -> StorageTls.clientFiles(settings("bookie.zookeeper.tls.certFile", "/c",
                "bookie.zookeeper.tls.keyFile", "/k"), "bookie.zookeeper.tls"))
                .hasMessageContaining("bookie.zookeeper.tls.trustCertsFile");
        assertThatThrownBy(() -> StorageTls.clientFiles(settings("broker.bookkeeper.tls.trustCertsFile", "/ca",
                "broker.bookkeeper.tls.certFile", "/c"), "broker.bookkeeper.tls"))
                .hasMessageContaining("broker.bookkeeper.tls.keyFile");
        assertThatThrownBy(() -> BookKeeperTls.configureBookie(new org.apache.bookkeeper.conf.ServerConfiguration(),
                new ServerTlsSettings(Path.of("/c"), Path.of("/k"), Path.of("/ca"), ServerTlsSettings.ClientAuth.OPTIONAL)))
                .hasMessageContaining("optional");
    }

    @Test
    void aClientCertificateIsReadWithItsKeyAndTrust() {
        assertThat(StorageTls.clientFiles(settings("broker.bookkeeper.tls.trustCertsFile", "/ca",
                "broker.bookkeeper.tls.certFile", "/c", "broker.bookkeeper.tls.keyFile", "/k"), "broker.bookkeeper.tls"))
                .isEqualTo(new TlsFiles(Path.of("/c"), Path.of("/k"), Path.of("/ca")));
    }

    @Test
    void twoHoldersCannotSetOneJvmWideZooKeeperSettingToDifferentValues() {
        try (ZooKeeperTls.Lease first = ZooKeeperTls.jvmClientProperties(TlsFiles.trusting(Path.of("/tls/one-ca.crt")))) {
            assertThat(System.getProperty("zookeeper.client.secure")).isEqualTo("true");
            assertThatThrownBy(() -> ZooKeeperTls.jvmClientProperties(TlsFiles.trusting(Path.of("/tls/other-ca.crt"))))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("zookeeper.ssl.trustStore.location");
            // the same settings again are fine, and the last holder to close restores the JVM
            ZooKeeperTls.jvmClientProperties(TlsFiles.trusting(Path.of("/tls/one-ca.crt"))).close();
            assertThat(System.getProperty("zookeeper.client.secure")).isEqualTo("true");
        }
        assertThat(System.getProperty("zookeeper.client.secure")).isNull();
        assertThat(System.getProperty("zookeeper.ssl.trustStore.location")).isNull();
    }
}
