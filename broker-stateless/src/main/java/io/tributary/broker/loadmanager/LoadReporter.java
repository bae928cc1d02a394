package io.tributary.broker.loadmanager;

import io.tributary.broker.namespace.Bundle;
import io.tributary.broker.ownership.OwnershipService;
import io.tributary.broker.topic.Topic;
import io.tributary.broker.topic.TopicService;
import io.tributary.internal.v1.BundleLoad;
import io.tributary.internal.v1.LoadReport;
import io.tributary.protocol.TopicName;
import io.tributary.storage.meta.MetadataPaths;
import io.tributary.storage.meta.MetadataStore;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes this broker's load to {@code load/{brokerId}} (ephemeral): CPU, memory, message and
 * byte rates in and out, and the same per bundle with its topic count, ownership age and origin.
 * Rates are measured over the interval since the previous report.
 */
public final class LoadReporter {
    private static final Logger LOG = LoggerFactory.getLogger(LoadReporter.class);

    private final MetadataStore store;
    private final String brokerId;
    private final String address;
    private final OwnershipService ownership;
    private final TopicService topics;
    private final Map<TopicName, long[]> previousTotals = new HashMap<>();
    private long previousAtNanos = System.nanoTime();
    private volatile LoadReport latest;
    private volatile boolean draining;
    private io.prometheus.client.Gauge topicsGauge;

    /** Keeps {@code gauge} at the number of loaded topics, updated with each report. */
    public void exportTopicCount(io.prometheus.client.Gauge gauge) {
        this.topicsGauge = gauge;
    }

    public LoadReporter(MetadataStore store, String brokerId, String address, OwnershipService ownership, TopicService topics) {
        this.store = store;
        this.brokerId = brokerId;
        this.address = address;
        this.ownership = ownership;
        this.topics = topics;
        this.latest = LoadReport.newBuilder().setBrokerId(brokerId).setAddress(address).build();
    }

    public LoadReport latest() {
        return latest;
    }

    public boolean isDraining() {
        return draining;
    }

    public void setDraining(boolean draining) {
        this.draining = draining;
    }

    /** Measures and publishes a report now. */
    public synchronized CompletableFuture<LoadReport> publish() {
        LoadReport report = measure();
        latest = report;
        byte[] data = report.toByteArray();
        String path = MetadataPaths.LOAD + "/" + brokerId;
        return store.set(path, data, -1)
                .exceptionallyCompose(e -> MetadataStore.is(e, KeeperException.Code.NONODE)
                        ? store.create(path, data, CreateMode.EPHEMERAL)
                        : CompletableFuture.failedFuture(e))
                // two reports right after a new session may both find the node missing: the later one writes it
                .exceptionallyCompose(e -> MetadataStore.is(e, KeeperException.Code.NODEEXISTS)
                        ? store.set(path, data, -1)
                        : CompletableFuture.failedFuture(e))
                .handle((v, e) -> {
                    if (e != null) {
                        LOG.warn("publishing the load report failed: {}", e.toString());
                    }
                    return report;
                });
    }

    private LoadReport measure() {
        long now = System.nanoTime();
        double seconds = Math.max(0.001, (now - previousAtNanos) / 1e9);
        previousAtNanos = now;
        Map<Bundle, BundleLoad.Builder> perBundle = new HashMap<>();
        for (Bundle b : ownership.ownedBundles()) {
            OwnershipService.OwnedBundle info = ownership.ownedInfo(b);
            perBundle.put(b, BundleLoad.newBuilder().setNamespace(b.namespace()).setBundle(b.name())
                    .setOwnedSinceMs(info == null ? 0 : info.sinceMs())
                    .setPreviousBrokerId(info == null ? "" : info.previousBrokerId()));
        }
        double in = 0;
        double out = 0;
        double bytesIn = 0;
        double bytesOut = 0;
        Map<TopicName, long[]> seen = new HashMap<>();
        for (Topic t : topics.loadedTopicsNow()) {
            long[] totals = t.totals();
            long[] before = previousTotals.getOrDefault(t.name(), new long[4]);
            seen.put(t.name(), totals);
            double mi = (totals[0] - before[0]) / seconds;
            double bi = (totals[1] - before[1]) / seconds;
            double mo = (totals[2] - before[2]) / seconds;
            double bo = (totals[3] - before[3]) / seconds;
            in += mi;
            bytesIn += bi;
            out += mo;
            bytesOut += bo;
            long hash = t.name().bundleHash();
            perBundle.entrySet().stream()
                    .filter(e -> e.getKey().namespace().equals(t.name().namespace()) && e.getKey().contains(hash))
                    .findFirst()
                    .ifPresent(e -> e.getValue().setMsgRateIn(e.getValue().getMsgRateIn() + mi)
                            .setMsgRateOut(e.getValue().getMsgRateOut() + mo)
                            .setBytesRateIn(e.getValue().getBytesRateIn() + bi)
                            .setBytesRateOut(e.getValue().getBytesRateOut() + bo)
                            .setTopics(e.getValue().getTopics() + 1));
        }
        previousTotals.clear();
        previousTotals.putAll(seen);
        if (topicsGauge != null) {
            topicsGauge.set(seen.size());
        }

        Runtime rt = Runtime.getRuntime();
        long direct = 0;
        for (BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            if (pool.getName().equals("direct")) {
                direct = pool.getMemoryUsed();
            }
        }
        double cpu = 0;
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            cpu = Math.max(0, os.getProcessCpuLoad());
        }
        LoadReport.Builder r = LoadReport.newBuilder()
                .setBrokerId(brokerId).setAddress(address).setTimestampMs(System.currentTimeMillis())
                .setCpuUsage(cpu)
                .setHeapUsedBytes(rt.totalMemory() - rt.freeMemory()).setHeapMaxBytes(rt.maxMemory())
                .setDirectUsedBytes(direct).setDirectMaxBytes(rt.maxMemory())
                .setMsgRateIn(in).setMsgRateOut(out).setBytesRateIn(bytesIn).setBytesRateOut(bytesOut)
                .setTopics(seen.size()).setDraining(draining);
        perBundle.values().forEach(b -> r.addBundles(b.build()));
        return r.build();
    }
}
