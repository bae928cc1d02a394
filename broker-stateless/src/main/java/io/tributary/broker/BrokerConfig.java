package io.tributary.broker;

import com.google.common.base.Preconditions;
import io.tributary.storage.log.ManagedLogConfig;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;

/**
 * A broker's settings, each with a default (see docs/configuration.md). Built from a properties
 * file with environment overrides by {@link #fromProperties(Properties, Map)}; validated here so a
 * bad value stops the broker at start-up with a message that names the key.
 *
 * @param bindAddress interface the gRPC server listens on
 * @param port gRPC port (0 picks a free one)
 * @param advertisedAddress host other processes reach this broker at
 * @param zookeeperServers ZooKeeper connect string
 * @param metadataRoot root of Tributary's metadata in ZooKeeper
 * @param ledgersRoot root of BookKeeper's ledger metadata in ZooKeeper
 * @param zkSessionTimeout after this long without contact, ZooKeeper declares the broker dead
 * @param maxMessageSize largest entry (one producer batch) accepted, in bytes
 * @param allowAutoTopicCreation create a topic on first produce or subscribe
 * @param defaultBundles bundles of a namespace created without an explicit count
 * @param log how topics store their data
 * @param cursorPersistInterval acknowledgements are persisted at most this often per subscription
 * @param maxPendingPublishes per producer, appends in flight before the broker stops reading from it
 * @param dispatchBatchSize entries read from storage per dispatch round
 * @param pullConsumerIdleTimeout a Receive-based consumer with no call for this long is dropped and its
 *                                unacknowledged messages go to others
 */
public record BrokerConfig(
        String bindAddress,
        int port,
        String advertisedAddress,
        String zookeeperServers,
        String metadataRoot,
        String ledgersRoot,
        Duration zkSessionTimeout,
        int maxMessageSize,
        boolean allowAutoTopicCreation,
        int defaultBundles,
        ManagedLogConfig log,
        Duration cursorPersistInterval,
        int maxPendingPublishes,
        int dispatchBatchSize,
        Duration pullConsumerIdleTimeout) {

    public static final int DEFAULT_MAX_MESSAGE_SIZE = 5 * 1024 * 1024;

    public BrokerConfig {
        Preconditions.checkArgument(port >= 0 && port <= 65535, "broker.port must be in [0, 65535], was %s", port);
        Preconditions.checkArgument(zookeeperServers != null && !zookeeperServers.isBlank(), "broker.zookeeperServers is required");
        Preconditions.checkArgument(metadataRoot.startsWith("/"), "broker.metadataRoot must start with '/', was %s", metadataRoot);
        Preconditions.checkArgument(ledgersRoot.startsWith("/"), "broker.ledgersRoot must start with '/', was %s", ledgersRoot);
        Preconditions.checkArgument(maxMessageSize > 0 && maxMessageSize <= 64 * 1024 * 1024,
                "broker.maxMessageSize must be in (0, 64 MiB], was %s", maxMessageSize);
        Preconditions.checkArgument(defaultBundles >= 1 && defaultBundles <= 1024,
                "broker.defaultBundles must be in [1, 1024], was %s", defaultBundles);
        Preconditions.checkArgument(maxPendingPublishes >= 1, "broker.maxPendingPublishes must be >= 1");
        Preconditions.checkArgument(dispatchBatchSize >= 1, "broker.dispatchBatchSize must be >= 1");
    }

    /** Defaults for a broker on this machine talking to ZooKeeper at {@code zookeeperServers}. */
    public static BrokerConfig defaults(String zookeeperServers) {
        return new BrokerConfig("0.0.0.0", 6651, "127.0.0.1", zookeeperServers, "/tributary", "/ledgers",
                Duration.ofSeconds(15), DEFAULT_MAX_MESSAGE_SIZE, true, 4, ManagedLogConfig.DEFAULT,
                Duration.ofMillis(200), 1000, 100, Duration.ofSeconds(60));
    }

    public BrokerConfig withPort(int p) {
        return new BrokerConfig(bindAddress, p, advertisedAddress, zookeeperServers, metadataRoot, ledgersRoot,
                zkSessionTimeout, maxMessageSize, allowAutoTopicCreation, defaultBundles, log, cursorPersistInterval,
                maxPendingPublishes, dispatchBatchSize, pullConsumerIdleTimeout);
    }

    public BrokerConfig withAutoTopicCreation(boolean allow) {
        return new BrokerConfig(bindAddress, port, advertisedAddress, zookeeperServers, metadataRoot, ledgersRoot,
                zkSessionTimeout, maxMessageSize, allow, defaultBundles, log, cursorPersistInterval,
                maxPendingPublishes, dispatchBatchSize, pullConsumerIdleTimeout);
    }

    public BrokerConfig withMaxMessageSize(int size) {
        return new BrokerConfig(bindAddress, port, advertisedAddress, zookeeperServers, metadataRoot, ledgersRoot,
                zkSessionTimeout, size, allowAutoTopicCreation, defaultBundles, log, cursorPersistInterval,
                maxPendingPublishes, dispatchBatchSize, pullConsumerIdleTimeout);
    }

    public BrokerConfig withLog(ManagedLogConfig l) {
        return new BrokerConfig(bindAddress, port, advertisedAddress, zookeeperServers, metadataRoot, ledgersRoot,
                zkSessionTimeout, maxMessageSize, allowAutoTopicCreation, defaultBundles, l, cursorPersistInterval,
                maxPendingPublishes, dispatchBatchSize, pullConsumerIdleTimeout);
    }

    /**
     * Reads {@code broker.*} keys from {@code props}; an environment variable
     * {@code TRIBUTARY_BROKER_<KEY>} (key upper-cased, dots as underscores) overrides the file.
     */
    public static BrokerConfig fromProperties(Properties props, Map<String, String> env) {
        Settings s = new Settings(props, env);
        BrokerConfig d = defaults(s.get("broker.zookeeperServers", "127.0.0.1:2181"));
        ManagedLogConfig l = d.log();
        ManagedLogConfig log = new ManagedLogConfig(
                s.getInt("broker.ensembleSize", l.ensembleSize()),
                s.getInt("broker.writeQuorum", l.writeQuorum()),
                s.getInt("broker.ackQuorum", l.ackQuorum()),
                s.getLong("broker.ledgerRolloverSizeBytes", l.rolloverSizeBytes()),
                s.getLong("broker.ledgerRolloverEntries", l.rolloverEntries()),
                s.getDuration("broker.ledgerRolloverAge", l.rolloverAge()),
                s.getLong("broker.entryCacheSizeBytes", l.cacheSizeBytes()));
        return new BrokerConfig(
                s.get("broker.bindAddress", d.bindAddress()),
                s.getInt("broker.port", d.port()),
                s.get("broker.advertisedAddress", d.advertisedAddress()),
                d.zookeeperServers(),
                s.get("broker.metadataRoot", d.metadataRoot()),
                s.get("broker.ledgersRoot", d.ledgersRoot()),
                s.getDuration("broker.zkSessionTimeout", d.zkSessionTimeout()),
                s.getInt("broker.maxMessageSize", d.maxMessageSize()),
                s.getBoolean("broker.allowAutoTopicCreation", d.allowAutoTopicCreation()),
                s.getInt("broker.defaultBundles", d.defaultBundles()),
                log,
                s.getDuration("broker.cursorPersistInterval", d.cursorPersistInterval()),
                s.getInt("broker.maxPendingPublishes", d.maxPendingPublishes()),
                s.getInt("broker.dispatchBatchSize", d.dispatchBatchSize()),
                s.getDuration("broker.pullConsumerIdleTimeout", d.pullConsumerIdleTimeout()));
    }

    /** The address clients and proxies use to reach this broker. */
    public String serviceAddress(int boundPort) {
        return advertisedAddress + ":" + boundPort;
    }
}
