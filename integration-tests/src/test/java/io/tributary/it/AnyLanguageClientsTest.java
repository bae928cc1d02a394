package io.tributary.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.Descriptors.FileDescriptor;
import io.tributary.api.v1.AdminProto;
import io.tributary.api.v1.CommonProto;
import io.tributary.api.v1.EntryProto;
import io.tributary.api.v1.LookupProto;
import io.tributary.api.v1.MessagingProto;
import io.tributary.api.v1.TransactionProto;
import io.tributary.cli.Standalone;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * "gRPC clients in any language", proved with real programs against a standalone Tributary (plaintext proxy):
 * {@code clients/node/proof.js} (Node.js, {@code @grpc/grpc-js} and {@code @grpc/proto-loader} from
 * {@code clients/node/package-lock.json}) and {@code clients/python/proof.py} (Debian's {@code python3-grpcio} and
 * {@code python3-protobuf}, message classes from a descriptor set) must exit 0, and so must the snippets of
 * {@code docs/protocol.md}, section "Clients in any language", which are extracted from the page and run (so the
 * page cannot drift from what works). The programs get the {@code .proto} files from the protocol jar (this test's
 * class path), as an outside user would. About 20 s.
 *
 * <p>{@code scripts/test.sh} installs what this needs: Debian's {@code nodejs}, {@code npm}, {@code python3-grpcio}
 * and {@code python3-protobuf}, and {@code npm ci} in {@code clients/node} and {@code protocol} (buf, for the
 * descriptor set the page's shell snippet makes). A missing one fails the test with the step to take.
 */
public class AnyLanguageClientsTest {
    static final Path REPOSITORY = Path.of("..").toAbsolutePath().normalize();
    public static final Path NODE_CLIENT = REPOSITORY.resolve("clients/node");
    static final Path PYTHON_CLIENT = REPOSITORY.resolve("clients/python");
    static final Path DOC = REPOSITORY.resolve("docs/protocol.md");
    static final Path BUF_BIN = REPOSITORY.resolve("protocol/node_modules/.bin");
    /**
     * Debian's interpreter, which Debian's python3-grpcio and python3-protobuf are installed for; a python3 earlier
     * on the PATH (pyenv, a virtualenv) would not see them.
     */
    static final String PYTHON = "/usr/bin/python3";
    static final List<FileDescriptor> PUBLIC_FILES = List.of(CommonProto.getDescriptor(), AdminProto.getDescriptor(),
            EntryProto.getDescriptor(), LookupProto.getDescriptor(), MessagingProto.getDescriptor(),
            TransactionProto.getDescriptor());
    /**
     * What admin.proto imports for its REST routes (google.api.http), from googleapis: a client compiles them along
     * (they are in the proto-google-common-protos jar next to ours, and in googleapis itself). Dependencies first.
     */
    static final List<FileDescriptor> IMPORTED_FILES = List.of(com.google.protobuf.DescriptorProtos.getDescriptor(),
            com.google.api.HttpProto.getDescriptor(), com.google.api.AnnotationsProto.getDescriptor());
    static final Pattern RUN_MARK = Pattern.compile("^<!--\\s*run:\\s*(node|python|sh)\\s*-->$");
    static final Pattern FENCE = Pattern.compile("^```(\\w*)$");
    static final Duration PROGRAM_DEADLINE = Duration.ofSeconds(45);

    @TempDir
    static Path dir;
    static Standalone standalone;
    /** A client's working directory: proto/ (the public .proto files, from the protocol jar) and node_modules/. */
    static Path project;

    @BeforeAll
    static void start() throws Exception {
        project = Files.createDirectories(dir.resolve("project"));
        copyProtoFilesFromTheProtocolJar(project.resolve("proto"));
        Files.createSymbolicLink(project.resolve("node_modules"), NODE_CLIENT.resolve("node_modules"));
        standalone = new Standalone(TestClusters.options(dir.resolve("cluster").toFile(), c -> c)).start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (standalone != null) {
            standalone.close();
        }
    }

    @Test
    void theNodeJsClientPublishesAndConsumesPlainMessages() throws Exception {
        requireNode();
        Run run = run(REPOSITORY, Map.of(), "node", NODE_CLIENT.resolve("proof.js").toString(), address());
        assertThat(run.exit()).as("clients/node/proof.js said:%n%s", run.output()).isZero();
        assertThat(run.output()).contains("OK: every check passed");
    }

    @Test
    void thePythonClientPublishesAndConsumesPlainMessages() throws Exception {
        requirePython();
        // the descriptor set from the Java classes' own descriptors: the same files, compiled by protoc
        FileDescriptorSet.Builder set = FileDescriptorSet.newBuilder();
        IMPORTED_FILES.forEach(f -> set.addFile(f.toProto()));
        PUBLIC_FILES.forEach(f -> set.addFile(f.toProto()));
        Path descriptors = dir.resolve("tributary-v1-from-java.binpb");
        Files.write(descriptors, set.build().toByteArray());
        Run run = run(REPOSITORY, Map.of(), PYTHON, PYTHON_CLIENT.resolve("proof.py").toString(), descriptors.toString(),
                address());
        assertThat(run.exit()).as("clients/python/proof.py said:%n%s", run.output()).isZero();
        assertThat(run.output()).contains("OK: every check passed");
    }

    @Test
    void theSnippetsOfTheProtocolPageRun() throws Exception {
        requireNode();
        requirePython();
        requireBuf();
        Map<String, String> programs = programsOfThePage();
        assertThat(programs).containsOnlyKeys("sh", "node", "python");
        Map<String, String> env = Map.of("PATH", BUF_BIN + ":" + System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));

        Files.writeString(project.resolve("snippets.sh"), programs.get("sh"));
        Run sh = run(project, env, "bash", "-euo", "pipefail", "snippets.sh");
        assertThat(sh.exit()).as("the page's shell snippets said:%n%s", sh.output()).isZero();

        Files.writeString(project.resolve("snippets.mjs"), programs.get("node"));
        Run node = run(project, env, "node", "snippets.mjs");
        assertThat(node.exit()).as("the page's Node.js snippets said:%n%s", node.output()).isZero();
        assertThat(node.output().lines()).as(node.output()).contains(
                "billing got \"order 1\" key=customer-7 properties={\"source\":\"web\"}",
                "billing got \"order 2\" key=customer-9 properties={}", "audit got \"order 1\"", "audit got \"order 2\"");

        Files.writeString(project.resolve("snippets.py"), programs.get("python"));
        Run python = run(project, env, PYTHON, "snippets.py");
        assertThat(python.exit()).as("the page's Python snippets said:%n%s", python.output()).isZero();
        assertThat(python.output().lines()).as(python.output()).contains(
                "dashboard got 21.5 key=sensor-1 properties={'unit': 'celsius'}", "dashboard got 22.0 key=sensor-2 properties={}");
    }

    // ---- The page ----

    /**
     * The page's programs by language: the fenced blocks right after a run mark, in order, joined. Fails on a mark
     * without a block after it, and on a Node.js or Python block without a mark (every such snippet must run).
     */
    static Map<String, String> programsOfThePage() throws IOException {
        return programsOf(DOC);
    }

    /** The programs by language of a page ({@link #programsOfThePage()} of any page of docs/). */
    public static Map<String, String> programsOf(Path doc) throws IOException {
        List<String> lines = Files.readAllLines(doc);
        Map<String, List<String>> blocks = new LinkedHashMap<>();
        String language = null;
        List<String> body = null;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            Matcher fence = FENCE.matcher(line.trim());
            if (body == null && fence.matches()) {
                String tag = fence.group(1);
                Matcher mark = i > 0 ? RUN_MARK.matcher(lines.get(i - 1).trim()) : null;
                language = mark != null && mark.matches() ? mark.group(1) : null;
                if (language == null && List.of("js", "javascript", "mjs", "node", "python", "py").contains(tag)) {
                    fail(doc + ":" + (i + 1) + ": a " + tag + " snippet without a <!-- run: node|python --> mark right before"
                            + " it: every Node.js and Python snippet of the page is run by this test");
                }
                body = new ArrayList<>();
            } else if (body != null && line.trim().equals("```")) {
                if (language != null) {
                    blocks.computeIfAbsent(language, l -> new ArrayList<>()).add(String.join("\n", body));
                }
                body = null;
            } else if (body != null) {
                body.add(line);
            } else if (RUN_MARK.matcher(line.trim()).matches()
                    && (i + 1 >= lines.size() || !FENCE.matcher(lines.get(i + 1).trim()).matches())) {
                fail(doc + ":" + (i + 1) + ": a run mark not followed by a fenced block");
            }
        }
        Map<String, String> programs = new LinkedHashMap<>();
        blocks.forEach((l, b) -> programs.put(l, String.join("\n\n", b) + "\n"));
        return programs;
    }

    // ---- The client's project ----

    /** The public .proto files as the protocol jar carries them (the Java classes' descriptors name them). */
    public static void copyProtoFilesFromTheProtocolJar(Path protoDir) throws IOException {
        // google/protobuf/descriptor.proto comes with every protobuf toolchain; google/api/*.proto from googleapis
        for (FileDescriptor file : java.util.stream.Stream.concat(IMPORTED_FILES.stream().skip(1), PUBLIC_FILES.stream()).toList()) {
            try (InputStream in = MessagingProto.class.getClassLoader().getResourceAsStream(file.getName())) {
                assertThat(in).as("%s in the tributary-protocol jar (protobuf-maven-plugin adds the .proto files to its "
                        + "resources) or, for google/api, in proto-google-common-protos", file.getName()).isNotNull();
                Path target = protoDir.resolve(file.getName());
                Files.createDirectories(target.getParent());
                Files.copy(in, target);
            }
        }
    }

    static String address() {
        return "127.0.0.1:" + standalone.proxyPort();
    }

    // ---- Programs ----

    public record Run(int exit, String output) {}

    /** Runs a program with TRIBUTARY_ADDRESS set, its output (stdout and stderr) collected, within the deadline. */
    static Run run(Path workDir, Map<String, String> env, String... command) throws Exception {
        return run(workDir, address(), env, command);
    }

    /** {@link #run(Path, Map, String...)} with TRIBUTARY_ADDRESS set to {@code address}. */
    public static Run run(Path workDir, String address, Map<String, String> env, String... command) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true);
        Map<String, String> environment = new HashMap<>(env);
        environment.put("TRIBUTARY_ADDRESS", address);
        environment.put("PYTHONDONTWRITEBYTECODE", "1");
        builder.environment().putAll(environment);
        Process process = builder.start();
        CompletableFuture<String> output = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            try {
                output.complete(new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                output.completeExceptionally(e);
            }
        }, "output of " + command[0]);
        reader.setDaemon(true);
        reader.start();
        if (!process.waitFor(PROGRAM_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            fail(String.join(" ", command) + " did not finish within " + PROGRAM_DEADLINE.toSeconds() + " s; it said:\n"
                    + output.get(10, TimeUnit.SECONDS));
        }
        Run run = new Run(process.exitValue(), output.get(10, TimeUnit.SECONDS));
        System.out.printf("%s (exit %d):%n%s%n", String.join(" ", command), run.exit(), run.output());
        return run;
    }

    /** Whether a command runs and exits 0 (false when the program is absent). */
    static boolean works(String... command) throws InterruptedException {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException absent) {
            return false;
        }
    }

    public static void requireNode() throws InterruptedException {
        if (!works("node", "--version")) {
            fail("Node.js (node) is not installed: run the suite with scripts/test.sh, which installs Debian's nodejs and npm");
        }
        if (!Files.isDirectory(NODE_CLIENT.resolve("node_modules/@grpc/grpc-js"))
                || !Files.isDirectory(NODE_CLIENT.resolve("node_modules/@grpc/proto-loader"))) {
            fail("clients/node/node_modules lacks @grpc/grpc-js or @grpc/proto-loader: run `npm ci` in clients/node "
                    + "(scripts/test.sh does)");
        }
    }

    static void requirePython() throws InterruptedException {
        if (!works(PYTHON, "-c", "import grpc, google.protobuf")) {
            fail(PYTHON + " cannot import grpc and google.protobuf: install Debian's python3-grpcio and python3-protobuf "
                    + "(scripts/test.sh does)");
        }
    }

    static void requireBuf() {
        if (!Files.isExecutable(BUF_BIN.resolve("buf"))) {
            fail("protocol/node_modules/.bin/buf is missing: run `npm ci` in protocol (scripts/test.sh does)");
        }
    }
}
