package io.tributary.chaos.load;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Every transaction the workload began: its topics and how it ended for its client. */
public final class TransactionHistory {
    /** How a transaction ended, as its client saw it. */
    public enum Outcome {
        /** begun, not ended yet (the run stopped in between) */
        PENDING,
        /** {@code commit()} returned: every message must be stored once */
        COMMITTED,
        /** {@code abort()} returned: no message may be stored */
        ABORTED,
        /** an error (a fault): stored everywhere once or nowhere */
        UNKNOWN
    }

    /** A transaction's topics and outcome. */
    public record Entry(List<String> topics, Outcome outcome) {}

    private final Map<String, Entry> transactions = new ConcurrentHashMap<>();

    void begun(String name, List<String> topics) {
        transactions.put(name, new Entry(topics, Outcome.PENDING));
    }

    void ended(String name, Outcome outcome) {
        transactions.computeIfPresent(name, (n, e) -> new Entry(e.topics(), outcome));
    }

    /** A copy of what happened so far. */
    public Map<String, Entry> snapshot() {
        return Map.copyOf(transactions);
    }
}
