package io.tributary.cli;

import io.tributary.storage.embedded.EmbeddedZooKeeper;
import java.io.File;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "zookeeper", mixinStandardHelpOptions = true,
        description = {"Runs a single-node ZooKeeper for small clusters and tests (no replication: not for production).",
                "Prints 'zookeeper listening on <port>' once it serves. SIGTERM or Ctrl-C stops it cleanly."})
final class ZooKeeperCommand implements Callable<Integer> {
    @Option(names = "--data-dir", required = true, paramLabel = "DIR", description = "Snapshots and transaction log; kept across restarts.")
    File dataDir;

    @Option(names = "--port", defaultValue = "2181", paramLabel = "N", description = "Client port, 0 picks a free one (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--bind-address", defaultValue = "0.0.0.0", paramLabel = "HOST", description = "Interface to listen on (default: ${DEFAULT-VALUE}).")
    String bindAddress;

    @Option(names = "--parent-pid", hidden = true, description = "Exit at once when this process exits (used by the test harness).")
    Long parentPid;

    @Override
    public Integer call() throws Exception {
        if (port < 0 || port > 65535) {
            System.err.println("error: --port must be in [0, 65535], was " + port);
            return 1;
        }
        ServerRunner.Stopper stopper = ServerRunner.installStopHandlers("zookeeper", parentPid);
        EmbeddedZooKeeper zk = ServerRunner.start("ZooKeeper", port, "--port",
                () -> EmbeddedZooKeeper.start(dataDir, bindAddress, port), () -> { });
        ServerRunner.announce("zookeeper listening on " + zk.port());
        return stopper.runUntilStopped(zk::close);
    }
}
