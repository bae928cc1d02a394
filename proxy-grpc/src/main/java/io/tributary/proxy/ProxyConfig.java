package io.tributary.proxy;

import io.tributary.metrics.MetricsSettings;
import io.tributary.protocol.config.Settings;
import io.tributary.protocol.security.ServerTlsSettings;
import io.tributary.protocol.security.TlsFiles;
import io.tributary.security.auth.AuthenticationSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * How a proxy is set up. Every value is checked when the record is built, so a bad
 * configuration fails at startup with a message naming the setting.
 *
 * @param bindAddress            address the gRPC server listens on; default {@value #DEFAULT_BIND_ADDRESS}
 * @param port                   port the gRPC server listens on; default {@value #DEFAULT_PORT}, 0 picks a free port
 * @param brokerServiceUrl       comma-separated {@code host:port} list of brokers, used for lookups and admin calls;
 *                               required unless {@code discovery} is set, then used only while discovery knows no
 *                               broker (e.g. a Kubernetes Service in front of the brokers); null: none
 * @param maxInboundMessageSize  the largest gRPC message accepted from clients and from brokers, in bytes; default
 *                               16 MiB + 64 KiB, the same as the broker's and the SDK's ({@code Transport}). It must
 *                               stay above the broker's message limit (5 MiB) so that the broker, not the transport,
 *                               refuses oversized messages, with a precise reason
 * @param lookupCacheTtl         how long a topic's owner is remembered; default 60s, {@link Duration#ZERO} disables
 *                               caching (concurrent lookups of one topic are still coalesced)
 * @param tls                    TLS of the public port ({@code proxy.tls.*}); null (default) for plaintext
 * @param authentication         how clients are authenticated ({@code proxy.authentication.*}); off by default
 * @param brokerClientAuthTokenFile the proxy's own token for brokers ({@code proxy.brokerClient.authTokenFile},
 *                               re-read when it changes); its role must be among the brokers' proxyRoles so
 *                               they take the client's role it forwards; null: none
 * @param brokerClientTls        TLS to brokers ({@code proxy.brokerClient.tls.*}, on when trustCertsFile is
 *                               set; certFile and keyFile for brokers that require client certificates);
 *                               null: plaintext
 * @param metricsPort            port of the metrics and health endpoint ({@code /metrics}, {@code /health/live},
 *                               {@code /health/ready}); default {@value #DEFAULT_METRICS_PORT}, -1 off, 0 a free port
 * @param metricsBindAddress     interface of the metrics endpoint; null (default): {@code bindAddress}
 * @param clusterName            the {@code cluster} label of every series of the proxy's metrics
 *                               ({@code proxy.clusterName}); default {@value MetricsSettings#DEFAULT_CLUSTER}
 * @param metricsTls             TLS of the metrics endpoint ({@code proxy.metrics.tls.*}, its files by default
 *                               the public port's {@code proxy.tls.*}); null (default): plain HTTP
 * @param discovery              where the proxy learns which brokers run ({@code proxy.zookeeperServers} and the
 *                               keys with it): the brokers registered in ZooKeeper; null (default): only
 *                               {@code brokerServiceUrl}
 * @param streamResumeTimeout    how long a Publish or Subscribe stream may look for its topic's new owner after a
 *                               move or an owner's failure before the client's stream fails
 *                               ({@code proxy.streamResumeTimeout}); default 30s (the client's deadline, if
 *                               earlier, wins); {@link Duration#ZERO} turns resumption off: the client's stream
 *                               fails with the broker's error, as before
 * @param httpPort               port of the REST admin API ({@code proxy.httpPort}) on {@code bindAddress}, over
 *                               HTTPS with {@code tls}; {@value #DEFAULT_HTTP_PORT} when read from properties,
 *                               -1 off, 0 a free port; the builder's default is -1 (embedded proxies and tests
 *                               open it only when asked)
 */
public record ProxyConfig(
        String bindAddress,
        int port,
        String brokerServiceUrl,
        int maxInboundMessageSize,
        Duration lookupCacheTtl,
        ServerTlsSettings tls,
        AuthenticationSettings authentication,
        Path brokerClientAuthTokenFile,
        TlsFiles brokerClientTls,
        int metricsPort,
        String metricsBindAddress,
        String clusterName,
        ServerTlsSettings metricsTls,
        BrokerDiscoverySettings discovery,
        Duration streamResumeTimeout,
        int httpPort) {

    public static final String DEFAULT_BIND_ADDRESS = "0.0.0.0";
    public static final int DEFAULT_PORT = 6650;
    public static final int DEFAULT_MAX_INBOUND_MESSAGE_SIZE = io.tributary.protocol.config.Transport.MAX_INBOUND_MESSAGE_SIZE;
    public static final Duration DEFAULT_LOOKUP_CACHE_TTL = Duration.ofSeconds(60);
    public static final int DEFAULT_METRICS_PORT = 8081;
    /** The REST admin API's port: next to the gRPC ports (6650-6652), clear of the metrics range (8080 and up). */
    public static final int DEFAULT_HTTP_PORT = 6680;
    /** Above the brokers' default ZooKeeper session timeout (15 s) plus the proxy's stall time (5 s). */
    public static final Duration DEFAULT_STREAM_RESUME_TIMEOUT = Duration.ofSeconds(30);

    public static final String KEY_BIND_ADDRESS = "proxy.bindAddress";
    public static final String KEY_PORT = "proxy.port";
    public static final String KEY_BROKER_SERVICE_URL = "proxy.brokerServiceUrl";
    public static final String KEY_MAX_INBOUND_MESSAGE_SIZE = "proxy.maxInboundMessageSize";
    public static final String KEY_LOOKUP_CACHE_TTL = "proxy.lookupCacheTtl";
    public static final String PREFIX_TLS = "proxy.tls";
    public static final String PREFIX_AUTHENTICATION = "proxy.authentication";
    public static final String KEY_BROKER_CLIENT_AUTH_TOKEN_FILE = "proxy.brokerClient.authTokenFile";
    public static final String PREFIX_BROKER_CLIENT_TLS = "proxy.brokerClient.tls";
    public static final String KEY_METRICS_PORT = "proxy.metricsPort";
    public static final String KEY_METRICS_BIND_ADDRESS = "proxy.metricsBindAddress";
    public static final String KEY_CLUSTER_NAME = "proxy.clusterName";
    public static final String KEY_STREAM_RESUME_TIMEOUT = "proxy.streamResumeTimeout";
    public static final String KEY_HTTP_PORT = "proxy.httpPort";

    public ProxyConfig {
        if (bindAddress == null || bindAddress.isBlank()) {
            throw new IllegalArgumentException(KEY_BIND_ADDRESS + " must not be empty");
        }
        bindAddress = bindAddress.trim();
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException(KEY_PORT + " must be within 0..65535 (0 picks a free port), got " + port);
        }
        if (brokerServiceUrl != null && brokerServiceUrl.isBlank()) {
            brokerServiceUrl = null;
        }
        if (brokerServiceUrl == null && discovery == null) {
            throw new IllegalArgumentException(KEY_BROKER_SERVICE_URL
                    + " must list at least one broker as host:port (comma-separated for several), or "
                    + BrokerDiscoverySettings.KEY_ZOOKEEPER_SERVERS + " name the ZooKeeper the brokers register in");
        }
        if (brokerServiceUrl != null) {
            brokerServiceUrl = String.join(",", parseAddresses(brokerServiceUrl));
        }
        if (maxInboundMessageSize <= 0) {
            throw new IllegalArgumentException(KEY_MAX_INBOUND_MESSAGE_SIZE + " must be positive, got "
                    + maxInboundMessageSize);
        }
        if (lookupCacheTtl == null || lookupCacheTtl.isNegative()) {
            throw new IllegalArgumentException(KEY_LOOKUP_CACHE_TTL + " must be zero or positive, got "
                    + lookupCacheTtl);
        }
        if (authentication == null) {
            authentication = AuthenticationSettings.DISABLED;
        }
        if (brokerClientTls != null && brokerClientTls.trustCertsFile() == null) {
            throw new IllegalArgumentException(PREFIX_BROKER_CLIENT_TLS + ".trustCertsFile is required for TLS to brokers "
                    + "(a client certificate alone does not turn it on)");
        }
        if (metricsPort < -1 || metricsPort > 65535) {
            throw new IllegalArgumentException(KEY_METRICS_PORT + " must be -1 (off), 0 (any free port) or a port, got "
                    + metricsPort);
        }
        if (httpPort < -1 || httpPort > 65535) {
            throw new IllegalArgumentException(KEY_HTTP_PORT + " must be -1 (off), 0 (any free port) or a port, got "
                    + httpPort);
        }
        if (metricsBindAddress != null) {
            if (metricsBindAddress.isBlank()) {
                throw new IllegalArgumentException(KEY_METRICS_BIND_ADDRESS + " must not be blank (unset: "
                        + KEY_BIND_ADDRESS + ")");
            }
            metricsBindAddress = metricsBindAddress.trim();
        }
        if (clusterName == null || clusterName.isBlank()) {
            throw new IllegalArgumentException(KEY_CLUSTER_NAME + " must not be blank");
        }
        clusterName = clusterName.trim();
        if (streamResumeTimeout == null) {
            streamResumeTimeout = DEFAULT_STREAM_RESUME_TIMEOUT;
        }
        if (streamResumeTimeout.isNegative()) {
            throw new IllegalArgumentException(KEY_STREAM_RESUME_TIMEOUT + " must be zero (off) or positive, got "
                    + streamResumeTimeout);
        }
    }

    /** A configuration with every default and the given brokers. */
    public static ProxyConfig withBrokers(String brokerServiceUrl) {
        return new Builder().brokerServiceUrl(brokerServiceUrl).build();
    }

    public ProxyConfig withPort(int newPort) {
        return toBuilder().port(newPort).build();
    }

    public ProxyConfig withBindAddress(String newBindAddress) {
        return toBuilder().bindAddress(newBindAddress).build();
    }

    public ProxyConfig withLookupCacheTtl(Duration ttl) {
        return toBuilder().lookupCacheTtl(ttl).build();
    }

    public ProxyConfig withMaxInboundMessageSize(int bytes) {
        return toBuilder().maxInboundMessageSize(bytes).build();
    }

    /** TLS on the public port (null: plaintext). */
    public ProxyConfig withTls(ServerTlsSettings newTls) {
        return toBuilder().tls(newTls).build();
    }

    /** How clients authenticate to the proxy. */
    public ProxyConfig withAuthentication(AuthenticationSettings newAuthentication) {
        return toBuilder().authentication(newAuthentication).build();
    }

    /** What the proxy presents to brokers: its token file and TLS (either may be null). */
    public ProxyConfig withBrokerClient(Path authTokenFile, TlsFiles newBrokerClientTls) {
        return toBuilder().brokerClientAuthTokenFile(authTokenFile).brokerClientTls(newBrokerClientTls).build();
    }

    /** The metrics and health endpoint on {@code port} (-1: off, 0: a free port) and {@code bindAddress} (null: the proxy's). */
    public ProxyConfig withMetrics(int newMetricsPort, String newMetricsBindAddress) {
        return toBuilder().metricsPort(newMetricsPort).metricsBindAddress(newMetricsBindAddress).build();
    }

    /** The {@code cluster} label of the proxy's series. */
    public ProxyConfig withClusterName(String name) {
        return toBuilder().clusterName(name).build();
    }

    /** The metrics and health endpoint over HTTPS with {@code newMetricsTls} (null: plain HTTP). */
    public ProxyConfig withMetricsTls(ServerTlsSettings newMetricsTls) {
        return toBuilder().metricsTls(newMetricsTls).build();
    }

    /** Brokers learned from ZooKeeper's registrations (null: only {@link #brokerServiceUrl()}). */
    public ProxyConfig withDiscovery(BrokerDiscoverySettings newDiscovery) {
        return toBuilder().discovery(newDiscovery).build();
    }

    public Builder toBuilder() {
        return new Builder(this);
    }

    /** Builds a {@link ProxyConfig}: every value starts at its default, and {@link #build()} checks them all. */
    public static final class Builder {
        private String bindAddress = DEFAULT_BIND_ADDRESS;
        private int port = DEFAULT_PORT;
        private String brokerServiceUrl;
        private int maxInboundMessageSize = DEFAULT_MAX_INBOUND_MESSAGE_SIZE;
        private Duration lookupCacheTtl = DEFAULT_LOOKUP_CACHE_TTL;
        private ServerTlsSettings tls;
        private AuthenticationSettings authentication = AuthenticationSettings.DISABLED;
        private Path brokerClientAuthTokenFile;
        private TlsFiles brokerClientTls;
        private int metricsPort = DEFAULT_METRICS_PORT;
        private String metricsBindAddress;
        private String clusterName = MetricsSettings.DEFAULT_CLUSTER;
        private ServerTlsSettings metricsTls;
        private BrokerDiscoverySettings discovery;
        private Duration streamResumeTimeout = DEFAULT_STREAM_RESUME_TIMEOUT;
        private int httpPort = -1;

        public Builder() {
        }

        private Builder(ProxyConfig c) {
            bindAddress = c.bindAddress;
            port = c.port;
            brokerServiceUrl = c.brokerServiceUrl;
            maxInboundMessageSize = c.maxInboundMessageSize;
            lookupCacheTtl = c.lookupCacheTtl;
            tls = c.tls;
            authentication = c.authentication;
            brokerClientAuthTokenFile = c.brokerClientAuthTokenFile;
            brokerClientTls = c.brokerClientTls;
            metricsPort = c.metricsPort;
            metricsBindAddress = c.metricsBindAddress;
            clusterName = c.clusterName;
            metricsTls = c.metricsTls;
            discovery = c.discovery;
            streamResumeTimeout = c.streamResumeTimeout;
            httpPort = c.httpPort;
        }

        public Builder bindAddress(String v) { bindAddress = v; return this; }
        public Builder port(int v) { port = v; return this; }
        public Builder brokerServiceUrl(String v) { brokerServiceUrl = v; return this; }
        public Builder maxInboundMessageSize(int v) { maxInboundMessageSize = v; return this; }
        public Builder lookupCacheTtl(Duration v) { lookupCacheTtl = v; return this; }
        public Builder tls(ServerTlsSettings v) { tls = v; return this; }
        public Builder authentication(AuthenticationSettings v) { authentication = v; return this; }
        public Builder brokerClientAuthTokenFile(Path v) { brokerClientAuthTokenFile = v; return this; }
        public Builder brokerClientTls(TlsFiles v) { brokerClientTls = v; return this; }
        public Builder metricsPort(int v) { metricsPort = v; return this; }
        public Builder metricsBindAddress(String v) { metricsBindAddress = v; return this; }
        public Builder clusterName(String v) { clusterName = v; return this; }
        public Builder metricsTls(ServerTlsSettings v) { metricsTls = v; return this; }
        public Builder discovery(BrokerDiscoverySettings v) { discovery = v; return this; }
        public Builder streamResumeTimeout(Duration v) { streamResumeTimeout = v; return this; }
        /** The REST admin API's port: -1 (the builder's default) off, 0 a free port. */
        public Builder httpPort(int v) { httpPort = v; return this; }

        public ProxyConfig build() {
            return new ProxyConfig(bindAddress, port, brokerServiceUrl, maxInboundMessageSize, lookupCacheTtl, tls,
                    authentication, brokerClientAuthTokenFile, brokerClientTls, metricsPort, metricsBindAddress, clusterName,
                    metricsTls, discovery, streamResumeTimeout, httpPort);
        }
    }

    /**
     * Where the metrics and health endpoint listens: {@link #metricsBindAddress()}, else {@link #bindAddress()};
     * its series labelled with {@link #clusterName()}, over HTTPS with {@link #metricsTls()}.
     */
    public MetricsSettings metricsSettings() {
        return new MetricsSettings(metricsBindAddress != null ? metricsBindAddress : bindAddress, metricsPort, clusterName,
                metricsTls);
    }

    /** The brokers of {@link #brokerServiceUrl()}, in the order given; empty when it is not set. */
    public List<String> brokerAddresses() {
        return brokerServiceUrl == null ? List.of() : parseAddresses(brokerServiceUrl);
    }

    /**
     * Reads {@code proxy.bindAddress}, {@code proxy.port}, {@code proxy.brokerServiceUrl},
     * {@code proxy.maxInboundMessageSize} (bytes) and {@code proxy.lookupCacheTtl} (e.g. {@code 60s},
     * {@code 500ms}, {@code 2m}, {@code PT1M}, or plain milliseconds). An environment variable named after
     * the key ({@code TRIBUTARY_PROXY_BIND_ADDRESS}, {@code TRIBUTARY_PROXY_PORT},
     * {@code TRIBUTARY_PROXY_BROKER_SERVICE_URL}, {@code TRIBUTARY_PROXY_MAX_INBOUND_MESSAGE_SIZE},
     * {@code TRIBUTARY_PROXY_LOOKUP_CACHE_TTL}) overrides the property. Missing values take their defaults.
     * Metrics and health: {@code proxy.metricsPort}, {@code proxy.metricsBindAddress}, {@code proxy.clusterName} and {@code proxy.metrics.tls.*}.
     * Streams: {@code proxy.streamResumeTimeout}. REST admin API: {@code proxy.httpPort}.
     * Broker discovery: {@code proxy.zookeeperServers}, {@code proxy.metadataRoot}, {@code proxy.zookeeperSessionTimeout}
     * and {@code proxy.zookeeper.tls.*} ({@link BrokerDiscoverySettings}).
     * Security: {@code proxy.tls.*}, {@code proxy.authentication.*}, {@code proxy.brokerClient.authTokenFile}
     * and {@code proxy.brokerClient.tls.certFile/keyFile/trustCertsFile} (docs/configuration.md).
     */
    public static ProxyConfig fromProperties(Properties props) {
        return fromProperties(props, System.getenv());
    }

    /** {@link #fromProperties(Properties)} with an explicit environment (for tests). */
    public static ProxyConfig fromProperties(Properties props, Map<String, String> env) {
        Settings s = new Settings(props, env);
        return new ProxyConfig(
                s.get(KEY_BIND_ADDRESS, DEFAULT_BIND_ADDRESS),
                s.getInt(KEY_PORT, DEFAULT_PORT),
                s.get(KEY_BROKER_SERVICE_URL, null),
                s.getInt(KEY_MAX_INBOUND_MESSAGE_SIZE, DEFAULT_MAX_INBOUND_MESSAGE_SIZE),
                s.getDuration(KEY_LOOKUP_CACHE_TTL, DEFAULT_LOOKUP_CACHE_TTL, ChronoUnit.MILLIS),
                ServerTlsSettings.from(s, PREFIX_TLS),
                s.getBoolean(PREFIX_AUTHENTICATION + ".enabled", false)
                        ? AuthenticationSettings.from(s, PREFIX_AUTHENTICATION) : AuthenticationSettings.DISABLED,
                path(s.get(KEY_BROKER_CLIENT_AUTH_TOKEN_FILE, null)),
                brokerClientTls(s),
                s.getInt(KEY_METRICS_PORT, DEFAULT_METRICS_PORT),
                s.get(KEY_METRICS_BIND_ADDRESS, null),
                s.get(KEY_CLUSTER_NAME, MetricsSettings.DEFAULT_CLUSTER),
                MetricsSettings.tlsFrom(s, "proxy"),
                BrokerDiscoverySettings.from(s),
                s.getDuration(KEY_STREAM_RESUME_TIMEOUT, DEFAULT_STREAM_RESUME_TIMEOUT, ChronoUnit.MILLIS),
                s.getInt(KEY_HTTP_PORT, DEFAULT_HTTP_PORT));
    }

    private static Path path(String v) {
        return v == null ? null : Path.of(v);
    }

    private static TlsFiles brokerClientTls(Settings s) {
        Path cert = path(s.get(PREFIX_BROKER_CLIENT_TLS + ".certFile", null));
        Path key = path(s.get(PREFIX_BROKER_CLIENT_TLS + ".keyFile", null));
        Path trust = path(s.get(PREFIX_BROKER_CLIENT_TLS + ".trustCertsFile", null));
        String serverName = s.get(PREFIX_BROKER_CLIENT_TLS + ".serverName", "").trim();
        if (cert == null && key == null && trust == null) {
            if (!serverName.isEmpty()) {
                throw new IllegalArgumentException(PREFIX_BROKER_CLIENT_TLS + ".serverName needs TLS to brokers ("
                        + PREFIX_BROKER_CLIENT_TLS + ".trustCertsFile)");
            }
            return null;
        }
        TlsFiles files;
        try {
            files = new TlsFiles(cert, key, trust);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(PREFIX_BROKER_CLIENT_TLS + ".certFile and " + PREFIX_BROKER_CLIENT_TLS
                    + ".keyFile go together: " + e.getMessage(), e);
        }
        try {
            return files.withServerName(serverName);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(PREFIX_BROKER_CLIENT_TLS + ".serverName: " + e.getMessage(), e);
        }
    }

    /** {@code proxy.lookupCacheTtl} becomes {@code TRIBUTARY_PROXY_LOOKUP_CACHE_TTL}. */
    static String envName(String key) {
        return Settings.envName(key);
    }

    /** A duration as {@code proxy.lookupCacheTtl} takes it: with a unit, ISO-8601, or plain milliseconds. */
    static Duration parseDuration(String key, String v) {
        return Settings.parseDuration(key, v, ChronoUnit.MILLIS);
    }

    private static List<String> parseAddresses(String url) {
        List<String> out = new ArrayList<>();
        for (String raw : url.split(",")) {
            String a = raw.trim();
            if (a.isEmpty()) {
                throw new IllegalArgumentException(KEY_BROKER_SERVICE_URL + " has an empty entry: '" + url
                        + "' (expected host:port[,host:port...])");
            }
            int colon = a.lastIndexOf(':');
            String host = colon <= 0 ? "" : a.substring(0, colon);
            if (colon <= 0 || colon == a.length() - 1 || host.isBlank() || a.contains("/")) {
                throw new IllegalArgumentException(KEY_BROKER_SERVICE_URL + " entry '" + a
                        + "' is not host:port (expected host:port[,host:port...])");
            }
            if (host.contains(":") && !(host.startsWith("[") && host.endsWith("]"))) {
                throw new IllegalArgumentException(KEY_BROKER_SERVICE_URL + " entry '" + a
                        + "': write IPv6 addresses in brackets, e.g. [::1]:6651");
            }
            int p;
            try {
                p = Integer.parseInt(a.substring(colon + 1));
            } catch (NumberFormatException e) {
                p = -1;
            }
            if (p <= 0 || p > 65535) {
                throw new IllegalArgumentException(KEY_BROKER_SERVICE_URL + " entry '" + a
                        + "' has no valid port (1..65535)");
            }
            out.add(a);
        }
        return List.copyOf(out);
    }
}
