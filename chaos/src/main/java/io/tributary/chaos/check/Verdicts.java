package io.tributary.chaos.check;

import io.tributary.chaos.load.Delivery;
import io.tributary.chaos.load.LoadPlan.SubscriptionKind;
import io.tributary.chaos.load.LoadPlan.SubscriptionPlan;
import io.tributary.chaos.load.MessageRecord.Snapshot;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The checker's judgement, a pure function of the workload's history and the audit read, so that
 * tests can feed it a loss, a duplicate or a reordering made by hand and see it counted.
 *
 * <p>Definitions (docs/reliability.md says why each is what a user is promised):
 * <ul>
 *   <li><b>lost</b>: a send the broker confirmed whose identity is nowhere in the audit read.
 *   <li><b>duplicated</b>: every stored copy of an identity beyond the first (copies at distinct
 *       positions; the same position read twice is a redelivery of the audit read, not a copy).
 *   <li><b>storage order</b>: on one partition, the first stored copies of one producer's messages
 *       are in the order of its sequence; each message stored after a higher sequence of its producer
 *       counts once. A producer with key-based batching keeps one open batch per key and sends them
 *       as they fill, so it promises this per key only.
 *   <li><b>delivery order</b>: on exclusive and failover subscriptions and readers, one consumer's
 *       first deliveries of one partition come in storage order; on key_shared, those of one key. A
 *       first delivery is the first delivery of the message to the subscription at all, with
 *       redelivery count 0: messages that come again (negative acks, ack timeouts, reconnects,
 *       failover) are promised to come again, not to come in order.
 *   <li><b>undelivered</b>: a stored message never delivered to a durable subscription of its topic.
 * </ul>
 */
public final class Verdicts {
    private static final Pattern PARTITION = Pattern.compile("^(.*)-partition-\\d+$");
    private static final int SAMPLE = 20;

    private Verdicts() {}

    /** The topic a partition belongs to (a plain topic is its own). */
    static String baseTopic(String topic) {
        Matcher m = PARTITION.matcher(topic);
        return m.matches() ? m.group(1) : topic;
    }

    /** Where each identity is stored: topic and index in its audit read, first copy first. */
    private record Placement(String topic, int index, String position) {}

    /**
     * Judges a run.
     *
     * @param history every message's history
     * @param audit per topic or partition (own name), the messages stored there in storage order
     * @param subscriptions the workload's subscriptions and readers (the audit ones excluded)
     */
    public static CheckReport evaluate(List<Snapshot> history, Map<String, List<StoredMessage>> audit,
            List<SubscriptionPlan> subscriptions) {
        return evaluate(history, audit, subscriptions, Set.of());
    }

    /**
     * Judges a run.
     *
     * @param history every message's history
     * @param audit per topic or partition (own name), the messages stored there in storage order
     * @param subscriptions the workload's subscriptions and readers (the audit ones excluded)
     * @param perKeyProducers producers that promise storage order per key only (key-based batching)
     */
    public static CheckReport evaluate(List<Snapshot> history, Map<String, List<StoredMessage>> audit,
            List<SubscriptionPlan> subscriptions, Set<String> perKeyProducers) {
        Map<String, Snapshot> byId = new HashMap<>();
        for (Snapshot s : history) {
            byId.put(s.producer() + "#" + s.sequence(), s);
        }
        Map<String, List<Placement>> placements = new LinkedHashMap<>();
        long unknownStored = 0;
        for (Map.Entry<String, List<StoredMessage>> e : new TreeMap<>(audit).entrySet()) {
            Set<String> positions = new HashSet<>();
            int index = 0;
            for (StoredMessage m : e.getValue()) {
                if (!positions.add(m.position())) {
                    continue; // the audit read saw this position again: not a second copy
                }
                if (m.producer() == null || !byId.containsKey(m.identity())) {
                    unknownStored++;
                } else {
                    placements.computeIfAbsent(m.identity(), k -> new ArrayList<>())
                            .add(new Placement(e.getKey(), index, m.position()));
                }
                index++;
            }
        }
        List<CheckReport.Violation> violations = new ArrayList<>();
        long attempts = 0;
        long acked = 0;
        long failed = 0;
        long storedAfterFailedSend = 0;
        long lost = 0;
        long duplicated = 0;
        long withoutPosition = 0;
        long mismatches = 0;
        List<String> lostSample = new ArrayList<>();
        List<String> duplicatedSample = new ArrayList<>();
        for (Snapshot s : history) {
            String id = s.producer() + "#" + s.sequence();
            List<Placement> at = placements.getOrDefault(id, List.of());
            attempts += s.attempts().isEmpty() ? 0 : 1;
            if (s.acked()) {
                acked++;
                if (at.isEmpty()) {
                    lost++;
                    sample(lostSample, id);
                    violations.add(violation("lost", "acknowledged as " + s.ackMessageId() + " (partition "
                            + s.ackPartition() + ") but not in the audit read", at, s));
                } else if (s.ackMessageId().startsWith("-1:")) {
                    withoutPosition++;
                } else if (at.stream().noneMatch(p -> p.position().equals(s.ackMessageId())
                        && (s.ackPartition() < 0 || p.topic().endsWith("-partition-" + s.ackPartition())))) {
                    mismatches++;
                }
            } else if (s.failure() != null) {
                failed++;
                if (!at.isEmpty()) {
                    storedAfterFailedSend++;
                }
            }
            if (at.size() > 1) {
                duplicated += at.size() - 1;
                sample(duplicatedSample, id);
                violations.add(violation("duplicated", "stored " + at.size() + " times", at, s));
            }
        }
        long storageOrder = storageOrder(audit, placements, byId, perKeyProducers, violations);
        long deliveryOrder = deliveryOrder(history, placements, subscriptions, violations);
        Map<String, Long> undeliveredBySubscription = new TreeMap<>();
        long undelivered = undelivered(history, placements, subscriptions, undeliveredBySubscription, violations);
        long redelivered = 0;
        for (Snapshot s : history) {
            Map<String, Integer> perSubscription = new HashMap<>();
            for (Delivery d : s.deliveries()) {
                if (perSubscription.merge(d.subscription(), 1, Integer::sum) > 1) {
                    redelivered++;
                }
            }
        }
        CheckReport.Violation first = violations.isEmpty() ? null : violations.get(0);
        return new CheckReport(attempts, acked, failed, placements.size(), storedAfterFailedSend, lost, duplicated,
                storageOrder + deliveryOrder, storageOrder, deliveryOrder, undelivered,
                undeliveredBySubscription, redelivered, unknownStored, withoutPosition, mismatches, lostSample,
                duplicatedSample, first, Map.of(), null);
    }

    private static void sample(List<String> sample, String id) {
        if (sample.size() < SAMPLE) {
            sample.add(id);
        }
    }

    private static CheckReport.Violation violation(String kind, String detail, List<Placement> at, Snapshot s) {
        List<String> where = at.stream().map(p -> p.topic() + "@" + p.position()).toList();
        return new CheckReport.Violation(kind, detail, where, s);
    }

    /** Each producer's first copies on one partition must follow its sequence. */
    private static long storageOrder(Map<String, List<StoredMessage>> audit, Map<String, List<Placement>> placements,
            Map<String, Snapshot> byId, Set<String> perKeyProducers, List<CheckReport.Violation> violations) {
        long count = 0;
        for (Map.Entry<String, List<StoredMessage>> e : new TreeMap<>(audit).entrySet()) {
            Map<String, Long> highest = new HashMap<>();
            Set<String> seen = new HashSet<>();
            for (StoredMessage m : e.getValue()) {
                if (m.producer() == null || !byId.containsKey(m.identity()) || !seen.add(m.identity())) {
                    continue; // unknown, or a later copy (counted as a duplicate)
                }
                String bucket = perKeyProducers.contains(m.producer()) ? m.producer() + "|" + m.key() : m.producer();
                Long before = highest.get(bucket);
                if (before != null && m.sequence() < before) {
                    count++;
                    violations.add(violation("storage-order", "stored on " + e.getKey() + " after sequence "
                            + before + " of the same producer" + (bucket.equals(m.producer()) ? "" : " and key"),
                            placements.get(m.identity()), byId.get(m.identity())));
                } else {
                    highest.put(bucket, m.sequence());
                }
            }
        }
        return count;
    }

    /** What order, if any, a subscription type promises for first deliveries. */
    private static boolean ordered(SubscriptionKind kind) {
        return kind == SubscriptionKind.EXCLUSIVE || kind == SubscriptionKind.FAILOVER
                || kind == SubscriptionKind.KEY_SHARED || kind == SubscriptionKind.READER;
    }

    private record FirstDelivery(Delivery delivery, Snapshot message, Placement placement) {}

    private static long deliveryOrder(List<Snapshot> history, Map<String, List<Placement>> placements,
            List<SubscriptionPlan> subscriptions, List<CheckReport.Violation> violations) {
        Map<String, SubscriptionPlan> byName = new HashMap<>();
        for (SubscriptionPlan p : subscriptions) {
            byName.put(p.topic() + "|" + p.name(), p);
        }
        // bucket (subscription, consumer, partition[, key]) -> first deliveries
        Map<String, List<FirstDelivery>> buckets = new TreeMap<>();
        for (Snapshot s : history) {
            List<Placement> at = placements.get(s.producer() + "#" + s.sequence());
            if (at == null) {
                continue; // not stored: nothing to order it against (lost ones are counted already)
            }
            Set<String> seenIn = new HashSet<>();
            List<Delivery> inOrder = new ArrayList<>(s.deliveries());
            inOrder.sort(Comparator.comparingLong(Delivery::order));
            for (Delivery d : inOrder) {
                SubscriptionPlan plan = byName.get(s.topic() + "|" + d.subscription());
                boolean first = seenIn.add(d.subscription());
                if (plan == null || !ordered(plan.kind()) || !first || d.redeliveryCount() > 0) {
                    continue;
                }
                Placement p = at.stream().filter(x -> x.topic().equals(d.topic())).findFirst().orElse(at.get(0));
                String bucket = d.subscription() + "|" + d.consumer() + "|" + p.topic()
                        + (plan.kind() == SubscriptionKind.KEY_SHARED ? "|" + s.key() : "");
                buckets.computeIfAbsent(bucket, k -> new ArrayList<>()).add(new FirstDelivery(d, s, p));
            }
        }
        long count = 0;
        for (Map.Entry<String, List<FirstDelivery>> e : buckets.entrySet()) {
            List<FirstDelivery> list = e.getValue();
            list.sort(Comparator.comparingLong(f -> f.delivery().order()));
            int highest = -1;
            for (FirstDelivery f : list) {
                if (f.placement().index() < highest) {
                    count++;
                    violations.add(violation("delivery-order", "first delivered to " + f.delivery().consumer()
                            + " of " + f.delivery().subscription() + " after a message stored later on "
                            + f.placement().topic(), placements.get(f.message().producer() + "#"
                            + f.message().sequence()), f.message()));
                } else {
                    highest = f.placement().index();
                }
            }
        }
        return count;
    }

    private static long undelivered(List<Snapshot> history, Map<String, List<Placement>> placements,
            List<SubscriptionPlan> subscriptions, Map<String, Long> bySubscription,
            List<CheckReport.Violation> violations) {
        long count = 0;
        for (Snapshot s : history) {
            List<Placement> at = placements.get(s.producer() + "#" + s.sequence());
            if (at == null) {
                continue;
            }
            String topic = baseTopic(at.get(0).topic());
            for (SubscriptionPlan p : subscriptions) {
                if (!p.durable() || !p.topic().equals(topic)) {
                    continue;
                }
                boolean got = s.deliveries().stream().anyMatch(d -> d.subscription().equals(p.name()));
                if (!got) {
                    count++;
                    bySubscription.merge(p.topic() + "/" + p.name(), 1L, Long::sum);
                    violations.add(violation("undelivered", "stored but never delivered to " + p.name(), at, s));
                }
            }
        }
        return count;
    }

    /** Stored (message, durable subscription) pairs not delivered yet: what the checker waits on. */
    public static long undeliveredNow(List<Snapshot> history, Map<String, List<StoredMessage>> audit,
            List<SubscriptionPlan> subscriptions) {
        return evaluate(history, audit, subscriptions, Set.of()).undelivered();
    }
}
