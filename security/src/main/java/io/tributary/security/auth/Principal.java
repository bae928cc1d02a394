package io.tributary.security.auth;

/**
 * Who a call acts for, once authenticated.
 *
 * @param role the role whose permissions apply: the client's own, or the one a proxy forwarded
 * @param caller the role the connection itself authenticated as: the proxy's for a forwarded
 *               call, else the same as {@code role}
 */
public record Principal(String role, String caller) {
    public Principal {
        if (role == null || role.isEmpty() || caller == null || caller.isEmpty()) {
            throw new IllegalArgumentException("a principal needs a role and a caller");
        }
    }

    /** A call made by {@code role} itself. */
    public static Principal of(String role) {
        return new Principal(role, role);
    }

    /** Whether a proxy made this call for a client. */
    public boolean forwarded() {
        return !role.equals(caller);
    }
}
