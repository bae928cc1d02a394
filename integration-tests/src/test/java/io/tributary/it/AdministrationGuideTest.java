package io.tributary.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.tributary.cli.SecureSetup;
import io.tributary.cli.Standalone;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * docs/administration.md is true: its shell blocks marked {@code <!-- run: sh -->} run, in order and as one
 * script, against {@code standalone --secure} (in this JVM) from a directory laid out as the guide assumes
 * ({@code bin/tributary}, {@code data/security/...}); every command must succeed. The guide's ports (6650 for the
 * proxy, 6680 for REST) are replaced by the ones this standalone took. A marked block is only a shell block; the
 * guide's other blocks are examples that are not run. scripts/test.sh installs curl and jq, which the blocks use.
 */
class AdministrationGuideTest {
    static final Path GUIDE = Paths.get("..", "docs", "administration.md");
    static final Pattern RUN_MARK = Pattern.compile("^<!--\\s*run:\\s*sh\\s*-->$");
    /** Every command of the guide together; each CLI command is a JVM of its own. */
    static final long DEADLINE_SECONDS = 300;

    @TempDir
    static Path dir;

    static Standalone standalone;

    @BeforeAll
    static void start() throws Exception {
        SecureSetup setup = SecureSetup.prepare(dir.resolve("data"));
        Standalone.Options options = TestClusters.options(dir.resolve("data").toFile(), c -> c).withHttpPort(0);
        standalone = new Standalone(options.withSecurity(setup)).start();
        // bin/tributary of this checkout, already built by the Maven run (the cli module's jar)
        Path bin = Files.createDirectories(dir.resolve("bin")).resolve("tributary");
        Files.writeString(bin, "#!/usr/bin/env bash\nTRIBUTARY_SKIP_BUILD=1 exec "
                + Paths.get("..", "bin", "tributary").toAbsolutePath().normalize() + " \"$@\"\n");
        Files.setPosixFilePermissions(bin, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @AfterAll
    static void stop() {
        if (standalone != null) {
            standalone.close();
        }
    }

    @Test
    void everyMarkedShellBlockOfTheGuideRuns() throws Exception {
        List<String> blocks = markedBlocks(Files.readAllLines(GUIDE, StandardCharsets.UTF_8));
        assertThat(blocks).as("the guide's <!-- run: sh --> blocks").hasSizeGreaterThanOrEqualTo(5);
        String script = String.join("\n", blocks)
                .replace("localhost:6650", "localhost:" + standalone.proxyPort())
                .replace("localhost:6680", "localhost:" + URI.create(standalone.proxyRestUrl()).getPort());
        Files.writeString(dir.resolve("guide.sh"), script);
        Path output = dir.resolve("guide.out");
        Process p = new ProcessBuilder("bash", "-euxo", "pipefail", "guide.sh").directory(dir.toFile())
                .redirectErrorStream(true).redirectOutput(output.toFile()).start();
        if (!p.waitFor(DEADLINE_SECONDS, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("the guide's commands did not finish within " + DEADLINE_SECONDS + " s; they said:\n" + read(output));
        }
        assertThat(p.exitValue()).as("the guide's commands (bash -x) said:%n%s", read(output)).isZero();
    }

    /** The shell blocks right after a run mark; a mark without a shell block after it fails the test. */
    static List<String> markedBlocks(List<String> lines) {
        List<String> blocks = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            if (!RUN_MARK.matcher(lines.get(i).strip()).matches()) {
                continue;
            }
            if (i + 1 >= lines.size() || !lines.get(i + 1).strip().matches("```(bash|sh)")) {
                fail(GUIDE + ":" + (i + 1) + ": a run mark without a ```bash block right after it");
            }
            StringBuilder block = new StringBuilder();
            int j = i + 2;
            for (; j < lines.size() && !lines.get(j).strip().equals("```"); j++) {
                block.append(lines.get(j)).append('\n');
            }
            blocks.add(block.toString());
            i = j;
        }
        return blocks;
    }

    private static String read(Path output) {
        try {
            return Files.readString(output);
        } catch (IOException e) {
            return "(no output: " + e + ")";
        }
    }
}
