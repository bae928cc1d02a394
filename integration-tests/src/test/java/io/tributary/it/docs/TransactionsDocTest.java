package io.tributary.it.docs;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.cli.Standalone;
import io.tributary.cli.TributaryCli;
import io.tributary.client.TributaryClient;
import io.tributary.it.AnyLanguageClientsTest;
import io.tributary.it.TestClusters;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code docs/transactions.md} cannot rot: the page shows exactly the code of {@link TransactionExamples}, the Java
 * order service runs against a real standalone (its messages reach a consumer once committed), and the page's
 * Node.js snippets run as one program (commit, rollback, a check-back answered) and print what the page says.
 */
class TransactionsDocTest {
    static final Path DOC = Path.of("..", "docs", "transactions.md");
    static final Path SOURCE = Path.of("src", "test", "java", "io", "tributary", "it", "docs", "TransactionExamples.java");

    @TempDir
    static Path dir;
    static Standalone standalone;
    static TributaryClient client;

    @BeforeAll
    static void start() throws Exception {
        standalone = TestClusters.start(dir.toFile());
        client = TributaryClient.builder().serviceUrl(standalone.serviceUrl()).build();
        assertThat(TributaryCli.commandLine().execute("admin", "tenants", "create", "shop", "-u", standalone.serviceUrl())).isZero();
        assertThat(TributaryCli.commandLine().execute("admin", "namespaces", "create", "shop/orders", "-u",
                standalone.serviceUrl())).isZero();
    }

    @AfterAll
    static void stop() throws Exception {
        client.close();
        standalone.close();
    }

    interface Example {
        void run() throws Exception;
    }

    /** What an example prints. */
    static List<String> printed(Example example) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream original = System.out;
        System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        try {
            example.run();
        } finally {
            System.setOut(original);
        }
        return bytes.toString(StandardCharsets.UTF_8).lines().toList();
    }

    @Test
    void thePageShowsExactlyTheCompiledExamples() throws Exception {
        Map<String, String> inDoc = DocExamples.ofMarkdown(DOC);
        Map<String, String> inSource = DocExamples.ofSource(SOURCE);
        assertThat(DocExamples.names(inDoc.keySet())).containsExactlyInAnyOrderElementsOf(inSource.keySet());
        inDoc.forEach((names, code) -> assertThat(code).as("example %s in %s", names, DOC)
                .isEqualTo(DocExamples.joined(names, inSource)));
    }

    @Test
    void theOrderServiceInJavaThenInNodeJs() throws Exception {
        TransactionExamples.orderService(client);
        assertThat(TransactionExamples.ORDERS).containsKey("o-1001");
        assertThat(printed(() -> TransactionExamples.billing(client))).containsExactly("billing got: order o-1001 created");

        AnyLanguageClientsTest.requireNode();
        Path project = Files.createDirectories(dir.resolve("project"));
        AnyLanguageClientsTest.copyProtoFilesFromTheProtocolJar(project.resolve("proto"));
        Files.createSymbolicLink(project.resolve("node_modules"), AnyLanguageClientsTest.NODE_CLIENT.resolve("node_modules"));
        Map<String, String> programs = AnyLanguageClientsTest.programsOf(DOC);
        assertThat(programs).containsOnlyKeys("node");
        Files.writeString(project.resolve("transactions.mjs"), programs.get("node"));
        AnyLanguageClientsTest.Run node = AnyLanguageClientsTest.run(project, "127.0.0.1:" + standalone.proxyPort(),
                Map.of(), "node", "transactions.mjs");
        assertThat(node.exit()).as("the page's Node.js snippets said:%n%s", node.output()).isZero();
        List<String> lines = node.output().lines().toList();
        assertThat(lines).as(node.output()).contains("o-2001: TRANSACTION_STATE_COMMITTED",
                "o-2002: TRANSACTION_STATE_ROLLED_BACK", "audit got \"order o-1001 created\"",
                "audit got \"order o-2001 created\"", "asked about order o-2003 (check 1)", "audit got \"order o-2003 created\"");
        assertThat(lines).as("a rolled-back order is never delivered").doesNotContain("audit got \"order o-2002 created\"");
    }
}
