package io.tributary.cli.perf;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.cli.Standalone;
import io.tributary.cli.TributaryCli;
import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Runs {@code tributary perf} against a standalone cluster and checks its JSON summaries (not its speed). */
class PerfCommandTest {
    @TempDir
    static Path tmp;

    private static Standalone standalone;

    @BeforeAll
    static void startCluster() throws Exception {
        standalone = new Standalone(new Standalone.Options(tmp.resolve("data").toFile(), 1, freePort(), freePort(),
                freePort(), freePort(), false, c -> c.toBuilder().metricsPort(0).build())).start();
    }

    @AfterAll
    static void stopCluster() {
        if (standalone != null) {
            standalone.close();
        }
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private record Run(int exitCode, String out, String err) {
    }

    private static Run perf(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = TributaryCli.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int code = cli.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void producesAndConsumesAndWritesJsonSummaries() throws Exception {
        String topic = "public/default/perf-" + System.nanoTime();
        File produceJson = tmp.resolve("produce.json").toFile();
        Run produce = perf("perf", "produce", topic, "-u", standalone.serviceUrl(), "-n", "2000", "-r", "2000",
                "--report-interval", "0.5", "--json", produceJson.getPath());
        assertThat(produce.exitCode()).as(produce.out() + produce.err()).isZero();
        assertThat(produce.out()).contains("--- perf produce summary ---", "publish pause", "2,000 acknowledged");

        String json = Files.readString(produceJson.toPath());
        assertThat(number(json, "sent")).isEqualTo(2000);
        assertThat(number(json, "failed")).isZero();
        assertThat(number(json, "pending")).isZero();
        assertThat(number(object(json, "latencyMs"), "count")).isEqualTo(2000);
        assertThat(number(object(json, "latencyMs"), "p99")).isGreaterThan(0);
        assertThat(number(object(json, "publishPause"), "longestMs")).isGreaterThan(0);
        assertThat(tree(json).get("command").asText()).isEqualTo("produce");
        // the shape scripts grep for: "key": value
        assertThat(json).contains("\"command\": \"produce\"");
        assertThat(tree(json).get("interrupted").asBoolean(true)).isFalse();

        File consumeJson = tmp.resolve("consume.json").toFile();
        Run consume = perf("perf", "consume", topic, "-u", standalone.serviceUrl(), "-n", "2000",
                "--position", "Earliest", "-d", "120", "--json", consumeJson.getPath());
        assertThat(consume.exitCode()).as(consume.out() + consume.err()).isZero();
        String cjson = Files.readString(consumeJson.toPath());
        assertThat(number(cjson, "received")).isEqualTo(2000);
        assertThat(number(cjson, "bytes")).isEqualTo(2000 * 1024);
        assertThat(number(cjson, "acksConfirmed")).isEqualTo(2000);
        assertThat(number(cjson, "acksFailed")).isZero();
        assertThat(number(object(cjson, "e2eLatencyMs"), "count")).isEqualTo(2000);
    }

    @Test
    void aRunWritesASelfContainedHtmlReport() throws Exception {
        String topic = "public/default/perf-report-" + System.nanoTime();
        File json = tmp.resolve("report.json").toFile();
        // a file name with characters HTML must escape: it appears in the report's command line
        File report = tmp.resolve("report&<1>.html").toFile();
        Run produce = perf("perf", "produce", topic, "-u", standalone.serviceUrl(), "-r", "1000", "-d", "3.5",
                "--json", json.getPath(), "--report", report.getPath());
        assertThat(produce.exitCode()).as(produce.out() + produce.err()).isZero();
        String html = Files.readString(report.toPath());
        assertThat(html).startsWith("<!DOCTYPE html>").endsWith("</html>\n")
                .contains("Publish latency over time", "Publish latency distribution", "99.99%")
                .contains("report&amp;&lt;1&gt;.html").doesNotContain("report&<1>")
                // nothing fetched from anywhere
                .doesNotContain("<script", "<link", "src=", "url(");
        assertThat(html.split("<svg ", -1)).hasSize(4);
        // one point a second: the throughput line of a 3.5 s run has at least 3
        String throughputLine = html.substring(html.indexOf("<polyline"), html.indexOf("</polyline>"));
        assertThat(throughputLine.split(",", -1).length - 1).isGreaterThanOrEqualTo(3);
        // the summary table holds the JSON summary's figures
        String sent = String.valueOf((long) number(Files.readString(json.toPath()), "sent"));
        assertThat(html).contains("<tr><th>sent</th><td>" + sent + "</td></tr>", "<tr><th>latencyMs.p99</th>");

        File consumeReport = tmp.resolve("consume.html").toFile();
        Run consume = perf("perf", "consume", topic, "-u", standalone.serviceUrl(), "-n", sent, "--position", "Earliest",
                "-d", "120", "--report", consumeReport.getPath());
        assertThat(consume.exitCode()).as(consume.out() + consume.err()).isZero();
        assertThat(Files.readString(consumeReport.toPath())).contains("End-to-end latency distribution",
                "<tr><th>received</th><td>" + sent + "</td></tr>");
    }

    @Test
    void reportTextIsEscapedAndAxesEndOnRoundNumbers() {
        assertThat(HtmlReport.escape("<a href=\"x\">'&'</a>")).isEqualTo("&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
        assertThat(HtmlReport.niceCeiling(3.2)).isEqualTo(5);
        assertThat(HtmlReport.niceCeiling(1.0)).isEqualTo(1);
        assertThat(HtmlReport.niceCeiling(1234)).isEqualTo(2000);
    }

    @Test
    void severalTopicsAndProducersSplitTheCount() throws Exception {
        String topic = "public/default/perf-multi-" + System.nanoTime();
        File produceJson = tmp.resolve("multi.json").toFile();
        Run produce = perf("perf", "produce", topic, "-u", standalone.serviceUrl(), "-n", "600", "-t", "2", "-p", "2",
                "-s", "100", "--no-batching", "--json", produceJson.getPath());
        assertThat(produce.exitCode()).as(produce.out() + produce.err()).isZero();
        String json = Files.readString(produceJson.toPath());
        assertThat(number(json, "sent")).isEqualTo(600);
        assertThat(json).contains(topic + "-0", topic + "-1");

        Run consume = perf("perf", "consume", topic, "-u", standalone.serviceUrl(), "-t", "2", "-n", "600",
                "--position", "Earliest", "--type", "Shared", "-d", "120");
        assertThat(consume.exitCode()).as(consume.out() + consume.err()).isZero();
        assertThat(consume.out()).contains("600 messages");

        // three subscriptions on each topic, a consumer each (the OpenMessaging Benchmark's 100-topics shape, smaller):
        // every one of them gets every message
        File subsJson = tmp.resolve("subs.json").toFile();
        Run subs = perf("perf", "consume", topic, "-u", standalone.serviceUrl(), "-t", "2", "--subscriptions", "3",
                "-s", "omb", "-n", "1800", "--position", "Earliest", "-d", "120", "--json", subsJson.getPath());
        assertThat(subs.exitCode()).as(subs.out() + subs.err()).isZero();
        assertThat(subs.out()).contains("omb-0, omb-1, omb-2");
        String sjson = Files.readString(subsJson.toPath());
        assertThat(number(sjson, "received")).isEqualTo(1800);
        assertThat(number(sjson, "subscriptionsPerTopic")).isEqualTo(3);
        assertThat(perf("perf", "consume", topic, "-t", "1000", "--subscriptions", "3").exitCode()).isNotZero();
    }

    @Test
    void perfAlonePrintsUsage() {
        Run r = perf("perf");
        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).contains("Usage: tributary perf", "produce", "consume");
    }

    @Test
    void badOptionsAreRefused() {
        Run r = perf("perf", "produce", "public/default/x", "-s", "0");
        assertThat(r.exitCode()).isNotZero();
        assertThat(r.err()).contains("--size must be at least 1");
    }

    /** The value of the first {@code "key": number} in {@code json}. */
    private static double number(String json, String key) {
        com.fasterxml.jackson.databind.JsonNode n = tree(json).get(key);
        assertThat(n != null && n.isNumber()).as("no number %s in %s", key, json).isTrue();
        return n.asDouble();
    }

    /** The object {@code "key": { ... }} of the summary, as JSON text. */
    private static String object(String json, String key) {
        com.fasterxml.jackson.databind.JsonNode n = tree(json).get(key);
        assertThat(n != null && n.isObject()).as("no object %s in %s", key, json).isTrue();
        return n.toString();
    }

    private static com.fasterxml.jackson.databind.JsonNode tree(String json) {
        try {
            return new com.fasterxml.jackson.databind.ObjectMapper().readTree(json);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new AssertionError("not JSON: " + json, e);
        }
    }
}
