package io.tributary.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.cli.Standalone;
import io.tributary.cli.TributaryCli;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's produce and consume commands against a running standalone. */
class CliTest {
    @TempDir
    static Path dir;
    static Standalone standalone;

    @BeforeAll
    static void start() throws Exception {
        standalone = TestClusters.start(dir.toFile());
    }

    @AfterAll
    static void stop() {
        standalone.close();
    }

    private record Run(int code, String out) {}

    private static Run run(String... args) {
        PrintStream saved = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            int code = TributaryCli.commandLine().execute(args);
            return new Run(code, buf.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(saved);
        }
    }

    @Test
    void produceThenConsumeTenMessages() {
        String url = standalone.serviceUrl();
        Run produced = run("produce", "public/default/orders", "-m", "hello", "-n", "10", "-u", url);
        assertThat(produced.code()).isZero();
        assertThat(produced.out().lines().toList()).hasSize(10);

        Run consumed = run("consume", "public/default/orders", "-s", "audit", "-n", "10", "-w", "30", "-u", url);
        assertThat(consumed.code()).isZero();
        assertThat(consumed.out().lines().toList()).isEqualTo(List.of("hello", "hello", "hello", "hello", "hello",
                "hello", "hello", "hello", "hello", "hello"));

        // acknowledged: the same subscription has nothing more
        Run again = run("consume", "public/default/orders", "-s", "audit", "-n", "1", "-w", "1", "-u", url);
        assertThat(again.code()).isEqualTo(2);
        assertThat(again.out()).isEmpty();
    }

    @Test
    void everyCommandHasHelp() {
        for (String cmd : new String[] {"standalone", "produce", "consume"}) {
            Run r = run(cmd, "--help");
            assertThat(r.code()).isZero();
            assertThat(r.out()).contains("Usage: tributary " + cmd);
        }
    }
}
