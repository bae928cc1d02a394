package io.tributary.cli;

import io.tributary.metrics.MetricsSettings;
import io.tributary.protocol.config.Settings;
import io.tributary.storage.embedded.EmbeddedZooKeeper;
import io.tributary.storage.embedded.ZooKeeperPeer;
import io.tributary.storage.tls.ZooKeeperServerTls;
import java.io.File;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "zookeeper", mixinStandardHelpOptions = true,
        description = {"Runs a single-node ZooKeeper for small clusters and tests (no replication: not for production), "
                + "or with --servers and --myid one member of a replicated ensemble.",
                "TLS (a secure client port, PEM files) comes from zookeeper.tls.* keys in --config or -D; a "
                        + "TRIBUTARY_ZOOKEEPER_* environment variable overrides each key (see docs/configuration.md).",
                "Prints 'zookeeper listening on <port>' once it serves (and 'zookeeper TLS listening on <port>' with TLS). "
                        + "SIGTERM or Ctrl-C stops it cleanly."})
final class ZooKeeperCommand implements Callable<Integer> {
    @Option(names = "--data-dir", required = true, paramLabel = "DIR", description = "Snapshots and transaction log; kept across restarts.")
    File dataDir;

    @Option(names = "--port", defaultValue = "2181", paramLabel = "N", description = "Client port, 0 picks a free one (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--bind-address", defaultValue = "0.0.0.0", paramLabel = "HOST", description = "Interface to listen on (default: ${DEFAULT-VALUE}).")
    String bindAddress;

    @Option(names = "--servers", split = ",", paramLabel = "HOST:QUORUM_PORT:ELECTION_PORT",
            description = "Every member of the ensemble, in id order (member 1 first); with --myid, runs this one as a member.")
    java.util.List<String> servers;

    @Option(names = "--myid", paramLabel = "N", description = "This member's id in --servers (1-based).")
    Integer myid;

    @Option(names = "--config", paramLabel = "FILE", description = "Properties file with zookeeper.tls.* keys (see conf/zookeeper.properties).")
    File config;

    @Option(names = "-D", paramLabel = "key=value", description = "Any zookeeper.* setting, e.g. -D zookeeper.tls.enabled=true; repeatable.")
    Map<String, String> defines = new LinkedHashMap<>();

    @Option(names = "--parent-pid", hidden = true, description = "Exit at once when this process exits (used by the test harness).")
    Long parentPid;

    @Override
    public Integer call() throws Exception {
        if (port < 0 || port > 65535) {
            System.err.println("error: --port must be in [0, 65535], was " + port);
            return 1;
        }
        if ((servers == null) != (myid == null)) {
            System.err.println("error: --servers and --myid go together (an ensemble member needs both)");
            return 1;
        }
        ZooKeeperServerTls tls;
        MetricsSettings metrics;
        try {
            Settings settings = new Settings(ServerConfigFiles.compose(config, defines, null), System.getenv());
            tls = ZooKeeperServerTls.from(settings);
            metrics = MetricsSettings.from(settings, "zookeeper", "0.0.0.0", 7000);
        } catch (RuntimeException e) {
            System.err.println("error: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
            return 1;
        }
        if (servers != null) {
            return runPeer(tls, metrics);
        }
        ServerRunner.Stopper stopper = ServerRunner.installStopHandlers("zookeeper", parentPid);
        EmbeddedZooKeeper zk = ServerRunner.start("ZooKeeper", tls != null && !tls.plaintextPortEnabled() ? tls.port() : port,
                tls != null && !tls.plaintextPortEnabled() ? "zookeeper.tls.port" : "--port",
                () -> EmbeddedZooKeeper.start(dataDir, bindAddress, port, tls, metrics), () -> { });
        ServerRunner.announce("zookeeper listening on " + zk.port());
        if (zk.metricsPort() >= 0) {
            ServerRunner.announce("zookeeper metrics" + (metrics.tls() != null ? " (HTTPS)" : "") + " on " + metrics.bindAddress()
                    + ":" + zk.metricsPort());
        }
        if (tls != null) {
            ServerRunner.announce("zookeeper TLS listening on " + zk.securePort());
        }
        return stopper.runUntilStopped(zk::close);
    }

    private int runPeer(ZooKeeperServerTls tls, MetricsSettings metrics) throws Exception {
        if (port < 1 || myid < 1 || myid > servers.size()) {
            System.err.println("error: an ensemble member needs --port in [1, 65535] and --myid in [1, " + servers.size()
                    + "], was " + port + " and " + myid);
            return 1;
        }
        String host = "0.0.0.0".equals(bindAddress) ? "127.0.0.1" : bindAddress;
        ServerRunner.Stopper stopper = ServerRunner.installStopHandlers("zookeeper " + myid, parentPid);
        ZooKeeperPeer peer = ServerRunner.start("ZooKeeper", port, "--port",
                () -> ZooKeeperPeer.start(dataDir, myid, servers, host, port, java.time.Duration.ofSeconds(60), tls,
                        metrics), () -> { });
        ServerRunner.announce("zookeeper listening on " + peer.clientPort());
        if (peer.metricsPort() >= 0) {
            ServerRunner.announce("zookeeper metrics" + (metrics.tls() != null ? " (HTTPS)" : "") + " on " + metrics.bindAddress()
                    + ":" + peer.metricsPort());
        }
        if (tls != null) {
            ServerRunner.announce("zookeeper TLS listening on " + tls.port());
        }
        return stopper.runUntilStopped(() -> {
            try {
                peer.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }
}
