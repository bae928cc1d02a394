package io.tributary.metrics;

import io.tributary.protocol.config.Settings;

/**
 * Where a process serves its metrics and health endpoints: {@code <prefix>.metricsPort} (-1: off,
 * 0: any free port) and {@code <prefix>.metricsBindAddress}; and the {@code cluster} label of every
 * series it serves, {@code <prefix>.clusterName}.
 *
 * @param bindAddress the interface to listen on
 * @param port the port (-1: no endpoint, 0: any free port)
 * @param clusterName the {@code cluster} label added to every sample that has none (default {@value #DEFAULT_CLUSTER})
 */
public record MetricsSettings(String bindAddress, int port, String clusterName) {
    /** The cluster name of a process not told one, as of the standalone. */
    public static final String DEFAULT_CLUSTER = "standalone";

    /** No endpoint. */
    public static final MetricsSettings OFF = new MetricsSettings("127.0.0.1", -1);

    /** In the default cluster ({@value #DEFAULT_CLUSTER}). */
    public MetricsSettings(String bindAddress, int port) {
        this(bindAddress, port, DEFAULT_CLUSTER);
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

    /**
     * {@code <prefix>.metricsPort} and {@code <prefix>.metricsBindAddress}, with these defaults, and
     * {@code <prefix>.clusterName} (default {@value #DEFAULT_CLUSTER}); a bad value names its key.
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
        return new MetricsSettings(s.get(prefix + ".metricsBindAddress", defaultBindAddress), port, cluster.trim());
    }

    /** The same endpoint, its series labelled {@code cluster="<name>"}. */
    public MetricsSettings withClusterName(String name) {
        return new MetricsSettings(bindAddress, port, name);
    }
}
