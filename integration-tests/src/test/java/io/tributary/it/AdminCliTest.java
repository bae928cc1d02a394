package io.tributary.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.broker.Broker;
import io.tributary.cli.TributaryCli;
import io.tributary.client.Producer;
import io.tributary.client.Schema;
import io.tributary.client.TributaryClient;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code tributary admin brokers ...} and {@code admin bundles ...} on a two-broker cluster. */
class AdminCliTest {
    @TempDir
    static Path dir;
    static InProcessCluster cluster;

    @BeforeAll
    static void start() throws Exception {
        cluster = new InProcessCluster(dir.toFile());
        cluster.addBroker(c -> c);
        cluster.addBroker(c -> c);
    }

    @AfterAll
    static void stop() {
        cluster.close();
    }

    private static CliRun admin(String... args) throws Exception {
        return CliRun.admin(cluster.serviceUrl(), args);
    }

    @Test
    void operatorsSeeBrokersAndBundlesAndMoveAndSplitThem() throws Exception {
        String topic = "public/default/admin-cli";
        try (TributaryClient client = TributaryClient.builder().serviceUrl(cluster.serviceUrl()).build();
             Producer<String> p = client.newProducer(Schema.STRING).topic(topic).create()) {
            p.send("x");
            CliRun brokers = admin("brokers", "list");
            assertThat(brokers.code()).isZero();
            for (Broker b : cluster.brokers) {
                assertThat(brokers.out()).contains(b.brokerId(), b.address());
            }
            assertThat(brokers.out()).contains("yes"); // the leader column

            CliRun bundles = admin("bundles", "list", "public/default");
            assertThat(bundles.code()).isZero();
            String line = bundles.out().lines().filter(l -> l.contains("broker-")).findFirst().orElseThrow();
            String bundle = line.split("\\s+")[1];
            String owner = line.split("\\s+")[2];
            String other = cluster.brokers.stream().map(Broker::brokerId).filter(id -> !id.equals(owner)).findFirst().orElseThrow();

            CliRun moved = admin("bundles", "unload", "public/default", bundle, "--to", other);
            assertThat(moved.code()).as(moved.err()).isZero();
            assertThat(moved.out()).contains("now on " + other);
            assertThat(p.send("after the move")).isNotNull();

            CliRun split = admin("bundles", "split", "public/default", bundle);
            assertThat(split.code()).as(split.err()).isZero();
            assertThat(split.out()).contains("split into");
            assertThat(admin("bundles", "list", "public/default").out().lines().filter(l -> l.startsWith("public/default")).count())
                    .isEqualTo(5);
            assertThat(p.send("after the split")).isNotNull();

            CliRun unknown = admin("brokers", "drain", "broker-nope");
            assertThat(unknown.code()).isEqualTo(1);
            assertThat(unknown.err()).contains("INVALID_REQUEST").contains("broker-nope");
        }
    }
}
