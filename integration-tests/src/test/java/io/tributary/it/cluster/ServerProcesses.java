package io.tributary.it.cluster;

import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/** {@code tributary} server processes a test starts one by one and stops together, last first. */
final class ServerProcesses implements AutoCloseable {
    private final List<Process> servers = new ArrayList<>();

    /** Starts {@code tributary <args>} and returns its output once that has {@code ready}. */
    String start(String name, List<String> args, Pattern ready) throws Exception {
        Path log = ChildProcesses.newLogFile(name);
        List<String> all = new ArrayList<>(args);
        all.addAll(List.of("--parent-pid", Long.toString(ProcessHandle.current().pid())));
        ProcessBuilder pb = new ProcessBuilder(ChildProcesses.tributaryCommand(List.of("-Xmx256m", "-XX:+UseSerialGC"), all))
                .redirectErrorStream(true);
        pb.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        Process p = pb.start();
        ChildProcesses.register(p);
        servers.add(p);
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200)).until(() -> {
            if (!p.isAlive()) {
                throw new IllegalStateException(name + " exited with " + p.exitValue() + ":\n" + ChildProcesses.tail(log, 40));
            }
            return ready.matcher(Files.readString(log)).find();
        });
        return Files.readString(log);
    }

    @Override
    public void close() throws InterruptedException {
        for (int i = servers.size() - 1; i >= 0; i--) {
            Process p = servers.get(i);
            p.destroy();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
            ChildProcesses.forget(p);
        }
        servers.clear();
    }
}
