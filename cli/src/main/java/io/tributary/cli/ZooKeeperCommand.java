package io.tributary.cli;

import io.tributary.metrics.MetricsSettings;
import io.tributary.protocol.config.Settings;
import io.tributary.storage.embedded.EmbeddedZooKeeper;
import io.tributary.storage.embedded.ZooKeeperPeer;
import io.tributary.storage.tls.ZooKeeperServerTls;
import java.io.File;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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

    @Option(names = "--myid", paramLabel = "N|auto",
            description = {"This member's id in --servers (1-based), or auto: the ordinal of a StatefulSet pod's host name "
                    + "plus one (tributary-zookeeper-0 is 1, -1 is 2, ...), so every pod of a StatefulSet takes the same arguments."})
    String myidOption;

    Integer myid;

    @Option(names = "--config", paramLabel = "FILE", description = "Properties file with zookeeper.tls.* keys (see conf/zookeeper.properties).")
    File config;

    @Option(names = "-D", paramLabel = "key=value", description = "Any zookeeper.* setting, e.g. -D zookeeper.tls.enabled=true; repeatable.")
    Map<String, String> defines = new LinkedHashMap<>();

    @Option(names = "--parent-pid", hidden = true, description = "Exit at once when this process exits (used by the test harness).")
    Long parentPid;

    /** ZooKeeper's settings from its keys ({@code zookeeper.*}); a bad value names its key. */
    record Config(ZooKeeperServerTls tls, MetricsSettings metrics) {
        static Config from(Settings settings) {
            return new Config(ZooKeeperServerTls.from(settings), MetricsSettings.from(settings, "zookeeper", "0.0.0.0", 7000));
        }
    }

    /**
     * {@code --myid}: a number, or {@code auto} for the StatefulSet ordinal of this host's name plus one
     * ({@code tributary-zookeeper-2} is 3; a domain after the first dot is ignored).
     *
     * @param hostEnv the {@code HOSTNAME} variable (a container's runtime sets it to the pod's name), or null to
     *                ask the system
     */
    static int parseMyid(String option, String hostEnv) {
        if (!"auto".equalsIgnoreCase(option.trim())) {
            try {
                return Integer.parseInt(option.trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--myid must be a number or auto, was '" + option + "'");
            }
        }
        String host = hostEnv;
        if (host == null || host.isBlank()) {
            try {
                host = InetAddress.getLocalHost().getHostName();
            } catch (UnknownHostException e) {
                throw new IllegalArgumentException("--myid auto: cannot read this host's name: " + e.getMessage(), e);
            }
        }
        return myidOfHost(host);
    }

    /** {@code name-N} (or {@code name-N.domain}) is N + 1. */
    static int myidOfHost(String host) {
        String name = host.trim();
        int dot = name.indexOf('.');
        if (dot >= 0) {
            name = name.substring(0, dot);
        }
        Matcher m = Pattern.compile(".*-([0-9]{1,9})").matcher(name);
        if (!m.matches()) {
            throw new IllegalArgumentException("--myid auto needs a host name ending in -N (a StatefulSet pod's, e.g. "
                    + "tributary-zookeeper-0), but this host is '" + host + "': give --myid a number");
        }
        return Integer.parseInt(m.group(1)) + 1;
    }

    @Override
    public Integer call() throws Exception {
        if (port < 0 || port > 65535) {
            System.err.println("error: --port must be in [0, 65535], was " + port);
            return 1;
        }
        if ((servers == null) != (myidOption == null)) {
            System.err.println("error: --servers and --myid go together (an ensemble member needs both)");
            return 1;
        }
        ZooKeeperServerTls tls;
        MetricsSettings metrics;
        try {
            EnvironmentCheck.require(EnvironmentCheck.Role.ZOOKEEPER, System.getenv());
            Config c = Config.from(new Settings(ServerConfigFiles.compose(config, defines, null), System.getenv()));
            tls = c.tls();
            metrics = c.metrics();
            if (myidOption != null) {
                myid = parseMyid(myidOption, System.getenv("HOSTNAME"));
            }
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
        // the client port on --bind-address as given: every interface by default, so that other hosts' clients reach it
        String host = bindAddress;
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
