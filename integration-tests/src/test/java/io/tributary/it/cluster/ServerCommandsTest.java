package io.tributary.it.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.cli.TributaryCli;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The server commands' help and configuration errors (nothing here starts a server). */
class ServerCommandsTest {
    private record Run(int code, String out, String err) {}

    private static Run run(String... args) {
        PrintStream savedOut = System.out;
        PrintStream savedErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            int code = TributaryCli.commandLine().execute(args);
            return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(savedOut);
            System.setErr(savedErr);
        }
    }

    @Test
    void everyServerCommandHasHelp() {
        for (String cmd : new String[] {"broker", "proxy", "bookie", "zookeeper"}) {
            Run r = run(cmd, "--help");
            assertThat(r.code()).as(cmd).isZero();
            assertThat(r.out()).contains("Usage: tributary " + cmd).doesNotContain("--parent-pid");
        }
    }

    @Test
    void aBadBrokerSettingNamesItsKey() {
        Run r = run("broker", "--zookeeper", "127.0.0.1:1", "-D", "broker.zkSessionTimeout=soon");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).startsWith("error: ").contains("broker.zkSessionTimeout");
    }

    @Test
    void namedOptionsOverrideDefinesWhichOverrideTheFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("broker.properties");
        Files.writeString(file, "broker.port=not-a-port\nbroker.maxMessageSize=-1\n");
        // the file's bad port is overridden by -D, its bad size is not: the error names the size
        Run r = run("broker", "--config", file.toString(), "-D", "broker.port=7000");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("broker.maxMessageSize").doesNotContain("broker.port");
        // -D's bad port is overridden by --port (and one bad value is left so that no broker starts)
        r = run("broker", "--config", file.toString(), "-D", "broker.port=x", "--port", "7000",
                "-D", "broker.maxMessageSize=1000", "-D", "broker.defaultBundles=0");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("broker.defaultBundles").doesNotContain("broker.port");
    }

    @Test
    void aMissingConfigFileIsNamed() {
        Run r = run("broker", "--config", "/no/such/broker.properties");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("--config").contains("/no/such/broker.properties");
    }

    @Test
    void aProxyWithoutBrokersIsRefused() {
        Run r = run("proxy", "--port", "0");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("proxy.brokerServiceUrl");
    }

    @Test
    void aBookieNeedsItsDataDirAndZooKeeper() {
        Run r = run("bookie", "--zookeeper", "127.0.0.1:2181");
        assertThat(r.code()).isNotZero();
        assertThat(r.err()).contains("--data-dir");
    }
}
