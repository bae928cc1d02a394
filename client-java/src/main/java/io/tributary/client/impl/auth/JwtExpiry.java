package io.tributary.client.impl.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.time.Instant;
import java.util.Base64;

/**
 * The expiry of a JWT, read from its payload without verifying it: the client only needs to know
 * when to ask for the next token, the broker verifies.
 */
final class JwtExpiry {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private JwtExpiry() {}

    /** The {@code exp} claim of {@code token}; null if it is not a JWT or has no expiry. */
    static Instant of(String token) {
        String[] parts = token.split("\\.", -1);
        if (parts.length != 3) {
            return null;
        }
        try {
            JsonNode exp = MAPPER.readTree(Base64.getUrlDecoder().decode(parts[1])).get("exp");
            return exp != null && exp.isNumber() ? Instant.ofEpochSecond(exp.asLong()) : null;
        } catch (IllegalArgumentException | IOException e) {
            // an opaque token: nothing to read, it is renewed only when refused or its file changes
            return null;
        }
    }
}
