package io.tributary.it.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tributary.client.Consumer;
import io.tributary.client.Message;
import io.tributary.client.Producer;
import io.tributary.client.Schema;
import io.tributary.client.SubscriptionInitialPosition;
import io.tributary.client.TributaryClient;
import io.tributary.it.TestClusters;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The container image works, without a container engine: {@code scripts/build-image.sh} builds the OCI image
 * (its Debian base cached under {@code target/image/cache}, so a run builds it once), {@code umoci unpack} lays
 * out its root file system and runtime configuration, and each test runs the image's entrypoint the way a
 * runtime would: as the image's user, in its working directory, with its environment only, in a {@code chroot}
 * of the unpacked root (bound onto itself, a mount point as a runtime's root is) inside
 * {@code unshare --mount --pid --fork} (its own {@code /proc}; {@code /dev},
 * {@code /etc/hosts} and {@code /etc/resolv.conf} bound from the host as a runtime provides them), with the
 * entrypoint's process as PID 1 of that namespace. Needs root, debootstrap and umoci ({@code scripts/test.sh}
 * installs them) and the Debian mirror once.
 */
class ImageTest {
    private static final String TAG = "0.1.0";
    private static Path repo;
    private static Path bundle;
    private static Path rootfs;
    private static JsonNode process;
    private static String sizeLine;
    private static final List<Process> STARTED = new ArrayList<>();

    @BeforeAll
    static void buildAndUnpack() throws Exception {
        assertThat(System.getProperty("user.name")).as("the image test runs as root (debootstrap, chroot, unshare), as CI does")
                .isEqualTo("root");
        repo = repoRoot();
        Path out = repo.resolve("target/image");
        Path log = Paths.get("target", "image-build.log").toAbsolutePath();
        long started = System.nanoTime();
        int code = new ProcessBuilder(repo.resolve("scripts/build-image.sh").toString(), "--out", out.toString(), "--tag", TAG)
                .directory(repo.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start().waitFor();
        assertThat(code).as("scripts/build-image.sh exit status (log: " + log + ")").isZero();
        System.out.printf("image built in %.1f s%n", (System.nanoTime() - started) / 1e9);
        sizeLine = Files.readString(out.resolve("size.txt")).strip();
        System.out.println(sizeLine);

        bundle = Paths.get("target", "image-bundle").toAbsolutePath();
        run(List.of("rm", "-rf", "--one-file-system", bundle.toString()));
        run(List.of("umoci", "unpack", "--image", out.resolve("oci") + ":" + TAG, bundle.toString()));
        rootfs = bundle.resolve("rootfs");
        process = new ObjectMapper().readTree(bundle.resolve("config.json").toFile()).get("process");
    }

    @AfterAll
    static void stopAll() {
        for (Process p : STARTED) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
    }

    @Test
    void theImageRunsAsANonRootUserWithTheJarsApartFromTheBase() throws IOException {
        assertThat(process.get("user").get("uid").asInt()).isEqualTo(10000);
        assertThat(process.get("user").get("gid").asInt()).isEqualTo(10000);
        assertThat(process.get("cwd").asText()).isEqualTo("/var/lib/tributary");
        assertThat(process.get("args").get(0).asText()).isEqualTo("/opt/tributary/bin/entrypoint.sh");
        PosixFileAttributes data = Files.readAttributes(rootfs.resolve("var/lib/tributary"), PosixFileAttributes.class);
        assertThat(data.owner().getName()).isIn("10000", "tributary");
        PosixFileAttributes jar = Files.readAttributes(rootfs.resolve("opt/tributary/tributary.jar"), PosixFileAttributes.class);
        assertThat(jar.owner().getName()).isEqualTo("root");
        assertThat(Files.readString(rootfs.resolve("etc/passwd"))).contains("tributary:x:10000:10000:");
        assertThat(rootfs.resolve("opt/tributary/conf/broker.properties")).isRegularFile();
        assertThat(Files.readSymbolicLink(rootfs.resolve("usr/local/bin/tributary")).toString())
                .isEqualTo("/opt/tributary/bin/entrypoint.sh");
        // three layers: the Debian base, third-party jars, Tributary's own (docs/kubernetes.md#image)
        assertThat(sizeLine).contains("3 layers");
        long compressedMb = Long.parseLong(sizeLine.replaceAll(".*: 3 layers, ([0-9]+) MB compressed.*", "$1"));
        assertThat(compressedMb).as(sizeLine).isLessThan(250);
    }

    @Test
    void standaloneServesFromTheImageInitClusterFindsItInitialisedAndSigtermStopsItCleanly() throws Exception {
        int proxyPort = TestClusters.freePort();
        int brokerPort = TestClusters.freePort();
        int zkPort = TestClusters.freePort();
        int bookiePort = TestClusters.freePort();
        Path log = Paths.get("target", "cluster-logs", "image-standalone.log").toAbsolutePath();
        Process p = start(log, Map.of(), "standalone", "--port", Integer.toString(proxyPort), "--broker-port",
                Integer.toString(brokerPort), "--zookeeper-port", Integer.toString(zkPort), "--bookie-port",
                Integer.toString(bookiePort), "--metrics-port", "0", "--no-fsync");
        await().atMost(Duration.ofSeconds(90)).until(() -> read(log).contains("Tributary standalone is running.") || !p.isAlive());
        assertThat(read(log)).as("the standalone's output").contains("Tributary standalone is running.");
        // the data went where the image's user may write: its working directory
        assertThat(read(log)).contains("data directory:                /var/lib/tributary/data");

        // the entrypoint exec'd the JVM: PID 1 of the namespace is java, running as the image's user
        ProcessHandle pid1 = p.toHandle().children().findFirst().orElseThrow();
        assertThat(pid1.info().command().orElse("")).endsWith("/bin/java");
        assertThat(Files.readAllLines(Path.of("/proc", Long.toString(pid1.pid()), "status"))).anyMatch(
                l -> l.matches("Uid:\\s+10000\\s+10000\\s+10000\\s+10000"));

        String topic = "public/default/image-" + System.nanoTime();
        try (TributaryClient client = TributaryClient.builder().serviceUrl("127.0.0.1:" + proxyPort).build();
             Consumer<String> consumer = client.newConsumer(Schema.STRING).topic(topic).subscriptionName("image")
                     .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe();
             Producer<String> producer = client.newProducer(Schema.STRING).topic(topic).create()) {
            for (int i = 0; i < 10; i++) {
                producer.send("message " + i);
            }
            for (int i = 0; i < 10; i++) {
                Message<String> m = consumer.receive(30, TimeUnit.SECONDS);
                assertThat(m).as("message " + i).isNotNull();
                assertThat(m.getValue()).isEqualTo("message " + i);
                consumer.acknowledge(m);
            }
        }

        // init-cluster from the image, configured by environment, on the running cluster: nothing left to do
        Path init = Paths.get("target", "cluster-logs", "image-init-cluster.log").toAbsolutePath();
        Process i = start(init, Map.of("TRIBUTARY_BROKER_ZOOKEEPER_SERVERS", "127.0.0.1:" + zkPort), "init-cluster",
                "--timeout", "30s");
        assertThat(i.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(i.exitValue()).as(read(init)).isZero();
        assertThat(read(init)).contains("BookKeeper metadata under /ledgers: already present")
                .contains("tenant public and namespace public/default: already present").contains("cluster initialised");

        long stopping = System.nanoTime();
        pid1.destroy(); // SIGTERM, as a runtime stops a container
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("stopped within 60 s of SIGTERM").isTrue();
        double seconds = (System.nanoTime() - stopping) / 1e9;
        System.out.printf("standalone in the image stopped %.1f s after SIGTERM%n", seconds);
        assertThat(p.exitValue()).as("exit status after SIGTERM; output in " + log).isZero();
        assertThat(read(log)).contains("Stopping Tributary standalone (SIGTERM)").contains("Tributary standalone stopped");
    }

    @Test
    void anUnknownTributaryVariableStopsTheEntrypointWithAClearMessage() throws Exception {
        Path log = Paths.get("target", "cluster-logs", "image-unknown-variable.log").toAbsolutePath();
        Process p = start(log, Map.of("TRIBUTARY_FOO_BAR", "1"), "standalone", "--port", Integer.toString(TestClusters.freePort()));
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isEqualTo(1);
        assertThat(read(log)).contains("error: unknown environment variable for `tributary standalone`")
                .contains("TRIBUTARY_FOO_BAR: no such key")
                .doesNotContain("Tributary standalone is running");

        // and `config check` says the same of a misspelt key, naming the one meant
        Path check = Paths.get("target", "cluster-logs", "image-config-check.log").toAbsolutePath();
        Process c = start(check, Map.of("TRIBUTARY_BROKER_ZOOKEEPER_SERVER", "zk:2181"), "config", "check", "broker");
        assertThat(c.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(c.exitValue()).isEqualTo(1);
        assertThat(read(check)).contains("TRIBUTARY_BROKER_ZOOKEEPER_SERVER: no such key; did you mean "
                + "TRIBUTARY_BROKER_ZOOKEEPER_SERVERS (broker.zookeeperServers)?");
    }

    /**
     * The image's entrypoint with {@code args}, as a runtime would start it: the image's user, working directory
     * and environment (plus {@code env}), in a chroot of the unpacked root, in new mount and PID namespaces.
     */
    private static Process start(Path log, Map<String, String> env, String... args) throws IOException {
        Files.createDirectories(log.getParent());
        JsonNode user = process.get("user");
        Map<String, String> environment = new TreeMap<>();
        process.get("env").forEach(e -> {
            String[] kv = e.asText().split("=", 2);
            environment.put(kv[0], kv[1]);
        });
        environment.putAll(env);
        String script = "root=$1; user=$2; cwd=$3; shift 3; "
                // the root a mount point of its own, as a runtime's is (the JVM looks up a path's file store in
                // /proc/self/mounts); --rbind keeps the /proc mounted on it
                + "mount --rbind \"$root\" \"$root\" && "
                + "mount --rbind /dev \"$root/dev\" && mount --bind /etc/hosts \"$root/etc/hosts\" "
                + "&& mount --bind /etc/resolv.conf \"$root/etc/resolv.conf\" "
                + "&& exec chroot --userspec=\"$user\" \"$root\" /usr/bin/env -i -C \"$cwd\" \"$@\"";
        List<String> cmd = new ArrayList<>(List.of("unshare", "--mount", "--pid", "--fork", "--mount-proc=" + rootfs.resolve("proc"),
                "sh", "-c", script, "sh", rootfs.toString(), user.get("uid").asInt() + ":" + user.get("gid").asInt(),
                process.get("cwd").asText()));
        environment.forEach((k, v) -> cmd.add(k + "=" + v));
        process.get("args").forEach(a -> cmd.add(a.asText()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().clear();
        pb.environment().put("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
        Process p = pb.start();
        STARTED.add(p);
        return p;
    }

    private static String read(Path log) throws IOException {
        return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
    }

    private static void run(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(String.join(" ", cmd) + ": " + output).isZero();
    }

    /** The first directory upwards from the working directory that holds scripts/build-image.sh. */
    private static Path repoRoot() {
        for (Path d = Paths.get("").toAbsolutePath(); d != null; d = d.getParent()) {
            if (Files.isRegularFile(d.resolve("scripts/build-image.sh"))) {
                return d;
            }
        }
        throw new IllegalStateException("scripts/build-image.sh not found above " + new File("").getAbsolutePath());
    }
}
