package io.tributary.chaos.cluster;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The shape of a chaos cluster and the settings its servers get.
 *
 * @param zookeepers ensemble members (3 survive one down)
 * @param bookies bookies (4 with ensemble 3 keep writing with one down)
 * @param brokers brokers
 * @param proxies proxies
 * @param ensembleSize BookKeeper ensemble of every ledger
 * @param writeQuorum copies written
 * @param ackQuorum copies acknowledged before a write is
 * @param zkSessionTimeout the brokers' and bookies' ZooKeeper session: short, so faults heal fast
 * @param brokerProps further {@code broker.*} settings
 */
public record Topology(int zookeepers, int bookies, int brokers, int proxies, int ensembleSize, int writeQuorum, int ackQuorum,
        Duration zkSessionTimeout, Map<String, String> brokerProps) {

    /** The cluster: 3 ZooKeeper, 4 bookies (E3/W3/A2), 3 brokers, 2 proxies, 6 s sessions. */
    public static Topology standard() {
        return new Topology(3, 4, 3, 2, 3, 3, 2, Duration.ofSeconds(6), Map.of());
    }

    public Topology {
        if (zookeepers < 1 || bookies < ensembleSize || brokers < 1 || proxies < 1) {
            throw new IllegalArgumentException("a cluster needs ZooKeeper, at least ensembleSize bookies, a broker and a proxy");
        }
        brokerProps = Map.copyOf(brokerProps);
    }

    /** Every broker.* setting the brokers get. */
    public Map<String, String> brokerSettings() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("broker.zkSessionTimeout", zkSessionTimeout.toMillis() + "ms");
        m.put("broker.ensembleSize", Integer.toString(ensembleSize));
        m.put("broker.writeQuorum", Integer.toString(writeQuorum));
        m.put("broker.ackQuorum", Integer.toString(ackQuorum));
        // twelve JVMs on one host: the default metrics port would clash
        m.put("broker.metricsPort", "0");
        // the audit reads everything ever stored: keep it all
        m.put("broker.defaultRetentionTimeSeconds", "-1");
        // a transaction left undecided by a fault (its client lost the coordinator) is checked back soon, then rolled
        // back: the checker waits for the coordinator to hold none before it reads the transactions' topics
        m.put("broker.transactionCheckInterval", "500ms");
        m.put("broker.transactionMaxChecks", "2");
        m.putAll(brokerProps);
        return m;
    }
}
