package io.tributary.cli;

import io.tributary.broker.Broker;
import io.tributary.broker.BrokerConfig;
import io.tributary.metrics.MetricsSettings;
import io.tributary.protocol.security.ServerTlsSettings;
import io.tributary.protocol.security.TlsFiles;
import io.tributary.proxy.ProxyConfig;
import io.tributary.proxy.ProxyServer;
import io.tributary.storage.StorageClients;
import io.tributary.storage.embedded.EmbeddedBookie;
import io.tributary.storage.embedded.EmbeddedZooKeeper;
import io.tributary.storage.tls.StorageTls;
import io.tributary.storage.tls.ZooKeeperServerTls;
import java.io.File;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything in one JVM: ZooKeeper, one or more bookies, a broker and the gRPC proxy, with all
 * data under one directory. The same real components as a cluster, only embedded; stopping and
 * starting again on the same directory keeps every message and subscription.
 */
public final class Standalone implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Standalone.class);

    /**
     * @param dataDir where ZooKeeper and the bookies keep their data
     * @param bookies number of bookies (entries are replicated on up to 2 of them)
     * @param zkPort ZooKeeper's port
     * @param bookiePort the first bookie's port; bookie i uses bookiePort + i. Keep it the same
     *                   across restarts on the same data directory: it is part of a bookie's identity
     * @param brokerPort the broker's gRPC port
     * @param proxyPort the public gRPC port clients connect to
     * @param syncJournal fsync each entry before acknowledging it
     * @param brokerSettings adjusts the broker's configuration (tests use it for limits and auto-creation)
     * @param brokers number of brokers; broker i listens on brokerPort + i (and its metrics port + i)
     * @param storageTls TLS of ZooKeeper and the bookies, and of every client of theirs (null: plaintext)
     * @param security TLS on every listener, token authentication and authorization with the keys and
     *                 tokens of {@link SecureSetup} ({@code --secure}); null: plaintext, no authentication
     * @param bindAddress the interface of what is meant to be reached from outside: the proxy's port and every
     *                    metrics endpoint ({@code --bind-address}; {@value #LOOPBACK} by default, {@code 0.0.0.0}
     *                    in a container whose ports are published); ZooKeeper, the bookies and the brokers'
     *                    ports stay on {@value #LOOPBACK}
     * @param httpPort the proxy's REST admin API ({@code --http-port}; on {@code bindAddress}): -1 off (the default
     *                 of the short constructor), 0 a free port
     */
    public record Options(File dataDir, int bookies, int zkPort, int bookiePort, int brokerPort, int proxyPort,
                          boolean syncJournal, UnaryOperator<BrokerConfig> brokerSettings, int brokers,
                          StorageTlsSetup storageTls, SecureSetup security, String bindAddress, int httpPort) {
        public static final String LOOPBACK = "127.0.0.1";

        public Options(File dataDir, int bookies, int zkPort, int bookiePort, int brokerPort, int proxyPort,
                       boolean syncJournal, UnaryOperator<BrokerConfig> brokerSettings) {
            this(dataDir, bookies, zkPort, bookiePort, brokerPort, proxyPort, syncJournal, brokerSettings, 1, null, null, LOOPBACK, -1);
        }

        public static Options defaults(File dataDir) {
            return new Options(dataDir, 1, 2181, 3181, 6651, 6650, true, UnaryOperator.identity());
        }

        public Options withBrokers(int n) {
            return new Options(dataDir, bookies, zkPort, bookiePort, brokerPort, proxyPort, syncJournal, brokerSettings, n,
                    storageTls, security, bindAddress, httpPort);
        }

        /** ZooKeeper (on zkPort, TLS only) and the bookies (TLS only) with {@code tls}; null for plaintext. */
        public Options withStorageTls(StorageTlsSetup tls) {
            return new Options(dataDir, bookies, zkPort, bookiePort, brokerPort, proxyPort, syncJournal, brokerSettings, brokers,
                    tls, security, bindAddress, httpPort);
        }

        /**
         * Everything secured with the files of {@code setup}: TLS on the proxy, the brokers' client and
         * internal listeners, ZooKeeper and the bookies; token authentication; authorization.
         */
        public Options withSecurity(SecureSetup setup) {
            return new Options(dataDir, bookies, zkPort, bookiePort, brokerPort, proxyPort, syncJournal, brokerSettings, brokers,
                    setup.storageTls(), setup, bindAddress, httpPort);
        }

        /** The proxy's port and every metrics endpoint on {@code address} ({@code --bind-address}). */
        public Options withBindAddress(String address) {
            return new Options(dataDir, bookies, zkPort, bookiePort, brokerPort, proxyPort, syncJournal, brokerSettings, brokers,
                    storageTls, security, address, httpPort);
        }

        /** The proxy's REST admin API on {@code port} (-1: off, 0: a free port), on the bind address. */
        public Options withHttpPort(int port) {
            return new Options(dataDir, bookies, zkPort, bookiePort, brokerPort, proxyPort, syncJournal, brokerSettings, brokers,
                    storageTls, security, bindAddress, port);
        }
    }

    /**
     * The storage tier's TLS in standalone mode.
     *
     * @param zookeeper ZooKeeper's certificate (its plaintext port is closed)
     * @param bookies the bookies' certificate (they refuse plaintext clients)
     * @param clients what the brokers' BookKeeper clients and the bookies' ZooKeeper clients trust, and the
     *                certificate brokers present to the bookies. ZooKeeper clients present ZooKeeper's own
     *                certificate when it requires one: in one JVM, BookKeeper's ZooKeeper clients share the server's
     *                JVM-wide key setting (see ZooKeeperTls)
     */
    public record StorageTlsSetup(ServerTlsSettings zookeeper, ServerTlsSettings bookies, TlsFiles clients) {
        public StorageTlsSetup {
            if (zookeeper == null || bookies == null || clients == null || clients.trustCertsFile() == null) {
                throw new IllegalArgumentException("standalone storage TLS needs ZooKeeper's and the bookies' files and the clients' trusted CAs");
            }
        }

        /** How every ZooKeeper client of this JVM connects. */
        TlsFiles zookeeperClients() {
            return zookeeper.clientAuth() == ServerTlsSettings.ClientAuth.NONE ? TlsFiles.trusting(clients.trustCertsFile())
                    : new TlsFiles(zookeeper.certFile(), zookeeper.keyFile(), clients.trustCertsFile());
        }
    }

    private final Options options;
    private EmbeddedZooKeeper zk;
    private final List<EmbeddedBookie> bookies = new ArrayList<>();
    private final List<Broker> brokers = new ArrayList<>();
    private ProxyServer proxy;

    public Standalone(Options options) {
        if (options.bookies() < 1) {
            throw new IllegalArgumentException("--bookies must be at least 1, was " + options.bookies());
        }
        if (options.brokers() < 1) {
            throw new IllegalArgumentException("--brokers must be at least 1, was " + options.brokers());
        }
        this.options = options;
    }

    public Standalone start() throws Exception {
        try {
            File dir = options.dataDir();
            StorageTlsSetup tls = options.storageTls();
            zk = onPort("ZooKeeper", options.zkPort(), "--zookeeper-port",
                    () -> EmbeddedZooKeeper.start(new File(dir, "zookeeper"), "127.0.0.1", options.zkPort(),
                            tls == null ? null : ZooKeeperServerTls.only(tls.zookeeper(), options.zkPort()),
                            storageMetrics(options.bookies())));
            String zkConnect = "127.0.0.1:" + zk.port();
            for (int i = 0; i < options.bookies(); i++) {
                int port = options.bookiePort() + i;
                MetricsSettings bookieMetrics = storageMetrics(i);
                File bookieDir = new File(dir, "bookie-" + i);
                bookies.add(onPort("bookie " + i, port, "--bookie-port", () -> EmbeddedBookie.start(
                        StorageClients.metadataServiceUri(zkConnect, "/ledgers"), bookieDir, null, "127.0.0.1", port,
                        options.syncJournal(), EmbeddedBookie.DEFAULT_ZK_TIMEOUT_MS, tls == null ? null : tls.bookies(),
                        tls == null ? null : tls.zookeeperClients(), bookieMetrics)));
            }
            BrokerConfig brokerConfig = brokerBase(zkConnect);
            int metricsPort = -1; // the first broker's; the others and the proxy take the next ones
            String cluster = MetricsSettings.DEFAULT_CLUSTER; // the brokers', for every process's series
            for (int i = 0; i < options.brokers(); i++) {
                int port = options.brokerPort() == 0 ? 0 : options.brokerPort() + i;
                int index = i;
                BrokerConfig c = options.brokerSettings().apply(brokerConfig.withPort(port));
                if (index == 0) {
                    metricsPort = c.metricsPort();
                    cluster = c.clusterName();
                }
                if (index > 0 && c.metricsPort() > 0) {
                    c = c.toBuilder().metricsPort(c.metricsPort() + index).build();
                }
                BrokerConfig config = c;
                brokers.add(onPort("broker " + i, port, "--broker-port", () -> new Broker(config).start()));
            }
            String all = String.join(",", brokers.stream().map(Broker::address).toList());
            // the proxy's metrics after the brokers': metricsPort + brokers (0: a free port, -1: none)
            ProxyConfig proxyConfig = ProxyConfig.withBrokers(all).withPort(options.proxyPort()).withBindAddress(options.bindAddress())
                    .withMetrics(metricsPort > 0 ? metricsPort + options.brokers() : metricsPort, options.bindAddress()).withClusterName(cluster)
                    .toBuilder().httpPort(options.httpPort()).build();
            ProxyConfig secured = options.security() == null ? proxyConfig : options.security().secureProxy(proxyConfig);
            proxy = onPort("the proxy", options.proxyPort(), "--port", () -> new ProxyServer(secured).start());
            if (options.security() != null) {
                options.security().writeClientConfig(proxy.port());
            }
            LOG.info("Tributary standalone is up: proxy at localhost:{}, data in {}", proxy.port(), dir.getAbsolutePath());
            return this;
        } catch (Exception e) {
            close();
            throw e;
        }
    }

    /** What every broker of this standalone starts from, before {@link Options#brokerSettings()} and its port. */
    private BrokerConfig brokerBase(String zkConnect) {
        StorageTlsSetup tls = options.storageTls();
        // one bookie: one copy (allowed explicitly, as only standalone may); more: two copies of every
        // entry on two of them, so that one bookie can go while the others take over its ledgers
        int replicas = Math.min(options.bookies(), 2);
        // the internal listener (broker-to-broker control) on any free port: several brokers share this host
        // on this host only, like ZooKeeper, the bookies and the proxy
        BrokerConfig.Builder settings = BrokerConfig.defaults(zkConnect).toBuilder().bindAddress(Options.LOOPBACK)
                .metricsBindAddress(options.bindAddress()).port(options.brokerPort()).internalPort(0);
        if (tls != null) {
            settings.storageTls(new StorageTls(tls.zookeeperClients(), tls.clients()));
        }
        if (options.security() != null) {
            options.security().secureBroker(settings);
        }
        if (replicas < 2) {
            settings.singleCopy();
        } else {
            settings.log(BrokerConfig.DEFAULT_LOG.withQuorum(replicas, replicas, replicas));
        }
        return settings.build();
    }

    /**
     * Where storage server {@code offset} serves metrics: after the brokers' ports (base + i) and the proxy's
     * (base + brokers), bookie j at base + brokers + 1 + j and ZooKeeper at base + brokers + 1 + bookies; every
     * one on a free port when the base is 0, none when it is -1; their series in the brokers' cluster,
     * over HTTPS when secured, like the brokers' and the proxy's.
     */
    private MetricsSettings storageMetrics(int offset) {
        // the brokers' configuration as they will have it (ZooKeeper's address does not matter here)
        BrokerConfig brokers = options.brokerSettings().apply(brokerBase("127.0.0.1:" + options.zkPort()));
        int base = brokers.metricsPort();
        return new MetricsSettings(options.bindAddress(), base <= 0 ? base : base + options.brokers() + 1 + offset, brokers.clusterName(),
                options.security() == null ? null : options.security().metricsTls());
    }

    /** {@code https} when every metrics endpoint serves HTTPS ({@code --secure}), else {@code http}. */
    public String metricsScheme() {
        return options.security() == null ? "http" : "https";
    }

    /** The bookies' metrics ports, in their order (-1 where off). */
    public List<Integer> bookieMetricsPorts() {
        return bookies.stream().map(EmbeddedBookie::metricsPort).toList();
    }

    /** ZooKeeper's metrics port (-1 when off). */
    public int zookeeperMetricsPort() {
        return zk.metricsPort();
    }

    private interface Starter<T> {
        T start() throws Exception;
    }

    /** Starts a component; a port clash becomes an error that names the component and the option to change. */
    private static <T> T onPort(String what, int port, String option, Starter<T> starter) throws Exception {
        try {
            return starter.start();
        } catch (Exception e) {
            for (Throwable c = e; c != null; c = c.getCause()) {
                if (c.getMessage() != null && c.getMessage().startsWith("cannot serve metrics on ")) {
                    throw new IllegalStateException(what + " " + c.getMessage()
                            + " (is another Tributary running? choose other ports with --metrics-port)", e);
                }
                if (c.getMessage() != null && c.getMessage().startsWith("cannot listen on ")) {
                    throw new IllegalStateException(what + " " + c.getMessage() + " (choose another with --http-port)", e);
                }
                if (c instanceof java.net.BindException) {
                    throw new IllegalStateException(what + " cannot listen on port " + port + ": " + c.getMessage()
                            + " (is another Tributary running? choose another port with " + option + ")", e);
                }
            }
            throw e;
        }
    }

    /** host:port clients connect to. */
    public String serviceUrl() {
        return "localhost:" + proxy.port();
    }

    public int proxyPort() {
        return proxy.port();
    }

    /** The proxy's REST admin API's base URL, null when off. */
    public String proxyRestUrl() {
        return proxy.restUrl();
    }

    /** The port of the proxy's {@code /metrics} and {@code /health/*}, -1 when off. */
    public int proxyMetricsPort() {
        return proxy.metricsPort();
    }

    /** The first broker. */
    public Broker broker() {
        return brokers.get(0);
    }

    public List<Broker> brokers() {
        return List.copyOf(brokers);
    }

    /** The bookies, in the order of their ports (tests read their copies and stop one). */
    public List<EmbeddedBookie> bookies() {
        return List.copyOf(bookies);
    }

    public String zookeeperConnect() {
        return "127.0.0.1:" + zk.port();
    }

    /** Stops in reverse order: the proxy, the broker (persisting cursors), the bookies, ZooKeeper. */
    @Override
    public void close() {
        if (proxy != null) {
            proxy.close();
            proxy = null;
        }
        // brokers stop one after the other; each hands its bundles to those still running
        for (Broker b : brokers) {
            try {
                b.close();
            } catch (RuntimeException e) {
                LOG.warn("stopping a broker failed: {}", e.toString());
            }
        }
        brokers.clear();
        for (EmbeddedBookie b : bookies) {
            try {
                b.close();
            } catch (RuntimeException e) {
                LOG.warn("stopping a bookie failed: {}", e.toString());
            }
        }
        bookies.clear();
        if (zk != null) {
            zk.close();
            zk = null;
        }
    }
}
