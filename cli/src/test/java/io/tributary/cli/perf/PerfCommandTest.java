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
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
        assertThat(json).contains("\"command\": \"produce\"", "\"interrupted\": false");

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
        Matcher m = Pattern.compile("\"" + Pattern.quote(key) + "\": (-?[0-9.eE+-]+)").matcher(json);
        assertThat(m.find()).as("no number %s in %s", key, json).isTrue();
        return Double.parseDouble(m.group(1));
    }

    /** The text of the object {@code "key": { ... }} (objects in the summaries nest at most one level below it). */
    private static String object(String json, String key) {
        int start = json.indexOf("\"" + key + "\": {");
        assertThat(start).as("no object %s in %s", key, json).isNotNegative();
        int depth = 0;
        for (int i = json.indexOf('{', start); i < json.length(); i++) {
            char c = json.charAt(i);
            if (c == '{') {
                depth++;
            } else if (c == '}' && --depth == 0) {
                return json.substring(start, i + 1);
            }
        }
        throw new AssertionError("unterminated object " + key);
    }
}
