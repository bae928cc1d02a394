package io.tributary.broker.topic;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.storage.log.Position;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class DeduplicationTest {
    /** What the log has stored per producer, as {@code ManagedLog.lastSequenceId} reports it. */
    private final Map<String, Long> stored = new HashMap<>();
    private final Deduplication dedup = new Deduplication(p -> stored.getOrDefault(p, -1L), 2, 4);

    @Test
    void aProducersFirstBatchIsNotAResend() {
        assertThat(dedup.isResend("p", 0)).isFalse();
        assertThat(dedup.inFlight("p")).isCompleted();
    }

    @Test
    void aResendOfABatchInFlightWaitsForItAndIsAnsweredWithTheOriginalPosition() {
        CompletableFuture<Position> published = new CompletableFuture<>();
        dedup.pushed("p", 4, published);

        assertThat(dedup.isResend("p", 0)).isTrue();
        assertThat(dedup.isResend("p", 4)).isTrue();
        assertThat(dedup.isResend("p", 5)).isFalse();
        CompletableFuture<Void> settled = dedup.inFlight("p");
        assertThat(settled).isNotDone();

        stored.put("p", 4L);
        published.complete(new Position(3, 7));
        dedup.stored("p", 0, new Position(3, 7));

        assertThat(settled).isCompleted();
        assertThat(dedup.isStored("p", 0)).isTrue();
        assertThat(dedup.storedAt("p", 0)).isEqualTo(new Position(3, 7));
    }

    @Test
    void aFailedAppendIsForgottenSoThatItsResendIsAppended() {
        CompletableFuture<Position> published = new CompletableFuture<>();
        dedup.pushed("p", 9, published);
        published.completeExceptionally(new RuntimeException("bookies gone"));

        // the resend waits for the failed append without failing itself
        assertThat(dedup.inFlight("p")).isCompleted();
        assertThat(dedup.isStored("p", 0)).isFalse();
        dedup.backToStored("p");
        assertThat(dedup.isResend("p", 0)).isFalse();
    }

    @Test
    void aBatchStoredBeforeThisBrokerIsADuplicateWithoutAPosition() {
        stored.put("p", 9L);

        assertThat(dedup.isResend("p", 5)).isTrue();
        assertThat(dedup.isStored("p", 5)).isTrue();
        assertThat(dedup.storedAt("p", 5)).isNull();
        assertThat(dedup.isResend("p", 10)).isFalse();
    }

    @Test
    void forgetsThePositionsOfTheLeastRecentlyUsedProducer() {
        dedup.stored("a", 0, new Position(1, 0));
        dedup.stored("b", 0, new Position(1, 1));
        assertThat(dedup.storedAt("a", 0)).isEqualTo(new Position(1, 0));
        dedup.stored("c", 0, new Position(1, 2));

        // b was used least recently: a was just looked up
        assertThat(dedup.storedAt("b", 0)).isNull();
        assertThat(dedup.storedAt("a", 0)).isEqualTo(new Position(1, 0));
        assertThat(dedup.storedAt("c", 0)).isEqualTo(new Position(1, 2));
    }
}
