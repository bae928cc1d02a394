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
        return ports;
    }

    static String scrape(int port) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        return r.body();
    }

    @Test
    void everyProcessPassesPromtoolsLint() throws Exception {
        for (Map.Entry<String, Integer> e : endpoints().entrySet()) {
            Promtool.Result result = Promtool.checkMetrics(scrape(e.getValue()));
            assertThat(result.passed()).as("promtool check metrics on the %s:%n%s", e.getKey(), result.output()).isTrue();
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

    /** The metric names in the first column of the tables of {@code docs/metrics.md}. */
    static Set<String> documented() throws Exception {
        Path page = Path.of(System.getProperty("user.dir")).getParent().resolve("docs/metrics.md");
        Set<String> names = new TreeSet<>();
        Matcher m = Pattern.compile("(?m)^\\| `([a-z_][a-z0-9_:]*)` \\|").matcher(Files.readString(page));
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }

    @Test
    void docsMetricsListsExactlyWhatTheProcessesServe() throws Exception {
        Set<String> served = new TreeSet<>();
        for (int port : endpoints().values()) {
            served.addAll(families(scrape(port)));
        }
        Set<String> documented = documented();
        assertThat(documented).as("rows of docs/metrics.md").isNotEmpty();
        Set<String> undocumented = new TreeSet<>(served);
        undocumented.removeAll(documented);
        assertThat(undocumented).as("served but not in docs/metrics.md").isEmpty();
        Set<String> unserved = new TreeSet<>(documented);
        unserved.removeAll(served);
        assertThat(unserved).as("in docs/metrics.md but served by no process").isEmpty();
    }
}
