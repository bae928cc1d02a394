package io.tributary.it;

import io.tributary.cli.TributaryCli;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.stream.Stream;

/**
 * One run of {@code bin/tributary} in this JVM: its exit code and what it printed.
 *
 * @param code the exit code
 * @param out its standard output
 * @param err its standard error
 */
public record CliRun(int code, String out, String err) {
    /** Runs the command line {@code args} as {@code bin/tributary ARGS} would. */
    public static synchronized CliRun of(String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
        try {
            int code = TributaryCli.commandLine().execute(args);
            return new CliRun(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    /** {@code bin/tributary admin ARGS -u serviceUrl}. */
    public static CliRun admin(String serviceUrl, String... args) {
        return of(Stream.of(Stream.of("admin"), Arrays.stream(args), Stream.of("-u", serviceUrl)).flatMap(s -> s)
                .toArray(String[]::new));
    }
}
