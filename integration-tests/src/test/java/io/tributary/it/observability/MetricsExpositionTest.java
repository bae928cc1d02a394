package io.tributary.it.observability;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.broker.Broker;
import io.tributary.cli.Standalone;
import io.tributary.client.Consumer;
import io.tributary.client.Message;
import io.tributary.client.Producer;
import io.tributary.client.Schema;
import io.tributary.client.SubscriptionInitialPosition;
import io.tributary.client.TributaryClient;
import io.tributary.it.TestClusters;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every process's {@code /metrics}, after some traffic, passes Prometheus's own lint
 * ({@code promtool check metrics}: names, units, counter suffixes, help texts), and
 * {@code docs/metrics.md} lists exactly what the processes serve.
 */
class MetricsExpositionTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    static Path dir;
    static Standalone standalone;

    @BeforeAll
    static void start() throws Exception {
        standalone = new Standalone(TestClusters.options(dir.toFile(), c -> c)).start();
        try (TributaryClient client = TributaryClient.builder().serviceUrl(standalone.serviceUrl()).build();
             Consumer<String> consumer = client.newConsumer(Schema.STRING).topic("public/default/scraped").subscriptionName("s")
                     .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe();
             Producer<String> producer = client.newProducer(Schema.STRING).topic("public/default/scraped").create()) {
            for (int i = 0; i < 20; i++) {
                producer.send("m" + i);
            }
            for (int i = 0; i < 10; i++) {
                Message<String> m = consumer.receive(30, TimeUnit.SECONDS);
                assertThat(m).isNotNull();
                consumer.acknowledge(m);
            }
        }
    }

    @AfterAll
    static void stop() {
        if (standalone != null) {
            standalone.close();
        }
    }

    /** Every endpoint of the standalone by the process it belongs to. */
    static Map<String, Integer> endpoints() {
        Map<String, Integer> ports = new LinkedHashMap<>();
        for (Broker b : standalone.brokers()) {
            ports.put("broker " + b.brokerId(), b.metricsPort());
        }
        ports.put("proxy", standalone.proxyMetricsPort());
        List<Integer> bookies = standalone.bookieMetricsPorts();
        for (int i = 0; i < bookies.size(); i++) {
            ports.put("bookie " + i, bookies.get(i));
        }
        ports.put("zookeeper", standalone.zookeeperMetricsPort());
        return ports;
    }

    static String scrape(int port) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        return r.body();
    }

    /**
     * promtool parses every process's exposition, and its lint finds nothing in the families our code
     * registers. BookKeeper's and ZooKeeper's own families keep their upstream names (so their
     * published dashboards and alerts apply), whose camelCase promtool's style lint reports: those
     * reports, and only those, are let through.
     */
    @Test
    void everyProcessPassesPromtoolsLint() throws Exception {
        for (Map.Entry<String, Integer> e : endpoints().entrySet()) {
            String exposition = scrape(e.getValue());
            Set<String> foreign = new TreeSet<>();
            exposition.lines().filter(l -> l.startsWith("# TYPE ")).map(l -> l.split(" ")[2]).filter(f -> !ours(f))
                    .forEach(foreign::add);
            Promtool.Result result = Promtool.checkMetrics(exposition);
            // a problem is let through only when it names one of BookKeeper's or ZooKeeper's families
            List<String> ourProblems = result.output().lines().filter(l -> !l.isBlank())
                    .filter(l -> !foreign.contains(l.split(" ")[0])).toList();
            assertThat(ourProblems).as("promtool check metrics on the %s:%n%s", e.getKey(), result.output()).isEmpty();
        }
    }

    /** Every sample of every process, ours, the JVM's, BookKeeper's and ZooKeeper's, names the cluster once. */
    @Test
    void everySampleOfEveryProcessNamesItsCluster() throws Exception {
        for (Map.Entry<String, Integer> e : endpoints().entrySet()) {
            List<String> samples = scrape(e.getValue()).lines().filter(l -> !l.isBlank() && !l.startsWith("#")).toList();
            assertThat(samples).as("samples of the %s", e.getKey()).isNotEmpty()
                    .allMatch(l -> l.contains("cluster=\"standalone\"") && l.indexOf("cluster=") == l.lastIndexOf("cluster="));
        }
    }

    @Test
    void promtoolFindsAMisnamedCounter() throws Exception {
        // the checker can fail: a counter without _total is reported
        Promtool.Result result = Promtool.checkMetrics("# HELP tributary_bad_things Bad\n# TYPE tributary_bad_things counter\n"
                + "tributary_bad_things 1\n");
        assertThat(result.passed()).as(result.output()).isFalse();
    }

    /** The families an exposition declares ({@code # TYPE name type}), without the client library's {@code _created} ones. */
    static Set<String> families(String exposition) {
        Set<String> names = new TreeSet<>();
        for (String line : exposition.split("\n")) {
            if (line.startsWith("# TYPE ")) {
                String name = line.split(" ")[2];
                if (!name.endsWith("_created")) {
                    names.add(name);
                }
            }
        }
        return names;
    }

    /**
     * The metric names in the first column of the tables of {@code docs/metrics.md}; a name with
     * {@code *} or {@code <...>} stands for the families it matches (BookKeeper's and ZooKeeper's).
     */
    static Set<String> documented() throws Exception {
        Path page = Path.of(System.getProperty("user.dir")).getParent().resolve("docs/metrics.md");
        Set<String> names = new TreeSet<>();
        Matcher m = Pattern.compile("(?m)^\\| `([A-Za-z_][A-Za-z0-9_:*<>]*)`").matcher(Files.readString(page));
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }

    static Pattern glob(String documented) {
        return Pattern.compile(Pattern.quote(documented).replace("*", "\\E.*\\Q").replaceAll("<[a-z]+>", "\\\\E.*\\\\Q"));
    }

    /** Ours: what Tributary's code registers (its own families and the JVM's), listed name by name. */
    static boolean ours(String family) {
        return family.startsWith("tributary_") || family.startsWith("jvm_") || family.startsWith("process_");
    }

    @Test
    void docsMetricsListsExactlyWhatTheProcessesServe() throws Exception {
        Set<String> served = new TreeSet<>();
        for (int port : endpoints().values()) {
            served.addAll(families(scrape(port)));
        }
        Set<String> documented = documented();
        assertThat(documented).as("rows of docs/metrics.md").isNotEmpty();
        // every family our code registers is listed by its name
        Set<String> undocumented = new TreeSet<>();
        for (String f : served) {
            if (ours(f) && !documented.contains(f)) {
                undocumented.add(f);
            }
        }
        assertThat(undocumented).as("served but not in docs/metrics.md").isEmpty();
        // and every row, ours or BookKeeper's and ZooKeeper's, names something a process serves
        Set<String> unserved = new TreeSet<>();
        for (String d : documented) {
            Pattern p = glob(d);
            String withoutSuffix = d.replaceAll("_total$", "");
            if (served.stream().noneMatch(f -> p.matcher(f).matches() || f.equals(withoutSuffix) || f.startsWith(d + "_"))) {
                unserved.add(d);
            }
        }
        assertThat(unserved).as("in docs/metrics.md but served by no process").isEmpty();
    }
}
