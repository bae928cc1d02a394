package io.tributary.cli;

import io.tributary.broker.Broker;
import io.tributary.broker.BrokerConfig;
import io.tributary.broker.namespace.NamespaceService;
import io.tributary.protocol.config.Settings;
import io.tributary.storage.StorageClients;
import io.tributary.storage.meta.MetadataPaths;
import io.tributary.storage.meta.MetadataStore;
import io.tributary.storage.tls.ZooKeeperTls;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.apache.bookkeeper.client.BookKeeperAdmin;
import org.apache.bookkeeper.conf.ServerConfiguration;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "init-cluster", mixinStandardHelpOptions = true,
        description = {"Initialises a new cluster's metadata in ZooKeeper; does nothing already done, so it can run on "
                + "every install and upgrade (a Kubernetes Job).",
                "It lays out, when missing:",
                "  BookKeeper's metadata under broker.ledgersRoot (what the first bookie otherwise lays out),",
                "  Tributary's root znodes under broker.metadataRoot,",
                "  the tenant 'public' and the namespace 'public/default' (what every broker otherwise creates at start-up).",
                "It reads the brokers' configuration: --config, -D key=value, --zookeeper, then the TRIBUTARY_BROKER_* "
                        + "environment variables (broker.zookeeperServers, .metadataRoot, .ledgersRoot, .defaultBundles, "
                        + "broker.zookeeper.tls.*; see docs/configuration.md). Waits up to --timeout for ZooKeeper. "
                        + "Exit status 0 once everything is in place."})
final class InitClusterCommand implements Callable<Integer> {
    @Option(names = "--config", paramLabel = "FILE", description = "The brokers' properties file (see conf/broker.properties).")
    File config;

    @Option(names = "--zookeeper", paramLabel = "HOST:PORT", description = "ZooKeeper connect string (broker.zookeeperServers).")
    String zookeeper;

    @Option(names = "-D", paramLabel = "key=value", description = "Any broker.* setting; repeatable.")
    Map<String, String> defines = new LinkedHashMap<>();

    @Option(names = "--timeout", defaultValue = "2m", paramLabel = "DURATION",
            description = "How long to wait for ZooKeeper to answer (default: ${DEFAULT-VALUE}).")
    String timeout;

    @Override
    public Integer call() throws Exception {
        BrokerConfig brokerConfig;
        Duration wait;
        try {
            EnvironmentCheck.require(EnvironmentCheck.Role.INIT_CLUSTER, System.getenv());
            Map<String, Object> options = new LinkedHashMap<>();
            options.put("broker.zookeeperServers", zookeeper);
            Properties props = ServerConfigFiles.compose(config, defines, options);
            brokerConfig = BrokerConfig.fromProperties(props, System.getenv());
            wait = Settings.parseDuration("--timeout", timeout);
        } catch (RuntimeException e) {
            System.err.println("error: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
            return 1;
        }
        run(brokerConfig, wait, System.out);
        return 0;
    }

    /** Lays out whatever of the cluster's metadata is missing, printing one line per step. */
    static void run(BrokerConfig config, Duration wait, PrintStream out) throws Exception {
        String zk = config.zookeeperServers();
        // the root client first: it waits for ZooKeeper, and creates the roots BookKeeper and Tributary live under
        try (CuratorFramework curator = StorageClients.curator(zk, "/", config.zkSessionTimeout(),
                config.storageTls().zookeeper())) {
            if (!curator.blockUntilConnected((int) wait.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IOException("cannot reach ZooKeeper at " + zk + " within " + wait.toMillis() / 1000.0 + " s");
            }
            out.println("ZooKeeper at " + zk + " answers");
            // BookKeeper logs an ERROR when asked to lay out what is there: look first
            boolean created = curator.checkExists().forPath(config.ledgersRoot()) == null && initBookKeeper(config);
            out.println("BookKeeper metadata under " + config.ledgersRoot() + ": " + (created ? "created" : "already present"));
            int made = 0;
            for (String path : List.of("", MetadataPaths.BROKERS, MetadataPaths.LOAD, MetadataPaths.POLICIES,
                    MetadataPaths.OWNERSHIP, MetadataPaths.TOPICS, MetadataPaths.CURSORS, MetadataPaths.DEDUP)) {
                String full = config.metadataRoot() + path;
                try {
                    curator.create().creatingParentsIfNeeded().withMode(CreateMode.PERSISTENT).forPath(full);
                    made++;
                } catch (KeeperException.NodeExistsException e) {
                    // done before
                }
            }
            out.println("Tributary root znodes under " + config.metadataRoot() + ": " + (made == 0 ? "already present"
                    : made + " created"));
        }
        try (CuratorFramework curator = StorageClients.curator(zk, config.metadataRoot(), config.zkSessionTimeout(),
                config.storageTls().zookeeper())) {
            MetadataStore store = new MetadataStore(curator);
            String namespace = Broker.DEFAULT_NAMESPACE;
            boolean existed = store.exists(MetadataPaths.namespace(namespace)).get(30, TimeUnit.SECONDS);
            // what every broker does at start-up
            new NamespaceService(store, config.defaultBundles()).ensureNamespace(namespace).get(30, TimeUnit.SECONDS);
            if (!store.exists(MetadataPaths.namespace(namespace)).get(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("could not create the namespace " + namespace);
            }
            out.println("tenant public and namespace " + namespace + ": " + (existed ? "already present" : "created"));
        }
        out.println("cluster initialised");
        out.flush();
    }

    /** BookKeeper's cluster metadata, as the first bookie lays it out; false when it was there already. */
    private static boolean initBookKeeper(BrokerConfig config) throws Exception {
        ServerConfiguration conf = new ServerConfiguration();
        conf.setMetadataServiceUri(StorageClients.metadataServiceUri(config.zookeeperServers(), config.ledgersRoot()));
        conf.setZkTimeout((int) config.zkSessionTimeout().toMillis());
        // BookKeeper's ZooKeeper client takes its TLS from JVM-wide properties only
        ZooKeeperTls.Lease lease = config.storageTls().zookeeper() == null ? null
                : ZooKeeperTls.jvmClientProperties(config.storageTls().zookeeper());
        try {
            return BookKeeperAdmin.initNewCluster(conf);
        } catch (Exception e) {
            for (Throwable c = e; c != null; c = c.getCause()) {
                if (c instanceof KeeperException.NodeExistsException) {
                    return false; // another initialiser got there first
                }
            }
            throw e;
        } finally {
            if (lease != null) {
                lease.close();
            }
        }
    }
}
