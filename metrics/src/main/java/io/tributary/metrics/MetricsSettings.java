package io.tributary.metrics;

import io.tributary.protocol.config.Settings;
import io.tributary.protocol.security.ServerTlsSettings;

/**
 * Where a process serves its metrics and health endpoints: {@code <prefix>.metricsPort} (-1: off,
 * 0: any free port) and {@code <prefix>.metricsBindAddress}; whether over HTTPS
 * ({@code <prefix>.metrics.tls.*}); and the {@code cluster} label of every series it serves,
 * {@code <prefix>.clusterName}.
 *
 * @param bindAddress the interface to listen on
 * @param port the port (-1: no endpoint, 0: any free port)
 * @param clusterName the {@code cluster} label added to every sample that has none (default {@value #DEFAULT_CLUSTER})
 * @param tls the endpoint's certificate, key and client certificate checks: HTTPS only (null: plain HTTP)
 */
public record MetricsSettings(String bindAddress, int port, String clusterName, ServerTlsSettings tls) {
    /** The cluster name of a process not told one, as of the standalone. */
    public static final String DEFAULT_CLUSTER = "standalone";

    /** No endpoint. */
    public static final MetricsSettings OFF = new MetricsSettings("127.0.0.1", -1);

    /** Plain HTTP on {@code bindAddress:port}, in the default cluster ({@value #DEFAULT_CLUSTER}). */
    public MetricsSettings(String bindAddress, int port) {
        this(bindAddress, port, DEFAULT_CLUSTER, null);
    }

    public MetricsSettings {
        if (clusterName == null || clusterName.isBlank()) {
            throw new IllegalArgumentException("the cluster name must not be blank");
        }
        if (bindAddress == null || bindAddress.isBlank()) {
            throw new IllegalArgumentException("the metrics bind address must be set");
        }
        if (port < -1 || port > 65535) {
            throw new IllegalArgumentException("the metrics port must be -1 (off), 0 (any free port) or a port, was " + port);
        }
    }

    /** The same endpoint over HTTPS with {@code newTls} (null: plain HTTP). */
    public MetricsSettings withTls(ServerTlsSettings newTls) {
        return new MetricsSettings(bindAddress, port, clusterName, newTls);
    }

    /** The same endpoint, its series labelled {@code cluster="<name>"}. */
    public MetricsSettings withClusterName(String name) {
        return new MetricsSettings(bindAddress, port, name, tls);
    }

    /** {@code https} or {@code http}, for the addresses a process prints. */
    public String scheme() {
        return tls == null ? "http" : "https";
    }

    /**
     * {@code <prefix>.metricsPort} and {@code <prefix>.metricsBindAddress}, with these defaults,
     * {@code <prefix>.clusterName} (default {@value #DEFAULT_CLUSTER}) and {@link #tlsFrom(Settings, String)};
     * a bad value names its key.
     */
    public static MetricsSettings from(Settings s, String prefix, String defaultBindAddress, int defaultPort) {
        int port = s.getInt(prefix + ".metricsPort", defaultPort);
        if (port < -1 || port > 65535) {
            throw new IllegalArgumentException(prefix + ".metricsPort must be -1 (off), 0 (any free port) or a port, was " + port);
        }
        String cluster = s.get(prefix + ".clusterName", DEFAULT_CLUSTER);
        if (cluster == null || cluster.isBlank()) {
            throw new IllegalArgumentException(prefix + ".clusterName must not be blank");
        }
        return new MetricsSettings(s.get(prefix + ".metricsBindAddress", defaultBindAddress), port, cluster.trim(),
                tlsFrom(s, prefix));
    }

    /**
     * The endpoint's TLS: {@code <prefix>.metrics.tls.enabled} (default false), {@code .certFile},
     * {@code .keyFile} and {@code .trustCertsFile} (each by default the process's own listener's, under
     * {@code <prefix>.tls}), {@code .clientAuth} (none, optional, require; default none: a scraper
     * needs no certificate). Null when not enabled.
     */
    public static ServerTlsSettings tlsFrom(Settings s, String prefix) {
        return ServerTlsSettings.from(s, prefix + ".metrics.tls", prefix + ".tls");
    }
}
