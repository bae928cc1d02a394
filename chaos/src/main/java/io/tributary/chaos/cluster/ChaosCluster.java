package io.tributary.chaos.cluster;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A whole Tributary cluster on loopback, every component in its own JVM and every link through a {@link Relay}:
 *
 * <pre>
 *  client --relay client-proxy-N--> proxy-N --relay broker-M--> broker-M --relay broker-M-zk-K--> zookeeper-K
 *                                                               broker-M --relay bookie-J-------> bookie-J
 * </pre>
 *
 * Servers whose address is advertised to others (bookies, brokers) listen on {@code 127.0.0.1:P} and advertise
 * {@code 127.0.0.2:P}: Linux routes all of 127.0.0.0/8 to loopback, so the relay listens on {@code 127.0.0.2:P}
 * and whoever resolves the advertised address goes through it. Each broker's ZooKeeper connect string lists its
 * own relays to the ensemble members, so one broker's session can be cut alone. Bookies reach ZooKeeper directly.
 *
 * <p>Servers are named {@code zookeeper-1..}, {@code bookie-1..}, {@code broker-1..}, {@code proxy-1..}; relays as
 * above. {@link #restart(String)} starts a server again with its ports and data directory.
 */
public final class ChaosCluster implements AutoCloseable {
    /** Where servers listen. */
    public static final String BIND_HOST = "127.0.0.1";
    /** The address bookies and brokers advertise: their relays listen there. */
    public static final String ADVERTISED_HOST = "127.0.0.2";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(120);
    private static final Pattern ZK_READY = Pattern.compile("(?m)^zookeeper listening on \\d+$");
    private static final Pattern BOOKIE_READY = Pattern.compile("(?m)^bookie listening on \\S+$");
    private static final Pattern BROKER_READY = Pattern.compile("(?m)^broker \\S+ serving at \\S+$");
    private static final Pattern PROXY_READY = Pattern.compile("(?m)^proxy listening on \\d+$");

    private final Topology topology;
    private final Path workDir;
    private final Path logDir;
    private final Map<String, ServerProcess> servers = new LinkedHashMap<>();
    private final Map<String, Relay> relays = new LinkedHashMap<>();
    private final List<String> zkClientAddresses = new ArrayList<>();
    private final List<String> brokerAddresses = new ArrayList<>();
    private final List<String> serviceUrls = new ArrayList<>();

    private ChaosCluster(Topology topology, Path workDir) throws IOException {
        this.topology = topology;
        this.workDir = workDir;
        this.logDir = Files.createDirectories(workDir.resolve("logs"));
    }

    /** Starts everything (ZooKeeper, then bookies, brokers, proxies) and returns once every server serves. */
    public static ChaosCluster start(Launcher launcher, Path workDir, Topology t) throws IOException, InterruptedException {
        ChaosCluster c = new ChaosCluster(t, Files.createDirectories(workDir));
        try {
            c.startAll(launcher);
            return c;
        } catch (IOException | InterruptedException | RuntimeException e) {
            c.close();
            throw e;
        }
    }

    private void startAll(Launcher launcher) throws IOException, InterruptedException {
        Topology t = topology;
        // ZooKeeper ensemble: all members at once (none serves before a majority runs)
        List<String> quorum = new ArrayList<>();
        List<Integer> clientPorts = new ArrayList<>();
        for (int i = 1; i <= t.zookeepers(); i++) {
            quorum.add(BIND_HOST + ":" + freePort() + ":" + freePort());
            clientPorts.add(freePort());
            zkClientAddresses.add(BIND_HOST + ":" + clientPorts.get(i - 1));
        }
        List<ServerProcess> zks = new ArrayList<>();
        for (int i = 1; i <= t.zookeepers(); i++) {
            List<String> args = new ArrayList<>(List.of("zookeeper", "--data-dir", dataDir("zookeeper-" + i),
                    "--port", clientPorts.get(i - 1).toString(), "--bind-address", BIND_HOST,
                    // several servers on one host, and nothing here reads their metrics: no endpoint, no port to clash
                    "-D", "zookeeper.metricsPort=-1"));
            if (t.zookeepers() > 1) {
                args.addAll(List.of("--servers", String.join(",", quorum), "--myid", Integer.toString(i)));
            }
            zks.add(add(new ServerProcess("zookeeper-" + i, launcher, args, ZK_READY, logDir)).launch());
        }
        for (ServerProcess z : zks) {
            z.awaitReady(START_TIMEOUT);
        }
        String zkDirect = String.join(",", zkClientAddresses);

        // bookies: the first alone (it lays out BookKeeper's metadata), then the others together
        List<ServerProcess> bookies = new ArrayList<>();
        for (int k = 1; k <= t.bookies(); k++) {
            Relay r = advertisedRelay("bookie-" + k);
            List<String> args = List.of("bookie", "--zookeeper", zkDirect, "--data-dir", dataDir("bookie-" + k),
                    "--port", Integer.toString(r.port()), "--bind-address", BIND_HOST, "--advertised-address", ADVERTISED_HOST,
                    "--zk-session-timeout", t.zkSessionTimeout().toMillis() + "ms", "--no-fsync",
                    "-D", "bookie.metricsPort=-1");
            ServerProcess b = add(new ServerProcess("bookie-" + k, launcher, args, BOOKIE_READY, logDir)).launch();
            if (k == 1) {
                b.awaitReady(START_TIMEOUT);
            }
            bookies.add(b);
        }
        for (ServerProcess b : bookies) {
            b.awaitReady(START_TIMEOUT);
        }

        // brokers: each reaches ZooKeeper through its own relays, and is reached through its advertised relay
        List<ServerProcess> brokers = new ArrayList<>();
        for (int m = 1; m <= t.brokers(); m++) {
            List<String> zkRelays = new ArrayList<>();
            for (int k = 1; k <= t.zookeepers(); k++) {
                Relay r = relay("broker-" + m + "-zk-" + k, new InetSocketAddress(BIND_HOST, 0), address(zkClientAddresses.get(k - 1)));
                zkRelays.add(r.address());
            }
            Relay self = advertisedRelay("broker-" + m);
            // other brokers' control calls reach its internal listener through a relay of its own
            Relay internal = advertisedRelay("broker-" + m + "-internal");
            brokerAddresses.add(self.address());
            List<String> args = new ArrayList<>(List.of("broker", "--zookeeper", String.join(",", zkRelays),
                    "--port", Integer.toString(self.port()), "--advertised-address", ADVERTISED_HOST,
                    "-D", "broker.bindAddress=" + BIND_HOST, "-D", "broker.internal.port=" + internal.port()));
            t.brokerSettings().forEach((key, v) -> args.addAll(List.of("-D", key + "=" + v)));
            ServerProcess b = add(new ServerProcess("broker-" + m, launcher, args, BROKER_READY, logDir)).launch();
            if (m == 1) {
                b.awaitReady(START_TIMEOUT); // the first one lays out the metadata the others find
            }
            brokers.add(b);
        }
        for (ServerProcess b : brokers) {
            b.awaitReady(START_TIMEOUT);
        }

        List<ServerProcess> proxies = new ArrayList<>();
        for (int n = 1; n <= t.proxies(); n++) {
            int port = freePort();
            Relay r = relay("client-proxy-" + n, new InetSocketAddress(BIND_HOST, 0), new InetSocketAddress(BIND_HOST, port));
            serviceUrls.add(r.address());
            List<String> args = List.of("proxy", "--port", Integer.toString(port), "--brokers", String.join(",", brokerAddresses),
                    "-D", "proxy.bindAddress=" + BIND_HOST, "-D", "proxy.metricsPort=-1", "-D", "proxy.httpPort=-1");
            proxies.add(add(new ServerProcess("proxy-" + n, launcher, args, PROXY_READY, logDir)).launch());
        }
        for (ServerProcess p : proxies) {
            p.awaitReady(START_TIMEOUT);
        }
    }

    /** A relay on {@code 127.0.0.2:P} in front of a server that will listen on {@code 127.0.0.1:P}. */
    private Relay advertisedRelay(String name) throws IOException {
        for (int attempt = 0; ; attempt++) {
            int port = freePort();
            try {
                return relay(name, new InetSocketAddress(ADVERTISED_HOST, port), new InetSocketAddress(BIND_HOST, port));
            } catch (IOException e) {
                if (attempt >= 10) {
                    throw e;
                }
                // the port is taken on 127.0.0.2: pick another
            }
        }
    }

    private synchronized Relay relay(String name, InetSocketAddress listen, InetSocketAddress target) throws IOException {
        Relay r = new Relay(name, listen, target);
        relays.put(name, r);
        return r;
    }

    private synchronized ServerProcess add(ServerProcess p) {
        servers.put(p.name(), p);
        return p;
    }

    private String dataDir(String name) throws IOException {
        return Files.createDirectories(workDir.resolve("data").resolve(name)).toString();
    }

    private static InetSocketAddress address(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        return new InetSocketAddress(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
    }

    static int freePort() {
        return FreePorts.one();
    }

    public Topology topology() {
        return topology;
    }

    /** host:port of each proxy as clients reach it (through its client relay). */
    public List<String> serviceUrls() {
        return List.copyOf(serviceUrls);
    }

    /** The brokers' advertised addresses (host:port, as lookups answer), broker-1 first. */
    public List<String> brokerAddresses() {
        return List.copyOf(brokerAddresses);
    }

    /** The ensemble's client addresses, reached directly (for the harness's own metadata reads). */
    public String zookeeperConnect() {
        return String.join(",", zkClientAddresses);
    }

    public synchronized ServerProcess server(String name) {
        ServerProcess p = servers.get(name);
        if (p == null) {
            throw new IllegalArgumentException("no server " + name + " in " + servers.keySet());
        }
        return p;
    }

    /** Server names of one kind ({@code "broker"}, {@code "bookie"}, {@code "proxy"}, {@code "zookeeper"}). */
    public synchronized List<String> serverNames(String kind) {
        return servers.keySet().stream().filter(n -> n.startsWith(kind + "-")).collect(Collectors.toList());
    }

    public synchronized Relay relay(String name) {
        Relay r = relays.get(name);
        if (r == null) {
            throw new IllegalArgumentException("no relay " + name + " in " + relays.keySet());
        }
        return r;
    }

    /** The relays whose name starts with {@code prefix}, e.g. {@code "broker-2-zk-"}. */
    public synchronized List<Relay> relays(String prefix) {
        return relays.values().stream().filter(r -> r.name().startsWith(prefix)).collect(Collectors.toList());
    }

    public synchronized List<Relay> relays() {
        return List.copyOf(relays.values());
    }

    /** Starts a stopped (killed) server again with the same arguments, and waits until it serves. */
    public void restart(String name) throws IOException, InterruptedException {
        ServerProcess p = server(name);
        p.kill9();
        p.start(START_TIMEOUT);
    }

    /** Every relay passes again, every paused server continues, every dead server restarts. */
    public void healAll() throws IOException, InterruptedException {
        for (Relay r : relays()) {
            r.heal();
        }
        List<ServerProcess> all;
        synchronized (this) {
            all = List.copyOf(servers.values());
        }
        for (ServerProcess p : all) {
            if (p.isPaused()) {
                p.resume();
            }
        }
        for (ServerProcess p : all) {
            if (!p.isAlive()) {
                p.start(START_TIMEOUT);
            }
        }
    }

    public Path workDir() {
        return workDir;
    }

    public Path logDir() {
        return logDir;
    }

    /** Kills every server and closes every relay. The data stays under {@link #workDir()} for inspection. */
    @Override
    public void close() {
        List<ServerProcess> all;
        synchronized (this) {
            all = new ArrayList<>(servers.values());
        }
        // proxies and brokers first: a dying ZooKeeper would otherwise make them log a storm
        java.util.Collections.reverse(all);
        for (ServerProcess p : all) {
            try {
                p.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException e) {
                System.err.println("could not stop " + p + ": " + e);
            }
        }
        for (Relay r : relays()) {
            r.close();
        }
    }
}
