package io.tributary.metrics;

import io.prometheus.client.Collector.MetricFamilySamples;
import io.prometheus.client.Collector.MetricFamilySamples.Sample;
import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.Predicate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;
import java.util.Set;

/**
 * A view of a process's registry in which every sample carries {@code cluster="<name>"}: the label
 * is added at collection time to each sample that does not have one already (the topic and
 * subscription families set their own), so JVM, ZooKeeper and BookKeeper families get it too and
 * no collector has to know the cluster's name. {@link MetricsServer} serves this view; collectors
 * are registered with, and values read from, the underlying registry.
 */
final class ClusterLabelledRegistry extends CollectorRegistry {
    static final String LABEL = "cluster";

    private final CollectorRegistry registry;
    private final String cluster;

    ClusterLabelledRegistry(CollectorRegistry registry, String cluster) {
        super(false);
        if (cluster == null || cluster.isBlank()) {
            throw new IllegalArgumentException("the cluster name must be set");
        }
        this.registry = registry;
        this.cluster = cluster;
    }

    @Override
    public Enumeration<MetricFamilySamples> metricFamilySamples() {
        return labelled(registry.metricFamilySamples());
    }

    @Override
    public Enumeration<MetricFamilySamples> filteredMetricFamilySamples(Set<String> includedNames) {
        return labelled(registry.filteredMetricFamilySamples(includedNames));
    }

    @Override
    public Enumeration<MetricFamilySamples> filteredMetricFamilySamples(Predicate<String> sampleNameFilter) {
        return labelled(registry.filteredMetricFamilySamples(sampleNameFilter));
    }

    private Enumeration<MetricFamilySamples> labelled(Enumeration<MetricFamilySamples> families) {
        List<MetricFamilySamples> out = new ArrayList<>();
        while (families.hasMoreElements()) {
            out.add(labelled(families.nextElement()));
        }
        return Collections.enumeration(out);
    }

    private MetricFamilySamples labelled(MetricFamilySamples family) {
        List<Sample> samples = new ArrayList<>(family.samples.size());
        for (Sample s : family.samples) {
            if (s.labelNames.contains(LABEL)) {
                samples.add(s);
                continue;
            }
            // last: what a sample's own labels start with stays as it was
            List<String> names = new ArrayList<>(s.labelNames.size() + 1);
            names.addAll(s.labelNames);
            names.add(LABEL);
            List<String> values = new ArrayList<>(s.labelValues.size() + 1);
            values.addAll(s.labelValues);
            values.add(cluster);
            samples.add(new Sample(s.name, names, values, s.value, s.exemplar, s.timestampMs));
        }
        return new MetricFamilySamples(family.name, family.unit, family.type, family.help, samples);
    }
}
