package io.tributary.protocol.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A token file renewed on disk is sent from the next call on. */
class TokenFileTest {
    @TempDir
    Path dir;

    @Test
    void aRenewedTokenIsReadAtTheNextCall() throws Exception {
        Path file = Files.writeString(dir.resolve("token"), "first-token\n");
        TokenFile token = new TokenFile(file);
        assertThat(token.get()).isEqualTo("first-token");
        Files.writeString(file, "second-token-longer");
        assertThat(token.get()).isEqualTo("second-token-longer");
        // same size, only the modification time tells the new one apart
        FileTime before = Files.getLastModifiedTime(file);
        Files.writeString(file, "third--token-longer");
        Files.setLastModifiedTime(file, FileTime.fromMillis(before.toMillis() + 2000));
        assertThat(token.get()).isEqualTo("third--token-longer");
        assertThat(token.toString()).doesNotContain("third");
    }

    @Test
    void aMissingOrEmptyTokenFileIsRefusedNamingTheFile() throws Exception {
        Path missing = dir.resolve("missing.token");
        assertThatThrownBy(() -> new TokenFile(missing)).hasMessageContaining(missing.toString());
        Path empty = Files.writeString(dir.resolve("empty.token"), " \n");
        assertThatThrownBy(() -> new TokenFile(empty)).hasMessageContaining(empty.toString()).hasMessageContaining("empty");
    }
}
