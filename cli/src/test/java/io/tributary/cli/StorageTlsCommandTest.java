package io.tributary.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The zookeeper and bookie commands read their TLS keys from -D (and --config) and refuse bad ones by name. */
class StorageTlsCommandTest {
    @TempDir
    Path dir;

    /** Runs the CLI in this JVM; returns the exit code and what it printed on stderr. */
    private static Object[] run(String... args) {
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            int code = TributaryCli.commandLine().execute(args);
            return new Object[] {code, captured.toString(StandardCharsets.UTF_8)};
        } finally {
            System.setErr(err);
        }
    }

    @Test
    void aZooKeeperWithTlsEnabledButNoKeyFileRefusesToStartNamingTheKey() {
        Object[] r = run("zookeeper", "--data-dir", dir.resolve("zk").toString(), "--port", "0",
                "-D", "zookeeper.tls.enabled=true", "-D", "zookeeper.tls.certFile=" + dir.resolve("zk.crt"));
        assertThat(r[0]).isEqualTo(1);
        assertThat((String) r[1]).contains("zookeeper.tls.keyFile");
    }

    @Test
    void aBookieRefusesOptionalClientCertificatesWhichBookKeeperDoesNotHave() {
        Object[] r = run("bookie", "--zookeeper", "127.0.0.1:1", "--data-dir", dir.resolve("bookie").toString(),
                "-D", "bookie.tls.enabled=true", "-D", "bookie.tls.certFile=/tls/b.crt", "-D", "bookie.tls.keyFile=/tls/b.key",
                "-D", "bookie.tls.trustCertsFile=/tls/ca.crt", "-D", "bookie.tls.clientAuth=optional");
        assertThat(r[0]).isEqualTo(1);
        assertThat((String) r[1]).contains("bookie.tls.clientAuth=optional");
    }

    @Test
    void aBookieZooKeeperCertificateWithoutTrustIsRefusedNamingTheKey() {
        Object[] r = run("bookie", "--zookeeper", "127.0.0.1:1", "--data-dir", dir.resolve("bookie").toString(),
                "-D", "bookie.zookeeper.tls.certFile=/tls/b.crt", "-D", "bookie.zookeeper.tls.keyFile=/tls/b.key");
        assertThat(r[0]).isEqualTo(1);
        assertThat((String) r[1]).contains("bookie.zookeeper.tls.trustCertsFile");
    }
}
