package io.tributary.it.image;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The container image, built by {@code scripts/build-image.sh} (its Debian base cached under
 * {@code target/image/cache}) and laid out by {@code umoci unpack}, once per test JVM; and its entrypoint
 * started the way a runtime would, without a container engine: as the image's user, in its working directory,
 * with its environment only, in a {@code chroot} of a writable layer of its own over the unpacked root (an
 * overlay mount, as a runtime's root is) inside {@code unshare --mount --pid --fork} (its own {@code /proc}; {@code /dev},
 * {@code /etc/hosts} and {@code /etc/resolv.conf} bound from the host as a runtime provides them), with the
 * entrypoint's process as PID 1 of that namespace. A {@link Launch} may put it in a network namespace of its
 * own with its own host name, hosts file and volumes, as a pod is. Needs root, debootstrap and umoci
 * ({@code scripts/test.sh} installs them) and the Debian mirror once.
 */
public final class UnpackedImage {
    public static final String TAG = "0.1.0";
    private static final AtomicInteger CONTAINERS = new AtomicInteger();
    private static UnpackedImage unpacked;

    public final Path rootfs;
    /** The runtime configuration's {@code process}: user, working directory, environment, entrypoint. */
    public final JsonNode process;
    /** What the build measured: {@code image ...: N layers, X MB compressed, Y MB unpacked}. */
    public final String sizeLine;
    /** Each started container's writable layer and root, one directory per container. */
    private final Path containers;

    private UnpackedImage(Path rootfs, JsonNode process, String sizeLine, Path containers) {
        this.containers = containers;
        this.rootfs = rootfs;
        this.process = process;
        this.sizeLine = sizeLine;
    }

    /** The image, built and unpacked by the first caller in this JVM. */
    public static synchronized UnpackedImage get() throws IOException, InterruptedException {
        if (unpacked == null) {
            unpacked = buildAndUnpack();
        }
        return unpacked;
    }

    private static UnpackedImage buildAndUnpack() throws IOException, InterruptedException {
        assertThat(System.getProperty("user.name")).as("the image tests run as root (debootstrap, chroot, unshare), as CI does")
                .isEqualTo("root");
        Path repo = repoRoot();
        Path out = repo.resolve("target/image");
        Path log = Paths.get("target", "image-build.log").toAbsolutePath();
        long started = System.nanoTime();
        int code = new ProcessBuilder(repo.resolve("scripts/build-image.sh").toString(), "--out", out.toString(), "--tag", TAG)
                .directory(repo.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start().waitFor();
        assertThat(code).as("scripts/build-image.sh exit status (log: " + log + ")").isZero();
        System.out.printf("image built in %.1f s%n", (System.nanoTime() - started) / 1e9);
        String sizeLine = Files.readString(out.resolve("size.txt")).strip();
        System.out.println(sizeLine);

        Path bundle = Paths.get("target", "image-bundle").toAbsolutePath();
        run(List.of("rm", "-rf", "--one-file-system", bundle.toString()));
        run(List.of("umoci", "unpack", "--image", out.resolve("oci") + ":" + TAG, bundle.toString()));
        JsonNode process = new ObjectMapper().readTree(bundle.resolve("config.json").toFile()).get("process");
        Path containers = Paths.get("target", "image-containers").toAbsolutePath();
        run(List.of("rm", "-rf", "--one-file-system", containers.toString()));
        return new UnpackedImage(bundle.resolve("rootfs"), process, sizeLine, containers);
    }

    /** The image's environment ({@code KEY=value} entries of its configuration). */
    public Map<String, String> environment() {
        Map<String, String> environment = new TreeMap<>();
        process.get("env").forEach(e -> {
            String[] kv = e.asText().split("=", 2);
            environment.put(kv[0], kv[1]);
        });
        return environment;
    }

    /** The image's entrypoint and default arguments. */
    public List<String> entrypoint() {
        List<String> args = new ArrayList<>();
        process.get("args").forEach(a -> args.add(a.asText()));
        return args;
    }

    /** The entrypoint with {@code args}, as the image's user, on the host's network. */
    public Process start(Path log, Map<String, String> env, String... args) throws IOException {
        List<String> command = new ArrayList<>(entrypoint());
        command.addAll(List.of(args));
        return start(new Launch(log, env, command));
    }

    /** How to start one process from the image, as a container of a pod. */
    public static final class Launch {
        final Path log;
        final Map<String, String> env;
        final List<String> command;
        String user;
        String netns;
        String hostname;
        Path hostsFile = Path.of("/etc/hosts");
        final Map<String, Path> mounts = new LinkedHashMap<>();

        /** {@code command} (the entrypoint and its arguments) with the image's environment plus {@code env}. */
        public Launch(Path log, Map<String, String> env, List<String> command) {
            this.log = log;
            this.env = env;
            this.command = command;
        }

        /** {@code uid:gid} instead of the image's user. */
        public Launch user(long uid, long gid) {
            this.user = uid + ":" + gid;
            return this;
        }

        /** In network namespace {@code name} ({@code ip netns}) with host name {@code hostname}. */
        public Launch network(String name, String hostname) {
            this.netns = name;
            this.hostname = hostname;
            return this;
        }

        /** {@code file} as the container's {@code /etc/hosts}. */
        public Launch hosts(Path file) {
            this.hostsFile = file;
            return this;
        }

        /** The host's directory {@code source} mounted at {@code path} in the container. */
        public Launch mount(String path, Path source) {
            mounts.put(path, source);
            return this;
        }
    }

    /** The process {@code launch} describes; its only child, once started, is the container's PID 1. */
    public Process start(Launch launch) throws IOException {
        Files.createDirectories(launch.log.getParent());
        JsonNode user = process.get("user");
        Map<String, String> environment = environment();
        environment.putAll(launch.env);
        // the container's own writable layer over the image's root, as a runtime gives each container
        Path container = containers.resolve(Integer.toString(CONTAINERS.incrementAndGet()));
        for (String d : List.of("upper", "work", "root")) {
            Files.createDirectories(container.resolve(d));
        }
        StringBuilder script = new StringBuilder("image=$1; layer=$2; root=$3; user=$4; cwd=$5; hosts=$6; shift 6; ")
                .append("mount -t overlay overlay -o \"lowerdir=$image,upperdir=$layer/upper,workdir=$layer/work\" \"$root\" ")
                .append("&& mount -t proc proc \"$root/proc\" ")
                .append("&& mount --rbind /dev \"$root/dev\" && mount --bind \"$hosts\" \"$root/etc/hosts\" ")
                .append("&& mount --bind /etc/resolv.conf \"$root/etc/resolv.conf\" ");
        for (Map.Entry<String, Path> m : launch.mounts.entrySet()) {
            String target = quote(m.getKey());
            script.append("&& mkdir -p \"$root\"").append(target).append(" && mount --bind ").append(quote(m.getValue().toString()))
                    .append(" \"$root\"").append(target).append(' ');
        }
        if (launch.hostname != null) {
            script.append("&& hostname ").append(quote(launch.hostname)).append(' ');
        }
        script.append("&& exec chroot --userspec=\"$user\" \"$root\" /usr/bin/env -i -C \"$cwd\" \"$@\"");
        List<String> cmd = new ArrayList<>();
        if (launch.netns != null) {
            cmd.addAll(List.of("ip", "netns", "exec", launch.netns));
        }
        cmd.addAll(List.of("unshare", "--mount", "--pid", "--fork"));
        if (launch.hostname != null) {
            cmd.add("--uts");
        }
        cmd.addAll(List.of("sh", "-c", script.toString(), "sh", rootfs.toString(), container.toString(),
                container.resolve("root").toString(),
                launch.user != null ? launch.user : user.get("uid").asInt() + ":" + user.get("gid").asInt(),
                process.get("cwd").asText(), launch.hostsFile.toString()));
        environment.forEach((k, v) -> cmd.add(k + "=" + v));
        cmd.addAll(launch.command);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(launch.log.toFile());
        pb.environment().clear();
        pb.environment().put("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
        return pb.start();
    }

    private static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    /** Runs {@code cmd} on the host and fails with its output unless it exits 0. */
    public static void run(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(String.join(" ", cmd) + ": " + output).isZero();
    }

    /** The first directory upwards from the working directory that holds scripts/build-image.sh. */
    private static Path repoRoot() {
        for (Path d = Paths.get("").toAbsolutePath(); d != null; d = d.getParent()) {
            if (Files.isRegularFile(d.resolve("scripts/build-image.sh"))) {
                return d;
            }
        }
        throw new IllegalStateException("scripts/build-image.sh not found above " + new File("").getAbsolutePath());
    }
}
