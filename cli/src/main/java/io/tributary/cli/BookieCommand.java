package io.tributary.cli;

import io.tributary.metrics.MetricsSettings;
import io.tributary.protocol.config.Settings;
import io.tributary.protocol.security.ServerTlsSettings;
import io.tributary.protocol.security.TlsFiles;
import io.tributary.storage.StorageClients;
import io.tributary.storage.embedded.EmbeddedBookie;
import io.tributary.storage.tls.StorageTls;
import java.io.File;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "bookie", mixinStandardHelpOptions = true,
        description = {"Runs one BookKeeper bookie (journal and ledger storage under --data-dir), registered in ZooKeeper.",
                "The first bookie of a new cluster lays out BookKeeper's metadata. It advertises 127.0.0.1 unless told "
                        + "otherwise, so by default brokers must run on the same machine.",
                "Serves /metrics (BookKeeper's own statistics, named as BookKeeper names them), /health/live and /health/ready "
                        + "(ready while writable) on bookie.metricsPort (default 8000, -1 off) and bookie.metricsBindAddress.",
                "TLS comes from bookie.tls.* (the bookie's port) and bookie.zookeeper.tls.* (its ZooKeeper client) keys in "
                        + "--config or -D; a TRIBUTARY_BOOKIE_* environment variable overrides each key (see docs/configuration.md).",
                "Prints 'bookie listening on <advertised-address>:<port>' once it serves. SIGTERM or Ctrl-C stops it cleanly."})
final class BookieCommand implements Callable<Integer> {
    @Option(names = "--zookeeper", required = true, paramLabel = "HOST:PORT", description = "ZooKeeper connect string.")
    String zookeeper;

    @Option(names = "--data-dir", required = true, paramLabel = "DIR", description = "Journal and ledger storage; kept across restarts.")
    File dataDir;

    @Option(names = "--port", defaultValue = "3181", paramLabel = "N",
            description = "Bookie port; part of the bookie's identity, keep it the same across restarts on one data dir (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--ledgers-root", defaultValue = "/ledgers", paramLabel = "PATH",
            description = "BookKeeper's metadata root in ZooKeeper; must match broker.ledgersRoot (default: ${DEFAULT-VALUE}).")
    String ledgersRoot;

    @Option(names = "--bind-address", paramLabel = "HOST",
            description = "Address to listen on (default: every interface, or the advertised address when only that is given).")
    String bindAddress;

    @Option(names = "--advertised-address", defaultValue = "127.0.0.1", paramLabel = "HOST",
            description = "Address clients reach this bookie at, part of its identity: keep it across restarts (default: ${DEFAULT-VALUE}). "
                    + "It may differ from --bind-address when something forwards to the bookie.")
    String advertisedAddress;

    @Option(names = "--zk-session-timeout", defaultValue = "30s", paramLabel = "DURATION",
            description = "After this long without hearing from the bookie, ZooKeeper drops its registration and "
                    + "clients stop writing to it (default: ${DEFAULT-VALUE}).")
    String zkSessionTimeout;

    @Option(names = "--no-fsync", description = "Acknowledge entries before the journal is synced to disk (faster, less durable).")
    boolean noFsync;

    @Option(names = "--config", paramLabel = "FILE", description = "Properties file with bookie.tls.* keys (see conf/bookie.properties).")
    File config;

    @Option(names = "-D", paramLabel = "key=value", description = "Any bookie.* setting, e.g. -D bookie.tls.enabled=true; repeatable.")
    Map<String, String> defines = new LinkedHashMap<>();

    @Option(names = "--parent-pid", hidden = true, description = "Exit at once when this process exits (used by the test harness).")
    Long parentPid;

    /** The bookie's settings from its keys ({@code bookie.*}); a bad value names its key. */
    record Config(ServerTlsSettings tls, TlsFiles zookeeperTls, MetricsSettings metrics) {
        static Config from(Settings settings) {
            ServerTlsSettings tls = ServerTlsSettings.from(settings, "bookie.tls");
            if (tls != null && tls.clientAuth() == ServerTlsSettings.ClientAuth.OPTIONAL) {
                throw new IllegalArgumentException("bookie.tls.clientAuth=optional is not supported by BookKeeper: use none or require");
            }
            return new Config(tls, StorageTls.clientFiles(settings, "bookie.zookeeper.tls"),
                    MetricsSettings.from(settings, "bookie", "0.0.0.0", 8000));
        }
    }

    @Override
    public Integer call() throws Exception {
        if (port < 1 || port > 65535) {
            System.err.println("error: --port must be in [1, 65535] (a bookie's port is part of its identity), was " + port);
            return 1;
        }
        if (!ledgersRoot.startsWith("/")) {
            System.err.println("error: --ledgers-root must start with '/', was " + ledgersRoot);
            return 1;
        }
        int zkTimeoutMs;
        ServerTlsSettings tls;
        TlsFiles zookeeperTls;
        MetricsSettings metrics;
        try {
            zkTimeoutMs = (int) Math.min(Integer.MAX_VALUE, Settings.parseDuration("--zk-session-timeout",
                    zkSessionTimeout).toMillis());
            EnvironmentCheck.require(EnvironmentCheck.Role.BOOKIE, System.getenv());
            Config c = Config.from(new Settings(ServerConfigFiles.compose(config, defines, null), System.getenv()));
            tls = c.tls();
            zookeeperTls = c.zookeeperTls();
            metrics = c.metrics();
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            return 1;
        }
        String uri = StorageClients.metadataServiceUri(zookeeper, ledgersRoot);
        ServerRunner.Stopper stopper = ServerRunner.installStopHandlers("bookie", parentPid);
        EmbeddedBookie bookie = ServerRunner.start("the bookie", port, "--port",
                () -> EmbeddedBookie.start(uri, dataDir, bindAddress, advertisedAddress, port, !noFsync, zkTimeoutMs, tls, zookeeperTls,
                        metrics),
                () -> { });
        ServerRunner.announce("bookie listening on " + advertisedAddress + ":" + bookie.port());
        if (bookie.metricsPort() >= 0) {
            ServerRunner.announce("bookie metrics" + (metrics.tls() != null ? " (HTTPS)" : "") + " on " + metrics.bindAddress()
                    + ":" + bookie.metricsPort());
        }
        return stopper.runUntilStopped(bookie::close);
    }
}
