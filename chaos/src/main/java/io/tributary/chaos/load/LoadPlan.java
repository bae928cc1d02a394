package io.tributary.chaos.load;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * What the chaos workload does, derived from one seed: topics, producers, subscriptions, a reader
 * and unary pollers. Printed as JSON with the fault schedule so a run can be replayed; the same
 * seed and duration always give the same plan.
 *
 * <p>Every topic has an {@link #AUDIT} subscription, created before anything is sent and never
 * acknowledged: after the run it holds everything that was stored, which is what the checker
 * compares the producers' acknowledgements with.
 *
 * @param seed the seed the plan came from
 * @param durationMs how long producers send
 * @param namespace tenant/namespace of every topic
 * @param topics the topics (one partitioned)
 * @param producers the named, idempotent producers
 * @param shortLived the short-lived unnamed producers
 * @param subscriptions every subscription and reader, the audit ones excluded
 * @param pollers unary {@code Receive} pollers
 * @param transactions transactions across topics of their own (none in a plan read from JSON without them)
 */
public record LoadPlan(long seed, long durationMs, String namespace, List<TopicPlan> topics,
        List<ProducerPlan> producers, List<ShortLivedPlan> shortLived, List<SubscriptionPlan> subscriptions,
        List<PollerPlan> pollers, List<TransactionPlan> transactions) {

    public LoadPlan {
        transactions = transactions == null ? List.of() : List.copyOf(transactions);
    }

    /** The audit subscription every topic has: created first, never acknowledged. */
    public static final String AUDIT = "chaos-audit";
    /**
     * Messages on the hole-punching topic. It is written in batches of two and one message of each
     * is acknowledged, so every entry stays partly acknowledged: about 11 bytes of cursor state per
     * entry (CursorAckCodec), over 64 KiB from about 12,000 messages on.
     */
    static final int HOLES_FOR_LARGE_ACK_STATE = 16_000;

    /** How a producer sends. */
    public enum ProducerMode {
        BATCHED, UNBATCHED, KEY_BASED,
        /** batches of two messages: acknowledging one of them leaves a partly acknowledged entry */
        PAIRED
    }

    /** How a subscription's consumers acknowledge. */
    public enum AckStyle {
        /** each message on its own (a message of a batch: a batch-index acknowledgement) */
        INDIVIDUAL,
        /** cumulatively, every few messages and at the end of each pause */
        CUMULATIVE,
        /** individually, but every {@code nackEvery}-th first delivery is negatively acknowledged first */
        NEGATIVE_THEN_INDIVIDUAL,
        /** only messages with an even sequence: the odd ones stay as holes in the ack state for ever */
        EVEN_ONLY,
        /** a reader: nothing to acknowledge */
        NONE
    }

    /** A subscription type, or a reader. */
    public enum SubscriptionKind { EXCLUSIVE, FAILOVER, SHARED, KEY_SHARED, READER }

    /** @param name full name; @param partitions 0 for a plain topic */
    public record TopicPlan(String name, int partitions) {}

    /**
     * A named producer: the broker deduplicates its resends by name and sequence id.
     *
     * @param id the producer's name, also written in every message
     * @param keys how many distinct keys it uses (0: messages have no key)
     */
    public record ProducerPlan(String id, String topic, ProducerMode mode, int messagesPerSecond, int keys,
            long maxMessages) {}

    /** Every {@code everyMs} an unnamed producer is created, sends {@code messages} and is closed. */
    public record ShortLivedPlan(String topic, long everyMs, int messages) {}

    /**
     * @param consumers how many consumers share it (1 for exclusive and readers)
     * @param nackEvery with {@link AckStyle#NEGATIVE_THEN_INDIVIDUAL}: one first delivery in this many
     */
    public record SubscriptionPlan(String topic, String name, SubscriptionKind kind, int consumers, AckStyle ackStyle,
            int nackEvery) {
        /** A reader keeps no stored cursor; the others must receive every stored message. */
        public boolean durable() {
            return kind != SubscriptionKind.READER;
        }
    }

    /**
     * Unary {@code Receive} pollers on one shared subscription, each call with a gRPC deadline of
     * {@code deadlineMs} and a server wait of {@code maxWaitMs} (sometimes longer than the deadline,
     * so answers are lost on the way: the broker must deliver those messages again).
     */
    public record PollerPlan(String topic, String subscription, int pollers, long deadlineMs, long maxWaitMs,
            int maxMessages) {}

    /**
     * A loop of transactions, each with one message on every one of {@code topics} (plain topics of their own,
     * audited apart): every {@code abortEvery}-th is rolled back, the others committed. The checker wants every
     * transaction all or nothing, every commit its client saw there once, every rollback nowhere.
     */
    public record TransactionPlan(String id, List<String> topics, int perSecond, int abortEvery) {}

    /** The plan of a run of {@code duration}: topics are named after the seed, rates are modest. */
    public static LoadPlan fromSeed(long seed, Duration duration) {
        SplittableRandom random = new SplittableRandom(seed);
        long durationMs = duration.toMillis();
        String prefix = "public/default/chaos-" + Long.toHexString(seed).toLowerCase(Locale.ROOT) + "-";
        String orders = prefix + "orders";
        String events = prefix + "events";
        String holes = prefix + "holes";
        List<TopicPlan> topics = List.of(new TopicPlan(orders, 2 + random.nextInt(3)), new TopicPlan(events, 0),
                new TopicPlan(holes, 0));

        List<ProducerPlan> producers = new ArrayList<>();
        producers.add(new ProducerPlan("keyed-" + Long.toHexString(random.nextLong() & 0xffffff), orders,
                ProducerMode.KEY_BASED, 40 + random.nextInt(40), 8 + random.nextInt(24), Long.MAX_VALUE));
        producers.add(new ProducerPlan("batched-" + Long.toHexString(random.nextLong() & 0xffffff), events,
                ProducerMode.BATCHED, 40 + random.nextInt(40), 0, Long.MAX_VALUE));
        producers.add(new ProducerPlan("unbatched-" + Long.toHexString(random.nextLong() & 0xffffff), events,
                ProducerMode.UNBATCHED, 10 + random.nextInt(20), 4, Long.MAX_VALUE));
        // The hole-punching topic: every odd message stays unacknowledged. Its ack state passes 64 KiB
        // in runs of two minutes and more (at most 150 messages a second, at least 10).
        int holesRate = (int) Math.max(10, Math.min(150, HOLES_FOR_LARGE_ACK_STATE * 1000L / Math.max(1, durationMs) + 1));
        producers.add(new ProducerPlan("holes-" + Long.toHexString(random.nextLong() & 0xffffff), holes,
                ProducerMode.PAIRED, holesRate, 0, HOLES_FOR_LARGE_ACK_STATE));

        List<ShortLivedPlan> shortLived = List.of(new ShortLivedPlan(events, 1_500 + random.nextInt(2_000),
                5 + random.nextInt(20)), new ShortLivedPlan(orders, 3_000 + random.nextInt(3_000), 5 + random.nextInt(10)));

        List<SubscriptionPlan> subscriptions = List.of(
                new SubscriptionPlan(orders, "ks", SubscriptionKind.KEY_SHARED, 2, AckStyle.NEGATIVE_THEN_INDIVIDUAL,
                        30 + random.nextInt(40)),
                new SubscriptionPlan(orders, "shared", SubscriptionKind.SHARED, 2, AckStyle.INDIVIDUAL, 0),
                new SubscriptionPlan(events, "excl", SubscriptionKind.EXCLUSIVE, 1, AckStyle.CUMULATIVE, 0),
                new SubscriptionPlan(events, "fo", SubscriptionKind.FAILOVER, 2, AckStyle.NEGATIVE_THEN_INDIVIDUAL,
                        50 + random.nextInt(50)),
                new SubscriptionPlan(events, "reader", SubscriptionKind.READER, 1, AckStyle.NONE, 0),
                new SubscriptionPlan(holes, "holes", SubscriptionKind.EXCLUSIVE, 1, AckStyle.EVEN_ONLY, 0));
        List<PollerPlan> pollers = List.of(new PollerPlan(events, "pull", 2, 100 + random.nextInt(200),
                50 + random.nextInt(400), 5 + random.nextInt(20)));
        List<TransactionPlan> transactions = List.of(new TransactionPlan("txn-" + Long.toHexString(random.nextLong() & 0xffffff),
                List.of(prefix + "txn-a", prefix + "txn-b", prefix + "txn-c"), 2 + random.nextInt(3), 3 + random.nextInt(3)));
        return new LoadPlan(seed, durationMs, "public/default", topics, List.copyOf(producers), shortLived,
                subscriptions, pollers, transactions);
    }

    /** The plan as JSON, to print next to the fault schedule. */
    public String toJson() {
        try {
            return new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a plan is always serialisable", e);
        }
    }

    /** A plan read back from {@link #toJson()}. */
    public static LoadPlan fromJson(String json) {
        try {
            return new ObjectMapper().readValue(json, LoadPlan.class);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not a load plan: " + e.getOriginalMessage(), e);
        }
    }

    /** The partitions of a topic by their own names (the topic itself when it is not partitioned). */
    public static List<String> partitionsOf(TopicPlan topic) {
        if (topic.partitions() == 0) {
            return List.of(topic.name());
        }
        List<String> names = new ArrayList<>();
        for (int i = 0; i < topic.partitions(); i++) {
            names.add(topic.name() + "-partition-" + i);
        }
        return names;
    }
}
