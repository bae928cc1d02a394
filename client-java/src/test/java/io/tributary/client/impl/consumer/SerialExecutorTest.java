package io.tributary.client.impl.consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class SerialExecutorTest {
    private final ExecutorService pool = Executors.newCachedThreadPool();

    @AfterEach
    void stop() {
        pool.shutdownNow();
    }

    @Test
    void tasksRunOneAtATimeInTheOrderGivenOnASharedPool() {
        SerialExecutor serial = new SerialExecutor(pool);
        List<Integer> ran = new CopyOnWriteArrayList<>();
        AtomicInteger running = new AtomicInteger();
        AtomicInteger mostAtOnce = new AtomicInteger();
        for (int i = 0; i < 500; i++) {
            int n = i;
            serial.execute(() -> {
                mostAtOnce.accumulateAndGet(running.incrementAndGet(), Math::max);
                ran.add(n);
                running.decrementAndGet();
            });
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> ran.size() == 500);
        assertThat(ran).containsExactlyElementsOf(IntStream.range(0, 500).boxed().toList());
        assertThat(mostAtOnce.get()).isEqualTo(1);
    }

    @Test
    void aFailingTaskDoesNotStopTheOnesAfterIt() {
        SerialExecutor serial = new SerialExecutor(pool);
        List<String> ran = new CopyOnWriteArrayList<>();
        serial.execute(() -> {
            throw new IllegalStateException("a listener failed");
        });
        serial.execute(() -> ran.add("next"));
        await().atMost(Duration.ofSeconds(10)).until(() -> ran.contains("next"));
    }

    @Test
    void aClosedPoolRefusesEveryTaskAndNothingIsLeftPending() {
        pool.shutdown();
        SerialExecutor serial = new SerialExecutor(pool);
        assertThatThrownBy(() -> serial.execute(() -> { })).isInstanceOf(RejectedExecutionException.class);
        assertThatThrownBy(() -> serial.execute(() -> { })).as("still refused, not left waiting as if running")
                .isInstanceOf(RejectedExecutionException.class);
    }
}
