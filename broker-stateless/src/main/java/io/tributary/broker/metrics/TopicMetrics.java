package io.tributary.broker.metrics;

import io.prometheus.client.Collector;
import io.prometheus.client.CounterMetricFamily;
import io.prometheus.client.GaugeMetricFamily;
import io.tributary.api.v1.SubscriptionStats;
import io.tributary.api.v1.TopicStats;
import io.tributary.broker.topic.Topic;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The topics and subscriptions this broker serves, read at each scrape from the same stats the
 * admin API's GetTopicStats returns (each topic assembles them on its own thread). With
 * {@code topicLevel} every series has {@code namespace} and {@code topic} labels, subscription series
 * also {@code subscription}; without it the same families are summed by namespace, for clusters
 * with many topics. A topic that does not answer within {@link #TIMEOUT_MS} is left out of that
 * scrape and counted in {@code tributary_broker_topic_stats_timeouts_total}.
 */
public final class TopicMetrics extends Collector {
    private static final Logger LOG = LoggerFactory.getLogger(TopicMetrics.class);
    static final long TIMEOUT_MS = 2_000;

    /** One family: its name, help, whether a counter, and how it reads a value. */
    private record Family<S>(String name, String help, boolean counter, Function<S, Double> value) {}

    private static final List<Family<TopicStats>> TOPIC = List.of(
            new Family<>("tributary_topic_messages_in_total", "Messages stored on the topic since it was loaded on this broker",
                    true, t -> (double) t.getMsgInTotal()),
            new Family<>("tributary_topic_bytes_in_total", "Bytes stored on the topic since it was loaded on this broker",
                    true, t -> (double) t.getBytesInTotal()),
            new Family<>("tributary_topic_messages_out_total", "Messages delivered to the topic's consumers since it was loaded on this broker",
                    true, t -> (double) t.getMsgOutTotal()),
            new Family<>("tributary_topic_bytes_out_total", "Bytes delivered to the topic's consumers since it was loaded on this broker",
                    true, t -> (double) t.getBytesOutTotal()),
            new Family<>("tributary_topic_publish_rate", "Messages published per second (the broker's one-minute rate)",
                    false, TopicStats::getMsgRateIn),
            new Family<>("tributary_topic_storage_size_bytes", "Bytes the topic's ledgers hold in BookKeeper (one copy)",
                    false, t -> (double) t.getStorageSizeBytes()),
            new Family<>("tributary_topic_ledgers", "Ledgers the topic's log is made of", false, t -> (double) t.getLedgers()),
            new Family<>("tributary_topic_producers", "Producers connected to the topic", false, t -> (double) t.getProducers()),
            new Family<>("tributary_topic_subscriptions", "Subscriptions of the topic with state on this broker",
                    false, t -> (double) t.getSubscriptionsCount()));

    private static final List<Family<SubscriptionStats>> SUBSCRIPTION = List.of(
            new Family<>("tributary_subscription_backlog_messages", "Messages not yet acknowledged by the subscription",
                    false, s -> (double) s.getMsgBacklog()),
            new Family<>("tributary_subscription_backlog_bytes", "Bytes not yet acknowledged by the subscription",
                    false, s -> (double) s.getBacklogBytes()),
            new Family<>("tributary_subscription_unacked_messages", "Messages delivered to consumers and not acknowledged yet",
                    false, s -> (double) s.getUnackedMessages()),
            new Family<>("tributary_subscription_delayed_messages", "Messages held back until their delivery time",
                    false, s -> (double) s.getDelayedMessages()),
            new Family<>("tributary_subscription_consumers", "Consumers attached to the subscription",
                    false, s -> (double) s.getConsumersCount()),
            new Family<>("tributary_subscription_messages_out_total", "Messages delivered to the subscription's consumers",
                    true, s -> (double) s.getMsgOutTotal()),
            new Family<>("tributary_subscription_redelivered_messages_total", "Messages delivered again (negative acks, ack timeouts, consumers gone)",
                    true, s -> (double) s.getRedeliveredTotal()),
            new Family<>("tributary_subscription_expired_messages_total", "Messages acknowledged by the broker because their TTL passed",
                    true, s -> (double) s.getExpiredTotal()));

    private final Supplier<List<Topic>> topics;
    private final String cluster;
    private final boolean topicLevel;
    private final io.prometheus.client.Counter timeouts;

    public TopicMetrics(Supplier<List<Topic>> topics, String cluster, boolean topicLevel, io.prometheus.client.Counter timeouts) {
        this.topics = topics;
        this.cluster = cluster;
        this.topicLevel = topicLevel;
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
        // label values → sums, per family, in a stable order
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
            for (Family<TopicStats> f : TOPIC) {
                values.computeIfAbsent(f.name(), k -> new LinkedHashMap<>()).merge(topicLabels, f.value().apply(stats), Double::sum);
            }
            for (SubscriptionStats s : stats.getSubscriptionsList()) {
                List<String> subLabels = topicLevel ? List.of(cluster, namespace, stats.getTopic(), s.getSubscription())
                        : topicLabels;
                for (Family<SubscriptionStats> f : SUBSCRIPTION) {
                    values.computeIfAbsent(f.name(), k -> new LinkedHashMap<>()).merge(subLabels, f.value().apply(s), Double::sum);
                }
            }
        }
        List<MetricFamilySamples> out = new ArrayList<>();
        List<String> topicNames = topicLevel ? List.of("cluster", "namespace", "topic") : List.of("cluster", "namespace");
        List<String> subNames = topicLevel ? List.of("cluster", "namespace", "topic", "subscription") : topicNames;
        add(out, TOPIC, topicNames, values);
        add(out, SUBSCRIPTION, subNames, values);
        return out;
    }

    private static <S> void add(List<MetricFamilySamples> out, List<Family<S>> families, List<String> labelNames,
                                Map<String, Map<List<String>, Double>> values) {
        for (Family<S> f : families) {
            Map<List<String>, Double> series = values.getOrDefault(f.name(), Map.of());
            if (f.counter()) {
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
