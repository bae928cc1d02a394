package io.tributary.it.observability;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Prometheus's own checker, the real program ({@code scripts/test.sh} installs Debian's
 * {@code prometheus} package, which brings it). A test that needs it fails, never skips, without it.
 */
final class Promtool {
    /** What promtool said and its exit code. */
    record Result(int code, String output) {
        boolean passed() {
            return code == 0;
        }
    }

    private Promtool() {}

    static Path path() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, "promtool");
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        throw new IllegalStateException("promtool is not on the PATH: run the suite with scripts/test.sh, which installs "
                + "Debian's prometheus package");
    }

    /** {@code promtool check metrics} on an exposition (its lint: names, units, suffixes, help). */
    static Result checkMetrics(String exposition) throws IOException, InterruptedException {
        return run(exposition, "check", "metrics");
    }

    static Result run(String stdin, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(path().toString());
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        try (OutputStream in = p.getOutputStream()) {
            if (stdin != null) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("promtool " + String.join(" ", args) + " did not finish within 60 s");
        }
        return new Result(p.exitValue(), out);
    }
}
