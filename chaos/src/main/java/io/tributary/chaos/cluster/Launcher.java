package io.tributary.chaos.cluster;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * How to start a {@code tributary} server JVM: the java binary, small-machine JVM flags, the JDK internals
 * BookKeeper and Netty need opened, and a class path holding {@code io.tributary.cli.TributaryCli}.
 * Every process started is killed when this JVM exits.
 */
public final class Launcher {
    /** The CLI's main class, on every class path a launcher uses. */
    public static final String MAIN_CLASS = "io.tributary.cli.TributaryCli";
    /** Small heaps and a quick start: a cluster of twelve JVMs shares a two-core machine. */
    public static final List<String> DEFAULT_JVM_FLAGS = List.of("-Xmx256m", "-Xss512k", "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1", "-XX:CICompilerCount=1", "-Xshare:auto");
    private static final List<String> JVM_OPENS = List.of(
            "--add-opens", "java.base/java.io=ALL-UNNAMED",
            "--add-opens", "java.base/java.nio=ALL-UNNAMED",
            "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
            "--add-opens", "java.base/java.lang=ALL-UNNAMED",
            "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED",
            "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED");
    private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> LIVE.forEach(Process::destroyForcibly), "kill-chaos-processes"));
    }

    private final String classPath;
    private final List<String> jvmFlags;

    public Launcher(String classPath, List<String> jvmFlags) {
        this.classPath = classPath;
        this.jvmFlags = List.copyOf(jvmFlags);
    }

    /** The class path of this JVM (the {@code tributary chaos} command runs from the full distribution). */
    public static Launcher fromOwnClassPath() {
        return new Launcher(System.getProperty("java.class.path"), DEFAULT_JVM_FLAGS);
    }

    /** {@code cli/target/tributary.jar} (its manifest lists {@code lib/}) in {@code start} or a parent directory. */
    public static Launcher fromBuiltJar(Path start) {
        for (Path d = start.toAbsolutePath(); d != null; d = d.getParent()) {
            Path jar = d.resolve("cli/target/tributary.jar");
            if (Files.isRegularFile(jar)) {
                return new Launcher(jar.toString(), DEFAULT_JVM_FLAGS);
            }
        }
        throw new IllegalStateException("cli/target/tributary.jar not found in " + start.toAbsolutePath()
                + " or a parent: build it with `mvn -o -q -B -pl cli -am package -DskipTests`");
    }

    /** java, its flags, the class path and the main class: append the subcommand's arguments. */
    List<String> command() {
        List<String> c = new ArrayList<>();
        c.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        c.addAll(jvmFlags);
        c.addAll(JVM_OPENS);
        c.add("-cp");
        c.add(classPath);
        c.add(MAIN_CLASS);
        return c;
    }

    public String classPath() {
        return classPath;
    }

    static void register(Process p) {
        LIVE.add(p);
    }

    static void forget(Process p) {
        LIVE.remove(p);
    }

    @Override
    public String toString() {
        return "Launcher[" + classPath.split(File.pathSeparator, 2)[0] + (classPath.contains(File.pathSeparator) ? ",..." : "") + "]";
    }
}
