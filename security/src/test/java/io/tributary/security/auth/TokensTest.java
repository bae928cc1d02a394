package io.tributary.security.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code tributary tokens ...}: the keys and tokens it mints, checked by the verifier a listener uses. */
class TokensTest {
    @TempDir
    Path dir;

    @Test
    void aSecretKeyIsReadableByItsOwnerOnly() throws Exception {
        Path key = dir.resolve("secret.key");
        Tokens.createSecretKey(key);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key))).isEqualTo("rw-------");
        assertThat(KeyFiles.readSecret(key)).hasSize(32);
    }

    @Test
    void aPrivateKeyIsReadableByItsOwnerOnlyAndBothHalvesArePem() throws Exception {
        Tokens.createKeyPair("ES256", dir.resolve("ec.key"), dir.resolve("ec.pub"));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("ec.key")))).isEqualTo("rw-------");
        assertThat(Files.readString(dir.resolve("ec.key"))).startsWith("-----BEGIN PRIVATE KEY-----\n");
        assertThat(Files.readString(dir.resolve("ec.pub"))).startsWith("-----BEGIN PUBLIC KEY-----\n");
    }

    @Test
    void aKeyFileIsNeverOverwritten() throws Exception {
        Path key = dir.resolve("secret.key");
        Tokens.createSecretKey(key);
        String before = Files.readString(key);
        assertThatThrownBy(() -> Tokens.createSecretKey(key)).hasMessageContaining("already exists");
        assertThat(Files.readString(key)).isEqualTo(before);
    }

    @Test
    void anUnknownAlgorithmIsRefused() {
        assertThatThrownBy(() -> Tokens.createKeyPair("HS512", dir.resolve("a"), dir.resolve("b")))
                .hasMessageContaining("RS256 or ES256");
    }

    @Test
    void tokensOfEachKindVerifyWithTheMatchingSettings() throws Exception {
        Path secret = dir.resolve("secret.key");
        Tokens.createSecretKey(secret);
        Tokens.createKeyPair("RS256", dir.resolve("rsa.key"), dir.resolve("rsa.pub"));
        Tokens.createKeyPair("ES256", dir.resolve("ec.key"), dir.resolve("ec.pub"));
        record Case(Path signWith, AuthenticationSettings verifyWith) {}
        for (Case c : new Case[] {
                new Case(secret, AuthenticationSettings.withSecretKey(secret)),
                new Case(dir.resolve("rsa.key"), AuthenticationSettings.withPublicKey(dir.resolve("rsa.pub"))),
                new Case(dir.resolve("ec.key"), AuthenticationSettings.withPublicKey(dir.resolve("ec.pub")))}) {
            String token = Tokens.create("orders-service", Duration.ofDays(30), c.signWith(), null, null);
            TokenVerifier.Verified v = TokenVerifier.create(c.verifyWith()).verify(token);
            assertThat(v.role()).isEqualTo("orders-service");
            assertThat(v.expiresAt()).isBetween(Instant.now().plus(Duration.ofDays(29)), Instant.now().plus(Duration.ofDays(31)));
        }
    }

    @Test
    void aTokenForAnRsaKeyDoesNotVerifyWithAnotherRsaKey() {
        Tokens.createKeyPair("RS256", dir.resolve("a.key"), dir.resolve("a.pub"));
        Tokens.createKeyPair("RS256", dir.resolve("b.key"), dir.resolve("b.pub"));
        String token = Tokens.create("x", null, dir.resolve("a.key"), null, null);
        assertThatThrownBy(() -> TokenVerifier.create(AuthenticationSettings.withPublicKey(dir.resolve("b.pub"))).verify(token))
                .hasMessageContaining("bad signature");
    }

    @Test
    void showDecodesTheHeaderAndClaimsWithoutVerifying() {
        Path secret = dir.resolve("secret.key");
        Tokens.createSecretKey(secret);
        String shown = Tokens.show(Tokens.create("alice", Duration.ofHours(1), secret, "https://issuer", "tributary"));
        assertThat(shown).contains("\"alg\":\"HS256\"").contains("\"sub\":\"alice\"").contains("\"iss\":\"https://issuer\"")
                .contains("\"aud\":\"tributary\"").contains("\"exp\":").contains("\"iat\":");
        assertThatThrownBy(() -> Tokens.show("garbage")).hasMessageContaining("not a JWT");
    }

    @Test
    void aTokenWithoutExpiryHasNoExpClaim() {
        Path secret = dir.resolve("secret.key");
        Tokens.createSecretKey(secret);
        assertThat(Tokens.show(Tokens.create("alice", null, secret, null, null))).doesNotContain("\"exp\"");
    }
}
