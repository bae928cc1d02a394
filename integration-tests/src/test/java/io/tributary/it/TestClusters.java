package io.tributary.it;

import io.tributary.broker.BrokerConfig;
import io.tributary.cli.Standalone;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.util.function.UnaryOperator;

/** Standalone clusters on free ports, for tests. */
public final class TestClusters {
    private TestClusters() {}

    public static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Options on free ports; reuse the same options to restart on the same data. */
    public static Standalone.Options options(File dataDir, UnaryOperator<BrokerConfig> brokerSettings) {
        UnaryOperator<BrokerConfig> settings = c -> brokerSettings.apply(c.toBuilder().metricsPort(0).build());
        return new Standalone.Options(dataDir, 1, freePort(), freePort(), freePort(), freePort(), false, settings);
    }

    public static Standalone start(File dataDir) throws Exception {
        return new Standalone(options(dataDir, UnaryOperator.identity())).start();
    }
}
