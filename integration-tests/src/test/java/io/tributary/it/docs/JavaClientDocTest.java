package io.tributary.it.docs;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.cli.Standalone;
import io.tributary.cli.TributaryCli;
import io.tributary.client.Message;
import io.tributary.client.MessageId;
import io.tributary.client.MessageRouter;
import io.tributary.client.Producer;
import io.tributary.client.Reader;
import io.tributary.client.Schema;
import io.tributary.client.TributaryClient;
import io.tributary.it.TestClusters;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The examples of {@code docs/java-client.md} cannot rot: the page must show exactly the code of
 * {@link JavaClientExamples} (a block after {@code <!-- example: a, b -->} is the regions a and b,
 * joined by a blank line), and each example runs here against a real standalone Tributary
 * (ZooKeeper, BookKeeper, a broker and the proxy) and prints what the page promises.
 */
class JavaClientDocTest {
    static final Path DOC = Path.of("..", "docs", "java-client.md");
    static final Path SOURCE = Path.of("src", "test", "java", "io", "tributary", "it", "docs", "JavaClientExamples.java");

    @TempDir
    static Path dir;
    static Standalone standalone;
    static TributaryClient client;

    @BeforeAll
    static void start() throws Exception {
        standalone = TestClusters.start(dir.toFile());
        client = TributaryClient.builder().serviceUrl(standalone.serviceUrl()).build();
        assertThat(TributaryCli.commandLine().execute("admin", "topics", "create", "public/default/payments",
                "--partitions", "4", "-u", standalone.serviceUrl())).isZero();
    }

    @AfterAll
    static void stop() throws Exception {
        client.close();
        standalone.close();
    }

    interface Example {
        void run(String serviceUrl, TributaryClient client) throws Exception;
    }

    /** Runs an example and returns the lines it printed. */
    static synchronized List<String> run(Example example) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream original = System.out;
        System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        try {
            example.run(standalone.serviceUrl(), client);
        } finally {
            System.setOut(original);
        }
        List<String> lines = bytes.toString(StandardCharsets.UTF_8).lines().toList();
        original.println(lines);
        return lines;
    }

    /** Every value of a topic, from the start to its current end. */
    static List<String> values(String topic) throws Exception {
        List<String> out = new ArrayList<>();
        try (Reader<String> r = client.newReader(Schema.STRING).topic(topic).startMessageId(MessageId.earliest).create()) {
            while (r.hasMessageAvailable()) {
                Message<String> m = r.readNext(10, TimeUnit.SECONDS);
                out.add(m.getValue());
            }
        }
        return out;
    }

    @Test
    void thePageShowsExactlyTheCompiledExamples() throws Exception {
        Map<String, String> inDoc = DocExamples.ofMarkdown(DOC);
        Map<String, String> inSource = DocExamples.ofSource(SOURCE);
        assertThat(DocExamples.names(inDoc.keySet())).as("examples in %s", DOC)
                .containsExactlyInAnyOrderElementsOf(inSource.keySet());
        inDoc.forEach((names, code) -> assertThat(code).as("example %s in %s", names, DOC)
                .isEqualTo(DocExamples.joined(names, inSource)));
    }

    @Test
    void quickStartThenReaders() throws Exception {
        assertThat(run(JavaClientExamples::quickStart)).containsExactly("hello {}", "paid {currency=EUR}");
        assertThat(run(JavaClientExamples::reader)).containsExactly("first: hello");
        assertThat(run(JavaClientExamples::readToTheEnd)).containsExactly("hello", "paid");
    }

    @Test
    void sending() throws Exception {
        assertThat(run(JavaClientExamples::fireAndForget)).isEmpty();
        assertThat(values("public/default/clicks-ff")).containsExactly("click", "order");
        List<String> compressed = run(JavaClientExamples::compression);
        assertThat(compressed).hasSize(1);
        assertThat(compressed.get(0)).matches("100 events in \\d+ bytes");
        long bytes = Long.parseLong(compressed.get(0).replaceAll("\\D+", " ").trim().split(" ")[1]);
        assertThat(bytes).as("LZ4-compressed batches of 100 ~45-byte events").isLessThan(100 * 45);
        assertThat(run(JavaClientExamples::memoryLimit)).isEmpty();
        assertThat(run(JavaClientExamples::producerStats)).singleElement().asString()
                .matches("10 sent, 10 acked, 0 failed, 0 pending, p99 \\d+\\.\\d ms");
    }

    @Test
    void partitionedTopicAndCustomRouter() throws Exception {
        int partition = MessageRouter.partitionForKey("customer-7", 4);
        assertThat(run(JavaClientExamples::partitionedTopic)).containsExactly("stored on partition " + partition,
                "paid from public/default/payments-partition-" + partition);
        assertThat(run(JavaClientExamples::customRouter)).containsExactly("stored on partition 0");
    }

    @Test
    void patternSubscription() throws Exception {
        assertThat(run(JavaClientExamples::pattern)).containsExactly("alice from public/default/audit-logins");
    }

    @Test
    void messageListener() throws Exception {
        assertThat(run(JavaClientExamples::listener)).containsExactly("mail to ann", "mail to bob", "mail to cid");
    }

    @Test
    void batchReceiveOfABacklog() throws Exception {
        try (Producer<String> p = client.newProducer(Schema.STRING).topic("public/default/clicks").create()) {
            for (int i = 0; i < 1200; i++) {
                p.sendAsync("click-" + i);
            }
            p.flush();
        }
        assertThat(run(JavaClientExamples::batchReceive)).containsExactly("500 clicks");
    }

    @Test
    void jsonSchema() throws Exception {
        assertThat(run(JavaClientExamples::jsonSchema)).containsExactly("shipping [kettle, tea] of o-17");
    }

    @Test
    void direct() throws Exception {
        assertThat(run(JavaClientExamples::direct)).containsExactly("stored");
        assertThat(values("public/default/direct")).containsExactly("one hop fewer");
    }

    @Test
    void admin() throws Exception {
        assertThat(run(JavaClientExamples::admin)).containsExactly("billing is 100 behind", "skipped 10 on partition 2");
    }

    @Test
    void errors() throws Exception {
        assertThat(run(JavaClientExamples::errors)).containsExactly("MESSAGE_TOO_LARGE: the producer stays usable");
    }
}
