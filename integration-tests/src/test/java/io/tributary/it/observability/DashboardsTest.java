package io.tributary.it.observability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tributary.broker.Broker;
import io.tributary.cli.Standalone;
import io.tributary.client.Consumer;
import io.tributary.client.Message;
import io.tributary.client.Producer;
import io.tributary.client.Schema;
import io.tributary.client.SubscriptionInitialPosition;
import io.tributary.client.TributaryClient;
import io.tributary.client.admin.BacklogQuotaPolicy;
import io.tributary.client.admin.NamespacePolicies;
import io.tributary.client.admin.TributaryAdmin;
import io.tributary.it.CliRun;
import io.tributary.it.TestClusters;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dashboards of {@code charts/tributary/dashboards} against a real Prometheus scraping a
 * standalone with two brokers under load, with a bundle moved and one split: every expression of
 * every panel returns series. A panel that no metric feeds cannot ship.
 */
class DashboardsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** How long data may take to show up in every panel. */
    private static final long DEADLINE_SECONDS = 90;

    @TempDir
    Path dir;

    static Path dashboards() {
        return Path.of(System.getProperty("user.dir")).getParent().resolve("charts/tributary/dashboards");
    }

    /** Each panel's expressions by "dashboard / panel", rows' nested panels included. */
    static Map<String, List<String>> expressions() throws Exception {
        Map<String, List<String>> all = new LinkedHashMap<>();
        try (Stream<Path> files = Files.list(dashboards())) {
            for (Path f : files.filter(p -> p.toString().endsWith(".json")).sorted().toList()) {
                JsonNode board = JSON.readTree(f.toFile());
                List<JsonNode> panels = new ArrayList<>();
                board.path("panels").forEach(p -> {
                    panels.add(p);
                    p.path("panels").forEach(panels::add);
                });
                for (JsonNode p : panels) {
                    List<String> exprs = new ArrayList<>();
                    p.path("targets").forEach(t -> exprs.add(t.path("expr").asText()));
                    if (!exprs.isEmpty()) {
                        all.put(board.path("title").asText() + " / " + p.path("title").asText(), exprs);
                    }
                }
            }
        }
        return all;
    }

    /** The expression as Grafana would send it, with every template variable taking all values. */
    static String filledIn(String expr) {
        return expr.replace("$__rate_interval", "30s").replace("$__interval", "5s")
                .replaceAll("\\$\\{?[a-z_]+}?", ".*");
    }

    @Test
    void everyDashboardsStructureIsWhatGrafanaNeeds() throws Exception {
        try (Stream<Path> files = Files.list(dashboards())) {
            for (Path f : files.filter(p -> p.toString().endsWith(".json")).toList()) {
                JsonNode board = JSON.readTree(f.toFile());
                assertThat(board.path("uid").asText()).as("%s uid", f).isNotEmpty();
                assertThat(board.path("templating").path("list").get(0).path("type").asText()).as("%s first variable", f)
                        .isEqualTo("datasource");
                assertThat(board.toString()).as("%s hard-codes no data source", f).doesNotContainPattern("\"uid\":\"(?!\\$\\{datasource\\}|tributary-)");
                board.path("panels").forEach(p -> {
                    if (!"row".equals(p.path("type").asText())) {
                        assertThat(p.path("description").asText()).as("%s / %s description", f, p.path("title")).isNotBlank();
                        assertThat(p.path("fieldConfig").path("defaults").path("unit").asText()).as("%s / %s unit", f, p.path("title"))
                                .isNotBlank();
                    }
                });
            }
        }
    }

    @Test
    void everyPanelOfEveryDashboardShowsDataFromARealCluster() throws Exception {
        // policies applied each second, so that the backlog quota's series show soon
        Standalone.Options options = TestClusters.options(dir.resolve("data").toFile(),
                c -> c.toBuilder().policyCheckInterval(Duration.ofSeconds(1)).build()).withBrokers(2);
        try (Standalone standalone = new Standalone(options).start();
             TributaryClient client = TributaryClient.builder().serviceUrl(standalone.serviceUrl()).build()) {
            Map<String, List<Integer>> jobs = new LinkedHashMap<>();
            jobs.put("broker", standalone.brokers().stream().map(Broker::metricsPort).toList());
            jobs.put("proxy", List.of(standalone.proxyMetricsPort()));
            jobs.put("bookie", standalone.bookieMetricsPorts());
            jobs.put("zookeeper", List.of(standalone.zookeeperMetricsPort()));
            try (TributaryAdmin admin = TributaryAdmin.builder().serviceUrl(standalone.serviceUrl()).build()) {
                admin.namespaces().setPolicies("public/default", NamespacePolicies.builder()
                        .backlogQuota(64L << 20, BacklogQuotaPolicy.PRODUCER_REQUEST_HOLD).build());
            }
            try (PrometheusServer prometheus = PrometheusServer.start(dir, jobs, List.of());
                 Producer<String> producer = client.newProducer(Schema.STRING).topic("public/default/watched").create();
                 Consumer<String> consumer = client.newConsumer(Schema.STRING).topic("public/default/watched")
                         .subscriptionName("ops").subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe()) {
                Map<String, List<String>> panels = expressions();
                assertThat(panels).isNotEmpty();
                moveAndSplitABundle(standalone);
                // a refused call, for the refusal panels
                assertThat(CliRun.admin(standalone.serviceUrl(), "topics", "stats", "public/default/never-made").code()).isNotZero();

                Map<String, String> empty = new LinkedHashMap<>();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(DEADLINE_SECONDS);
                int sent = 0;
                do {
                    // traffic all along, so that every rate has samples in its window
                    for (int i = 0; i < 20; i++) {
                        producer.send("m" + sent++);
                    }
                    for (Message<String> m; (m = consumer.receive(10, TimeUnit.MILLISECONDS)) != null; ) {
                        consumer.acknowledge(m);
                    }
                    empty.clear();
                    for (Map.Entry<String, List<String>> panel : panels.entrySet()) {
                        for (String expr : panel.getValue()) {
                            if (prometheus.query(filledIn(expr)).isEmpty()) {
                                empty.put(panel.getKey(), expr);
                            }
                        }
                    }
                    if (!empty.isEmpty()) {
                        TimeUnit.MILLISECONDS.sleep(500);
                    }
                } while (!empty.isEmpty() && System.nanoTime() < deadline);
                assertThat(empty).as("panels whose expressions return no series after %s s of traffic", DEADLINE_SECONDS)
                        .isEmpty();
                // the move was counted by the bundle-transfer histogram
                assertThat(prometheus.query("sum(tributary_broker_bundle_move_seconds_count) >= 1")).isNotEmpty();
                // 25 more no one takes: Prometheus's backlog of the subscription comes to what the admin API reports
                for (int i = 0; i < 25; i++) {
                    producer.send("left " + i);
                }
                try (TributaryAdmin admin = TributaryAdmin.builder().serviceUrl(standalone.serviceUrl()).build()) {
                    long expected = admin.topics().getStats("public/default/watched").subscriptions().get(0).msgBacklog();
                    assertThat(expected).isGreaterThanOrEqualTo(25);
                    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(prometheus.query(
                            "sum(tributary_subscription_backlog_messages{topic=\"public/default/watched\", subscription=\"ops\"})")
                            .path(0).path("value").path(1).asDouble(-1)).isEqualTo((double) expected));
                }
            }
        }
    }

    /** Moves a bundle to the other broker and splits it there, as an operator would. */
    private static void moveAndSplitABundle(Standalone standalone) {
        CliRun bundles = CliRun.admin(standalone.serviceUrl(), "bundles", "list", "public/default");
        List<String[]> rows = bundles.out().lines().filter(l -> l.startsWith("public/default")).map(l -> l.trim().split("\\s+"))
                .toList();
        // the bundle with topics if the load report already counts them, else any owned one
        String[] moved = rows.stream().filter(r -> !r[2].startsWith("(")).sorted((a, b) -> b[3].compareTo(a[3])).findFirst()
                .orElseThrow(() -> new AssertionError("no owned bundle in:\n" + bundles.out()));
        String to = standalone.brokers().stream().map(Broker::brokerId).filter(id -> !id.equals(moved[2])).findFirst().orElseThrow();
        CliRun unload = CliRun.admin(standalone.serviceUrl(), "bundles", "unload", "public/default", moved[1], "--to", to);
        assertThat(unload.code()).as(unload.err()).isZero();
        // then split it on its new owner (bundles are owned once a topic in them is used: it may be the only one)
        CliRun splitRun = CliRun.admin(standalone.serviceUrl(), "bundles", "split", "public/default", moved[1]);
        assertThat(splitRun.code()).as("%s%s%s", bundles.out(), splitRun.out(), splitRun.err()).isZero();
        // and the failures an operator can cause, for the failure panels: a move to a broker that does
        // not exist, and a split of a bundle no broker owns
        List<String[]> after = CliRun.admin(standalone.serviceUrl(), "bundles", "list", "public/default").out().lines()
                .filter(l -> l.startsWith("public/default")).map(l -> l.trim().split("\\s+")).toList();
        String[] owned = after.stream().filter(r -> !r[2].startsWith("(")).findFirst().orElseThrow();
        CliRun nowhere = CliRun.admin(standalone.serviceUrl(), "bundles", "unload", "public/default", owned[1], "--to", "no-such-broker");
        assertThat(nowhere.code()).as(nowhere.out()).isNotZero();
        String[] unowned = after.stream().filter(r -> r[2].startsWith("(")).findFirst()
                .orElseThrow(() -> new AssertionError("every bundle is owned:\n" + after.stream().map(r -> String.join(" ", r)).toList()));
        assertThat(CliRun.admin(standalone.serviceUrl(), "bundles", "split", "public/default", unowned[1]).code()).isNotZero();
    }
}
