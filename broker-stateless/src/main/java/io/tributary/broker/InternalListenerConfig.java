package io.tributary.broker;

import io.tributary.protocol.config.Settings;
import io.tributary.protocol.security.ServerTlsSettings;
import io.tributary.protocol.security.TlsFiles;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The broker's internal listener, where other brokers call its control service (acquire, unload,
 * split and drain bundles), apart from the client port; and what this broker presents when it calls
 * other brokers' internal listeners. Keys {@code broker.internal.*} (docs/configuration.md).
 *
 * @param bindAddress interface it listens on; null: the client port's ({@code broker.bindAddress})
 * @param port its port (0 picks a free one)
 * @param advertisedAddress host other brokers reach it at; null: {@code broker.advertisedAddress}
 * @param tls its TLS, or null for plaintext
 * @param roles with authentication on, the only roles admitted (brokers'); empty: any authenticated caller
 * @param clientAuthTokenFile the token this broker sends to other brokers' internal listeners, or null
 * @param clientTls TLS to other brokers' internal listeners (trusted CAs, and a client certificate for
 *                  mTLS), or null for plaintext
 */
public record InternalListenerConfig(String bindAddress, int port, String advertisedAddress, ServerTlsSettings tls,
                                     Set<String> roles, Path clientAuthTokenFile, TlsFiles clientTls) {
    public static final int DEFAULT_PORT = 6652;
    /** Plaintext on port {@value #DEFAULT_PORT} of the client port's interface, admitting every caller. */
    public static final InternalListenerConfig DEFAULT = new InternalListenerConfig(null, DEFAULT_PORT, null, null, Set.of(),
            null, null);

    public InternalListenerConfig {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("broker.internal.port must be in [0, 65535], was " + port);
        }
        roles = roles == null ? Set.of() : Set.copyOf(roles);
        if (tls != null && clientTls == null) {
            // every broker calls the others with its own client settings: without TLS they could not
            throw new IllegalArgumentException("broker.internal.tls.enabled needs broker.internal.client.tls.trustCertsFile "
                    + "(and certFile/keyFile when other brokers require client certificates): brokers call each "
                    + "other's internal listener over TLS");
        }
    }

    public InternalListenerConfig withPort(int p) {
        return new InternalListenerConfig(bindAddress, p, advertisedAddress, tls, roles, clientAuthTokenFile, clientTls);
    }

    /** The {@code broker.internal.*} keys; missing ones keep their defaults. */
    static InternalListenerConfig from(Settings s) {
        String token = s.get("broker.internal.client.authTokenFile", null);
        return new InternalListenerConfig(
                s.get("broker.internal.bindAddress", null),
                s.getInt("broker.internal.port", DEFAULT_PORT),
                s.get("broker.internal.advertisedAddress", null),
                ServerTlsSettings.from(s, "broker.internal.tls"),
                roles(s.get("broker.internal.roles", "")),
                token == null ? null : Path.of(token),
                clientTls(s, "broker.internal.client.tls"));
    }

    /** A comma list of roles. */
    static Set<String> roles(String list) {
        return Arrays.stream(list.split(",")).map(String::trim).filter(r -> !r.isEmpty()).collect(Collectors.toUnmodifiableSet());
    }

    /**
     * {@code <prefix>.certFile}, {@code .keyFile}, {@code .trustCertsFile}, and {@code .serverName} (the name
     * other brokers' certificates are checked against instead of the address dialled); null when no file is set.
     */
    static TlsFiles clientTls(Settings s, String prefix) {
        String cert = s.get(prefix + ".certFile", null);
        String key = s.get(prefix + ".keyFile", null);
        String trust = s.get(prefix + ".trustCertsFile", null);
        String serverName = s.get(prefix + ".serverName", "").trim();
        if (cert == null && key == null && trust == null) {
            if (!serverName.isEmpty()) {
                throw new IllegalArgumentException(prefix + ".serverName needs TLS to other brokers (" + prefix
                        + ".trustCertsFile)");
            }
            return null;
        }
        TlsFiles files;
        try {
            files = new TlsFiles(cert == null ? null : Path.of(cert), key == null ? null : Path.of(key),
                    trust == null ? null : Path.of(trust));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(prefix + ".certFile and " + prefix + ".keyFile go together: " + e.getMessage(), e);
        }
        try {
            return files.withServerName(serverName);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(prefix + ".serverName: " + e.getMessage(), e);
        }
    }
}
