package io.tributary.cli;

import io.tributary.proxy.BrokerDiscoverySettings;
import io.tributary.proxy.ProxyConfig;
import io.tributary.proxy.ProxyServer;
import java.io.File;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "proxy", mixinStandardHelpOptions = true,
        description = {"Runs the public gRPC endpoint: it finds the broker that owns a topic and forwards to it.",
                "Settings come from --config, then -D key=value, then the options below; a TRIBUTARY_PROXY_* "
                        + "environment variable overrides each key (see docs/configuration.md).",
                "Prints 'proxy listening on <port>' once it serves. SIGTERM or Ctrl-C stops it cleanly."})
final class ProxyCommand implements Callable<Integer> {
    @Option(names = "--config", paramLabel = "FILE", description = "Properties file with proxy.* keys (see conf/proxy.properties).")
    File config;

    @Option(names = "--port", paramLabel = "N", description = "Public gRPC port, 0 picks a free one (proxy.port).")
    Integer port;

    @Option(names = "--brokers", paramLabel = "HOST:PORT[,...]", description = "Brokers used for lookups and admin (proxy.brokerServiceUrl); "
            + "with --zookeeper, only while ZooKeeper names no broker.")
    String brokers;

    @Option(names = "--zookeeper", paramLabel = "HOST:PORT[,...]", description = "Discover the brokers registered in this "
            + "ZooKeeper and follow them as they come and go (proxy.zookeeperServers).")
    String zookeeper;

    @Option(names = "-D", paramLabel = "key=value", description = "Any proxy.* setting, e.g. -D proxy.lookupCacheTtl=10s; repeatable.")
    Map<String, String> defines = new LinkedHashMap<>();

    @Option(names = "--parent-pid", hidden = true, description = "Exit at once when this process exits (used by the test harness).")
    Long parentPid;

    @Override
    public Integer call() throws Exception {
        ProxyServer proxy;
        ProxyConfig proxyConfig;
        try {
            EnvironmentCheck.require(EnvironmentCheck.Role.PROXY, System.getenv());
            Map<String, Object> options = new LinkedHashMap<>();
            options.put(ProxyConfig.KEY_PORT, port);
            options.put(ProxyConfig.KEY_BROKER_SERVICE_URL, brokers);
            options.put(BrokerDiscoverySettings.KEY_ZOOKEEPER_SERVERS, zookeeper);
            Properties props = ServerConfigFiles.compose(config, defines, options);
            proxyConfig = ProxyConfig.fromProperties(props, System.getenv());
            proxy = new ProxyServer(proxyConfig);
        } catch (RuntimeException e) {
            System.err.println("error: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
            return 1;
        }
        ServerRunner.Stopper stopper = ServerRunner.installStopHandlers("proxy", parentPid);
        ServerRunner.start("the proxy", proxyConfig.port(), "--port", proxy::start, proxy::close);
        ServerRunner.announce("proxy listening on " + proxy.port());
        if (proxy.metricsPort() >= 0) {
            ServerRunner.announce("proxy metrics and health at " + proxyConfig.metricsSettings().scheme() + "://"
                    + proxyConfig.metricsSettings().bindAddress() + ":"
                    + proxy.metricsPort() + " (/metrics, /health/live, /health/ready)");
        }
        return stopper.runUntilStopped(proxy::close);
    }
}
