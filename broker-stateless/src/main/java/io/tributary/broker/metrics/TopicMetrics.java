package io.tributary.broker.metrics;

import io.prometheus.client.Collector;
import io.prometheus.client.CounterMetricFamily;
import io.prometheus.client.GaugeMetricFamily;
import io.tributary.api.v1.PublisherStats;
import io.tributary.api.v1.SubscriptionStats;
import io.tributary.api.v1.TopicStats;
import io.tributary.broker.topic.Topic;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.function.BinaryOperator;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The topics, subscriptions and producers this broker serves, read at each scrape from the same
 * stats the admin API's GetTopicStats returns (each topic assembles them on its own thread). With
 * {@code topicLevel} every series has {@code namespace} and {@code topic} labels, subscription series
 * also {@code subscription}, producer series (with {@code producerLevel}) also {@code producer};
 * without {@code topicLevel} the topic and subscription families are aggregated by namespace (summed,
 * or the largest value for ages and quota figures) and there are no producer series, for clusters
 * with many topics. A topic that does not answer within {@link #TIMEOUT_MS} is left out of that
 * scrape and counted in {@code tributary_broker_topic_stats_timeouts_total}.
 */
public final class TopicMetrics extends Collector {
    private static final Logger LOG = LoggerFactory.getLogger(TopicMetrics.class);
    static final long TIMEOUT_MS = 2_000;

    /** How a family's values are typed and aggregated by namespace. */
    private enum Kind {
        COUNTER(Double::sum), GAUGE(Double::sum), GAUGE_MAX(Math::max);

        final BinaryOperator<Double> merge;

        Kind(BinaryOperator<Double> merge) {
            this.merge = merge;
        }
    }

    /** One family: its name, help, kind, and how it reads a value (null: no sample for this one). */
    private record Family<S>(String name, String help, Kind kind, BiFunction<S, Long, Double> value) {
        Family(String name, String help, Kind kind, Function<S, Double> value) {
            this(name, help, kind, (stats, nowMs) -> value.apply(stats));
        }
    }

    private static final List<Family<TopicStats>> TOPIC = List.of(
            new Family<>("tributary_topic_messages_in_total", "Messages stored on the topic since it was loaded on this broker",
                    Kind.COUNTER, t -> (double) t.getMsgInTotal()),
            new Family<>("tributary_topic_bytes_in_total", "Bytes stored on the topic since it was loaded on this broker",
                    Kind.COUNTER, t -> (double) t.getBytesInTotal()),
            new Family<>("tributary_topic_messages_out_total", "Messages delivered to the topic's consumers since it was loaded on this broker",
                    Kind.COUNTER, t -> (double) t.getMsgOutTotal()),
            new Family<>("tributary_topic_bytes_out_total", "Bytes delivered to the topic's consumers since it was loaded on this broker",
                    Kind.COUNTER, t -> (double) t.getBytesOutTotal()),
            new Family<>("tributary_topic_publish_rate", "Messages published per second (the broker's five-second rate)",
                    Kind.GAUGE, TopicStats::getMsgRateIn),
            new Family<>("tributary_topic_publish_throttled_seconds_total",
                    "Time the topic's producers were held back by its publish rate limits (its own, its namespace's share)",
                    Kind.COUNTER, t -> t.getPublishThrottledMsTotal() / 1000.0),
            new Family<>("tributary_topic_storage_size_bytes", "Bytes the topic's ledgers hold in BookKeeper (one copy)",
                    Kind.GAUGE, t -> (double) t.getStorageSizeBytes()),
            new Family<>("tributary_topic_ledgers", "Ledgers the topic's log is made of", Kind.GAUGE, t -> (double) t.getLedgers()),
            new Family<>("tributary_topic_producers", "Producers connected to the topic", Kind.GAUGE, t -> (double) t.getProducers()),
            new Family<>("tributary_topic_subscriptions", "Subscriptions of the topic with state on this broker",
                    Kind.GAUGE, t -> (double) t.getSubscriptionsCount()),
            new Family<>("tributary_topic_backlog_quota_limit_bytes",
                    "The backlog quota in force: the largest backlog one subscription may have (topics with a quota only)",
                    Kind.GAUGE_MAX, t -> t.getBacklogQuotaLimitBytes() > 0 ? (double) t.getBacklogQuotaLimitBytes() : null),
            new Family<>("tributary_topic_backlog_quota_usage_ratio",
                    "The largest subscription backlog as a share of the backlog quota; at 1 the quota's policy acts (topics with a quota only)",
                    Kind.GAUGE_MAX, t -> t.getBacklogQuotaLimitBytes() > 0
                            ? t.getBacklogBytes() / (double) t.getBacklogQuotaLimitBytes() : null));

    private static final List<Family<SubscriptionStats>> SUBSCRIPTION = List.of(
            new Family<>("tributary_subscription_backlog_messages", "Messages not yet acknowledged by the subscription",
                    Kind.GAUGE, s -> (double) s.getMsgBacklog()),
            new Family<>("tributary_subscription_backlog_bytes", "Bytes not yet acknowledged by the subscription",
                    Kind.GAUGE, s -> (double) s.getBacklogBytes()),
            new Family<>("tributary_subscription_backlog_age_seconds",
                    "Age of the oldest unacknowledged message, by its publish time; 0 without a backlog",
                    Kind.GAUGE_MAX, (s, nowMs) -> s.getOldestBacklogPublishTimeMs() > 0
                            ? Math.max(0, nowMs - s.getOldestBacklogPublishTimeMs()) / 1000.0 : 0.0),
            new Family<>("tributary_subscription_unacked_messages", "Messages delivered to consumers and not acknowledged yet",
                    Kind.GAUGE, s -> (double) s.getUnackedMessages()),
            new Family<>("tributary_subscription_delayed_messages", "Messages held back until their delivery time",
                    Kind.GAUGE, s -> (double) s.getDelayedMessages()),
            new Family<>("tributary_subscription_consumers", "Consumers attached to the subscription",
                    Kind.GAUGE, s -> (double) s.getConsumersCount()),
            new Family<>("tributary_subscription_dispatch_throttled_seconds_total",
                    "Time the subscription's dispatch waited for tokens of its own or its topic's dispatch rate limit",
                    Kind.COUNTER, s -> s.getDispatchThrottledMsTotal() / 1000.0),
            new Family<>("tributary_subscription_messages_out_total", "Messages delivered to the subscription's consumers",
                    Kind.COUNTER, s -> (double) s.getMsgOutTotal()),
            new Family<>("tributary_subscription_redelivered_messages_total", "Messages delivered again (negative acks, ack timeouts, consumers gone)",
                    Kind.COUNTER, s -> (double) s.getRedeliveredTotal()),
            new Family<>("tributary_subscription_expired_messages_total", "Messages acknowledged by the broker because their TTL passed",
                    Kind.COUNTER, s -> (double) s.getExpiredTotal()),
            new Family<>("tributary_subscription_dead_lettered_messages_total",
                    "Messages the subscription's consumers sent to its dead-letter topic (after too many deliveries)",
                    Kind.COUNTER, s -> (double) s.getDeadLetteredTotal()));

    private static final List<Family<PublisherStats>> PRODUCER = List.of(
            new Family<>("tributary_producer_messages_in_total", "Messages the producer stored on the topic since it connected",
                    Kind.COUNTER, p -> (double) p.getMsgInTotal()),
            new Family<>("tributary_producer_bytes_in_total", "Bytes the producer stored on the topic since it connected",
                    Kind.COUNTER, p -> (double) p.getBytesInTotal()),
            new Family<>("tributary_producer_publish_rate", "Messages the producer published per second (the broker's five-second rate)",
                    Kind.GAUGE, PublisherStats::getMsgRateIn));

    private final Supplier<List<Topic>> topics;
    private final String cluster;
    private final boolean topicLevel;
    private final boolean producerLevel;
    private final io.prometheus.client.Counter timeouts;

    public TopicMetrics(Supplier<List<Topic>> topics, String cluster, boolean topicLevel, boolean producerLevel,
                        io.prometheus.client.Counter timeouts) {
        this.topics = topics;
        this.cluster = cluster;
        this.topicLevel = topicLevel;
        this.producerLevel = topicLevel && producerLevel;
        this.timeouts = timeouts;
    }

    @Override
    public List<MetricFamilySamples> collect() {
        List<Topic> loaded = topics.get();
        List<CompletableFuture<TopicStats>> asked = new ArrayList<>(loaded.size());
        for (Topic t : loaded) {
            asked.add(t.stats());
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MS);
        long nowMs = System.currentTimeMillis();
        // label values → aggregated values, per family, in a stable order
        Map<String, Map<List<String>, Double>> values = new LinkedHashMap<>();
        for (int i = 0; i < loaded.size(); i++) {
            TopicStats stats;
            try {
                stats = asked.get(i).get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } catch (Exception e) {
                timeouts.inc();
                LOG.debug("topic {} left out of this scrape: {}", loaded.get(i).name(), e.toString());
                continue;
            }
            String namespace = loaded.get(i).name().namespace();
            List<String> topicLabels = topicLevel ? List.of(cluster, namespace, stats.getTopic()) : List.of(cluster, namespace);
            put(values, TOPIC, topicLabels, stats, nowMs);
            for (SubscriptionStats s : stats.getSubscriptionsList()) {
                List<String> subLabels = topicLevel ? List.of(cluster, namespace, stats.getTopic(), s.getSubscription())
                        : topicLabels;
                put(values, SUBSCRIPTION, subLabels, s, nowMs);
            }
            if (producerLevel) {
                for (PublisherStats p : stats.getPublishersList()) {
                    put(values, PRODUCER, List.of(cluster, namespace, stats.getTopic(), p.getProducerName()), p, nowMs);
                }
            }
        }
        List<MetricFamilySamples> out = new ArrayList<>();
        List<String> topicNames = topicLevel ? List.of("cluster", "namespace", "topic") : List.of("cluster", "namespace");
        List<String> subNames = topicLevel ? List.of("cluster", "namespace", "topic", "subscription") : topicNames;
        add(out, TOPIC, topicNames, values);
        add(out, SUBSCRIPTION, subNames, values);
        if (producerLevel) {
            add(out, PRODUCER, List.of("cluster", "namespace", "topic", "producer"), values);
        }
        return out;
    }

    private static <S> void put(Map<String, Map<List<String>, Double>> values, List<Family<S>> families, List<String> labels,
                                S stats, long nowMs) {
        for (Family<S> f : families) {
            Double v = f.value().apply(stats, nowMs);
            if (v != null) {
                values.computeIfAbsent(f.name(), k -> new LinkedHashMap<>()).merge(labels, v, f.kind().merge);
            }
        }
    }

    private static <S> void add(List<MetricFamilySamples> out, List<Family<S>> families, List<String> labelNames,
                                Map<String, Map<List<String>, Double>> values) {
        for (Family<S> f : families) {
            Map<List<String>, Double> series = values.getOrDefault(f.name(), Map.of());
            if (f.kind() == Kind.COUNTER) {
                CounterMetricFamily c = new CounterMetricFamily(f.name(), f.help(), labelNames);
                series.forEach(c::addMetric);
                out.add(c);
            } else {
                GaugeMetricFamily g = new GaugeMetricFamily(f.name(), f.help(), labelNames);
                series.forEach(g::addMetric);
                out.add(g);
            }
        }
    }
}
