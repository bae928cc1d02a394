package io.tributary.broker.topic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.api.v1.BacklogQuotaPolicy;
import io.tributary.api.v1.ErrorReason;
import io.tributary.protocol.TopicName;
import io.tributary.protocol.TributaryException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class BacklogQuotaGuardTest {
    private static final long QUOTA = 1000;

    private final ExecutorService executor = Executors.newSingleThreadExecutor();
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    /** The backlog of the topic's largest subscription. */
    private volatile long backlog;
    private final List<String> published = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() {
        executor.shutdownNow();
        scheduler.shutdownNow();
    }

    private BacklogQuotaGuard guard(BacklogQuotaPolicy policy, Duration holdTimeout) throws Exception {
        BacklogQuotaGuard guard = new BacklogQuotaGuard(TopicName.of("persistent://t/n/topic"), executor, scheduler,
                holdTimeout, bytes -> backlog > bytes);
        onExecutor(() -> {
            guard.policies(new Policies(0, 0, 0, QUOTA, policy));
            guard.recheck();
        });
        return guard;
    }

    /** Admits a publish that records {@code id} when it runs; the future is the publish's result. */
    private CompletableFuture<Void> admit(BacklogQuotaGuard guard, String id) throws Exception {
        CompletableFuture<Void> result = new CompletableFuture<>();
        onExecutor(() -> guard.admit(() -> {
            published.add(id);
            result.complete(null);
        }, result));
        return result;
    }

    private void onExecutor(Runnable r) throws Exception {
        CompletableFuture.runAsync(r, executor).get(5, TimeUnit.SECONDS);
    }

    private static void assertQuotaExceeded(CompletableFuture<?> result) {
        assertThatThrownBy(() -> result.get(5, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .cause().isInstanceOfSatisfying(TributaryException.class,
                        e -> assertThat(e.reason()).isEqualTo(ErrorReason.BACKLOG_QUOTA_EXCEEDED));
    }

    @Test
    void publishesGoThroughWhileTheBacklogIsWithinTheQuota() throws Exception {
        backlog = QUOTA;
        BacklogQuotaGuard guard = guard(BacklogQuotaPolicy.PRODUCER_EXCEPTION, Duration.ofMinutes(1));

        admit(guard, "a").get(5, TimeUnit.SECONDS);

        assertThat(published).containsExactly("a");
    }

    @Test
    void producerExceptionFailsPublishesOverTheQuota() throws Exception {
        backlog = QUOTA + 1;
        BacklogQuotaGuard guard = guard(BacklogQuotaPolicy.PRODUCER_EXCEPTION, Duration.ofMinutes(1));

        assertQuotaExceeded(admit(guard, "a"));
        assertThat(published).isEmpty();
    }

    @Test
    void requestHoldReleasesHeldPublishesInOrderOnceTheBacklogShrinks() throws Exception {
        backlog = QUOTA + 1;
        BacklogQuotaGuard guard = guard(BacklogQuotaPolicy.PRODUCER_REQUEST_HOLD, Duration.ofMinutes(1));

        CompletableFuture<Void> first = admit(guard, "a");
        CompletableFuture<Void> second = admit(guard, "b");
        assertThat(published).isEmpty();

        backlog = 0;
        CompletableFuture.allOf(first, second).get(5, TimeUnit.SECONDS);
        assertThat(published).containsExactly("a", "b");
    }

    @Test
    void requestHoldFailsPublishesHeldLongerThanTheTimeout() throws Exception {
        backlog = QUOTA + 1;
        BacklogQuotaGuard guard = guard(BacklogQuotaPolicy.PRODUCER_REQUEST_HOLD, Duration.ZERO);

        assertQuotaExceeded(admit(guard, "a"));
        assertThat(published).isEmpty();
    }

    @Test
    void closingFailsHeldPublishes() throws Exception {
        backlog = QUOTA + 1;
        BacklogQuotaGuard guard = guard(BacklogQuotaPolicy.PRODUCER_REQUEST_HOLD, Duration.ofMinutes(1));
        CompletableFuture<Void> held = admit(guard, "a");

        onExecutor(() -> guard.close(() -> new TributaryException(ErrorReason.BUNDLE_MOVING, "closing")));

        assertThatThrownBy(() -> held.get(5, TimeUnit.SECONDS)).cause().isInstanceOfSatisfying(TributaryException.class,
                e -> assertThat(e.reason()).isEqualTo(ErrorReason.BUNDLE_MOVING));
        assertThat(published).isEmpty();
    }

    @Test
    void consumerBacklogEvictionPublishesOverTheQuotaAndEvictsInstead() throws Exception {
        backlog = QUOTA + 1;
        BacklogQuotaGuard guard = guard(BacklogQuotaPolicy.CONSUMER_BACKLOG_EVICTION, Duration.ofMinutes(1));

        admit(guard, "a").get(5, TimeUnit.SECONDS);

        assertThat(published).containsExactly("a");
        assertThat(BacklogQuotaGuard.evicts(new Policies(0, 0, 0, QUOTA, BacklogQuotaPolicy.CONSUMER_BACKLOG_EVICTION))).isTrue();
        assertThat(BacklogQuotaGuard.evicts(new Policies(0, 0, 0, QUOTA, BacklogQuotaPolicy.PRODUCER_REQUEST_HOLD))).isFalse();
        assertThat(BacklogQuotaGuard.evicts(new Policies(0, 0, 0, 0, BacklogQuotaPolicy.CONSUMER_BACKLOG_EVICTION))).isFalse();
    }

    @Test
    void withoutAQuotaNothingIsHeldWhateverTheBacklog() throws Exception {
        backlog = Long.MAX_VALUE;
        BacklogQuotaGuard guard = new BacklogQuotaGuard(TopicName.of("persistent://t/n/topic"), executor, scheduler,
                Duration.ofMinutes(1), bytes -> backlog > bytes);
        onExecutor(() -> {
            guard.policies(new Policies(0, 0, 0, 0, BacklogQuotaPolicy.PRODUCER_REQUEST_HOLD));
            guard.recheck();
        });

        admit(guard, "a").get(5, TimeUnit.SECONDS);
        assertThat(published).containsExactly("a");
    }
}
