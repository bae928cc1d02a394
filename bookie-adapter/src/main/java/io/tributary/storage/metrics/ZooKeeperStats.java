package io.tributary.storage.metrics;

import io.prometheus.client.Collector;
import io.prometheus.client.CollectorRegistry;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Properties;
import java.util.function.BiConsumer;
import org.apache.zookeeper.metrics.MetricsContext;
import org.apache.zookeeper.metrics.MetricsProvider;
import org.apache.zookeeper.metrics.MetricsProviderLifeCycleException;
import org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider;
import org.apache.zookeeper.server.ServerMetrics;

/**
 * ZooKeeper's own statistics (request latency, outstanding requests, sessions, znodes, quorum) in a registry of
 * ours. ZooKeeper keeps them JVM-wide ({@link ServerMetrics} is a singleton) and its Prometheus provider registers
 * them in Prometheus' default registry: there is one provider per JVM, installed before the first server starts,
 * its HTTP server never started, and this collector hands its families (ZooKeeper's names, no {@code tributary_}
 * prefix) to the registry that serves them. One ZooKeeper server per process is what the numbers describe.
 */
public final class ZooKeeperStats extends Collector {
    private static PrometheusMetricsProvider shared;

    private ZooKeeperStats() {
    }

    /**
     * Makes ZooKeeper's servers of this JVM report to the shared provider from now on (ZooKeeper reads it as a
     * server starts; a peer started by ZooKeeper's own launcher is configured with {@link Provider} instead).
     */
    public static synchronized PrometheusMetricsProvider install() {
        sharedProvider();
        if (ServerMetrics.getMetrics().getMetricsProvider() != shared) {
            ServerMetrics.metricsProviderInitialized(shared);
        }
        return shared;
    }

    private static synchronized PrometheusMetricsProvider sharedProvider() {
        if (shared == null) {
            PrometheusMetricsProvider p = new PrometheusMetricsProvider();
            Properties props = new Properties();
            props.setProperty("exportJvmInfo", "false");
            try {
                p.configure(props);
            } catch (MetricsProviderLifeCycleException e) {
                throw new IllegalStateException("cannot configure ZooKeeper's Prometheus provider", e);
            }
            // not started: start() always opens its own HTTP port; unstarted, it records on the calling thread
            shared = p;
        }
        return shared;
    }

    /** Installs the provider and adds ZooKeeper's families to {@code registry}. */
    public static ZooKeeperStats registerInto(CollectorRegistry registry) {
        install();
        ZooKeeperStats stats = new ZooKeeperStats();
        stats.register(registry);
        return stats;
    }

    @Override
    public List<MetricFamilySamples> collect() {
        PrometheusMetricsProvider p = sharedProvider();
        // dump() samples ZooKeeper's gauges (znode count, connections...) into their collectors first
        p.dump((k, v) -> { });
        List<MetricFamilySamples> families = new ArrayList<>();
        for (MetricFamilySamples f : Collections.list(CollectorRegistry.defaultRegistry.metricFamilySamples())) {
            // whatever else in this JVM registered in the default registry (JVM exports) is not ZooKeeper's
            if (!f.name.startsWith("jvm_") && !f.name.startsWith("process_")) {
                families.add(f);
            }
        }
        return families;
    }

    /**
     * For {@code metricsProvider.className} of a peer that ZooKeeper's launcher starts: every call goes to the
     * shared provider, and its launcher's start and stop do nothing (the provider outlives a peer).
     */
    public static final class Provider implements MetricsProvider {
        @Override
        public void configure(Properties configuration) {
        }

        @Override
        public void start() {
        }

        @Override
        public MetricsContext getRootContext() {
            return sharedProvider().getRootContext();
        }

        @Override
        public void stop() {
        }

        @Override
        public void dump(BiConsumer<String, Object> sink) {
            sharedProvider().dump(sink);
        }

        @Override
        public void resetAllValues() {
            sharedProvider().resetAllValues();
        }
    }
}
