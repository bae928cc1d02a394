package io.tributary.chaos.check;

import io.tributary.chaos.load.TransactionHistory;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What the checker found of the workload's transactions ({@link #evaluate}). {@link #ok()} holds when no
 * transaction is partly visible, none stored twice, every commit its client saw is stored, and no rollback is.
 *
 * @param committed  transactions whose {@code commit()} returned
 * @param aborted    transactions whose {@code abort()} returned
 * @param unknown    transactions that ended in an error (a fault): stored everywhere or nowhere
 * @param pending    transactions under way when the load stopped (none, as the driver finishes each)
 * @param visible    transactions found stored (on all their topics)
 * @param partial    transactions stored on some of their topics and not on others
 * @param duplicated transactions stored more than once on a topic
 * @param lost       committed transactions missing from a topic
 * @param leaked     rolled-back transactions stored somewhere
 * @param sample     the first few violating transactions with what was found
 */
public record TransactionVerdict(long committed, long aborted, long unknown, long pending, long visible, long partial,
        long duplicated, long lost, long leaked, List<String> sample) {
    private static final int SAMPLE = 20;

    public boolean ok() {
        return partial == 0 && duplicated == 0 && lost == 0 && leaked == 0;
    }

    /**
     * Judges the transactions of {@code history} by the audit read of their topics, where each message carries its
     * transaction's name as {@link StoredMessage#producer()}.
     */
    public static TransactionVerdict evaluate(Map<String, TransactionHistory.Entry> history,
            Map<String, List<StoredMessage>> audit) {
        Map<String, Map<String, Integer>> found = new HashMap<>();
        audit.forEach((topic, messages) -> {
            for (StoredMessage m : messages) {
                if (m.producer() != null) {
                    found.computeIfAbsent(m.producer(), k -> new HashMap<>()).merge(topic, 1, Integer::sum);
                }
            }
        });
        long committed = 0;
        long aborted = 0;
        long unknown = 0;
        long pending = 0;
        long visible = 0;
        long partial = 0;
        long duplicated = 0;
        long lost = 0;
        long leaked = 0;
        List<String> sample = new ArrayList<>();
        for (Map.Entry<String, TransactionHistory.Entry> e : history.entrySet()) {
            TransactionHistory.Entry t = e.getValue();
            Map<String, Integer> on = found.getOrDefault(e.getKey(), Map.of());
            List<Integer> counts = t.topics().stream().map(topic -> on.getOrDefault(topic, 0)).toList();
            boolean anywhere = counts.stream().anyMatch(c -> c > 0);
            boolean everywhere = counts.stream().allMatch(c -> c > 0);
            List<String> wrong = new ArrayList<>();
            switch (t.outcome()) {
                case COMMITTED -> committed++;
                case ABORTED -> aborted++;
                case UNKNOWN -> unknown++;
                case PENDING -> pending++;
            }
            if (everywhere) {
                visible++;
            }
            if (anywhere && !everywhere) {
                partial++;
                wrong.add("partial");
            }
            if (counts.stream().anyMatch(c -> c > 1)) {
                duplicated++;
                wrong.add("duplicated");
            }
            if (t.outcome() == TransactionHistory.Outcome.COMMITTED && !everywhere) {
                lost++;
                wrong.add("lost");
            }
            if (t.outcome() == TransactionHistory.Outcome.ABORTED && anywhere) {
                leaked++;
                wrong.add("rolled back but stored");
            }
            if (!wrong.isEmpty() && sample.size() < SAMPLE) {
                sample.add(e.getKey() + " (" + t.outcome() + "): " + String.join(", ", wrong) + "; stored " + counts
                        + " times on " + t.topics());
            }
        }
        return new TransactionVerdict(committed, aborted, unknown, pending, visible, partial, duplicated, lost, leaked,
                List.copyOf(sample));
    }
}
