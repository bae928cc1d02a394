package io.tributary.chaos.check;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.chaos.load.Delivery;
import io.tributary.chaos.load.LoadPlan.AckStyle;
import io.tributary.chaos.load.LoadPlan.SubscriptionKind;
import io.tributary.chaos.load.LoadPlan.SubscriptionPlan;
import io.tributary.chaos.load.MessageRecord.Snapshot;
import io.tributary.chaos.load.MessageRecord;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * The checker's judgement on histories and audit reads made by hand: a clean run passes, and one
 * lost, duplicated or reordered message is counted exactly once (the checker can fail).
 */
class VerdictsTest {
    static final String T = "public/default/t";
    static final List<SubscriptionPlan> SUBS = List.of(
            new SubscriptionPlan(T, "excl", SubscriptionKind.EXCLUSIVE, 1, AckStyle.CUMULATIVE, 0),
            new SubscriptionPlan(T, "shared", SubscriptionKind.SHARED, 2, AckStyle.INDIVIDUAL, 0),
            new SubscriptionPlan(T, "reader", SubscriptionKind.READER, 1, AckStyle.NONE, 0));

    /** A run by hand: messages p#0..p#(n-1) sent, acknowledged, stored in order, each delivered once to each subscription. */
    static final class Run {
        final List<Snapshot> history = new ArrayList<>();
        final Map<String, List<StoredMessage>> audit = new LinkedHashMap<>();
        long order;

        Run(int n) {
            this(IntStream.range(0, n).toArray());
        }

        /** Stored (and so delivered) in {@code storageOrder} of sequences. */
        Run(int[] storageOrder) {
            for (int i = 0; i < storageOrder.length; i++) {
                MessageRecord r = new MessageRecord("p", i, T, "k" + (i % 2));
                r.attempted(1000 + i);
                r.acked(1100 + i, "7:" + i + ":0", -1);
                history.add(r.snapshot());
            }
            for (int i : storageOrder) {
                stored(T, i, "7:" + i + ":0");
            }
            for (String sub : List.of("excl", "shared", "reader")) {
                for (int i : storageOrder) {
                    deliver(i, sub, 0);
                }
            }
        }

        void stored(String topic, long seq, String position) {
            audit.computeIfAbsent(topic, t -> new ArrayList<>()).add(new StoredMessage(topic, position, "p", seq,
                    "k" + (seq % 2)));
        }

        void deliver(int seq, String sub, int redeliveryCount) {
            Snapshot s = history.get(seq);
            history.set(seq, s.withDelivery(new Delivery(sub, sub + "-0", T, "7:" + seq + ":0", 2000 + order,
                    redeliveryCount, ++order)));
        }

        CheckReport check() {
            return Verdicts.evaluate(history, audit, SUBS);
        }
    }

    @Test
    void aCleanRunIsOk() {
        CheckReport r = new Run(10).check();
        assertThat(r.ok()).isTrue();
        assertThat(r.attempts()).isEqualTo(10);
        assertThat(r.acked()).isEqualTo(10);
        assertThat(r.stored()).isEqualTo(10);
        assertThat(r.lost() + r.duplicated() + r.orderViolations() + r.undelivered() + r.redelivered()).isZero();
        assertThat(r.ackPositionMismatches() + r.ackedWithoutPosition()).isZero();
        assertThat(r.firstViolation()).isNull();
    }

    @Test
    void anAcknowledgedMessageMissingFromTheAuditReadIsLost() {
        Run run = new Run(10);
        run.audit.get(T).remove(4); // the hook: the broker "lost" p#4 after acknowledging it
        CheckReport r = run.check();
        assertThat(r.lost()).isEqualTo(1);
        assertThat(r.lostSample()).containsExactly("p#4");
        assertThat(r.ok()).isFalse();
        assertThat(r.firstViolation().kind()).isEqualTo("lost");
        Snapshot h = r.firstViolation().history();
        assertThat(h.sequence()).isEqualTo(4);
        assertThat(h.attempts()).containsExactly(1004L);
        assertThat(h.ackMessageId()).isEqualTo("7:4:0");
        assertThat(h.deliveries()).extracting(Delivery::subscription).containsExactly("excl", "shared", "reader");
        assertThat(r.toJson()).contains("\"lost\" : 1", "\"ok\" : false", "\"kind\" : \"lost\"");
        assertThat(r.duplicated() + r.orderViolations() + r.undelivered()).isZero();
    }

    @Test
    void anAckForAMessageNeverStoredIsLost() {
        Run run = new Run(3);
        MessageRecord ghost = new MessageRecord("p", 3, T, null);
        ghost.attempted(5000);
        ghost.acked(5001, "7:99:0", -1); // the history claims an ack the broker never backed with storage
        run.history.add(ghost.snapshot());
        CheckReport r = run.check();
        assertThat(r.lost()).isEqualTo(1);
        assertThat(r.acked()).isEqualTo(4);
    }

    @Test
    void aMessageStoredTwiceIsDuplicatedOnce() {
        Run run = new Run(10);
        run.stored(T, 9, "8:0:0"); // a resend stored again in a later ledger
        CheckReport r = run.check();
        assertThat(r.duplicated()).isEqualTo(1);
        assertThat(r.duplicatedSample()).containsExactly("p#9");
        assertThat(r.firstViolation().kind()).isEqualTo("duplicated");
        assertThat(r.firstViolation().storedAt()).containsExactly(T + "@7:9:0", T + "@8:0:0");
        assertThat(r.lost() + r.orderViolations() + r.undelivered()).isZero();
        assertThat(r.ok()).isFalse();
    }

    @Test
    void anAckNamingAnotherPositionIsCountedAndOneWithoutPositionIsAllowed() {
        Run run = new Run(3);
        MessageRecord.Snapshot s = run.history.get(1);
        run.history.set(1, new Snapshot(s.producer(), s.sequence(), s.topic(), s.key(), s.attempts(), s.ackTimeMs(),
                "7:2:0", -1, -1, null, s.deliveries()));
        MessageRecord.Snapshot t = run.history.get(2);
        run.history.set(2, new Snapshot(t.producer(), t.sequence(), t.topic(), t.key(), t.attempts(), t.ackTimeMs(),
                "-1:-1:-1", -1, -1, null, t.deliveries()));
        CheckReport r = run.check();
        assertThat(r.ackPositionMismatches()).isEqualTo(1);
        assertThat(r.ackedWithoutPosition()).isEqualTo(1);
        assertThat(r.lost()).isZero();
    }

    @Test
    void theSamePositionReadTwiceIsNotADuplicate() {
        Run run = new Run(5);
        run.stored(T, 0, "7:0:0"); // the audit consumer reconnected and was sent p#0 again
        CheckReport r = run.check();
        assertThat(r.duplicated()).isZero();
        assertThat(r.ok()).isTrue();
    }

    @Test
    void aProducersMessagesStoredOutOfOrderAreOneViolation() {
        // stored (and so delivered) 0 1 2 3 4 6 5 7 8 9: the broker swapped two appends of one producer
        CheckReport r = new Run(new int[] {0, 1, 2, 3, 4, 6, 5, 7, 8, 9}).check();
        assertThat(r.storageOrderViolations()).isEqualTo(1);
        assertThat(r.orderViolations()).isEqualTo(1);
        assertThat(r.firstViolation().kind()).isEqualTo("storage-order");
        assertThat(r.firstViolation().history().sequence()).isEqualTo(5);
        assertThat(r.ok()).isFalse();
    }

    @Test
    void aKeyBasedBatchingProducerPromisesStorageOrderPerKeyOnly() {
        // keys alternate k0 k1; stored 1 0 3 2: every key in order, the producer as a whole not
        Run run = new Run(new int[] {1, 0, 3, 2});
        assertThat(Verdicts.evaluate(run.history, run.audit, SUBS, Set.of("p")).orderViolations()).isZero();
        assertThat(run.check().storageOrderViolations()).isEqualTo(2);
        // stored 0 3 2 1: key k1 has 3 before 1
        Run perKey = new Run(new int[] {0, 3, 2, 1});
        CheckReport r = Verdicts.evaluate(perKey.history, perKey.audit, SUBS, Set.of("p"));
        assertThat(r.storageOrderViolations()).isEqualTo(1);
        assertThat(r.firstViolation().history().sequence()).isEqualTo(1);
    }

    @Test
    void aFirstDeliveryOutOfStorageOrderOnAnExclusiveSubscriptionIsOneViolation() {
        Run run = new Run(0);
        for (int i = 0; i < 4; i++) {
            MessageRecord m = new MessageRecord("p", i, T, null);
            m.attempted(i);
            m.acked(i, "7:" + i + ":0", -1);
            run.history.add(m.snapshot());
            run.stored(T, i, "7:" + i + ":0");
        }
        for (String sub : List.of("shared", "reader")) {
            for (int i = 0; i < 4; i++) {
                run.deliver(i, sub, 0);
            }
        }
        for (int i : new int[] {0, 2, 1, 3}) {
            run.deliver(i, "excl", 0);
        }
        CheckReport r = run.check();
        assertThat(r.deliveryOrderViolations()).isEqualTo(1);
        assertThat(r.firstViolation().kind()).isEqualTo("delivery-order");
        assertThat(r.firstViolation().history().sequence()).isEqualTo(1);
    }

    @Test
    void sharedSubscriptionsAndRedeliveriesPromiseNoOrder() {
        Run run = new Run(4);
        // the shared subscription got 3 before 0; the exclusive one got 1 again after 3 (a negative ack)
        run.deliver(3, "shared", 0);
        run.deliver(1, "excl", 1);
        CheckReport r = run.check();
        assertThat(r.orderViolations()).isZero();
        assertThat(r.redelivered()).isEqualTo(2);
        assertThat(r.ok()).isTrue();
    }

    @Test
    void keySharedPromisesOrderPerKeyOnly() {
        List<SubscriptionPlan> subs = List.of(new SubscriptionPlan(T, "ks", SubscriptionKind.KEY_SHARED, 1,
                AckStyle.INDIVIDUAL, 0));
        Run run = new Run(0);
        for (int i = 0; i < 4; i++) {
            MessageRecord m = new MessageRecord("p", i, T, "k" + (i % 2));
            m.attempted(i);
            m.acked(i, "7:" + i + ":0", -1);
            run.history.add(m.snapshot());
            run.stored(T, i, "7:" + i + ":0");
        }
        // keys k0 = {0, 2}, k1 = {1, 3}: 1 before 0 is fine, 2 before 0 is not
        for (int i : new int[] {1, 3, 2, 0}) {
            run.deliver(i, "ks", 0);
        }
        CheckReport r = Verdicts.evaluate(run.history, run.audit, subs);
        assertThat(r.deliveryOrderViolations()).isEqualTo(1);
        assertThat(r.firstViolation().history().sequence()).isZero();
    }

    @Test
    void aStoredMessageNeverDeliveredToADurableSubscriptionIsUndelivered() {
        Run run = new Run(0);
        for (int i = 0; i < 3; i++) {
            MessageRecord m = new MessageRecord("p", i, T, null);
            m.attempted(i);
            if (i == 2) {
                m.failed(i, "timed out"); // stored although the send timed out: allowed
            } else {
                m.acked(i, "7:" + i + ":0", -1);
            }
            run.history.add(m.snapshot());
            run.stored(T, i, "7:" + i + ":0");
            run.deliver(i, "excl", 0);
            if (i != 1) {
                run.deliver(i, "shared", 0);
            }
            // the reader missed everything: it keeps no stored cursor, so that is no violation
        }
        CheckReport r = run.check();
        assertThat(r.undelivered()).isEqualTo(1);
        assertThat(r.undeliveredBySubscription()).containsExactly(Map.entry(T + "/shared", 1L));
        assertThat(r.failed()).isEqualTo(1);
        assertThat(r.storedAfterFailedSend()).isEqualTo(1);
        assertThat(r.lost()).isZero();
        assertThat(r.ok()).isFalse();
    }

    @Test
    void partitionsAreJudgedOnTheirOwnAndDeliveredOnTheirTopic() {
        String orders = "public/default/o";
        List<SubscriptionPlan> subs = List.of(new SubscriptionPlan(orders, "excl", SubscriptionKind.EXCLUSIVE, 1,
                AckStyle.INDIVIDUAL, 0));
        List<Snapshot> history = new ArrayList<>();
        Map<String, List<StoredMessage>> audit = new LinkedHashMap<>();
        long order = 0;
        // one producer over two partitions: 0, 2 on partition 0 and 1, 3 on partition 1, read partition by partition
        for (int i = 0; i < 4; i++) {
            String partition = orders + "-partition-" + (i % 2);
            MessageRecord m = new MessageRecord("p", i, orders, null);
            m.attempted(i);
            m.acked(i, "5:" + i + ":0", i % 2);
            m.delivered(new Delivery("excl", "c", partition, "5:" + i + ":0", i, 0, ++order));
            history.add(m.snapshot());
            audit.computeIfAbsent(partition, t -> new ArrayList<>())
                    .add(new StoredMessage(partition, (10 + i % 2) + ":" + i + ":0", "p", i, null));
        }
        CheckReport r = Verdicts.evaluate(history, audit, subs);
        assertThat(r.ok()).as(r.toJson()).isTrue();
        assertThat(r.stored()).isEqualTo(4);
        assertThat(Verdicts.baseTopic(orders + "-partition-12")).isEqualTo(orders);
    }
}
