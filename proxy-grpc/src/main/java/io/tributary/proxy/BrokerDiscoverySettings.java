package io.tributary.proxy;

import io.tributary.protocol.config.Settings;
import io.tributary.protocol.security.TlsFiles;
import io.tributary.storage.tls.StorageTls;
import java.time.Duration;
import java.time.temporal.ChronoUnit;

/**
 * Where a proxy learns which brokers run: the ZooKeeper the brokers register in.
 *
 * @param zookeeperServers the ZooKeeper connect string ({@code proxy.zookeeperServers})
 * @param metadataRoot     the root of Tributary's metadata there, as the brokers' {@code broker.metadataRoot}
 *                         ({@code proxy.metadataRoot}, default {@value #DEFAULT_METADATA_ROOT})
 * @param sessionTimeout   the proxy's ZooKeeper session timeout ({@code proxy.zookeeperSessionTimeout}, default 30 s)
 * @param zookeeperTls     TLS to ZooKeeper's secure port ({@code proxy.zookeeper.tls.trustCertsFile}, and
 *                         {@code .certFile}/{@code .keyFile} when ZooKeeper asks for a certificate); null: plaintext
 */
public record BrokerDiscoverySettings(String zookeeperServers, String metadataRoot, Duration sessionTimeout, TlsFiles zookeeperTls) {
    public static final String KEY_ZOOKEEPER_SERVERS = "proxy.zookeeperServers";
    public static final String KEY_METADATA_ROOT = "proxy.metadataRoot";
    public static final String KEY_SESSION_TIMEOUT = "proxy.zookeeperSessionTimeout";
    public static final String PREFIX_ZOOKEEPER_TLS = "proxy.zookeeper.tls";
    public static final String DEFAULT_METADATA_ROOT = "/tributary";
    public static final Duration DEFAULT_SESSION_TIMEOUT = Duration.ofSeconds(30);

    public BrokerDiscoverySettings {
        if (zookeeperServers == null || zookeeperServers.isBlank()) {
            throw new IllegalArgumentException(KEY_ZOOKEEPER_SERVERS + " must name ZooKeeper as host:port[,host:port...]");
        }
        zookeeperServers = zookeeperServers.trim();
        if (metadataRoot == null || !metadataRoot.startsWith("/")) {
            throw new IllegalArgumentException(KEY_METADATA_ROOT + " must be an absolute path such as /tributary, was " + metadataRoot);
        }
        if (sessionTimeout == null || sessionTimeout.toMillis() < 1000) {
            throw new IllegalArgumentException(KEY_SESSION_TIMEOUT + " must be at least 1s, was " + sessionTimeout);
        }
        if (zookeeperTls != null && zookeeperTls.trustCertsFile() == null) {
            throw new IllegalArgumentException(PREFIX_ZOOKEEPER_TLS + ".trustCertsFile is required for TLS to ZooKeeper");
        }
    }

    /** The brokers registered in {@code zookeeperServers} under the default root, plaintext. */
    public static BrokerDiscoverySettings of(String zookeeperServers) {
        return new BrokerDiscoverySettings(zookeeperServers, DEFAULT_METADATA_ROOT, DEFAULT_SESSION_TIMEOUT, null);
    }

    /** The settings under {@code proxy.*}; null when {@code proxy.zookeeperServers} is not set (no discovery). */
    public static BrokerDiscoverySettings from(Settings s) {
        // every key read, set or not: a key set without proxy.zookeeperServers is checked all the same
        String servers = s.get(KEY_ZOOKEEPER_SERVERS, null);
        String root = s.get(KEY_METADATA_ROOT, DEFAULT_METADATA_ROOT);
        Duration timeout = s.getDuration(KEY_SESSION_TIMEOUT, DEFAULT_SESSION_TIMEOUT, ChronoUnit.MILLIS);
        TlsFiles tls = StorageTls.clientFiles(s, PREFIX_ZOOKEEPER_TLS);
        if (servers == null || servers.isBlank()) {
            return null;
        }
        return new BrokerDiscoverySettings(servers, root, timeout, tls);
    }
}
