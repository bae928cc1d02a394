package io.tributary.broker.topic;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.protocol.TopicName;
import io.tributary.storage.log.ManagedLog;
import io.tributary.storage.log.Position;
import io.tributary.storage.log.SequenceMark;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The publish pipeline over a log that completes appends on the topic's executor, as the managed log does. */
class TopicPublishTest {
    private final ExecutorService executor = Executors.newSingleThreadExecutor();
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    private final Map<String, Long> stored = new ConcurrentHashMap<>();
    private final BlockingQueue<Append> appends = new LinkedBlockingQueue<>();

    private record Append(SequenceMark mark, CompletableFuture<Position> future) {}

    private final ManagedLog log = (ManagedLog) Proxy.newProxyInstance(ManagedLog.class.getClassLoader(),
            new Class<?>[] {ManagedLog.class}, (proxy, method, args) -> switch (method.getName()) {
                case "appendAsync" -> {
                    CompletableFuture<Position> f = new CompletableFuture<>();
                    appends.add(new Append((SequenceMark) args[1], f));
                    yield f;
                }
                case "lastSequenceId" -> stored.getOrDefault((String) args[0], -1L);
                case "recoveredBatches" -> java.util.List.of();
                case "name" -> "persistent://t/n/topic";
                default -> throw new UnsupportedOperationException(method.getName());
            });

    private final Topic topic = new Topic(TopicName.of("persistent://t/n/topic"), log, executor, null, scheduler,
            null, null, 10, Duration.ofSeconds(30), TopicLimits.fixed(TopicName.of("persistent://t/n/topic"), TopicLimits.Effective.of("t/n",
                    io.tributary.api.v1.NamespacePolicies.getDefaultInstance(),
                    io.tributary.broker.BrokerConfig.defaults("127.0.0.1:2181"))));

    @AfterEach
    void stop() {
        executor.shutdownNow();
        scheduler.shutdownNow();
    }

    /** Stores an append as the managed log does: the sequence mark first, then the future, on the log's thread. */
    private void store(Append a, Position p) {
        executor.execute(() -> {
            stored.merge(a.mark().producerName(), a.mark().lastSequenceId(), Math::max);
            a.future().complete(p);
        });
    }

    @Test
    void aResendOfABatchStillInFlightIsAnsweredWithTheOriginalPosition() throws Exception {
        CompletableFuture<Topic.PublishResult> original = topic.publish("p", 0, 1, new byte[] {1});
        Append append = appends.poll(5, TimeUnit.SECONDS);
        CompletableFuture<Topic.PublishResult> resend = topic.publish("p", 0, 1, new byte[] {1});
        // the resend is queued behind the original's append before that completes
        CompletableFuture.runAsync(() -> {}, executor).get(5, TimeUnit.SECONDS);
        assertThat(resend).isNotDone();

        store(append, new Position(3, 7));

        assertThat(original.get(5, TimeUnit.SECONDS)).isEqualTo(new Topic.PublishResult(new Position(3, 7), false));
        assertThat(resend.get(5, TimeUnit.SECONDS)).isEqualTo(new Topic.PublishResult(new Position(3, 7), true));
        assertThat(appends).isEmpty();
    }

    @Test
    void aPublishCompletesWithinTheLogsCompletionWithoutAnotherHop() throws Exception {
        CompletableFuture<Topic.PublishResult> original = topic.publish("p", 0, 1, new byte[] {1});
        Append append = appends.poll(5, TimeUnit.SECONDS);

        CompletableFuture<Boolean> doneWithTheAppend = CompletableFuture.supplyAsync(() -> {
            append.future().complete(new Position(3, 7));
            return original.isDone();
        }, executor);

        assertThat(doneWithTheAppend.get(5, TimeUnit.SECONDS)).isTrue();
        assertThat(original.get(5, TimeUnit.SECONDS)).isEqualTo(new Topic.PublishResult(new Position(3, 7), false));
    }

    @Test
    void aResendOfAStoredBatchIsAnsweredWithTheOriginalPosition() throws Exception {
        CompletableFuture<Topic.PublishResult> original = topic.publish("p", 0, 2, new byte[] {1});
        store(appends.poll(5, TimeUnit.SECONDS), new Position(3, 7));
        assertThat(original.get(5, TimeUnit.SECONDS)).isEqualTo(new Topic.PublishResult(new Position(3, 7), false));

        assertThat(topic.publish("p", 0, 2, new byte[] {1}).get(5, TimeUnit.SECONDS))
                .isEqualTo(new Topic.PublishResult(new Position(3, 7), true));
        assertThat(appends).isEmpty();
    }

    @Test
    void aResendOfAFailedAppendIsAppendedAgain() throws Exception {
        CompletableFuture<Topic.PublishResult> original = topic.publish("p", 0, 1, new byte[] {1});
        Append failed = appends.poll(5, TimeUnit.SECONDS);
        executor.execute(() -> failed.future().completeExceptionally(new RuntimeException("bookies gone")));
        assertThat(original).failsWithin(Duration.ofSeconds(5));

        CompletableFuture<Topic.PublishResult> resend = topic.publish("p", 0, 1, new byte[] {1});
        store(appends.poll(5, TimeUnit.SECONDS), new Position(4, 0));
        assertThat(resend.get(5, TimeUnit.SECONDS)).isEqualTo(new Topic.PublishResult(new Position(4, 0), false));
    }

    @Test
    void aBatchThatSkipsAFailedOneIsRefusedUntilTheFailedOneIsSentAgain() throws Exception {
        CompletableFuture<Topic.PublishResult> first = topic.publish("p", 0, 2, new byte[] {1});
        Append failed = appends.poll(5, TimeUnit.SECONDS);
        executor.execute(() -> failed.future().completeExceptionally(new RuntimeException("bookie gone")));
        assertThat(first).failsWithin(Duration.ofSeconds(5));

        // the producer's next batch, pipelined before it learnt of the failure: storing it would raise
        // the stored mark past ids 0..1, and their resend would then pass for a duplicate
        assertThat(topic.publish("p", 2, 1, new byte[] {2})).failsWithin(Duration.ofSeconds(5))
                .withThrowableThat().withMessageContaining("sequence gap");
        assertThat(appends).isEmpty();

        CompletableFuture<Topic.PublishResult> resend = topic.publish("p", 0, 2, new byte[] {1});
        store(appends.poll(5, TimeUnit.SECONDS), new Position(4, 0));
        assertThat(resend.get(5, TimeUnit.SECONDS)).isEqualTo(new Topic.PublishResult(new Position(4, 0), false));
        CompletableFuture<Topic.PublishResult> next = topic.publish("p", 2, 1, new byte[] {2});
        store(appends.poll(5, TimeUnit.SECONDS), new Position(4, 1));
        assertThat(next.get(5, TimeUnit.SECONDS)).isEqualTo(new Topic.PublishResult(new Position(4, 1), false));
    }

    @Test
    void plainMessagesRetriedWhileInFlightAreDuplicatesAndAnOverlapStoresOnlyTheNewOnes() throws Exception {
        java.util.List<String> encoded = new java.util.concurrent.CopyOnWriteArrayList<>();
        PlainPublish.Entry encoder = (first, skip) -> {
            encoded.add(first + "+" + skip);
            return new byte[] {1};
        };
        CompletableFuture<PlainPublish.Result> original = topic.publishPlain("p", 0, 3, encoder);
        Append append = appends.poll(5, TimeUnit.SECONDS);
        assertThat(append.mark()).isEqualTo(new SequenceMark("p", 2));
        // the same call again while the original is in flight: answered once that is stored
        CompletableFuture<PlainPublish.Result> retry = topic.publishPlain("p", 0, 3, encoder);
        CompletableFuture.runAsync(() -> {}, executor).get(5, TimeUnit.SECONDS);
        assertThat(retry).isNotDone();
        store(append, new Position(3, 7));
        assertThat(original.get(5, TimeUnit.SECONDS)).isEqualTo(new PlainPublish.Result(new Position(3, 7), 0, 0));
        assertThat(retry.get(5, TimeUnit.SECONDS)).isEqualTo(new PlainPublish.Result(null, 0, 3));

        // ids 1 to 4: 1 and 2 are stored, 3 and 4 go into an entry of their own
        CompletableFuture<PlainPublish.Result> overlap = topic.publishPlain("p", 1, 4, encoder);
        Append second = appends.poll(5, TimeUnit.SECONDS);
        assertThat(second.mark()).isEqualTo(new SequenceMark("p", 4));
        store(second, new Position(3, 8));
        assertThat(overlap.get(5, TimeUnit.SECONDS)).isEqualTo(new PlainPublish.Result(new Position(3, 8), 1, 2));
        assertThat(encoded).containsExactly("0+0", "3+2");
        assertThat(appends).isEmpty();
    }

    @Test
    void plainMessagesNumberedByTheTopicFollowWhatIsInFlightAndRestartAfterAFailedAppend() throws Exception {
        PlainPublish.Entry encoder = (first, skip) -> new byte[] {1};
        CompletableFuture<PlainPublish.Result> a = topic.publishPlain("b-send", -1, 2, encoder);
        CompletableFuture<PlainPublish.Result> b = topic.publishPlain("b-send", -1, 1, encoder);
        Append first = appends.poll(5, TimeUnit.SECONDS);
        Append second = appends.poll(5, TimeUnit.SECONDS);
        assertThat(first.mark()).isEqualTo(new SequenceMark("b-send", 1));
        assertThat(second.mark()).isEqualTo(new SequenceMark("b-send", 2));
        store(first, new Position(1, 0));
        executor.execute(() -> second.future().completeExceptionally(new IllegalStateException("bookies gone")));
        assertThat(a.get(5, TimeUnit.SECONDS).firstSequenceId()).isZero();
        assertThat(b).failsWithin(5, TimeUnit.SECONDS);
        // the failed ids are given again, so nothing is refused as a gap
        CompletableFuture<PlainPublish.Result> c = topic.publishPlain("b-send", -1, 1, encoder);
        Append third = appends.poll(5, TimeUnit.SECONDS);
        assertThat(third.mark()).isEqualTo(new SequenceMark("b-send", 2));
        store(third, new Position(1, 1));
        assertThat(c.get(5, TimeUnit.SECONDS)).isEqualTo(new PlainPublish.Result(new Position(1, 1), 2, 0));
    }
}
