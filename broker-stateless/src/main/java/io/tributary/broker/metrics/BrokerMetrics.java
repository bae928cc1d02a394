package io.tributary.broker.metrics;

import io.grpc.Metadata;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import io.prometheus.client.Collector;
import io.prometheus.client.Collector.MetricFamilySamples;
import io.prometheus.client.Collector.Type;
import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.Counter;
import io.prometheus.client.CounterMetricFamily;
import io.prometheus.client.Gauge;
import io.prometheus.client.GaugeMetricFamily;
import io.prometheus.client.Histogram;
import io.tributary.api.v1.ErrorReason;
import io.tributary.broker.loadmanager.BalancingPolicy;
import io.tributary.broker.topic.Topic;
import io.tributary.internal.v1.LoadReport;
import io.tributary.metrics.MetricsServer;
import io.tributary.protocol.ErrorReasons;
import io.tributary.storage.log.CacheBudget;
import io.tributary.storage.log.StorageStats;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The broker's Prometheus metrics, named {@code tributary_<component>_<what>_<unit>}. Each broker
 * has its own registry, with the JVM's metrics (several brokers may share a JVM in tests); the
 * broker serves it with {@link MetricsServer} at {@code /metrics}.
 */
public final class BrokerMetrics implements AutoCloseable {
    private final CollectorRegistry registry = MetricsServer.newRegistry();

    public final Gauge bundlesOwned = Gauge.build("tributary_broker_bundles_owned", "Bundles this broker owns")
            .register(registry);
    public final Gauge topicsLoaded = Gauge.build("tributary_broker_topics_loaded", "Topics loaded on this broker")
            .register(registry);
    public final Counter lookupRedirects = Counter.build("tributary_broker_lookup_redirects_total",
            "Requests answered with NOT_OWNER or BUNDLE_MOVING, naming where the bundle is").register(registry);
    public final Counter messagesIn = Counter.build("tributary_broker_messages_in_total", "Messages stored")
            .register(registry);
    public final Counter bytesIn = Counter.build("tributary_broker_bytes_in_total", "Bytes stored").register(registry);
    public final Histogram publishLatency = Histogram.build("tributary_broker_publish_latency_seconds",
                    "From a batch's arrival to its acknowledgement")
            .buckets(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5)
            .register(registry);
    public final Counter assignments = Counter.build("tributary_loadmanager_assignments_total",
            "Unowned bundles assigned by the leader, by reason").labelNames("reason").register(registry);
    public final Counter unloads = Counter.build("tributary_loadmanager_unloads_total",
            "Bundles moved off a broker, by reason (shed, drain, admin)").labelNames("reason").register(registry);
    public final Counter splits = Counter.build("tributary_loadmanager_splits_total",
            "Bundles split, by reason (topics, rate, admin)").labelNames("reason").register(registry);
    public final Counter assignmentFailures = Counter.build("tributary_loadmanager_assignment_failures_total",
                    "Assignments of unowned bundles by the leader that failed, by reason and error (ErrorReason or gRPC status)")
            .labelNames("reason", "error").register(registry);
    public final Counter unloadFailures = Counter.build("tributary_loadmanager_unload_failures_total",
                    "Bundle moves that failed, by reason (shed, drain, admin) and error (ErrorReason or gRPC status)")
            .labelNames("reason", "error").register(registry);
    public final Counter splitFailures = Counter.build("tributary_loadmanager_split_failures_total",
                    "Bundle splits that failed, by reason (topics, rate, admin) and error (ErrorReason or gRPC status)")
            .labelNames("reason", "error").register(registry);
    public final Histogram bundleMoveDuration = Histogram.build("tributary_broker_bundle_move_seconds",
                    "Time to hand one bundle to another broker, as seen by the old owner")
            .buckets(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
            .register(registry);
    public final Gauge isLeader = Gauge.build("tributary_loadmanager_leader", "1 on the load manager leader")
            .register(registry);
    public final Counter zookeeperSuspensions = Counter.build("tributary_broker_zookeeper_suspensions_total",
            "Times the broker lost its ZooKeeper connection and paused its topics until it knew its session's fate")
            .register(registry);
    public final Counter zookeeperSessionsLost = Counter.build("tributary_broker_zookeeper_sessions_lost_total",
            "ZooKeeper sessions of this broker that expired: its bundles were free for other brokers").register(registry);
    public final Counter rejections = Counter.build("tributary_broker_rejections_total",
            "Client-port calls ended with an error naming a reason, by ErrorReason").labelNames("reason").register(registry);
    /** Times a Publish stream stopped reading, by why: {@code pending} (its appends in flight) or {@code buffer} (the broker's). */
    public final Gauge transactionsOpen = Gauge.build("tributary_transactions_open",
            "Transactions open on the coordinator this broker hosts").register(registry);
    public final Counter transactionsCommitted = Counter.build("tributary_transactions_committed_total",
            "Transactions decided to commit on this broker (by their client, a check-back, the default outcome or an admin)")
            .register(registry);
    public final Counter transactionsRolledBack = Counter.build("tributary_transactions_rolled_back_total",
            "Transactions decided to roll back on this broker").register(registry);
    public final Counter transactionsTimedOut = Counter.build("tributary_transactions_timed_out_total",
            "Transactions whose check-backs all went unanswered or unknown: ended with the default outcome").register(registry);
    public final Counter transactionChecks = Counter.build("tributary_transaction_checks_total",
            "Check-backs of timed-out transactions (asked of a producer of the group, or due with none connected)")
            .register(registry);
    public final Counter publishThrottled = Counter.build("tributary_broker_publish_throttled_total",
            "Times a producer's stream stopped being read (back-pressure), by reason: pending (broker.maxPendingPublishes "
                    + "appends in flight) or buffer (broker.maxPublishBufferBytes full)").labelNames("reason").register(registry);
    public final Counter publishThrottledSeconds = Counter.build("tributary_broker_publish_throttled_seconds_total",
            "Time producers' streams spent not being read, summed over streams, by reason (pending, buffer)")
            .labelNames("reason").register(registry);
    /** The children of the throttling counters, resolved once: a stream pausing looks nothing up. */
    public final Counter.Child throttledPending = publishThrottled.labels("pending");
    public final Counter.Child throttledBuffer = publishThrottled.labels("buffer");
    public final Counter.Child throttledPendingSeconds = publishThrottledSeconds.labels("pending");
    public final Counter.Child throttledBufferSeconds = publishThrottledSeconds.labels("buffer");
    public final Counter topicStatsTimeouts = Counter.build("tributary_broker_topic_stats_timeouts_total",
            "Topics left out of a scrape because they did not give their stats in time").register(registry);

    /** Counts a failed move of a bundle asked for {@code reason} ("shed: ..." counts as shed). */
    public void unloadFailed(String reason, Throwable error) {
        unloadFailures.labels(reasonLabel(reason), errorLabel(error)).inc();
    }

    /** Counts a failed split of a bundle asked for {@code reason}. */
    public void splitFailed(String reason, Throwable error) {
        splitFailures.labels(reasonLabel(reason), errorLabel(error)).inc();
    }

    /** Counts a failed assignment of a bundle asked for {@code reason}. */
    public void assignmentFailed(String reason, Throwable error) {
        assignmentFailures.labels(reasonLabel(reason), errorLabel(error)).inc();
    }

    /** The label of why an operation was asked: what precedes the first colon ("shed: overloaded" is shed). */
    public static String reasonLabel(String reason) {
        int colon = reason.indexOf(':');
        return colon > 0 ? reason.substring(0, colon) : reason;
    }

    /**
     * The {@code error} label of a failure: its {@link ErrorReason} name when Tributary's code raised it (here or
     * on the broker that answered), the gRPC status code ({@code UNAVAILABLE}, {@code DEADLINE_EXCEEDED}) when a
     * call failed without one, {@code TIMEOUT} for a timeout, else {@code INTERNAL_ERROR}: a few values, never a message.
     */
    public static String errorLabel(Throwable error) {
        Throwable cause = ErrorReasons.unwrap(error);
        if (cause instanceof StatusRuntimeException sre && !hasDetail(sre.getTrailers())) {
            return sre.getStatus().getCode().name();
        }
        if (cause instanceof StatusException se && !hasDetail(se.getTrailers())) {
            return se.getStatus().getCode().name();
        }
        return ErrorReasons.detailOf(cause).getReason().name();
    }

    /**
     * Whether {@code error} is the answer of another broker (a status carrying Tributary's
     * {@link io.tributary.api.v1.ErrorDetail}), which counted its own failure; false for a call that got no
     * answer (unreachable, deadline) and for a failure raised here.
     */
    public static boolean answeredByPeer(Throwable error) {
        Throwable cause = ErrorReasons.unwrap(error);
        if (cause instanceof StatusRuntimeException sre) {
            return hasDetail(sre.getTrailers());
        }
        if (cause instanceof StatusException se) {
            return hasDetail(se.getTrailers());
        }
        return false;
    }

    private static boolean hasDetail(Metadata trailers) {
        return trailers != null && trailers.containsKey(ErrorReasons.DETAIL_KEY);
    }

    /**
     * Adds this broker's last load report, what the load manager's leader balances by: the load
     * score and its inputs, labelled with the broker's id.
     */
    public void registerLoad(String brokerId, Supplier<LoadReport> latest) {
        registerCollector(() -> {
            LoadReport r = latest.get();
            if (r == null) {
                return List.of();
            }
            List<String> labels = List.of("broker");
            List<String> values = List.of(brokerId);
            return List.of(
                    gauge("tributary_loadmanager_broker_load", "The load score the leader balances by (messages in and out per second)",
                            labels, values, BalancingPolicy.brokerLoad(r)),
                    gauge("tributary_loadmanager_broker_cpu_usage_ratio", "This broker's share of the machine's CPUs, 0 to 1",
                            labels, values, r.getCpuUsage()),
                    gauge("tributary_loadmanager_broker_heap_used_bytes", "Heap in use when the load was reported",
                            labels, values, r.getHeapUsedBytes()),
                    gauge("tributary_loadmanager_broker_direct_memory_used_bytes", "Direct memory in use when the load was reported",
                            labels, values, r.getDirectUsedBytes()),
                    gauge("tributary_loadmanager_broker_messages_in_rate", "Messages stored per second",
                            labels, values, r.getMsgRateIn()),
                    gauge("tributary_loadmanager_broker_messages_out_rate", "Messages delivered per second",
                            labels, values, r.getMsgRateOut()),
                    gauge("tributary_loadmanager_broker_bytes_in_rate", "Bytes stored per second (bandwidth in)",
                            labels, values, r.getBytesRateIn()),
                    gauge("tributary_loadmanager_broker_bytes_out_rate", "Bytes delivered per second (bandwidth out)",
                            labels, values, r.getBytesRateOut()),
                    gauge("tributary_loadmanager_broker_draining", "1 while the broker is draining: it takes no new bundles",
                            labels, values, r.getDraining() ? 1 : 0));
        });
    }

    /** Registers families read from {@code families} at each scrape. */
    private void registerCollector(Supplier<List<MetricFamilySamples>> families) {
        new Collector() {
            @Override
            public List<MetricFamilySamples> collect() {
                return families.get();
            }
        }.register(registry);
    }

    private static GaugeMetricFamily gauge(String name, String help, List<String> labels, List<String> values, double value) {
        return new GaugeMetricFamily(name, help, labels).addMetric(values, value);
    }

    /** Adds what the broker's logs and cursors did (rollovers, trims, cursor writes), read from {@code stats} at each scrape. */
    public void registerStorage(StorageStats stats) {
        registerCollector(() -> {
            List<MetricFamilySamples.Sample> persist = new ArrayList<>();
            long[] buckets = stats.persistCumulativeBuckets();
            for (int i = 0; i < buckets.length; i++) {
                String le = i < StorageStats.PERSIST_BUCKETS.length ? Collector.doubleToGoString(StorageStats.PERSIST_BUCKETS[i]) : "+Inf";
                persist.add(new MetricFamilySamples.Sample("tributary_broker_cursor_persist_seconds_bucket", List.of("le"),
                        List.of(le), buckets[i]));
            }
            persist.add(new MetricFamilySamples.Sample("tributary_broker_cursor_persist_seconds_count", List.of(), List.of(),
                    buckets[buckets.length - 1]));
            persist.add(new MetricFamilySamples.Sample("tributary_broker_cursor_persist_seconds_sum", List.of(), List.of(),
                    stats.persistSeconds()));
            return List.of(
                    new CounterMetricFamily("tributary_broker_ledger_rollovers_total",
                            "Ledgers closed for a new one (entries, size or age reached)", stats.rollovers()),
                    new CounterMetricFamily("tributary_broker_ledgers_trimmed_total",
                            "Ledgers deleted once consumed by every subscription and out of retention", stats.ledgersTrimmed()),
                    new CounterMetricFamily("tributary_broker_cursor_persist_failures_total",
                            "Writes of a subscription's acknowledgement state that failed (retried after the persist interval)",
                            stats.persistFailures()),
                    new MetricFamilySamples("tributary_broker_cursor_persist_seconds", Type.HISTOGRAM,
                            "Time to write a subscription's acknowledgement state (znode or cursor ledger)", persist));
        });
    }

    /** Adds the broker-wide publish buffer's use and limit, read at each scrape. */
    public void registerPublishBuffer(LongSupplier usedBytes, long limitBytes) {
        registerCollector(() -> {
            return List.of(
                    new GaugeMetricFamily("tributary_broker_publish_buffer_used_bytes",
                            "Bytes of publish requests read and not yet stored, all producers together", usedBytes.getAsLong()),
                    new GaugeMetricFamily("tributary_broker_publish_buffer_limit_bytes",
                            "The publish buffer's limit (broker.maxPublishBufferBytes): at or above it, no stream is read",
                            limitBytes));
        });
    }

    /** Adds the entry cache's figures, read from {@code budget} at each scrape. */
    public void registerEntryCache(CacheBudget budget) {
        registerCollector(() -> {
            return List.of(
                    new CounterMetricFamily("tributary_broker_entry_cache_hits_total",
                            "Reads answered from the entry cache", budget.hits()),
                    new CounterMetricFamily("tributary_broker_entry_cache_misses_total",
                            "Reads that went to the bookies, not found in the entry cache", budget.misses()),
                    new CounterMetricFamily("tributary_broker_entry_cache_evictions_total",
                            "Entries evicted from the cache to keep within broker.entryCacheSizeBytes", budget.evictions()),
                    new GaugeMetricFamily("tributary_broker_entry_cache_size_bytes",
                            "Bytes of entries cached now, by all topics together", budget.usedBytes()),
                    new GaugeMetricFamily("tributary_broker_entry_cache_max_bytes",
                            "The cache's budget (broker.entryCacheSizeBytes)", budget.maxBytes()));
        });
    }

    /** Adds the topic and subscription metrics, read from {@code topics} at each scrape. */
    public void registerTopics(Supplier<List<Topic>> topics, String cluster, boolean topicLevel, boolean producerLevel) {
        new TopicMetrics(topics, cluster, topicLevel, producerLevel, topicStatsTimeouts).register(registry);
    }

    public CollectorRegistry registry() {
        return registry;
    }

    /** Nothing to release: the broker closes the endpoint serving this registry. */
    @Override
    public void close() {
    }
}
