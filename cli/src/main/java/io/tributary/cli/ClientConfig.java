package io.tributary.cli;

import io.tributary.client.Authentication;
import io.tributary.client.ClientBuilder;
import io.tributary.client.ConnectionMode;
import io.tributary.client.TlsOptions;
import io.tributary.client.TributaryClient;
import io.tributary.client.admin.TributaryAdmin;
import io.tributary.client.admin.TributaryAdminBuilder;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.TreeSet;
import java.util.function.BiConsumer;

/**
 * Where and how the CLI's client commands connect: the service URL, a token or token file, and TLS
 * files. Read from a client config file ({@code --client-config}, see {@code conf/client.properties})
 * and the command-line options, which win. {@link #toString()} never shows the token.
 *
 * @param serviceUrl the proxy (or broker) address; never null
 * @param authToken a token given as text, or null
 * @param authTokenFile a file holding the token, or null (at most one of the two is set)
 * @param tlsTrustCertsFile the CA certificates to trust (PEM); null: TLS only by a tls:// URL or a client certificate
 * @param tlsCertFile the client certificate for mutual TLS, or null
 * @param tlsKeyFile the key of {@code tlsCertFile}, or null (set exactly when it is)
 * @param tlsServerName the name the server's certificate must hold instead of the service URL's host (as through
 *                      {@code kubectl port-forward}), or null; set alone, it connects with TLS trusting the JDK's CAs
 * @param connectionMode whether producers and consumers go through the service URL or straight to the owning
 *                       brokers; null means {@link ConnectionMode#PROXY}
 */
public record ClientConfig(String serviceUrl, String authToken, Path authTokenFile, Path tlsTrustCertsFile,
                           Path tlsCertFile, Path tlsKeyFile, String tlsServerName, ConnectionMode connectionMode) {
    public static final String DEFAULT_SERVICE_URL = "localhost:6650";
    /** The keys of a client config file. */
    static final List<String> KEYS = List.of("serviceUrl", "authToken", "authTokenFile", "tlsTrustCertsFile",
            "tlsCertFile", "tlsKeyFile", "tlsServerName", "connectionMode");

    public ClientConfig {
        if (serviceUrl == null || serviceUrl.isBlank()) {
            serviceUrl = DEFAULT_SERVICE_URL;
        }
        if (connectionMode == null) {
            connectionMode = ConnectionMode.PROXY;
        }
        if (authToken != null && authTokenFile != null) {
            throw new IllegalArgumentException("give a token or a token file, not both");
        }
        if (authToken != null && authToken.isBlank()) {
            throw new IllegalArgumentException("the token is empty");
        }
        if ((tlsCertFile == null) != (tlsKeyFile == null)) {
            throw new IllegalArgumentException("a TLS client certificate needs its key (--tls-cert with --tls-key, "
                    + "tlsCertFile with tlsKeyFile)");
        }
    }

    /**
     * Reads a client config file: the {@link #KEYS} as Java properties, empty values counting as
     * unset; relative paths are taken from the file's directory.
     *
     * @throws IllegalArgumentException for an unreadable file, an unknown key or inconsistent values
     */
    public static ClientConfig load(Path file) {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(r);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read the client config " + file + ": " + e, e);
        }
        TreeSet<String> unknown = new TreeSet<>(p.stringPropertyNames());
        KEYS.forEach(unknown::remove);
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("unknown key(s) " + unknown + " in the client config " + file
                    + "; the keys are " + KEYS);
        }
        Path dir = file.toAbsolutePath().getParent();
        try {
            return new ClientConfig(text(p, "serviceUrl"), text(p, "authToken"), path(p, "authTokenFile", dir),
                    path(p, "tlsTrustCertsFile", dir), path(p, "tlsCertFile", dir), path(p, "tlsKeyFile", dir),
                    text(p, "tlsServerName"), connectionMode(text(p, "connectionMode"), "connectionMode"));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the client config " + file + ": " + e.getMessage(), e);
        }
    }

    /** The defaults alone: {@code localhost:6650}, plaintext, no token. */
    public static ClientConfig defaults() {
        return new ClientConfig(null, null, null, null, null, null, null, null);
    }

    /**
     * A connection mode as written ({@code proxy} or {@code direct}, any case); null for null.
     *
     * @param where the key or option it came from, for the message
     * @throws IllegalArgumentException for anything else, naming {@code where} and the values
     */
    public static ConnectionMode connectionMode(String value, String where) {
        if (value == null) {
            return null;
        }
        try {
            return ConnectionMode.valueOf(value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + " must be proxy or direct, was '"
                    + (value.length() > 40 ? value.substring(0, 40) + "..." : value) + "'", e);
        }
    }

    private static String text(Properties p, String key) {
        String v = p.getProperty(key);
        return v == null || v.isBlank() ? null : v.trim();
    }

    private static Path path(Properties p, String key, Path dir) {
        String v = text(p, key);
        return v == null ? null : dir.resolve(v);
    }

    /** The authentication to use, or null for none. */
    public Authentication authentication() {
        if (authToken != null) {
            return Authentication.token(authToken);
        }
        return authTokenFile == null ? null : Authentication.tokenFile(authTokenFile);
    }

    /** The TLS options, or null for none (plaintext, or TLS with the JDK's CAs for a tls:// URL). */
    public TlsOptions tls() {
        if (tlsTrustCertsFile == null && tlsCertFile == null && tlsServerName == null) {
            return null;
        }
        TlsOptions tls = tlsTrustCertsFile == null ? TlsOptions.systemTrust() : TlsOptions.trusting(tlsTrustCertsFile);
        tls = tls.withServerName(tlsServerName);
        return tlsCertFile == null ? tls : tls.withClientCertificate(tlsCertFile, tlsKeyFile);
    }

    /** A client builder with these settings. */
    public ClientBuilder clientBuilder() {
        return configure(TributaryClient.builder().serviceUrl(serviceUrl).connectionMode(connectionMode),
                ClientBuilder::authentication, ClientBuilder::tls);
    }

    /** An admin client builder with these settings. */
    public TributaryAdminBuilder adminBuilder() {
        return configure(TributaryAdmin.builder().serviceUrl(serviceUrl), TributaryAdminBuilder::authentication,
                TributaryAdminBuilder::tls);
    }

    /** {@code builder} given this authentication and TLS where set (the two builders share no type). */
    private <B> B configure(B builder, BiConsumer<B, Authentication> withAuthentication, BiConsumer<B, TlsOptions> withTls) {
        Authentication auth = authentication();
        if (auth != null) {
            withAuthentication.accept(builder, auth);
        }
        TlsOptions tls = tls();
        if (tls != null) {
            withTls.accept(builder, tls);
        }
        return builder;
    }

    @Override
    public String toString() {
        return "ClientConfig{serviceUrl=" + serviceUrl
                + (authToken != null ? ", authToken=(hidden)" : "")
                + (authTokenFile != null ? ", authTokenFile=" + authTokenFile : "")
                + (tlsTrustCertsFile != null ? ", tlsTrustCertsFile=" + tlsTrustCertsFile : "")
                + (tlsCertFile != null ? ", tlsCertFile=" + tlsCertFile + ", tlsKeyFile=" + tlsKeyFile : "")
                + (connectionMode != ConnectionMode.PROXY ? ", connectionMode=" + connectionMode : "") + "}";
    }
}
