package io.tributary.it.cluster;

import io.tributary.it.TestClusters;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * What the test JVM needs to run Tributary server processes: where the built {@code tributary}
 * command is, the JVM flags it needs, free ports, and a safety net that kills every child still
 * running when the test JVM exits (a crashed or interrupted test run leaves no orphan; the children
 * also get {@code --parent-pid} and stop by themselves if this JVM is killed with SIGKILL).
 */
final class ChildProcesses {
    private ChildProcesses() {}

    /** The flags bin/tributary gives the JVM: BookKeeper and Netty reach into these JDK internals. */
    static final List<String> JVM_OPENS = List.of(
            "--add-opens", "java.base/java.io=ALL-UNNAMED",
            "--add-opens", "java.base/java.nio=ALL-UNNAMED",
            "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
            "--add-opens", "java.base/java.lang=ALL-UNNAMED",
            "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED",
            "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED");

    private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            for (Process p : LIVE) {
                p.destroyForcibly();
            }
        }, "kill-cluster-processes"));
    }

    /** Kills {@code p} when this JVM exits, unless {@link #forget} is called first. */
    static void register(Process p) {
        LIVE.add(p);
    }

    static void forget(Process p) {
        LIVE.remove(p);
    }

    /** The repository root: the first directory upwards from the working directory holding cli/target/tributary.jar. */
    static Path repoRoot() {
        Path start = Paths.get("").toAbsolutePath();
        for (Path d = start; d != null; d = d.getParent()) {
            if (Files.isRegularFile(d.resolve("cli/target/tributary.jar"))) {
                return d;
            }
        }
        throw new IllegalStateException("cli/target/tributary.jar not found in " + start + " or any parent: build it first with"
                + " `mvn -o -q -pl cli -am package -DskipTests` (or `mvn package`) from the repository root");
    }

    private static volatile boolean staleChecked;

    /**
     * Warns (once) when a main source file is newer than the jar: the processes would run old code. Only a
     * warning, since other modules may be edited while tests run; rebuild with {@code mvn -pl cli -am package}.
     */
    private static void warnIfStale(Path root, Path jar) {
        if (staleChecked) {
            return;
        }
        staleChecked = true;
        try (Stream<Path> files = Files.walk(root)) {
            FileTime built = Files.getLastModifiedTime(jar);
            files.filter(f -> f.toString().contains(java.io.File.separator + "src" + java.io.File.separator + "main" + java.io.File.separator))
                    .filter(f -> !f.toString().contains(java.io.File.separator + "target" + java.io.File.separator))
                    .filter(Files::isRegularFile)
                    .filter(f -> {
                        try {
                            return Files.getLastModifiedTime(f).compareTo(built) > 0;
                        } catch (IOException e) {
                            return false;
                        }
                    })
                    .findFirst()
                    .ifPresent(f -> System.err.println("WARNING: " + jar + " is older than " + root.relativize(f)
                            + ": broker processes run the code of the last `mvn -pl cli -am package`"));
        } catch (IOException e) {
            // only a hint
        }
    }

    /** {@code java <opens> <jvmArgs> -cp tributary.jar:lib/* io.tributary.cli.TributaryCli <args>}. */
    static List<String> tributaryCommand(List<String> jvmArgs, List<String> args) {
        Path root = repoRoot();
        Path cli = root.resolve("cli/target");
        warnIfStale(root, cli.resolve("tributary.jar"));
        if (!Files.isDirectory(cli.resolve("lib"))) {
            throw new IllegalStateException(cli.resolve("lib") + " is missing: build it with `mvn -o -q -pl cli package -DskipTests`");
        }
        List<String> cmd = new ArrayList<>();
        cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(JVM_OPENS);
        cmd.addAll(jvmArgs);
        cmd.add("-cp");
        cmd.add(cli.resolve("tributary.jar") + java.io.File.pathSeparator + cli.resolve("lib") + java.io.File.separator + "*");
        cmd.add("io.tributary.cli.TributaryCli");
        cmd.addAll(args);
        return cmd;
    }

    /** Where process logs go: {@code target/cluster-logs} of the module the tests run in. */
    static Path logDir() {
        Path dir = Paths.get("target", "cluster-logs").toAbsolutePath();
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return dir;
    }

    /** A log file named {@code <prefix>.log}, or {@code <prefix>-2.log}, ... if that one exists (a restart on the same port). */
    static Path newLogFile(String prefix) {
        Path dir = logDir();
        Path f = dir.resolve(prefix + ".log");
        for (int i = 2; Files.exists(f); i++) {
            f = dir.resolve(prefix + "-" + i + ".log");
        }
        return f;
    }

    /** A free port below the ephemeral range ({@link TestClusters#freePort}). */
    static int freePort() {
        return TestClusters.freePort();
    }

    /** The last {@code maxLines} lines of a log, for failure messages. */
    static String tail(Path log, int maxLines) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - maxLines), lines.size()));
        } catch (IOException e) {
            return "(cannot read " + log + ": " + e + ")";
        }
    }
}
