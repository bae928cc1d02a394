package io.tributary.metrics;

import io.tributary.protocol.config.Settings;

/**
 * Where a process serves its metrics and health endpoints: {@code <prefix>.metricsPort} (-1: off,
 * 0: any free port) and {@code <prefix>.metricsBindAddress}.
 *
 * @param bindAddress the interface to listen on
 * @param port the port (-1: no endpoint, 0: any free port)
 */
public record MetricsSettings(String bindAddress, int port) {
    /** No endpoint. */
    public static final MetricsSettings OFF = new MetricsSettings("127.0.0.1", -1);

    public MetricsSettings {
        if (bindAddress == null || bindAddress.isBlank()) {
            throw new IllegalArgumentException("the metrics bind address must be set");
        }
        if (port < -1 || port > 65535) {
            throw new IllegalArgumentException("the metrics port must be -1 (off), 0 (any free port) or a port, was " + port);
        }
    }

    /** {@code <prefix>.metricsPort} and {@code <prefix>.metricsBindAddress}, with these defaults; a bad value names its key. */
    public static MetricsSettings from(Settings s, String prefix, String defaultBindAddress, int defaultPort) {
        int port = s.getInt(prefix + ".metricsPort", defaultPort);
        if (port < -1 || port > 65535) {
            throw new IllegalArgumentException(prefix + ".metricsPort must be -1 (off), 0 (any free port) or a port, was " + port);
        }
        return new MetricsSettings(s.get(prefix + ".metricsBindAddress", defaultBindAddress), port);
    }
}
