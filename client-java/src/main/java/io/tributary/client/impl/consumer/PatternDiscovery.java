package io.tributary.client.impl.consumer;

import io.tributary.client.impl.TopicLookup;
import io.tributary.client.impl.TributaryClientImpl;
import io.tributary.protocol.TopicName;
import io.tributary.protocol.TributaryException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The topics of a pattern subscription: lists the namespace, keeps the names that match, and
 * expands partitioned topics into their partitions; then does it again every discovery period
 * and tells the consumer. The namespace listing holds plain topics, partitioned topics and
 * their partitions alike: a partitioned topic is matched by its own name, and a partition on its
 * own only when its partitioned topic does not match.
 */
final class PatternDiscovery {
    private static final Logger LOG = LoggerFactory.getLogger(PatternDiscovery.class);

    private final TopicLookup lookup;
    private final Pattern pattern;
    private final String namespace;
    private final Set<String> excluded;
    /** What each matching topic opens streams on; a partition count never changes, so it is asked once. */
    private final Map<String, List<String>> expansions = new ConcurrentHashMap<>();
    private final AtomicBoolean running = new AtomicBoolean();

    /** @param excluded topics never read, although they match (the consumer's own dead-letter and retry topics) */
    PatternDiscovery(TopicLookup lookup, Pattern pattern, Set<String> excluded) {
        this.lookup = lookup;
        this.pattern = pattern;
        this.namespace = namespaceOf(pattern);
        this.excluded = Set.copyOf(excluded);
    }

    /**
     * The namespace a pattern lists: its first two segments, which must be literal names.
     *
     * @throws IllegalArgumentException if the pattern does not begin with {@code tenant/namespace/}
     */
    static String namespaceOf(Pattern pattern) {
        String[] parts = pattern.pattern().split("/", 3);
        if (parts.length == 3) {
            try {
                return TopicName.namespaceOf(parts[0] + "/" + parts[1]);
            } catch (TributaryException e) {
                // explained below
            }
        }
        throw new IllegalArgumentException("topicsPattern must begin with a literal tenant/namespace/ (without "
                + "persistent://), the namespace it lists; '" + pattern.pattern() + "' does not");
    }

    /** The streams of a topic with {@code partitions} partitions: its partitions, or itself if it has none. */
    static List<String> streamsOf(TopicName topic, int partitions) {
        if (partitions <= 0) {
            return List.of(topic.toString());
        }
        List<String> out = new ArrayList<>(partitions);
        for (int i = 0; i < partitions; i++) {
            out.add(topic.partition(i).toString());
        }
        return out;
    }

    /** The topics to read now, partitions one by one, in name order. */
    CompletableFuture<List<String>> discover() {
        return lookup.topicsOf(namespace).thenCompose(listed -> {
            Set<String> all = new HashSet<>(listed);
            List<String> matched = new ArrayList<>();
            List<String> lonePartitions = new ArrayList<>();
            for (String name : new TreeSet<>(listed)) {
                TopicName topic;
                try {
                    topic = TopicName.of(name);
                } catch (TributaryException e) {
                    continue;
                }
                String canonical = topic.toString();
                if (excluded.contains(canonical)) {
                    continue;
                }
                String parent = parentOf(topic);
                if (parent != null && all.contains(parent)) {
                    if (!matches(parent) && matches(canonical)) {
                        lonePartitions.add(canonical);
                    }
                } else if (matches(canonical)) {
                    matched.add(canonical);
                }
            }
            // a deleted topic is asked again should it come back
            expansions.keySet().retainAll(matched);
            List<CompletableFuture<List<String>>> expanding = new ArrayList<>(matched.size());
            for (String topic : matched) {
                List<String> known = expansions.get(topic);
                expanding.add(known != null ? CompletableFuture.completedFuture(known)
                        : lookup.partitions(topic).thenApply(n -> {
                            List<String> streams = streamsOf(TopicName.of(topic), n);
                            expansions.put(topic, streams);
                            return streams;
                        }));
            }
            return CompletableFuture.allOf(expanding.toArray(CompletableFuture<?>[]::new)).thenApply(v -> {
                Set<String> topics = new LinkedHashSet<>();
                expanding.forEach(f -> topics.addAll(f.join()));
                topics.addAll(lonePartitions);
                return List.copyOf(topics);
            });
        });
    }

    private boolean matches(String topic) {
        return pattern.matcher(topic).matches();
    }

    /** The partitioned topic a partition's name points to, or null if the name is not a partition's. */
    private static String parentOf(TopicName topic) {
        if (topic.partitionIndex() < 0) {
            return null;
        }
        String local = topic.localName();
        try {
            return TopicName.of(topic.namespace() + "/" + local.substring(0, local.lastIndexOf(TopicName.PARTITION_SUFFIX)))
                    .toString();
        } catch (TributaryException e) {
            return null;
        }
    }

    /** Discovers again every {@code periodMs} until the consumer closes, and gives it what is found. */
    void watch(TributaryClientImpl client, ConsumerImpl<?> consumer, long periodMs) {
        ScheduledFuture<?> task = client.scheduleWithFixedDelay(() -> refresh(consumer), periodMs, TimeUnit.MILLISECONDS);
        if (task != null) {
            consumer.onClose(() -> task.cancel(false));
        }
    }

    private void refresh(ConsumerImpl<?> consumer) {
        // a listing slower than the period is not overtaken by the next one
        if (!running.compareAndSet(false, true)) {
            return;
        }
        discover().whenComplete((topics, t) -> {
            running.set(false);
            if (t != null) {
                LOG.warn("Could not list the topics of {} for pattern {}; trying again in the next period: {}", namespace,
                        pattern, t.toString());
            } else {
                consumer.topics().update(topics);
            }
        });
    }
}
