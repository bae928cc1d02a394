package io.tributary.chaos.check;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.chaos.load.TransactionHistory.Entry;
import io.tributary.chaos.load.TransactionHistory.Outcome;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The checker's judgement on transactions made by hand: whole commits, absent rollbacks and unknown ones either way
 * pass; a transaction on some topics only, twice on one, a commit missing, a rollback stored are each counted (the
 * checker can fail).
 */
class TransactionVerdictTest {
    static final List<String> TOPICS = List.of("public/default/a", "public/default/b");

    private final Map<String, Entry> history = new LinkedHashMap<>();
    private final Map<String, List<StoredMessage>> audit = new LinkedHashMap<>();

    private void ended(String name, Outcome outcome) {
        history.put(name, new Entry(TOPICS, outcome));
    }

    private void stored(String name, String... topics) {
        for (String t : topics) {
            List<StoredMessage> on = audit.computeIfAbsent(t, k -> new ArrayList<>());
            on.add(new StoredMessage(t, "1:" + on.size() + ":0", name, 0, null));
        }
    }

    private void storedEverywhere(String name) {
        stored(name, TOPICS.toArray(String[]::new));
    }

    /** A clean run: two commits stored everywhere, a rollback nowhere, an unknown one stored and one not. */
    private void clean() {
        ended("t0", Outcome.COMMITTED);
        storedEverywhere("t0");
        ended("t1", Outcome.ABORTED);
        ended("t2", Outcome.UNKNOWN);
        storedEverywhere("t2");
        ended("t3", Outcome.UNKNOWN);
        ended("t4", Outcome.COMMITTED);
        storedEverywhere("t4");
    }

    @Test
    void aCleanRunPasses() {
        clean();
        TransactionVerdict v = TransactionVerdict.evaluate(history, audit);
        assertThat(v.ok()).isTrue();
        assertThat(List.of(v.committed(), v.aborted(), v.unknown(), v.visible())).containsExactly(2L, 1L, 2L, 3L);
        assertThat(v.sample()).isEmpty();
    }

    @Test
    void aTransactionOnOneTopicOnlyIsPartial() {
        clean();
        stored("t3", TOPICS.get(0));
        TransactionVerdict v = TransactionVerdict.evaluate(history, audit);
        assertThat(v.ok()).isFalse();
        assertThat(v.partial()).isEqualTo(1);
        assertThat(v.sample()).singleElement().asString().startsWith("t3 (UNKNOWN): partial");
    }

    @Test
    void aCommitMissingFromATopicIsLostAndPartial() {
        ended("t0", Outcome.COMMITTED);
        stored("t0", TOPICS.get(1));
        TransactionVerdict v = TransactionVerdict.evaluate(history, audit);
        assertThat(v.ok()).isFalse();
        assertThat(List.of(v.lost(), v.partial())).containsExactly(1L, 1L);
    }

    @Test
    void aCommitNowhereIsLost() {
        ended("t0", Outcome.COMMITTED);
        TransactionVerdict v = TransactionVerdict.evaluate(history, audit);
        assertThat(v.lost()).isEqualTo(1);
        assertThat(v.partial()).isZero();
    }

    @Test
    void aStoredRollbackLeaks() {
        clean();
        storedEverywhere("t1");
        TransactionVerdict v = TransactionVerdict.evaluate(history, audit);
        assertThat(v.ok()).isFalse();
        assertThat(v.leaked()).isEqualTo(1);
    }

    @Test
    void aTransactionTwiceOnATopicIsDuplicated() {
        clean();
        stored("t0", TOPICS.get(1));
        TransactionVerdict v = TransactionVerdict.evaluate(history, audit);
        assertThat(v.ok()).isFalse();
        assertThat(v.duplicated()).isEqualTo(1);
        assertThat(v.sample()).singleElement().asString().contains("stored [1, 2] times");
    }
}
