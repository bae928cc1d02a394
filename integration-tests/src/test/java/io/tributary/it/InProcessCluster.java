package io.tributary.it;

import io.tributary.broker.Broker;
import io.tributary.broker.BrokerConfig;
import io.tributary.broker.loadmanager.LoadBalancerConfig;
import io.tributary.proxy.ProxyConfig;
import io.tributary.proxy.ProxyServer;
import io.tributary.storage.StorageClients;
import io.tributary.storage.embedded.EmbeddedBookie;
import io.tributary.storage.embedded.EmbeddedZooKeeper;
import java.io.File;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;

/**
 * ZooKeeper, a bookie, several brokers and a proxy in this JVM: real components, quick to start,
 * for tests of ownership and moves. (Crashes and pauses need real processes: see the cluster package.)
 */
final class InProcessCluster implements AutoCloseable {
    /** Fast cycles for tests: reports every 500 ms, balancing every second, a short grace period. */
    static final LoadBalancerConfig FAST = new LoadBalancerConfig(true, Duration.ofMillis(500), Duration.ofSeconds(1),
            0.25, Duration.ofSeconds(3), 0.3, 8, 50, 1000, 1_000_000, 128);
    /** {@link #FAST} with automatic balancing off, for tests that move bundles themselves. */
    static final LoadBalancerConfig MANUAL = new LoadBalancerConfig(false, FAST.reportInterval(), FAST.interval(),
            FAST.overloadThreshold(), FAST.gracePeriod(), FAST.maxMoveShare(), FAST.maxMovesPerCycle(),
            FAST.minRateToBalance(), FAST.splitTopicThreshold(), FAST.splitRateThreshold(), FAST.maxBundlesPerNamespace());

    final EmbeddedZooKeeper zk;
    final EmbeddedBookie bookie;
    final List<Broker> brokers = new ArrayList<>();
    private ProxyServer proxy;

    InProcessCluster(File dir) throws Exception {
        zk = EmbeddedZooKeeper.start(new File(dir, "zk"), "127.0.0.1", 0);
        bookie = EmbeddedBookie.start(StorageClients.metadataServiceUri(zk.connectString(), "/ledgers"),
                new File(dir, "bookie"), TestClusters.freePort(), false);
    }

    Broker addBroker(UnaryOperator<BrokerConfig> settings) throws Exception {
        BrokerConfig config = BrokerConfig.defaults(zk.connectString()).toBuilder()
                .port(0).internalPort(0).metricsPort(-1).zkSessionTimeout(Duration.ofSeconds(6)).loadBalancer(FAST)
                .singleCopy() // one bookie
                .build();
        Broker b = new Broker(settings.apply(config)).start();
        brokers.add(b);
        return b;
    }

    /** The proxy, knowing every broker added so far. */
    ProxyServer proxy() throws Exception {
        if (proxy == null) {
            String all = brokers.stream().map(Broker::address).collect(Collectors.joining(","));
            proxy = new ProxyServer(ProxyConfig.withBrokers(all).withPort(0).withBindAddress("127.0.0.1")
                    .withMetrics(0, null)).start();
        }
        return proxy;
    }

    String serviceUrl() throws Exception {
        return "127.0.0.1:" + proxy().port();
    }

    Broker leader() {
        return brokers.stream().filter(b -> b.loadManager().isLeader()).findFirst().orElse(null);
    }

    @Override
    public void close() {
        if (proxy != null) {
            proxy.close();
        }
        for (Broker b : brokers) {
            try {
                b.close();
            } catch (RuntimeException e) {
                // keep closing the rest
            }
        }
        bookie.close();
        zk.close();
    }
}
