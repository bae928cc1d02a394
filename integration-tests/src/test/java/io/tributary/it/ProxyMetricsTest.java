package io.tributary.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.tributary.api.v1.AdminServiceGrpc;
import io.tributary.api.v1.GetLastMessageIdRequest;
import io.tributary.api.v1.LookupRequest;
import io.tributary.api.v1.LookupResponse;
import io.tributary.api.v1.LookupServiceGrpc;
import io.tributary.api.v1.MessagingServiceGrpc;
import io.tributary.api.v1.UnloadBundleRequest;
import io.tributary.broker.Broker;
import io.tributary.client.Consumer;
import io.tributary.client.Message;
import io.tributary.client.Producer;
import io.tributary.client.Schema;
import io.tributary.client.SubscriptionInitialPosition;
import io.tributary.client.TributaryClient;
import io.tributary.proxy.ProxyServer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The proxy's and the broker's metrics and health endpoints over real HTTP, with real ZooKeeper, a
 * bookie, a broker and the proxy: traffic through the proxy moves its counters, the exposition
 * parses, and readiness follows the broker.
 */
class ProxyMetricsTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path dir;
    InProcessCluster cluster;
    Broker broker;
    ProxyServer proxy;

    @BeforeEach
    void start() throws Exception {
        cluster = new InProcessCluster(dir.toFile());
        broker = cluster.addBroker(c -> c.toBuilder().metricsPort(0).metricsBindAddress("127.0.0.1").build());
        proxy = cluster.proxy();
    }

    @AfterEach
    void stop() {
        cluster.close();
    }

    @Test
    void trafficThroughTheProxyMovesItsCountersAndTheExpositionParses() throws Exception {
        assertThat(proxy.metricsPort()).isPositive();
        String topic = "public/default/observed";
        int n = 50;
        long payloadBytes = 0;
        try (TributaryClient client = TributaryClient.builder().serviceUrl(cluster.serviceUrl()).build();
             Consumer<String> consumer = client.newConsumer(Schema.STRING).topic(topic).subscriptionName("watch")
                     .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe();
             Producer<String> producer = client.newProducer(Schema.STRING).topic(topic).create()) {
            for (int i = 0; i < n; i++) {
                String value = "message-" + i + "-" + "x".repeat(100);
                payloadBytes += value.length();
                producer.send(value);
            }
            Set<String> received = new HashSet<>();
            while (received.size() < n) {
                Message<String> m = consumer.receive(Duration.ofSeconds(30));
                assertThat(m).as("message %s of %s", received.size(), n).isNotNull();
                received.add(m.getValue());
                consumer.acknowledge(m);
            }

            // while both streams are open
            Map<String, Double> open = samples(scrape(proxy.metricsPort()));
            assertThat(open.get("tributary_proxy_active_streams{kind=\"publish\"}")).isGreaterThanOrEqualTo(1.0);
            assertThat(open.get("tributary_proxy_active_streams{kind=\"subscribe\"}")).isGreaterThanOrEqualTo(1.0);
            assertThat(open.get("tributary_proxy_connections")).isGreaterThanOrEqualTo(1.0);
            assertThat(open.get("tributary_proxy_connections_opened_total")).isGreaterThanOrEqualTo(1.0);
            // every message went in on the publish stream and out on the subscribe stream
            assertThat(open.get("tributary_proxy_bytes_in_total{kind=\"publish\"}")).isGreaterThan((double) payloadBytes);
            assertThat(open.get("tributary_proxy_bytes_out_total{kind=\"subscribe\"}")).isGreaterThan((double) payloadBytes);
            assertThat(open.get("tributary_proxy_bytes_out_total{kind=\"publish\"}")).isPositive(); // the acks
            assertThat(open.get("tributary_proxy_bytes_in_total{kind=\"subscribe\"}")).isPositive(); // permits, acks
            assertThat(open.get("tributary_proxy_lookup_cache_misses_total")).isGreaterThanOrEqualTo(1.0);
            assertThat(open.get("tributary_proxy_lookups_total{result=\"ok\"}")).isGreaterThanOrEqualTo(1.0);
            assertThat(open.get("tributary_proxy_lookup_cache_hits_total")
                    + open.get("tributary_proxy_lookup_cache_misses_total")).isGreaterThanOrEqualTo(2.0); // two streams
        }

        // the streams ended: counted as calls, no longer active
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            Map<String, Double> after = samples(scrape(proxy.metricsPort()));
            assertThat(after.get("tributary_proxy_active_streams{kind=\"publish\"}")).isEqualTo(0.0);
            assertThat(after.get("tributary_proxy_active_streams{kind=\"subscribe\"}")).isEqualTo(0.0);
            assertThat(sum(after, "tributary_proxy_calls_total{method=\"MessagingService/Publish\"")).isGreaterThanOrEqualTo(1.0);
            assertThat(sum(after, "tributary_proxy_calls_total{method=\"MessagingService/Subscribe\"")).isGreaterThanOrEqualTo(1.0);
            assertThat(after.get("tributary_proxy_connections_closed_total")).isGreaterThanOrEqualTo(1.0);
        });

        // a unary call the proxy refuses itself: counted by method and code, timed, and its reason counted
        ManagedChannel channel = NettyChannelBuilder.forTarget(cluster.serviceUrl()).usePlaintext().build();
        try {
            MessagingServiceGrpc.newBlockingStub(channel)
                    .getLastMessageId(GetLastMessageIdRequest.newBuilder().setTopic("not a topic//").build());
        } catch (StatusRuntimeException expected) {
            // INVALID_ARGUMENT
        } finally {
            channel.shutdownNow();
        }
        String text = scrape(proxy.metricsPort());
        Map<String, Double> refused = samples(text);
        assertThat(refused.get("tributary_proxy_calls_total{method=\"MessagingService/GetLastMessageId\",code=\"INVALID_ARGUMENT\"}"))
                .isEqualTo(1.0);
        assertThat(refused.get("tributary_proxy_forward_latency_seconds_count{method=\"MessagingService/GetLastMessageId\"}"))
                .isGreaterThanOrEqualTo(1.0);
        assertThat(refused.get("tributary_proxy_rejections_total{reason=\"INVALID_TOPIC_NAME\"}")).isEqualTo(1.0);

        assertWellFormed(text);
        assertThat(text).contains("# TYPE jvm_memory_bytes_used gauge"); // the JVM's own metrics are there
        assertWellFormed(scrape(broker.metricsPort()));
    }

    @Test
    void aBundleMovedUnderAProducerIsARedirect() throws Exception {
        Broker second = cluster.addBroker(c -> c.toBuilder().metricsPort(0).metricsBindAddress("127.0.0.1").build());
        String topic = "public/default/moved";
        ManagedChannel channel = NettyChannelBuilder.forTarget(cluster.serviceUrl()).usePlaintext().build();
        try (TributaryClient client = TributaryClient.builder().serviceUrl(cluster.serviceUrl()).build();
             Producer<String> producer = client.newProducer(Schema.STRING).topic(topic).create()) {
            producer.send("before");
            LookupResponse owner = LookupServiceGrpc.newBlockingStub(channel)
                    .lookup(LookupRequest.newBuilder().setTopic(topic).build());
            String other = owner.getBrokerId().equals(broker.brokerId()) ? second.brokerId() : broker.brokerId();
            AdminServiceGrpc.newBlockingStub(channel).unloadBundle(UnloadBundleRequest.newBuilder()
                    .setNamespace("public/default").setBundle(owner.getBundle()).setDestinationBrokerId(other).build());
            producer.send("after"); // through the new owner
        } finally {
            channel.shutdownNow();
        }
        Map<String, Double> after = samples(scrape(proxy.metricsPort()));
        assertThat(sum(after, "tributary_proxy_redirects_total{")).as("redirects followed").isGreaterThanOrEqualTo(1.0);
    }

    @Test
    void readinessFollowsTheBrokers() throws Exception {
        // the broker is registered once start() returned
        assertThat(get(broker.metricsPort(), "/health/live").statusCode()).isEqualTo(200);
        HttpResponse<String> brokerReady = get(broker.metricsPort(), "/health/ready");
        assertThat(brokerReady.statusCode()).as(brokerReady.body()).isEqualTo(200);

        assertThat(get(proxy.metricsPort(), "/health/live").statusCode()).isEqualTo(200);
        HttpResponse<String> ready = get(proxy.metricsPort(), "/health/ready");
        assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);

        int brokerMetrics = broker.metricsPort();
        cluster.brokers.remove(broker);
        broker.close();
        // the broker's endpoint is gone with it
        assertThat(reachable(brokerMetrics)).isFalse();
        // the proxy says why it is not ready once its last answer from a broker is old
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            HttpResponse<String> r = get(proxy.metricsPort(), "/health/ready");
            assertThat(r.statusCode()).isEqualTo(503);
            assertThat(r.body()).contains("no broker").contains(broker.address());
        });
        // still alive, and a probe never takes much longer than the health check's deadline
        assertThat(get(proxy.metricsPort(), "/health/live").statusCode()).isEqualTo(200);
        long begin = System.nanoTime();
        assertThat(get(proxy.metricsPort(), "/health/ready").statusCode()).isEqualTo(503);
        assertThat(Duration.ofNanos(System.nanoTime() - begin)).isLessThan(Duration.ofSeconds(4));
    }

    // ---- HTTP and the text format ----

    private static HttpResponse<String> get(int port, String path) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static boolean reachable(int port) {
        try {
            get(port, "/health/live");
            return true;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static String scrape(int port) throws IOException, InterruptedException {
        HttpResponse<String> r = get(port, "/metrics");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("text/plain");
        return r.body();
    }

    private static final String NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
    private static final String LABEL = "[a-zA-Z_][a-zA-Z0-9_]*=\"(?:[^\"\\\\\\n]|\\\\[\\\\\"n])*\"";
    private static final String VALUE = "(?:[-+]?(?:[0-9]*\\.?[0-9]+(?:[eE][-+]?[0-9]+)?|Inf)|NaN)";
    /** One sample line of the Prometheus text format 0.0.4: name, optional labels, value, optional timestamp. */
    private static final Pattern SAMPLE = Pattern.compile(
            "(" + NAME + ")(\\{(?:" + LABEL + "(?:," + LABEL + ")*,?)?\\})? (" + VALUE + ")(?: -?[0-9]+)?");
    private static final Pattern HELP = Pattern.compile("# HELP (" + NAME + ") .*");
    private static final Pattern TYPE = Pattern.compile("# TYPE (" + NAME + ") (counter|gauge|histogram|summary|untyped)");

    /** Every line is a comment, a HELP, a TYPE or a sample; every sample belongs to a family with HELP and TYPE. */
    private static void assertWellFormed(String text) {
        Map<String, String> types = new HashMap<>();
        Set<String> helps = new HashSet<>();
        List<String> sampleNames = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.isEmpty()) {
                continue;
            }
            Matcher help = HELP.matcher(line);
            Matcher type = TYPE.matcher(line);
            Matcher sample = SAMPLE.matcher(line);
            if (help.matches()) {
                helps.add(help.group(1));
            } else if (type.matches()) {
                assertThat(types.put(type.group(1), type.group(2))).as("TYPE of %s given twice", type.group(1)).isNull();
            } else if (line.startsWith("#")) {
                assertThat(line).as("a comment other than HELP and TYPE").doesNotStartWith("# HELP").doesNotStartWith("# TYPE");
            } else {
                assertThat(sample.matches()).as("not a sample line: %s", line).isTrue();
                sampleNames.add(sample.group(1));
            }
        }
        assertThat(sampleNames).isNotEmpty();
        assertThat(helps).as("families with HELP").containsExactlyInAnyOrderElementsOf(types.keySet());
        for (String name : sampleNames) {
            assertThat(family(name, types)).as("the family of sample %s, with # TYPE", name).isNotNull();
        }
    }

    /** The declared family a sample belongs to: its own name, or a histogram's or summary's with the suffix cut. */
    private static String family(String sample, Map<String, String> types) {
        if (types.containsKey(sample)) {
            return sample;
        }
        for (String suffix : List.of("_bucket", "_count", "_sum")) {
            if (sample.endsWith(suffix)) {
                String base = sample.substring(0, sample.length() - suffix.length());
                String type = types.get(base);
                if ("histogram".equals(type) || "summary".equals(type) && !suffix.equals("_bucket")) {
                    return base;
                }
            }
        }
        return null;
    }

    /**
     * Samples by their name and labels in the order written, without a trailing comma ({@code name{a="b"}}) and
     * without the {@code cluster} label every sample of the proxy ends with (checked here).
     */
    private static Map<String, Double> samples(String text) {
        Map<String, Double> out = new HashMap<>();
        for (String line : text.split("\n")) {
            Matcher m = SAMPLE.matcher(line);
            if (!line.startsWith("#") && m.matches()) {
                String value = m.group(3);
                assertThat(m.group(2)).as(line).endsWith("cluster=\"standalone\",}");
                String labels = m.group(2).replace("cluster=\"standalone\",}", "}").replace(",}", "}").replace("{}", "");
                out.put(m.group(1) + labels, value.endsWith("Inf") || value.equals("NaN")
                        ? Double.NaN : Double.parseDouble(value));
            }
        }
        return out;
    }

    /** The sum of the samples whose name and labels start with {@code prefix}. */
    private static double sum(Map<String, Double> samples, String prefix) {
        return samples.entrySet().stream().filter(e -> e.getKey().startsWith(prefix)).mapToDouble(Map.Entry::getValue).sum();
    }
}
