package io.tributary.client.impl.auth;

import io.tributary.client.Authentication;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A bearer token from a fixed value, a supplier or a file, cached between calls and renewed when
 * it nears its expiry, when its file changes, or after a server refused it. Thread-safe: the cache
 * is read without a lock on every call; renewals are serialised so a supplier is asked once, not
 * once per concurrent call. Never logs the token.
 */
public final class TokenAuthentication implements Authentication {
    private static final Logger LOG = LoggerFactory.getLogger(TokenAuthentication.class);
    /** How long before its expiry a token is renewed; longer than a call takes to reach the broker. */
    static final Duration RENEW_BEFORE_EXPIRY = Duration.ofSeconds(30);

    private final String description;
    private final Supplier<String> supplier;
    private final Path file;
    private final Clock clock;
    private final Object renewing = new Object();
    private volatile Current current;
    /** Whether the last renewal failed (so its warning is logged once, not on every call). */
    private boolean failing;

    /** What was last fetched; {@code fileStamp} tells whether the file changed since. */
    private record Current(String token, Instant expiresAt, FileStamp fileStamp, boolean refused) {}

    /** Enough of a file's attributes to notice that it was rewritten or replaced. */
    private record FileStamp(Object fileKey, Instant modified, long size) {}

    /** Exactly one of {@code supplier} and {@code file} is set. */
    public TokenAuthentication(String description, Supplier<String> supplier, Path file) {
        this(description, supplier, file, Clock.systemUTC());
    }

    TokenAuthentication(String description, Supplier<String> supplier, Path file, Clock clock) {
        if ((supplier == null) == (file == null)) {
            throw new IllegalArgumentException("a token comes from a supplier or a file");
        }
        this.description = description;
        this.supplier = supplier;
        this.file = file;
        this.clock = clock;
    }

    /**
     * The token to send now, renewed first if needed.
     *
     * @throws IllegalStateException if there is no usable token (the supplier failed or the file
     *         cannot be read, and the last token, if any, has expired)
     */
    public String token() {
        FileStamp stamp = file == null ? null : stamp(file);
        Current c = current;
        if (c != null && usable(c, stamp)) {
            return c.token;
        }
        synchronized (renewing) {
            c = current;
            if (c != null && usable(c, stamp)) {
                return c.token;
            }
            String token;
            try {
                token = fetch();
            } catch (IOException | RuntimeException e) {
                if (c != null && !expired(c)) {
                    if (!failing) {
                        failing = true;
                        LOG.warn("Could not renew the token from {} ({}); the last one is used until it expires{}",
                                description, why(e), c.expiresAt == null ? "" : " at " + c.expiresAt);
                    }
                    return c.token;
                }
                throw new IllegalStateException("no token from " + description + ": " + why(e), e);
            }
            if (failing) {
                failing = false;
                LOG.info("The token from {} is renewed", description);
            }
            Instant expiresAt = JwtExpiry.of(token);
            current = new Current(token, expiresAt, stamp, false);
            LOG.debug("Took a token from {}{}", description, expiresAt == null ? "" : ", expiring at " + expiresAt);
            return token;
        }
    }

    /** A server refused the current token: the next call fetches one again. */
    public void refused() {
        Current c = current;
        if (c != null && !c.refused) {
            current = new Current(c.token, c.expiresAt, c.fileStamp, true);
        }
    }

    private String fetch() throws IOException {
        String token = file != null ? Files.readString(file, StandardCharsets.UTF_8) : supplier.get();
        if (token == null || token.isBlank()) {
            throw new IOException(file != null ? "the file is empty" : "the supplier gave no token");
        }
        return token.trim();
    }

    private static String why(Exception e) {
        if (e instanceof java.nio.file.NoSuchFileException) {
            return "the file does not exist";
        }
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "permission denied";
        }
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }

    private boolean usable(Current c, FileStamp stamp) {
        if (c.refused || (file != null && !Objects.equals(stamp, c.fileStamp))) {
            return false;
        }
        return c.expiresAt == null || clock.instant().isBefore(c.expiresAt.minus(RENEW_BEFORE_EXPIRY));
    }

    private boolean expired(Current c) {
        return c.expiresAt != null && !clock.instant().isBefore(c.expiresAt);
    }

    /** The file's stamp; null when it cannot be read (then it is read again on each call). */
    private static FileStamp stamp(Path file) {
        try {
            // follows links, so a Kubernetes secret's swapped ..data link counts as a change
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
            return new FileStamp(a.fileKey(), a.lastModifiedTime().toInstant(), a.size());
        } catch (IOException e) {
            return null;
        }
    }

    @Override
    public String toString() {
        return "Authentication{" + description + "}";
    }
}
