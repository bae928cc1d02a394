package io.tributary.it.cluster;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.tributary.api.v1.LookupRequest;
import io.tributary.api.v1.LookupResponse;
import io.tributary.api.v1.LookupServiceGrpc;
import io.tributary.proxy.ProxyConfig;
import io.tributary.proxy.ProxyServer;
import io.tributary.storage.StorageClients;
import io.tributary.storage.embedded.EmbeddedBookie;
import io.tributary.storage.embedded.EmbeddedZooKeeper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A cluster whose brokers are separate JVMs, so tests can kill, stop and pause them:
 * ZooKeeper and the bookie(s) run embedded in the test JVM (real ones, on free ports, data under
 * {@code target/}), each broker is a {@link BrokerProcess}, and the proxy is an in-process
 * {@link ProxyServer}.
 *
 * <p>The proxy is created lazily by {@link #proxy()} (or {@link #serviceUrl()}) with the brokers added
 * <em>so far</em> as its {@code brokerServiceUrl}: add the brokers first. The proxy only uses that list
 * for lookups and admin calls (any live broker answers, a dead one is skipped), so brokers added later
 * are still reached through lookups; {@link #restartProxyWithAllBrokers()} rebuilds it on the same port
 * with the current list.
 *
 * <pre>{@code
 * try (ClusterFixture cluster = ClusterFixture.start()) {
 *     BrokerProcess a = cluster.addBroker(Map.of());
 *     BrokerProcess b = cluster.addBroker(Map.of("broker.drainOnShutdown", "false"));
 *     TributaryClient client = TributaryClient.builder().serviceUrl(cluster.serviceUrl()).build();
 *     ... cluster.ownerOf("public/default/t").kill9() ...
 * }
 * }</pre>
 *
 * {@link #close()} stops everything, killing broker processes with SIGKILL, even after a failed test.
 */
public final class ClusterFixture implements AutoCloseable {
    private final Path dataDir;
    private EmbeddedZooKeeper zk;
    private final List<EmbeddedBookie> bookies = new ArrayList<>();
    private final List<BrokerProcess> brokers = new ArrayList<>();
    private ProxyServer proxy;
    private int proxyPort;
    private ManagedChannel lookupChannel;

    private ClusterFixture(Path dataDir) {
        this.dataDir = dataDir;
    }

    /** ZooKeeper and one bookie; no broker yet. */
    public static ClusterFixture start() throws Exception {
        return start(1);
    }

    /**
     * ZooKeeper and {@code bookies} bookies; no broker yet. With several bookies, pass
     * {@code broker.ensembleSize}/{@code writeQuorum}/{@code ackQuorum} to the brokers to replicate.
     */
    public static ClusterFixture start(int bookies) throws Exception {
        Path target = Paths.get("target").toAbsolutePath();
        Files.createDirectories(target);
        ClusterFixture c = new ClusterFixture(Files.createTempDirectory(target, "cluster-"));
        try {
            c.zk = EmbeddedZooKeeper.start(c.dataDir.resolve("zookeeper").toFile(), "127.0.0.1", 0);
            String uri = StorageClients.metadataServiceUri(c.zookeeperConnect(), "/ledgers");
            for (int i = 0; i < bookies; i++) {
                c.bookies.add(EmbeddedBookie.start(uri, c.dataDir.resolve("bookie-" + i).toFile(), ChildProcesses.freePort(), false));
            }
            return c;
        } catch (Exception e) {
            c.close();
            throw e;
        }
    }

    /** Starts a broker process with the {@link BrokerProcess#DEFAULT_PROPS} and waits until it serves. */
    public BrokerProcess addBroker() throws IOException {
        return addBroker(Map.of());
    }

    /** Starts a broker process with extra {@code broker.*} settings and waits until it serves. */
    public BrokerProcess addBroker(Map<String, String> extraProps) throws IOException {
        return addBroker(ChildProcesses.freePort(), extraProps);
    }

    /** Starts a broker process on a given port (e.g. where a killed one was) and waits until it serves. */
    public BrokerProcess addBroker(int port, Map<String, String> extraProps) throws IOException {
        BrokerProcess b = new BrokerProcess(zookeeperConnect(), port, extraProps);
        synchronized (this) {
            brokers.add(b); // before start: close() kills it even if start() is interrupted
        }
        return b.start();
    }

    /** Every broker added, in order, dead or alive. */
    public synchronized List<BrokerProcess> brokers() {
        return List.copyOf(brokers);
    }

    /** The brokers whose process is running. */
    public synchronized List<BrokerProcess> liveBrokers() {
        return brokers.stream().filter(BrokerProcess::isAlive).collect(Collectors.toList());
    }

    /** The broker process registered at {@code address} (host:port, as lookups answer). */
    public synchronized Optional<BrokerProcess> brokerAt(String address) {
        return brokers.stream().filter(b -> address.equals(b.addressOrNull())).findFirst();
    }

    /** The proxy, created on first use with the brokers added so far (see the class comment). */
    public synchronized ProxyServer proxy() throws IOException {
        if (proxy == null) {
            if (brokers.stream().allMatch(b -> b.addressOrNull() == null)) {
                throw new IllegalStateException("add a broker before using the proxy: its brokerServiceUrl lists the brokers");
            }
            String url = brokers.stream().map(BrokerProcess::addressOrNull).filter(a -> a != null)
                    .collect(Collectors.joining(","));
            proxy = new ProxyServer(ProxyConfig.withBrokers(url).withBindAddress("127.0.0.1").withPort(proxyPort)
                    .withMetrics(0, null)).start();
            proxyPort = proxy.port();
        }
        return proxy;
    }

    /** Closes the proxy and starts it again on the same port, listing every broker added so far. */
    public synchronized ProxyServer restartProxyWithAllBrokers() throws IOException {
        if (proxy != null) {
            proxy.close();
            proxy = null;
        }
        return proxy();
    }

    /** host:port of the proxy, for the SDK ({@code TributaryClient.builder().serviceUrl(...)}). */
    public String serviceUrl() throws IOException {
        return "127.0.0.1:" + proxy().port();
    }

    /** The broker address that owns {@code topic}'s bundle, asked through the proxy's LookupService. */
    public String lookupOwnerAddress(String topic) throws IOException {
        LookupResponse r = LookupServiceGrpc.newBlockingStub(lookupChannel())
                .withDeadlineAfter(30, TimeUnit.SECONDS)
                .lookup(LookupRequest.newBuilder().setTopic(topic).build());
        return r.getBrokerAddress();
    }

    /** The broker process that owns {@code topic} (looked up through the proxy). */
    public BrokerProcess ownerOf(String topic) throws IOException {
        String address = lookupOwnerAddress(topic);
        return brokerAt(address).orElseThrow(() -> new IllegalStateException(
                topic + " is owned by " + address + ", which is none of this cluster's brokers: " + brokers()));
    }

    private synchronized ManagedChannel lookupChannel() throws IOException {
        if (lookupChannel == null) {
            lookupChannel = ManagedChannelBuilder.forTarget(serviceUrl()).usePlaintext().build();
        }
        return lookupChannel;
    }

    public String zookeeperConnect() {
        return "127.0.0.1:" + zk.port();
    }

    /** Where ZooKeeper and the bookies keep their data (deleted by {@link #close()}). */
    public Path dataDir() {
        return dataDir;
    }

    /** Stops the proxy, kills every broker process, stops the bookies and ZooKeeper, deletes the data. */
    @Override
    public synchronized void close() {
        List<Throwable> failures = new ArrayList<>();
        if (lookupChannel != null) {
            lookupChannel.shutdownNow();
            lookupChannel = null;
        }
        if (proxy != null) {
            run(failures, proxy::close);
            proxy = null;
        }
        for (BrokerProcess b : brokers) {
            run(failures, b::close);
        }
        for (EmbeddedBookie b : bookies) {
            run(failures, b::close);
        }
        bookies.clear();
        if (zk != null) {
            run(failures, zk::close);
            zk = null;
        }
        run(failures, () -> deleteRecursively(dataDir));
        if (!failures.isEmpty()) {
            IllegalStateException e = new IllegalStateException("stopping the cluster failed");
            failures.forEach(e::addSuppressed);
            throw e;
        }
    }

    private interface Step {
        void run() throws Exception;
    }

    private static void run(List<Throwable> failures, Step step) {
        try {
            step.run();
        } catch (Exception | AssertionError e) {
            failures.add(e);
        }
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).collect(Collectors.toList())) {
                Files.deleteIfExists(p);
            }
        }
    }
}
