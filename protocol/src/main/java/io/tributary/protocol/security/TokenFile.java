package io.tributary.protocol.security;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;

/**
 * A token kept in a file, read again whenever the file changes (its modification time or size), so
 * a token renewed on disk (a Kubernetes secret, a cron job) is sent from the next call on without a
 * restart. Surrounding whitespace is ignored. For {@link BearerCredentials}.
 */
public final class TokenFile implements java.util.function.Supplier<String> {
    private final Path file;
    private FileTime readModified;
    private long readSize = -1;
    private String token;

    public TokenFile(Path file) {
        this.file = file;
        get(); // a missing or empty file fails at start-up, naming the file
    }

    /** The token as the file holds it now. */
    @Override
    public synchronized String get() {
        try {
            FileTime modified = Files.getLastModifiedTime(file);
            long size = Files.size(file);
            if (token == null || !modified.equals(readModified) || size != readSize) {
                String t = Files.readString(file, StandardCharsets.UTF_8).strip();
                if (t.isEmpty()) {
                    throw new IllegalStateException("the token file " + file + " is empty");
                }
                token = t;
                readModified = modified;
                readSize = size;
            }
            return token;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the token file " + file + ": " + e, e);
        }
    }

    @Override
    public String toString() {
        return "TokenFile[" + file + "]"; // never the token
    }
}
