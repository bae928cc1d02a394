package io.tributary.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.tributary.api.v1.AdminServiceGrpc;
import io.tributary.api.v1.GetLastMessageIdRequest;
import io.tributary.api.v1.GetTopicStatsRequest;
import io.tributary.api.v1.LookupRequest;
import io.tributary.api.v1.LookupResponse;
import io.tributary.api.v1.LookupServiceGrpc;
import io.tributary.api.v1.MessageId;
import io.tributary.api.v1.MessagingServiceGrpc;
import io.tributary.api.v1.TopicStats;
import io.tributary.api.v1.UnloadBundleRequest;
import io.tributary.api.v1.UnloadBundleResponse;
import io.tributary.broker.Broker;
import io.tributary.broker.loadmanager.LoadBalancerConfig;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The proof that moves are invisible to streams in any language: {@code clients/node/moves.js}, a Node.js
 * producer (plain messages on the Publish stream) and consumer (a decoded Failover Subscribe stream) written with
 * nothing but {@code @grpc/grpc-js} and the {@code .proto} files, without any reconnect logic, keeps its two streams
 * open through the proxy while the topic's bundle moves four times between two brokers. Each move is waited for
 * until the new owner stores and delivers the program's messages. Then the program stops publishing, waits until
 * every acknowledged message has been received, and exits 0 only if neither stream saw an error and every request
 * was acknowledged exactly once, in order. About 15 s.
 *
 * <p>{@code scripts/test.sh} installs Node.js and runs {@code npm ci} in {@code clients/node}; a missing one fails the
 * test with the step to take.
 */
class NodeStreamResumeTest {
    private static final String NS = "public/default";
    private static final Path MOVES_JS = AnyLanguageClientsTest.NODE_CLIENT.resolve("moves.js");
    private static final Duration STEP = Duration.ofSeconds(15);

    @TempDir
    Path dir;
    InProcessCluster cluster;
    ManagedChannel channel;
    Process node;
    /** everything the program printed so far, stdout and stderr */
    final StringBuffer output = new StringBuffer();

    @BeforeEach
    void start() throws Exception {
        AnyLanguageClientsTest.requireNode();
        cluster = new InProcessCluster(dir.toFile());
        // automatic balancing off: the test moves the bundle itself
        LoadBalancerConfig manual = InProcessCluster.MANUAL;
        cluster.addBroker(c -> c.toBuilder().loadBalancer(manual).drainOnShutdown(false).build());
        cluster.addBroker(c -> c.toBuilder().loadBalancer(manual).drainOnShutdown(false).build());
        channel = NettyChannelBuilder.forTarget(cluster.serviceUrl()).usePlaintext().build();
    }

    @AfterEach
    void stop() throws Exception {
        if (node != null && node.isAlive()) {
            node.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        if (channel != null) {
            channel.shutdownNow();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void aNodeJsProducerAndConsumerSeeNoErrorWhileTheBundleMovesFourTimes() throws Exception {
        String topic = NS + "/node-moves";
        startMovesJs(topic);
        waitFor("the first message", () -> output.indexOf("first message received") >= 0);

        AdminServiceGrpc.AdminServiceBlockingStub admin = AdminServiceGrpc.newBlockingStub(channel);
        String bundle = lookup(topic).getBundle();
        for (int move = 1; move <= 4; move++) {
            String other = otherBroker(lookup(topic).getBrokerId());
            long oldOwnersLedger = lastMessageId(topic).getLedgerId();
            UnloadBundleResponse moved = admin.unloadBundle(UnloadBundleRequest.newBuilder().setNamespace(NS)
                    .setBundle(bundle).setDestinationBrokerId(other).build());
            assertThat(moved.getNewOwnerBrokerId()).isEqualTo(other);
            // traffic flows on the new owner: it stores messages (in a ledger of its own) and the consumer has
            // received and acknowledged some of those
            waitFor("traffic on the new owner after move " + move, () -> lookup(topic).getBrokerId().equals(other)
                    && flowsOnNewOwner(admin.getTopicStats(GetTopicStatsRequest.newBuilder().setTopic(topic).build()),
                    oldOwnersLedger));
        }

        try (Writer stdin = new OutputStreamWriter(node.getOutputStream(), StandardCharsets.UTF_8)) {
            stdin.write("stop\n");
        }
        if (!node.waitFor(40, TimeUnit.SECONDS)) {
            fail("moves.js did not finish within 40 s of stop; it said:%n%s", output);
        }
        assertThat(node.exitValue()).as("moves.js said:%n%s", output).isZero();
        JsonNode summary = summary();
        assertThat(summary.get("streamErrors")).as("stream errors; moves.js said:%n%s", output).isEmpty();
        assertThat(summary.get("problems")).as("problems; moves.js said:%n%s", output).isEmpty();
        assertThat(summary.get("published").asInt()).as(output.toString()).isPositive();
        assertThat(summary.get("acked").asInt()).as(output.toString()).isEqualTo(summary.get("published").asInt());
        assertThat(summary.get("missing").asInt()).as(output.toString()).isZero();
        assertThat(summary.get("received").asInt()).as(output.toString()).isEqualTo(summary.get("acked").asInt());

        int proxyMetrics = cluster.proxy().metricsPort();
        for (String kind : List.of("publish", "subscribe")) {
            assertThat(MetricsScrape.sum(proxyMetrics,
                    "tributary_proxy_stream_resumes_total{kind=\"" + kind + "\",outcome=\"resumed\"")).as(kind)
                    .isGreaterThanOrEqualTo(4);
            assertThat(MetricsScrape.sum(proxyMetrics,
                    "tributary_proxy_stream_resumes_total{kind=\"" + kind + "\",outcome=\"failed\"")).as(kind).isZero();
        }
    }

    /** Waits for {@code condition} while moves.js runs; fails with its output if it ends first or the time is up. */
    private void waitFor(String what, Callable<Boolean> condition) {
        try {
            await().atMost(STEP).until(() -> !node.isAlive() || condition.call());
        } catch (ConditionTimeoutException e) {
            fail("no %s within %d s; moves.js said:%n%s", what, STEP.toSeconds(), output);
        }
        assertThat(node.isAlive()).as("moves.js ended while waiting for %s; it said:%n%s", what, output).isTrue();
    }

    /** Starts {@code node clients/node/moves.js <proxy> <topic>}, its output collected in {@link #output}. */
    private void startMovesJs(String topic) throws Exception {
        node = new ProcessBuilder("node", MOVES_JS.toString(), cluster.serviceUrl(), topic, "--type=FAILOVER",
                "--seconds=60").directory(AnyLanguageClientsTest.REPOSITORY.toFile()).redirectErrorStream(true).start();
        Thread reader = new Thread(() -> {
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(node.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                    System.out.println("moves.js: " + line);
                    output.append(line).append('\n');
                }
            } catch (IOException e) {
                output.append("(reading the output failed: ").append(e).append(")\n");
            }
        }, "output of moves.js");
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Whether the owner that answered has stored messages, and the consumer acknowledged messages stored after
     * {@code oldOwnersLedger}, the ledger the previous owner wrote (the new owner writes a new one).
     */
    private static boolean flowsOnNewOwner(TopicStats stats, long oldOwnersLedger) {
        return stats.getMsgInTotal() > 0 && stats.getSubscriptionsList().stream()
                .filter(s -> s.getSubscription().equals("moves")).map(s -> s.getMarkDeletePosition())
                .anyMatch(p -> p.getLedgerId() > oldOwnersLedger && p.getEntryId() >= 0);
    }

    private MessageId lastMessageId(String topic) {
        return MessagingServiceGrpc.newBlockingStub(channel)
                .getLastMessageId(GetLastMessageIdRequest.newBuilder().setTopic(topic).build()).getLastMessageId();
    }

    /** The program's last line, its JSON summary. */
    private JsonNode summary() throws IOException {
        String[] lines = output.toString().strip().split("\n");
        String last = lines[lines.length - 1];
        assertThat(last).as("moves.js's last line is its summary; it said:%n%s", output).startsWith("{");
        return new ObjectMapper().readTree(last);
    }

    private LookupResponse lookup(String topic) {
        return LookupServiceGrpc.newBlockingStub(channel).lookup(LookupRequest.newBuilder().setTopic(topic).build());
    }

    private String otherBroker(String brokerId) {
        return cluster.brokers.stream().map(Broker::brokerId).filter(id -> !id.equals(brokerId)).findFirst().orElseThrow();
    }
}
