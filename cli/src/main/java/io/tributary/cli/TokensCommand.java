package io.tributary.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.tributary.security.auth.Tokens;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code tributary tokens ...}: makes the keys brokers verify tokens with, mints tokens, and shows
 * what a token says. Keys and tokens come from the security module's {@link Tokens}.
 */
@Command(name = "tokens", mixinStandardHelpOptions = true,
        description = "Makes signing keys and tokens, and shows what a token says.",
        subcommands = {TokensCommand.CreateSecretKey.class, TokensCommand.CreateKeyPair.class,
                TokensCommand.Create.class, TokensCommand.Show.class})
final class TokensCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "create-secret-key", mixinStandardHelpOptions = true,
            description = "Writes a new random secret key for HS256 tokens (base64), readable by its owner only. "
                    + "Brokers verify with broker.authentication.secretKeyFile.")
    static final class CreateSecretKey implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = {"-o", "--output"}, required = true, paramLabel = "FILE", description = "Where to write the key (never overwritten).")
        Path output;

        @Override
        public Integer call() {
            Tokens.createSecretKey(output);
            spec.commandLine().getOut().println("wrote a secret key to " + output);
            return 0;
        }
    }

    @Command(name = "create-key-pair", mixinStandardHelpOptions = true,
            description = "Writes a new key pair as PEM: the private key signs tokens (keep it secret), "
                    + "brokers verify with the public key (broker.authentication.publicKeyFile).")
    static final class CreateKeyPair implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = {"-a", "--algorithm"}, defaultValue = "RS256", paramLabel = "ALG",
                description = "RS256 (RSA 2048) or ES256 (EC P-256) (default: ${DEFAULT-VALUE}).")
        String algorithm;

        @Option(names = "--private-key", required = true, paramLabel = "FILE", description = "Where to write the private key (PKCS#8 PEM, owner-only).")
        Path privateKey;

        @Option(names = "--public-key", required = true, paramLabel = "FILE", description = "Where to write the public key (PEM).")
        Path publicKey;

        @Override
        public Integer call() {
            Tokens.createKeyPair(algorithm, privateKey, publicKey);
            spec.commandLine().getOut().println("wrote a " + algorithm.toUpperCase(Locale.ROOT) + " key pair: private key "
                    + privateKey + ", public key " + publicKey);
            return 0;
        }
    }

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = "Mints a token for a role, signed with a secret key (HS256) or a private key (RS256, ES256), "
                    + "and prints it (or writes it with --output).")
    static final class Create implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = {"-s", "--subject"}, required = true, paramLabel = "ROLE", description = "The role the token grants (its sub claim).")
        String subject;

        @Option(names = {"-e", "--expiry"}, paramLabel = "DURATION", converter = DurationConverter.class,
                description = "How long the token is valid: 90s, 15m, 12h, 30d, 2w or ISO-8601 (PT1H); default: no expiry.")
        Duration expiry;

        @Option(names = {"-k", "--key"}, required = true, paramLabel = "FILE",
                description = "The signing key: a secret key or a private key (PEM), told apart by its contents.")
        Path key;

        @Option(names = "--issuer", paramLabel = "ISSUER", description = "The iss claim (checked when brokers set broker.authentication.issuer).")
        String issuer;

        @Option(names = "--audience", paramLabel = "AUDIENCE", description = "The aud claim (checked when brokers set broker.authentication.audience).")
        String audience;

        @Option(names = {"-o", "--output"}, paramLabel = "FILE",
                description = "Write the token to FILE (owner-only, replaced whole) instead of printing it; "
                        + "clients read it with --auth-token-file.")
        Path output;

        @Override
        public Integer call() {
            String token = Tokens.create(subject, expiry, key, issuer, audience);
            if (output == null) {
                spec.commandLine().getOut().println(token);
            } else {
                writeOwnerOnly(output, token + "\n");
                spec.commandLine().getOut().println("wrote a token for " + subject + " to " + output
                        + (expiry == null ? ", without expiry" : ", valid for " + expiry));
            }
            return 0;
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true,
            description = "Prints a token's header and claims (without verifying its signature), its subject and when it expires.")
    static final class Show implements Callable<Integer> {
        private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

        @Spec
        CommandSpec spec;

        @Parameters(index = "0", arity = "0..1", paramLabel = "TOKEN", description = "The token (prefer --token-file: a command line is visible to others).")
        String token;

        @Option(names = {"-f", "--token-file"}, paramLabel = "FILE", description = "Read the token from FILE.")
        Path tokenFile;

        @Override
        public Integer call() throws IOException {
            if ((token == null) == (tokenFile == null)) {
                throw new CommandLine.ParameterException(spec.commandLine(), "give a TOKEN or --token-file, one of the two");
            }
            String text = token != null ? token : Files.readString(tokenFile, StandardCharsets.UTF_8);
            JsonNode shown = JSON.readTree(Tokens.show(text.trim()));
            var out = spec.commandLine().getOut();
            out.println(JSON.writeValueAsString(shown));
            JsonNode claims = shown.path("claims");
            out.println("subject: " + (claims.hasNonNull("sub") ? claims.get("sub").asText() : "(none)"));
            out.println("expires: " + expiry(claims.path("exp"), Instant.now()));
            return 0;
        }

        static String expiry(JsonNode exp, Instant now) {
            if (!exp.isNumber()) {
                return "never";
            }
            Instant at = Instant.ofEpochSecond(exp.asLong());
            Duration left = Duration.between(now, at);
            return at + (left.isNegative() ? " (expired " + human(left.negated()) + " ago)" : " (in " + human(left) + ")");
        }

        private static String human(Duration d) {
            long days = d.toDays();
            long hours = d.toHoursPart();
            long minutes = d.toMinutesPart();
            if (days > 0) {
                return days + "d " + hours + "h";
            }
            if (hours > 0) {
                return hours + "h " + minutes + "m";
            }
            return minutes > 0 ? minutes + "m " + d.toSecondsPart() + "s" : d.toSecondsPart() + "s";
        }
    }

    /** 90s, 15m, 12h, 30d, 2w, or an ISO-8601 duration. */
    static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
        private static final Pattern SHORT = Pattern.compile("(\\d+)\\s*([smhdw])");

        @Override
        public Duration convert(String value) {
            String v = value.trim().toLowerCase(Locale.ROOT);
            Matcher m = SHORT.matcher(v);
            if (m.matches()) {
                long n = Long.parseLong(m.group(1));
                return switch (m.group(2)) {
                    case "s" -> Duration.ofSeconds(n);
                    case "m" -> Duration.ofMinutes(n);
                    case "h" -> Duration.ofHours(n);
                    case "d" -> Duration.ofDays(n);
                    default -> Duration.ofDays(7 * n);
                };
            }
            try {
                return Duration.parse(value.trim().toUpperCase(Locale.ROOT));
            } catch (DateTimeParseException e) {
                throw new CommandLine.TypeConversionException("'" + value
                        + "' is not a duration: use a number and a unit (90s, 15m, 12h, 30d, 2w) or ISO-8601 (PT1H)");
            }
        }
    }

    /**
     * Writes {@code text} to {@code file} readable by its owner only, through a file beside it moved
     * into place, so a client reading the file (--auth-token-file) never sees half a token.
     */
    static void writeOwnerOnly(Path file, String text) {
        Path target = file.toAbsolutePath();
        try {
            Files.createDirectories(target.getParent());
            Path tmp = target.resolveSibling("." + target.getFileName() + ".tmp");
            Files.deleteIfExists(tmp);
            if (target.getFileSystem().supportedFileAttributeViews().contains("posix")) {
                Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            } else {
                Files.createFile(tmp);
            }
            Files.writeString(tmp, text, StandardCharsets.US_ASCII);
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }
}
