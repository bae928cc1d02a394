package io.tributary.it.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.tributary.client.Consumer;
import io.tributary.client.Message;
import io.tributary.client.Producer;
import io.tributary.client.Schema;
import io.tributary.client.SubscriptionInitialPosition;
import io.tributary.client.TributaryClient;
import io.tributary.it.TestClusters;
import java.io.IOException;
import java.net.ConnectException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The container image works, without a container engine: built with {@code scripts/build-image.sh}, unpacked
 * with {@code umoci unpack}, and its entrypoint run the way a runtime would ({@link UnpackedImage}).
 */
class ImageTest {
    private static UnpackedImage image;
    private static Path rootfs;
    private static JsonNode process;
    private static final List<Process> STARTED = new ArrayList<>();

    @BeforeAll
    static void buildAndUnpack() throws Exception {
        image = UnpackedImage.get();
        rootfs = image.rootfs;
        process = image.process;
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
        assertThat(image.sizeLine).contains("3 layers");
        long compressedMb = Long.parseLong(image.sizeLine.replaceAll(".*: 3 layers, ([0-9]+) MB compressed.*", "$1"));
        assertThat(compressedMb).as(image.sizeLine).isLessThan(250);
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
                Integer.toString(bookiePort), "--metrics-port", "0", "--http-port", "0", "--no-fsync");
        await().atMost(Duration.ofSeconds(90)).until(() -> read(log).contains("Tributary standalone is running.") || !p.isAlive());
        assertThat(read(log)).as("the standalone's output").contains("Tributary standalone is running.");
        // the data went where the image's user may write: its working directory
        assertThat(read(log)).contains("data directory:                /var/lib/tributary/data");

        // the entrypoint exec'd the JVM: PID 1 of the namespace is java, running as the image's user
        ProcessHandle pid1 = p.toHandle().children().findFirst().orElseThrow();
        assertThat(pid1.info().command().orElse("")).endsWith("/bin/java");
        assertThat(Files.readAllLines(Path.of("/proc", Long.toString(pid1.pid()), "status"))).anyMatch(
                l -> l.matches("Uid:\\s+10000\\s+10000\\s+10000\\s+10000"));

        produceAndConsume("127.0.0.1:" + proxyPort);

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
    void standaloneBoundToEveryInterfaceServesClientsOutsideItsContainer() throws Exception {
        // as `docker run -p 6650:6650 IMAGE standalone --bind-address 0.0.0.0`: the container has a network of its
        // own, and the host reaches the published ports at the container's address
        try (PodNetwork network = new PodNetwork("tribimage", "10.254.2.")) {
            PodNetwork.Attachment container = network.attach();
            Path log = Paths.get("target", "cluster-logs", "image-standalone-published.log").toAbsolutePath();
            List<String> command = new ArrayList<>(image.entrypoint());
            command.addAll(List.of("standalone", "--bind-address", "0.0.0.0", "--no-fsync"));
            Process p = image.start(new UnpackedImage.Launch(log, Map.of(), command).network(container.netns(), "standalone"));
            STARTED.add(p);
            await().atMost(Duration.ofSeconds(90)).until(() -> read(log).contains("Tributary standalone is running.") || !p.isAlive());
            assertThat(read(log)).as("the standalone's output").contains("proxy (clients connect here): localhost:6650 "
                    + "(listening on 0.0.0.0)");

            produceAndConsume(container.address() + ":6650");
            // the proxy's metrics too (the first broker's port + 1 broker)
            HttpResponse<String> metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://" + container.address() + ":8081/metrics")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(metrics.statusCode()).isEqualTo(200);
            // the broker's own port stays inside the container
            assertThatThrownBy(() -> new Socket(container.address(), 6651).close()).isInstanceOf(ConnectException.class);

            p.toHandle().children().forEach(ProcessHandle::destroy);
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as(read(log)).isZero();
        }
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

    /** Ten messages produced and consumed through the proxy at {@code serviceUrl}. */
    private static void produceAndConsume(String serviceUrl) throws Exception {
        String topic = "public/default/image-" + System.nanoTime();
        try (TributaryClient client = TributaryClient.builder().serviceUrl(serviceUrl).build();
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
    }

    /** The image's entrypoint with {@code args}, as a runtime would start it ({@link UnpackedImage#start}). */
    private static Process start(Path log, Map<String, String> env, String... args) throws IOException {
        Process p = image.start(log, env, args);
        STARTED.add(p);
        return p;
    }

    private static String read(Path log) throws IOException {
        return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
    }
}
