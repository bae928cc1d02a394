package io.tributary.protocol.contract;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The public API's contract checks: {@code buf lint} with the rules of protocol/buf.yaml and {@code buf breaking}
 * against the last released tributary.v1 (the newest image in protocol/api-baseline). Runs the buf binary of the
 * {@code @bufbuild/buf} npm package that scripts/test.sh installs (npm ci in protocol/), and proves both checks can
 * fail on a copy of the protos with a breaking change and a lint violation.
 */
class BufContractTest {

    /** The protocol module's directory: Maven runs the tests there. */
    private static final Path MODULE = Path.of("").toAbsolutePath();
    private static final Path BUF = MODULE.resolve("node_modules/.bin/buf");

    @BeforeAll
    static void bufIsInstalled() {
        assertThat(MODULE.resolve("buf.yaml")).as("the tests run in the protocol module's directory").exists();
        assertThat(Files.isExecutable(BUF))
                .as("%s is missing: run scripts/test.sh (it installs Node.js and runs npm ci in protocol/), "
                        + "or `npm ci` in protocol/", MODULE.relativize(BUF))
                .isTrue();
    }

    @Test
    void thePublicApiPassesLint() {
        Result lint = buf(MODULE, "lint", "--error-format=json");
        assertThat(lint.exitCode).as(lint.output).isZero();
    }

    @Test
    void thePublicApiIsCompatibleWithTheLastRelease() {
        Result breaking = buf(MODULE, "breaking", "src/main/proto", "--error-format=json", "--against", baseline().toString());
        assertThat(breaking.exitCode).as(breaking.output).isZero();
    }

    @Test
    void theBaselineHoldsOnlyThePublicFiles() {
        Result files = buf(MODULE, "ls-files", baseline().toString());
        assertThat(files.exitCode).as(files.output).isZero();
        assertThat(files.output.lines()).containsExactlyInAnyOrder(
                "tributary/v1/admin.proto", "tributary/v1/common.proto", "tributary/v1/entry.proto",
                "tributary/v1/lookup.proto", "tributary/v1/messaging.proto");
    }

    @Test
    void aRenumberedFieldAndADeletedRpcAreBreaking(@TempDir Path copy) throws IOException {
        copyModule(copy);
        edit(copy.resolve("src/main/proto/tributary/v1/messaging.proto"), text -> text
                .replace("  int32 message_count = 2;", "  int32 message_count = 7;")
                .replace("  rpc GetLastMessageId(GetLastMessageIdRequest) returns (GetLastMessageIdResponse);\n", ""));

        Result breaking = buf(copy, "breaking", "src/main/proto", "--error-format=json", "--against", baseline().toString());

        assertThat(breaking.exitCode).as(breaking.output).isNotZero();
        assertThat(breaking.output)
                .contains("\"type\":\"FIELD_NO_DELETE\"")
                .contains("\\\"message_count\\\" on message \\\"PublishBatch\\\"")
                .contains("\"type\":\"RPC_NO_DELETE\"")
                .contains("RPC \\\"GetLastMessageId\\\" on service \\\"MessagingService\\\" was deleted");
    }

    @Test
    void anAddedFieldIsCompatibleAndTheInternalProtosAreNotChecked(@TempDir Path copy) throws IOException {
        copyModule(copy);
        edit(copy.resolve("src/main/proto/tributary/v1/messaging.proto"), text -> text
                .replace("  bytes entry = 3;\n", "  bytes entry = 3;\n  string added_later = 15;\n"));
        Path internal;
        try (Stream<Path> files = Files.list(copy.resolve("src/main/proto/tributary/internal/v1"))) {
            internal = files.filter(f -> f.toString().endsWith(".proto")).findFirst().orElseThrow();
        }
        // a lint violation in the broker-internal protos, which buf.yaml excludes
        edit(internal, text -> text + "\nmessage internal_note {}\n");

        Result breaking = buf(copy, "breaking", "src/main/proto", "--error-format=json", "--against", baseline().toString());
        assertThat(breaking.exitCode).as(breaking.output).isZero();
        Result lint = buf(copy, "lint", "--error-format=json");
        assertThat(lint.exitCode).as(lint.output).isZero();
    }

    @Test
    void aLintViolationFailsLint(@TempDir Path copy) throws IOException {
        copyModule(copy);
        edit(copy.resolve("src/main/proto/tributary/v1/messaging.proto"),
                text -> text + "\nmessage publish_note {\n  string noteText = 1;\n}\n");

        Result lint = buf(copy, "lint", "--error-format=json");

        assertThat(lint.exitCode).as(lint.output).isNotZero();
        assertThat(lint.output)
                .contains("\"type\":\"MESSAGE_PASCAL_CASE\"").contains("\\\"publish_note\\\"")
                .contains("\"type\":\"FIELD_LOWER_SNAKE_CASE\"").contains("\\\"noteText\\\"");
    }

    /** The newest image in api-baseline/, by version: a release adds tributary-v1-X.Y.Z.binpb there. */
    private static Path baseline() {
        try (Stream<Path> files = Files.list(MODULE.resolve("api-baseline"))) {
            return files.filter(f -> f.getFileName().toString().matches("tributary-v1-\\d+\\.\\d+\\.\\d+\\.binpb"))
                    .max(Comparator.comparing(BufContractTest::version, BufContractTest::compareVersions))
                    .orElseThrow(() -> new AssertionError("no tributary-v1-X.Y.Z.binpb in api-baseline/"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int[] version(Path image) {
        String name = image.getFileName().toString();
        String[] parts = name.substring("tributary-v1-".length(), name.length() - ".binpb".length()).split("\\.");
        return new int[] {Integer.parseInt(parts[0]), Integer.parseInt(parts[1]), Integer.parseInt(parts[2])};
    }

    private static int compareVersions(int[] a, int[] b) {
        for (int i = 0; i < a.length; i++) {
            if (a[i] != b[i]) {
                return Integer.compare(a[i], b[i]);
            }
        }
        return 0;
    }

    /**
     * buf.yaml, src/main/proto (public and internal protos) and target/googleapis (the google/api protos the build
     * unpacks for admin.proto's HTTP rules) into {@code target}, the same layout.
     */
    private static void copyModule(Path target) throws IOException {
        Files.copy(MODULE.resolve("buf.yaml"), target.resolve("buf.yaml"));
        for (String root : List.of("src/main/proto", "target/googleapis")) {
            Path protos = MODULE.resolve(root);
            List<Path> files;
            try (Stream<Path> walk = Files.walk(protos)) {
                files = walk.filter(Files::isRegularFile).toList();
            }
            for (Path file : files) {
                Path to = target.resolve(root).resolve(protos.relativize(file).toString());
                Files.createDirectories(to.getParent());
                Files.copy(file, to);
            }
        }
    }

    private static void edit(Path file, UnaryOperator<String> change) throws IOException {
        String before = Files.readString(file);
        String after = change.apply(before);
        assertThat(after).as("the edit of %s changed nothing", file.getFileName()).isNotEqualTo(before);
        Files.writeString(file, after);
    }

    private static Result buf(Path dir, String... args) {
        List<String> command = new ArrayList<>();
        command.add(BUF.toString());
        command.addAll(List.of(args));
        try {
            Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
            process.getOutputStream().close();
            byte[] output = process.getInputStream().readAllBytes();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("buf " + String.join(" ", args) + " did not finish in 60 s");
            }
            return new Result(process.exitValue(), new String(output, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private record Result(int exitCode, String output) {
    }
}
