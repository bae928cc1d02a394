package io.tributary.cli;

import io.tributary.broker.Broker;
import io.tributary.broker.BrokerConfig;
import java.io.File;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "broker", mixinStandardHelpOptions = true,
        description = {"Runs one broker of a cluster: it registers in ZooKeeper and serves the topics of the bundles it owns.",
                "Settings come from --config, then -D key=value, then the options below; a TRIBUTARY_BROKER_* "
                        + "environment variable overrides each key (see docs/configuration.md).",
                "Prints 'broker <id> serving at <host:port>' once it serves. SIGTERM or Ctrl-C stops it cleanly."})
final class BrokerCommand implements Callable<Integer> {
    @Option(names = "--config", paramLabel = "FILE", description = "Properties file with broker.* keys (see conf/broker.properties).")
    File config;

    @Option(names = "--zookeeper", paramLabel = "HOST:PORT", description = "ZooKeeper connect string (broker.zookeeperServers).")
    String zookeeper;

    @Option(names = "--port", paramLabel = "N", description = "gRPC port, 0 picks a free one (broker.port).")
    Integer port;

    @Option(names = "--advertised-address", paramLabel = "HOST", description = "Host other processes reach this broker at (broker.advertisedAddress).")
    String advertisedAddress;

    @Option(names = "-D", paramLabel = "key=value", description = "Any broker.* setting, e.g. -D broker.zkSessionTimeout=10s; repeatable.")
    Map<String, String> defines = new LinkedHashMap<>();

    @Option(names = "--parent-pid", hidden = true, description = "Exit at once when this process exits (used by the test harness).")
    Long parentPid;

    @Override
    public Integer call() throws Exception {
        BrokerConfig brokerConfig;
        try {
            EnvironmentCheck.require(EnvironmentCheck.Role.BROKER, System.getenv());
            Map<String, Object> options = new LinkedHashMap<>();
            options.put("broker.zookeeperServers", zookeeper);
            options.put("broker.port", port);
            options.put("broker.advertisedAddress", advertisedAddress);
            Properties props = ServerConfigFiles.compose(config, defines, options);
            brokerConfig = BrokerConfig.fromProperties(props, System.getenv());
        } catch (RuntimeException e) {
            System.err.println("error: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
            return 1;
        }
        Broker broker = new Broker(brokerConfig);
        ServerRunner.Stopper stopper = ServerRunner.installStopHandlers("broker " + broker.brokerId(), parentPid);
        try {
            ServerRunner.start("the broker", brokerConfig.port(), "--port", broker::start, broker::close);
        } catch (Exception e) {
            throw noBookKeeperCluster(e, brokerConfig);
        }
        ServerRunner.announce("broker " + broker.brokerId() + " serving at " + broker.address());
        if (broker.metricsPort() >= 0) {
            ServerRunner.announce("broker metrics and health at " + brokerConfig.metricsSettings().scheme() + "://"
                    + brokerConfig.metricsSettings().bindAddress() + ":"
                    + broker.metricsPort() + " (/metrics, /health/live, /health/ready)");
        }
        return stopper.runUntilStopped(broker::close);
    }

    /** The BookKeeper client fails with a bare "NoNode" when no bookie ever initialised the cluster: say so. */
    private static Exception noBookKeeperCluster(Exception e, BrokerConfig config) {
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c.getMessage() != null && c.getMessage().contains("NoNode for " + config.ledgersRoot())) {
                return new IllegalStateException("no BookKeeper cluster under " + config.ledgersRoot() + " in ZooKeeper at "
                        + config.zookeeperServers() + ": start a bookie first (tributary bookie --zookeeper "
                        + config.zookeeperServers() + " --data-dir DIR)", e);
            }
        }
        return e;
    }
}
