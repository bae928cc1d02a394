package io.tributary.broker.auth;

import io.tributary.protocol.config.Settings;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * Whether the broker checks what each authenticated role may do, and which roles may do everything.
 *
 * @param enabled {@code broker.authorization.enabled} (default false): every call of the client port
 *                is checked against superusers, tenant admins and grants; needs authentication on
 * @param superUserRoles {@code broker.superUserRoles} (comma list): roles allowed every operation,
 *                       cluster operations (tenants, brokers, bundles) included
 */
public record AuthorizationConfig(boolean enabled, Set<String> superUserRoles) {
    /** Authorization off: every authenticated (or, without authentication, every) caller may do everything. */
    public static final AuthorizationConfig DISABLED = new AuthorizationConfig(false, Set.of());

    public AuthorizationConfig {
        superUserRoles = superUserRoles == null ? Set.of() : Set.copyOf(superUserRoles);
    }

    /** Authorization on with these superusers. */
    public static AuthorizationConfig enabled(Set<String> superUserRoles) {
        return new AuthorizationConfig(true, superUserRoles);
    }

    /** Reads {@code broker.authorization.enabled} and {@code broker.superUserRoles}. */
    public static AuthorizationConfig from(Settings s) {
        Set<String> roles = new LinkedHashSet<>();
        Arrays.stream(s.get("broker.superUserRoles", "").split(",")).map(String::trim).filter(r -> !r.isEmpty())
                .forEach(roles::add);
        return new AuthorizationConfig(s.getBoolean("broker.authorization.enabled", false), roles);
    }
}
