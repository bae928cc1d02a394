package io.tributary.it.docs;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.cli.Standalone;
import io.tributary.it.TestClusters;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The examples of {@code docs/java-client.md} cannot rot: the document must show exactly the code
 * of {@link JavaClientExamples}, and each example runs here against a real standalone Tributary
 * (ZooKeeper, BookKeeper, a broker and the proxy) and prints what the document promises.
 */
class JavaClientDocTest {
    static final Path DOC = Path.of("..", "docs", "java-client.md");
    static final Path SOURCE = Path.of("src", "test", "java", "io", "tributary", "it", "docs", "JavaClientExamples.java");

    @TempDir
    static Path dir;
    static Standalone standalone;

    @BeforeAll
    static void start() throws Exception {
        standalone = TestClusters.start(dir.toFile());
    }

    @AfterAll
    static void stop() throws Exception {
        standalone.close();
    }

    interface Example {
        void run(String serviceUrl) throws Exception;
    }

    /** Runs an example and returns the lines it printed. */
    static List<String> run(Example example) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream original = System.out;
        synchronized (JavaClientDocTest.class) {
            System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
            try {
                example.run(standalone.serviceUrl());
            } finally {
                System.setOut(original);
            }
        }
        List<String> lines = bytes.toString(StandardCharsets.UTF_8).lines().toList();
        original.println(lines);
        return lines;
    }

    @Test
    void theDocumentShowsExactlyTheCompiledExamples() throws Exception {
        Map<String, String> inDoc = DocExamples.ofMarkdown(DOC);
        Map<String, String> inSource = DocExamples.ofSource(SOURCE);
        assertThat(inDoc.keySet()).as("examples in %s", DOC).containsExactlyInAnyOrderElementsOf(inSource.keySet());
        inSource.forEach((name, code) -> assertThat(inDoc.get(name)).as("example %s in %s", name, DOC).isEqualTo(code));
    }

    @Test
    void quickStartAndReader() throws Exception {
        assertThat(run(JavaClientExamples::quickStart)).containsExactly("hello {}", "paid {currency=EUR}");
        assertThat(run(JavaClientExamples::reader)).containsExactly("first: hello");
    }

    @Test
    void errors() throws Exception {
        assertThat(run(JavaClientExamples::errors)).containsExactly("MESSAGE_TOO_LARGE: the producer stays usable");
    }
}
