package io.tributary.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * The connection options of every client command ({@code admin}, {@code produce},
 * {@code consume}, {@code perf}): a picocli mixin. Options given on the command line win over the
 * client config file, key by key; a token option on the command line replaces both token keys of
 * the file. Inherited by subcommands, so {@code admin --auth-token-file F topics list} and
 * {@code admin topics list --auth-token-file F} mean the same.
 */
public final class ClientOptions {
    @Option(names = {"-u", "--service-url"}, paramLabel = "URL", scope = ScopeType.INHERIT,
            description = "Proxy (or broker) address: host:port, or tls://host:port for TLS "
                    + "(default: serviceUrl of --client-config, else " + ClientConfig.DEFAULT_SERVICE_URL + ").")
    String serviceUrl;

    @Option(names = "--auth-token", paramLabel = "TOKEN", scope = ScopeType.INHERIT,
            description = "Token to authenticate with. Other users of this machine can see it in the process "
                    + "list: prefer --auth-token-file.")
    String authToken;

    @Option(names = "--auth-token-file", paramLabel = "FILE", scope = ScopeType.INHERIT,
            description = "File holding the token to authenticate with; read again when it changes.")
    Path authTokenFile;

    @Option(names = "--tls-ca", paramLabel = "FILE", scope = ScopeType.INHERIT,
            description = "Connect with TLS, trusting the CA certificates (PEM) in FILE.")
    Path tlsCa;

    @Option(names = "--tls-cert", paramLabel = "FILE", scope = ScopeType.INHERIT,
            description = "Client certificate chain (PEM) for mutual TLS; needs --tls-key.")
    Path tlsCert;

    @Option(names = "--tls-key", paramLabel = "FILE", scope = ScopeType.INHERIT,
            description = "Private key (PEM, not encrypted) of --tls-cert.")
    Path tlsKey;

    @Option(names = "--tls-server-name", paramLabel = "NAME", scope = ScopeType.INHERIT,
            description = "Check the server's certificate against NAME instead of the service URL's host (for example "
                    + "through kubectl port-forward to localhost).")
    String tlsServerName;

    @Option(names = "--connection-mode", paramLabel = "proxy|direct", scope = ScopeType.INHERIT,
            description = "proxy: producers and consumers go through the service URL (the default); direct: each "
                    + "stream looks its topic up and connects straight to the owning broker, falling back to the "
                    + "service URL when that broker cannot be reached (default: connectionMode of --client-config).")
    String connectionMode;

    @Option(names = "--client-config", paramLabel = "FILE", scope = ScopeType.INHERIT,
            description = "Client settings as properties (serviceUrl, authToken, authTokenFile, tlsTrustCertsFile, "
                    + "tlsCertFile, tlsKeyFile, tlsServerName, connectionMode; see conf/client.properties); command-line options win.")
    Path clientConfig;

    /**
     * The settings to connect with: the config file's, overridden by the options given.
     *
     * @throws IllegalArgumentException for a bad config file or inconsistent settings, with a message saying which
     */
    public ClientConfig resolve() {
        ClientConfig file = clientConfig == null ? ClientConfig.defaults() : ClientConfig.load(clientConfig);
        boolean tokenGiven = authToken != null || authTokenFile != null;
        boolean certGiven = tlsCert != null || tlsKey != null;
        return new ClientConfig(
                serviceUrl != null ? serviceUrl : file.serviceUrl(),
                tokenGiven ? authToken : file.authToken(),
                tokenGiven ? authTokenFile : file.authTokenFile(),
                tlsCa != null ? tlsCa : file.tlsTrustCertsFile(),
                certGiven ? tlsCert : file.tlsCertFile(),
                certGiven ? tlsKey : file.tlsKeyFile(),
                tlsServerName != null ? tlsServerName : file.tlsServerName(),
                connectionMode != null ? ClientConfig.connectionMode(connectionMode, "--connection-mode")
                        : file.connectionMode());
    }
}
