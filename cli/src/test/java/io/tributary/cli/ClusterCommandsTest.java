package io.tributary.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.broker.Broker;
import io.tributary.broker.BrokerConfig;
import io.tributary.broker.namespace.NamespaceService;
import io.tributary.storage.StorageClients;
import io.tributary.storage.embedded.EmbeddedZooKeeper;
import io.tributary.storage.meta.MetadataStore;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** tributary zookeeper --myid auto, tributary init-cluster, tributary config check. */
class ClusterCommandsTest {
    @TempDir
    Path dir;

    @Test
    void myidAutoIsTheStatefulSetOrdinalPlusOne() {
        assertThat(ZooKeeperCommand.myidOfHost("tributary-zookeeper-0")).isEqualTo(1);
        assertThat(ZooKeeperCommand.myidOfHost("zk-12.zk-headless.default.svc.cluster.local")).isEqualTo(13);
        assertThat(ZooKeeperCommand.parseMyid("auto", "tributary-zookeeper-2")).isEqualTo(3);
        assertThat(ZooKeeperCommand.parseMyid("5", "tributary-zookeeper-2")).isEqualTo(5);
        assertThatThrownBy(() -> ZooKeeperCommand.parseMyid("auto", "laptop"))
                .hasMessageContaining("--myid auto needs a host name ending in -N").hasMessageContaining("'laptop'");
        assertThatThrownBy(() -> ZooKeeperCommand.parseMyid("one", null)).hasMessageContaining("--myid must be a number or auto");
    }

    @Test
    void initClusterLaysOutWhatIsMissingAndIsIdempotent() throws Exception {
        EmbeddedZooKeeper zk = EmbeddedZooKeeper.start(dir.resolve("zk").toFile(), "127.0.0.1", 0);
        try {
            String connect = "127.0.0.1:" + zk.port();
            BrokerConfig config = BrokerConfig.fromProperties(new Properties(), Map.of("TRIBUTARY_BROKER_ZOOKEEPER_SERVERS", connect));
            String first = initCluster(config);
            assertThat(first).contains("BookKeeper metadata under /ledgers: created")
                    .contains("Tributary root znodes under /tributary: 8 created")
                    .contains("tenant public and namespace public/default: created")
                    .contains("cluster initialised");
            String second = initCluster(config);
            assertThat(second).contains("BookKeeper metadata under /ledgers: already present")
                    .contains("Tributary root znodes under /tributary: already present")
                    .contains("tenant public and namespace public/default: already present");
            try (CuratorFramework curator = StorageClients.curator(connect, "/tributary", Duration.ofSeconds(10))) {
                NamespaceService namespaces = new NamespaceService(new MetadataStore(curator), 4);
                assertThat(namespaces.namespaces("public").get(10, TimeUnit.SECONDS)).contains(Broker.DEFAULT_NAMESPACE);
                assertThat(curator.checkExists().forPath("/brokers")).isNotNull();
            }
            try (CuratorFramework root = StorageClients.curator(connect, "/", Duration.ofSeconds(10))) {
                // what a bookie looks for before it registers
                assertThat(root.checkExists().forPath("/ledgers/available")).isNotNull();
            }
        } finally {
            zk.close();
        }
    }

    @Test
    void initClusterGivesUpWhenZooKeeperDoesNotAnswer() {
        BrokerConfig config = BrokerConfig.fromProperties(new Properties(), Map.of("TRIBUTARY_BROKER_ZOOKEEPER_SERVERS", "127.0.0.1:1"));
        assertThatThrownBy(() -> InitClusterCommand.run(config, Duration.ofMillis(500), new PrintStream(new ByteArrayOutputStream())))
                .hasMessageContaining("cannot reach ZooKeeper at 127.0.0.1:1");
    }

    @Test
    void configCheckParsesTheValuesTooNamingTheKey() {
        assertThatThrownBy(() -> ConfigCommand.check(EnvironmentCheck.Role.BROKER, new Properties(),
                Map.of("TRIBUTARY_BROKER_MAX_MESSAGE_SIZE", "five")))
                .hasMessageContaining("broker.maxMessageSize must be an integer, got 'five'");
        assertThatThrownBy(() -> ConfigCommand.check(EnvironmentCheck.Role.ZOOKEEPER, new Properties(),
                Map.of("TRIBUTARY_ZOOKEEPER_METRICS_PORT", "-5")))
                .hasMessageContaining("zookeeper.metricsPort");
        ConfigCommand.check(EnvironmentCheck.Role.BOOKIE, new Properties(), Map.of("TRIBUTARY_BOOKIE_METRICS_PORT", "9000"));
    }

    private static String initCluster(BrokerConfig config) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        InitClusterCommand.run(config, Duration.ofSeconds(10), new PrintStream(out, true, StandardCharsets.UTF_8));
        return out.toString(StandardCharsets.UTF_8);
    }
}
