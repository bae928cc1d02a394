package io.tributary.chaos.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * One Tributary server ({@code tributary zookeeper|bookie|broker|proxy ...}) in its own JVM, restartable with
 * the same arguments (same ports, same data directory). Output goes to a log file per start. The child gets
 * {@code --parent-pid}, so it stops by itself when the harness dies.
 */
public final class ServerProcess implements AutoCloseable {
    private static final Duration SIGNAL_WAIT = Duration.ofSeconds(30);

    private final String name;
    private final Launcher launcher;
    private final List<String> args;
    private final Pattern readyLine;
    private final Path logDir;
    private Process process;
    private Path logFile;
    private int starts;
    private boolean paused;

    /**
     * @param readyLine a line of the child's output that says it serves
     */
    public ServerProcess(String name, Launcher launcher, List<String> args, Pattern readyLine, Path logDir) {
        this.name = name;
        this.launcher = launcher;
        this.args = List.copyOf(args);
        this.readyLine = readyLine;
        this.logDir = logDir;
    }

    public String name() {
        return name;
    }

    /** Starts the JVM without waiting; {@link #awaitReady(Duration)} waits for the ready line. */
    public synchronized ServerProcess launch() throws IOException {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException(name + " already runs");
        }
        List<String> command = new ArrayList<>(launcher.command());
        command.addAll(args);
        command.add("--parent-pid");
        command.add(Long.toString(ProcessHandle.current().pid()));
        starts++;
        logFile = logDir.resolve(name + (starts == 1 ? "" : "-" + starts) + ".log");
        Files.writeString(logFile, "# " + String.join(" ", command) + "\n", StandardCharsets.UTF_8);
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
        // the harness decides the settings: an operator's environment would override them
        pb.environment().keySet().removeIf(k -> k.startsWith("TRIBUTARY_BROKER_") || k.startsWith("TRIBUTARY_PROXY_"));
        process = pb.start();
        paused = false;
        Launcher.register(process);
        return this;
    }

    /** Waits until the ready line appears; fails with the log's tail if the process exits or the deadline passes. */
    public void awaitReady(Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Process p;
        Path log;
        synchronized (this) {
            p = process;
            log = logFile;
        }
        while (true) {
            if (readyLine.matcher(Files.readString(log, StandardCharsets.UTF_8)).find()) {
                return;
            }
            if (!p.isAlive()) {
                throw new IllegalStateException(name + " exited with " + p.exitValue() + " before serving; log " + log + ":\n" + tail(log, 30));
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(name + " did not serve within " + timeout + "; log " + log + ":\n" + tail(log, 30));
            }
            Thread.sleep(100); // polling a log file: there is no event to wait on
        }
    }

    /** {@link #launch()} then {@link #awaitReady(Duration)}. */
    public ServerProcess start(Duration timeout) throws IOException, InterruptedException {
        launch();
        awaitReady(timeout);
        return this;
    }

    public synchronized boolean isAlive() {
        return process != null && process.isAlive();
    }

    public synchronized boolean isPaused() {
        return paused;
    }

    public synchronized long pid() {
        if (process == null) {
            throw new IllegalStateException(name + " was never started");
        }
        return process.pid();
    }

    public synchronized Path logFile() {
        return logFile;
    }

    /** SIGKILL, and waits for the exit: the process gets no chance to clean up. */
    public synchronized void kill9() throws InterruptedException {
        if (process == null || !process.isAlive()) {
            return;
        }
        process.destroyForcibly();
        if (!process.waitFor(SIGNAL_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException(name + " (pid " + process.pid() + ") survived SIGKILL for " + SIGNAL_WAIT);
        }
        paused = false;
        Launcher.forget(process);
    }

    /** SIGSTOP: frozen with its sockets open, like a very long GC pause. */
    public synchronized void pause() {
        signal("-STOP");
        paused = true;
    }

    /** SIGCONT after {@link #pause()}. */
    public synchronized void resume() {
        if (paused && isAlive()) {
            signal("-CONT");
        }
        paused = false;
    }

    private void signal(String sig) {
        long pid = pid();
        try {
            Process kill = new ProcessBuilder("kill", sig, Long.toString(pid)).redirectErrorStream(true).start();
            if (!kill.waitFor(SIGNAL_WAIT.toSeconds(), TimeUnit.SECONDS)) {
                kill.destroyForcibly();
                throw new IllegalStateException("kill " + sig + " " + pid + " did not return within " + SIGNAL_WAIT);
            }
            if (kill.exitValue() != 0) {
                throw new IllegalStateException("kill " + sig + " " + pid + " failed: "
                        + new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while sending " + sig + " to " + name, e);
        }
    }

    static String tail(Path log, int maxLines) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - maxLines), lines.size()));
        } catch (IOException | UncheckedIOException e) {
            return "(cannot read " + log + ": " + e + ")";
        }
    }

    /** SIGCONT if paused, then SIGKILL: a run's end needs no clean stop. */
    @Override
    public synchronized void close() throws InterruptedException {
        if (paused) {
            resume();
        }
        kill9();
    }

    @Override
    public synchronized String toString() {
        return name + (process == null ? "" : " (pid " + process.pid() + (process.isAlive() ? paused ? ", paused" : "" : ", exited") + ")");
    }
}
