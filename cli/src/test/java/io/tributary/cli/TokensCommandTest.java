package io.tributary.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code tributary tokens}: keys made, tokens minted and shown, bad input refused. */
class TokensCommandTest {
    private static final Pattern EXPIRES = Pattern.compile("expires: (\\S+)");

    @TempDir
    Path dir;

    private record Run(int exitCode, String out, String err) {}

    private static Run tributary(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = TributaryCli.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        return new Run(cli.execute(args), out.toString(), err.toString());
    }

    private static Instant expiresAt(String shown) {
        Matcher m = EXPIRES.matcher(shown);
        assertThat(m.find()).as(shown).isTrue();
        return Instant.parse(m.group(1));
    }

    @Test
    void aCreatedTokenShowsItsSubjectAndExpiry() {
        Path key = dir.resolve("secret.key");
        assertThat(tributary("tokens", "create-secret-key", "--output", key.toString()).exitCode()).isZero();

        Run created = tributary("tokens", "create", "--subject", "app-1", "--expiry", "30d", "--key", key.toString());
        assertThat(created.exitCode()).as(created.err()).isZero();
        String token = created.out().trim();
        assertThat(token.split("\\.")).hasSize(3);

        Run shown = tributary("tokens", "show", token);
        assertThat(shown.exitCode()).as(shown.err()).isZero();
        assertThat(shown.out()).contains("\"alg\" : \"HS256\"").contains("subject: app-1").contains("(in 29d 23h)");
        assertThat(expiresAt(shown.out())).isCloseTo(Instant.now().plus(Duration.ofDays(30)), within(1, ChronoUnit.MINUTES));
    }

    @Test
    void aTokenSignedWithAKeyPairIsWrittenToAFileOnlyItsOwnerReads() throws Exception {
        Path privateKey = dir.resolve("private.pem");
        Path publicKey = dir.resolve("public.pem");
        Run pair = tributary("tokens", "create-key-pair", "--algorithm", "ES256", "--private-key", privateKey.toString(),
                "--public-key", publicKey.toString());
        assertThat(pair.exitCode()).as(pair.err()).isZero();
        assertThat(Files.readString(publicKey)).startsWith("-----BEGIN PUBLIC KEY-----");

        Path tokenFile = dir.resolve("tokens/app.token");
        Run created = tributary("tokens", "create", "-s", "orders-service", "-e", "12h", "-k", privateKey.toString(),
                "--issuer", "https://issuer.example", "--audience", "tributary", "--output", tokenFile.toString());
        assertThat(created.exitCode()).as(created.err()).isZero();
        assertThat(created.out()).contains("orders-service").doesNotContain(Files.readString(tokenFile).trim());
        assertThat(Files.getPosixFilePermissions(tokenFile)).containsExactlyInAnyOrder(
                PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);

        Run shown = tributary("tokens", "show", "--token-file", tokenFile.toString());
        assertThat(shown.exitCode()).as(shown.err()).isZero();
        assertThat(shown.out()).contains("\"alg\" : \"ES256\"").contains("\"iss\" : \"https://issuer.example\"")
                .contains("tributary").contains("subject: orders-service");
        assertThat(expiresAt(shown.out())).isCloseTo(Instant.now().plus(Duration.ofHours(12)), within(1, ChronoUnit.MINUTES));
    }

    @Test
    void aTokenWithoutExpiryNeverExpires() {
        Path key = dir.resolve("secret.key");
        tributary("tokens", "create-secret-key", "-o", key.toString());
        String token = tributary("tokens", "create", "--subject", "admin", "--key", key.toString()).out().trim();
        assertThat(tributary("tokens", "show", token).out()).contains("subject: admin").contains("expires: never");
    }

    @Test
    void aKeyIsNeverOverwritten() throws Exception {
        Path key = dir.resolve("secret.key");
        assertThat(tributary("tokens", "create-secret-key", "-o", key.toString()).exitCode()).isZero();
        String first = Files.readString(key);
        Run again = tributary("tokens", "create-secret-key", "-o", key.toString());
        assertThat(again.exitCode()).isEqualTo(1);
        assertThat(again.err()).contains("already exists");
        assertThat(Files.readString(key)).isEqualTo(first);
    }

    @Test
    void badInputIsRefusedSayingWhy() {
        Path key = dir.resolve("secret.key");
        tributary("tokens", "create-secret-key", "-o", key.toString());

        Run badExpiry = tributary("tokens", "create", "-s", "a", "-e", "30 days", "-k", key.toString());
        assertThat(badExpiry.exitCode()).isNotZero();
        assertThat(badExpiry.err()).contains("not a duration");

        Run badAlgorithm = tributary("tokens", "create-key-pair", "-a", "HS512", "--private-key",
                dir.resolve("p").toString(), "--public-key", dir.resolve("q").toString());
        assertThat(badAlgorithm.exitCode()).isEqualTo(1);
        assertThat(badAlgorithm.err()).contains("RS256 or ES256");

        Run notAToken = tributary("tokens", "show", "not-a-token");
        assertThat(notAToken.exitCode()).isEqualTo(1);
        assertThat(notAToken.err()).contains("not a JWT");

        Run neither = tributary("tokens", "show");
        assertThat(neither.exitCode()).isNotZero();
        assertThat(neither.err()).contains("--token-file");
    }
}
