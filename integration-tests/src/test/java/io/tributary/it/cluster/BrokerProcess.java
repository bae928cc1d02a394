package io.tributary.it.cluster;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A broker in its own JVM ({@code tributary broker}), for tests that kill, stop or pause brokers.
 * Needs {@code cli/target/tributary.jar} and {@code cli/target/lib} ({@code mvn -pl cli package}).
 *
 * <pre>{@code
 * try (BrokerProcess b = new BrokerProcess(zkConnect, Map.of("broker.drainOnShutdown", "false")).start()) {
 *     ... b.address() ... b.kill9() ...
 * }
 * }</pre>
 *
 * Standard output and error go to {@link #logFile()} (under {@code target/cluster-logs}, named after the
 * port). Every wait has a deadline. {@link #close()} kills the process if it still runs; so does the
 * end of the test JVM, and the broker stops by itself if the test JVM dies.
 */
public final class BrokerProcess implements AutoCloseable {
    /** How long {@link #start()} waits for the broker to serve. */
    public static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    /** How long {@link #terminate()} waits for a clean exit. */
    public static final Duration STOP_TIMEOUT = Duration.ofSeconds(60);
    /** Short, so a killed broker's bundles free themselves quickly; ZooKeeper's tick of 2 s allows 4 s to 40 s. */
    public static final String DEFAULT_ZK_SESSION_TIMEOUT = "6s";
    /** Settings every harness broker gets unless {@code extraProps} says otherwise. */
    public static final Map<String, String> DEFAULT_PROPS = Map.of(
            "broker.zkSessionTimeout", DEFAULT_ZK_SESSION_TIMEOUT,
            // several brokers share this host: the default metrics port 8080 would clash
            "broker.metricsPort", "0",
            // and so would the internal listener's 6652
            "broker.internal.port", "0",
            // the scenarios audit everything ever stored with a subscription made afterwards: keep it all
            // (by default data no subscription needs is deleted, as in Pulsar)
            "broker.defaultRetentionTimeSeconds", "-1",
            // one copy, as the fixture starts one bookie unless asked for more (then pass the quorum settings)
            "broker.ensembleSize", "1", "broker.writeQuorum", "1", "broker.ackQuorum", "1",
            "broker.allowSingleCopy", "true");
    /** JVM options of a broker process. */
    public static final List<String> JVM_ARGS = List.of("-Xmx256m", "-XX:+UseSerialGC");

    private static final Pattern SERVING = Pattern.compile("^broker (\\S+) serving at (\\S+)$", Pattern.MULTILINE);
    private static final Duration SHORT_WAIT = Duration.ofSeconds(30);

    private final String zookeeperConnect;
    private final int port;
    private final Map<String, String> props;
    private final Path logFile;
    private Process process;
    private volatile String brokerId;
    private volatile String address;
    private boolean paused;

    /** A broker on a free port; {@code extraProps} are {@code broker.*} settings passed as {@code -D key=value}. */
    public BrokerProcess(String zookeeperConnect, Map<String, String> extraProps) {
        this(zookeeperConnect, ChildProcesses.freePort(), extraProps);
    }

    /** A broker on a given port (e.g. to restart one where it was). */
    public BrokerProcess(String zookeeperConnect, int port, Map<String, String> extraProps) {
        this.zookeeperConnect = zookeeperConnect;
        this.port = port;
        this.props = new LinkedHashMap<>(DEFAULT_PROPS);
        this.props.putAll(extraProps);
        this.logFile = ChildProcesses.newLogFile("broker-" + port);
    }

    /** Starts the JVM and waits (at most {@link #START_TIMEOUT}) until the broker serves. */
    public synchronized BrokerProcess start() throws IOException {
        if (process != null) {
            throw new IllegalStateException("already started: " + this);
        }
        List<String> args = new ArrayList<>(List.of("broker", "--zookeeper", zookeeperConnect, "--port", Integer.toString(port),
                "--parent-pid", Long.toString(ProcessHandle.current().pid())));
        props.forEach((k, v) -> {
            args.add("-D");
            args.add(k + "=" + v);
        });
        ProcessBuilder pb = new ProcessBuilder(ChildProcesses.tributaryCommand(JVM_ARGS, args))
                .redirectErrorStream(true);
        // the test decides the settings: an operator's TRIBUTARY_BROKER_* variables would override them
        pb.environment().keySet().removeIf(k -> k.startsWith("TRIBUTARY_BROKER_"));
        Files.writeString(logFile, "# " + String.join(" ", pb.command()) + "\n", StandardCharsets.UTF_8);
        pb.redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
        long t0 = System.nanoTime();
        process = pb.start();
        ChildProcesses.register(process);
        try {
            await("broker on port " + port + " to serve").atMost(START_TIMEOUT)
                    .pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(100))
                    .until(this::servingLineSeen);
        } catch (Exception e) { // the timeout, an early exit, or an unreadable log
            kill9();
            throw new IllegalStateException("broker on port " + port + " did not start within " + START_TIMEOUT
                    + " (" + e.getMessage() + "); log " + logFile + ":\n" + ChildProcesses.tail(logFile, 40), e);
        }
        System.out.printf("broker %s (pid %d) serving at %s after %d ms; log %s%n", brokerId, process.pid(), address,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0), logFile);
        return this;
    }

    private boolean servingLineSeen() throws IOException {
        Matcher m = SERVING.matcher(Files.readString(logFile, StandardCharsets.UTF_8));
        if (m.find()) {
            brokerId = m.group(1);
            address = m.group(2);
            return true;
        }
        if (!process.isAlive()) {
            throw new IllegalStateException("the broker exited with " + process.exitValue() + " before serving");
        }
        return false;
    }

    /** host:port the broker serves at, as it registered in ZooKeeper (what lookups answer). */
    public String address() {
        return requireStarted(address);
    }

    /** The address once started, else null. */
    String addressOrNull() {
        return address;
    }

    public String brokerId() {
        return requireStarted(brokerId);
    }

    public int port() {
        return port;
    }

    public long pid() {
        return requireStarted(process).pid();
    }

    /** stdout and stderr of the process. */
    public Path logFile() {
        return logFile;
    }

    public boolean isAlive() {
        return process != null && process.isAlive();
    }

    /** SIGKILL: the broker gets no chance to clean up (its ZooKeeper session expires after the session timeout). */
    public synchronized void kill9() {
        if (process == null) {
            return;
        }
        process.destroyForcibly();
        waitForExit(SHORT_WAIT, "SIGKILL");
        paused = false;
        ChildProcesses.forget(process);
    }

    /** SIGTERM and waits at most {@link #STOP_TIMEOUT} for the exit; returns the exit code (0 is a clean stop). */
    public int terminate() {
        return terminate(STOP_TIMEOUT);
    }

    /**
     * SIGTERM (after SIGCONT if paused) and waits at most {@code deadline} for the exit; returns the exit code.
     *
     * @throws IllegalStateException if the broker is still running at the deadline; it is then killed
     */
    public synchronized int terminate(Duration deadline) {
        Process p = requireStarted(process);
        if (paused) {
            resume();
        }
        p.destroy();
        int code = waitForExit(deadline, "SIGTERM");
        ChildProcesses.forget(p);
        return code;
    }

    /** SIGSTOP: the process freezes (no heartbeats, no replies) but keeps its sockets, like a long GC pause. */
    public synchronized void pause() {
        signal("-STOP");
        paused = true;
    }

    /** SIGCONT after {@link #pause()}. */
    public synchronized void resume() {
        signal("-CONT");
        paused = false;
    }

    public synchronized boolean isPaused() {
        return paused;
    }

    private void signal(String sig) {
        long pid = pid();
        if (!process.isAlive()) {
            throw new IllegalStateException("broker " + brokerId + " (pid " + pid + ") is not running");
        }
        try {
            Process kill = new ProcessBuilder("kill", sig, Long.toString(pid)).redirectErrorStream(true).start();
            if (!kill.waitFor(SHORT_WAIT.toSeconds(), TimeUnit.SECONDS)) {
                kill.destroyForcibly();
                throw new IllegalStateException("kill " + sig + " " + pid + " did not return within " + SHORT_WAIT);
            }
            if (kill.exitValue() != 0) {
                throw new IllegalStateException("kill " + sig + " " + pid + " failed: "
                        + new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while sending " + sig, e);
        }
    }

    private int waitForExit(Duration deadline, String what) {
        try {
            if (!process.waitFor(deadline.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                process.waitFor(SHORT_WAIT.toMillis(), TimeUnit.MILLISECONDS);
                throw new IllegalStateException("broker " + brokerId + " (pid " + process.pid() + ") still running "
                        + deadline + " after " + what + "; killed it. Log " + logFile + ":\n" + ChildProcesses.tail(logFile, 40));
            }
            return process.exitValue();
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for broker " + brokerId + " to exit", e);
        }
    }

    private <T> T requireStarted(T value) {
        if (value == null) {
            throw new IllegalStateException("broker on port " + port + " was not started");
        }
        return value;
    }

    /** Kills the process if it still runs (SIGKILL: fast, and tests must not depend on a clean stop here). */
    @Override
    public synchronized void close() {
        if (process != null && process.isAlive()) {
            kill9();
        }
        if (process != null) {
            ChildProcesses.forget(process);
        }
    }

    @Override
    public String toString() {
        return "BrokerProcess[" + (brokerId == null ? "port " + port : brokerId + " at " + address)
                + (process == null ? "" : ", pid " + process.pid() + (process.isAlive() ? "" : ", exited")) + "]";
    }
}
