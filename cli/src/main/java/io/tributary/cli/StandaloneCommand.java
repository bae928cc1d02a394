package io.tributary.cli;

import java.io.File;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "standalone", mixinStandardHelpOptions = true,
        description = {"Runs ZooKeeper, BookKeeper bookie(s), a broker and the gRPC proxy in one process.",
                "Data is kept under --data-dir across restarts. SIGTERM or Ctrl-C stops everything cleanly (exit status 0)."})
final class StandaloneCommand implements Callable<Integer> {
    @Option(names = "--data-dir", defaultValue = "data", description = "Where all data is kept (default: ${DEFAULT-VALUE}).")
    File dataDir;

    @Option(names = "--bookies", defaultValue = "1", description = "Number of bookies (default: ${DEFAULT-VALUE}).")
    int bookies;

    @Option(names = "--brokers", defaultValue = "1",
            description = "Number of brokers; bundles spread over them and move when one stops (default: ${DEFAULT-VALUE}).")
    int brokers;

    @Option(names = "--port", defaultValue = "6650", description = "Port of the gRPC proxy clients use (default: ${DEFAULT-VALUE}).")
    int proxyPort;

    @Option(names = "--broker-port", defaultValue = "6651", description = "Port of the broker (default: ${DEFAULT-VALUE}).")
    int brokerPort;

    @Option(names = "--zookeeper-port", defaultValue = "2181", description = "Port of ZooKeeper (default: ${DEFAULT-VALUE}).")
    int zkPort;

    @Option(names = "--bookie-port", defaultValue = "3181",
            description = "Port of the first bookie; keep it the same across restarts on one data dir (default: ${DEFAULT-VALUE}).")
    int bookiePort;

    @Option(names = "--metrics-port", defaultValue = "8080",
            description = {"Port of the first broker's /metrics, /health/live and /health/ready; broker i uses this + i, "
                    + "the proxy this + the number of brokers, bookie j this + brokers + 1 + j, ZooKeeper the next one; "
                    + "0 picks free ports, -1 turns them off (default: ${DEFAULT-VALUE})."})
    int metricsPort;

    @Option(names = "--http-port", defaultValue = "6680",
            description = {"Port of the proxy's REST admin API (/admin/v1/, OpenAPI at /admin/v1/openapi.json), on the "
                    + "--bind-address; 0 picks a free port, -1 turns it off (default: ${DEFAULT-VALUE})."})
    int httpPort;

    @Option(names = "--bind-address", defaultValue = Standalone.Options.LOOPBACK, paramLabel = "ADDRESS",
            description = {"Interface of the proxy's port, its REST port and every metrics endpoint: 0.0.0.0 for every interface, as in "
                    + "a container whose ports are published (default: ${DEFAULT-VALUE}). ZooKeeper, the bookies and "
                    + "the brokers stay on 127.0.0.1."})
    String bindAddress;

    @Option(names = "--no-fsync", description = "Acknowledge entries before the bookie journal is synced to disk (faster, less durable).")
    boolean noFsync;

    @Option(names = "--secure", description = {"TLS on every listener (a CA made under <data-dir>/security), token "
            + "authentication and authorization; prints the CA and the token file a client needs."})
    boolean secure;

    @Override
    public Integer call() throws Exception {
        try {
            EnvironmentCheck.require(EnvironmentCheck.Role.STANDALONE, System.getenv());
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            return 1;
        }
        Standalone.Options options = new Standalone.Options(dataDir, bookies, zkPort, bookiePort, brokerPort,
                proxyPort, !noFsync, c -> c.toBuilder().metricsPort(metricsPort).build()).withBrokers(brokers)
                .withBindAddress(bindAddress).withHttpPort(httpPort);
        SecureSetup security = secure ? SecureSetup.prepare(dataDir.toPath()) : null;
        Standalone standalone = new Standalone(security == null ? options : options.withSecurity(security));
        // SIGTERM (a container's stop) and Ctrl-C close every component and exit 0, with logging still on
        ServerRunner.Stopper stopper = ServerRunner.installStopHandlers("Tributary standalone", null);
        standalone.start();
        System.out.println("Tributary standalone is running.");
        boolean loopback = bindAddress.equals(Standalone.Options.LOOPBACK);
        System.out.println("  proxy (clients connect here): localhost:" + standalone.proxyPort()
                + (loopback ? "" : " (listening on " + bindAddress + ")"));
        if (standalone.proxyRestUrl() != null) {
            System.out.println("  REST admin API:                " + standalone.proxyRestUrl().replace("//" + bindAddress + ":",
                    "//localhost:") + " (OpenAPI: openapi.json there)");
        }
        String scheme = standalone.metricsScheme();
        for (int i = 0; i < standalone.brokers().size(); i++) {
            printMetrics("broker " + i + " metrics:", scheme, standalone.brokers().get(i).metricsPort());
        }
        printMetrics("proxy metrics:", scheme, standalone.proxyMetricsPort());
        for (int i = 0; i < standalone.bookieMetricsPorts().size(); i++) {
            printMetrics("bookie " + i + " metrics:", scheme, standalone.bookieMetricsPorts().get(i));
        }
        printMetrics("ZooKeeper metrics:", scheme, standalone.zookeeperMetricsPort());
        System.out.println("  data directory:                " + dataDir.getAbsolutePath());
        if (security == null) {
            System.out.println("  security: none (plaintext on " + bindAddress + ", no authentication; for development only: use --secure)");
        } else {
            System.out.println("  security: TLS on every listener, tokens required, permissions enforced");
            Path clientConfig = security.clientConfigFile();
            System.out.println("  CA certificate (trust it):     " + security.caFile().toAbsolutePath());
            System.out.println("  superuser token file:          " + security.adminTokenFile().toAbsolutePath());
            System.out.println("  client settings:               " + clientConfig.toAbsolutePath());
            System.out.println("  try: bin/tributary admin --client-config " + clientConfig.toAbsolutePath() + " tenants list");
            if (standalone.proxyMetricsPort() > 0) {
                System.out.println("  metrics over HTTPS, trusting the CA: curl --cacert " + security.caFile().toAbsolutePath()
                        + " https://localhost:" + standalone.proxyMetricsPort() + "/metrics");
                System.out.println("    (Prometheus: scheme: https, tls_config: {ca_file: " + security.caFile().toAbsolutePath()
                        + "}; docs/metrics.md)");
            }
        }
        System.out.println("Press Ctrl-C to stop.");
        System.out.flush();
        return stopper.runUntilStopped(standalone::close);
    }

    private static void printMetrics(String what, String scheme, int port) {
        if (port >= 0) {
            System.out.println(String.format("  %-30s", what) + scheme + "://localhost:" + port + "/metrics");
        }
    }
}
