package io.tributary.client.impl.producer;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.client.MessageRouter;
import io.tributary.client.Schema;
import io.tributary.client.TopicMetadata;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class MessageRoutersTest {
    private static final TopicMetadata FOUR = () -> 4;

    private static RoutedMessage<String> message(String key) {
        TypedMessageBuilderImpl<String> b = new TypedMessageBuilderImpl<>(m -> new CompletableFuture<>());
        b.value("v").key(key);
        return new RoutedMessage<>(b, Schema.STRING, "t/ns/topic");
    }

    @Test
    void roundRobinWithoutBatchingMovesOnWithEveryKeylessMessage() {
        RoundRobinPartitionRouter r = new RoundRobinPartitionRouter(0, () -> 0, 2);
        List<Integer> chosen = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            chosen.add(r.choosePartition(message(null), FOUR));
        }
        assertThat(chosen).containsExactly(2, 3, 0, 1, 2, 3, 0, 1);
    }

    @Test
    void roundRobinWithBatchingStaysOnAPartitionForTheSwitchInterval() {
        AtomicLong now = new AtomicLong(TimeUnit.MILLISECONDS.toNanos(1000));
        long interval = TimeUnit.MILLISECONDS.toNanos(5);
        RoundRobinPartitionRouter r = new RoundRobinPartitionRouter(interval, now::get, 0);
        int first = r.choosePartition(message(null), FOUR);
        now.addAndGet(interval - 1);
        assertThat(r.choosePartition(message(null), FOUR)).as("same interval, same partition").isEqualTo(first);
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 4; i++) {
            now.addAndGet(interval);
            seen.add(r.choosePartition(message(null), FOUR));
        }
        assertThat(seen).as("each interval the next partition").containsExactlyInAnyOrder(0, 1, 2, 3);
    }

    @Test
    void keyedMessagesGoByKeyHashInBothBuiltInModes() {
        MessageRouter rr = new RoundRobinPartitionRouter(0, () -> 0, 0);
        MessageRouter single = new SinglePartitionRouter(3);
        for (String key : List.of("order-42", "a", "user-1", "key-ü")) {
            int expected = MessageRouter.partitionForKey(key, 4);
            for (int i = 0; i < 3; i++) {
                assertThat(rr.choosePartition(message(key), FOUR)).isEqualTo(expected);
                assertThat(single.choosePartition(message(key), FOUR)).isEqualTo(expected);
            }
        }
    }

    @Test
    void singlePartitionSendsEveryKeylessMessageToOnePartition() {
        MessageRouter r = new SinglePartitionRouter(-7);
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 20; i++) {
            seen.add(r.choosePartition(message(null), FOUR));
        }
        assertThat(seen).hasSize(1);
        assertThat(seen.iterator().next()).isBetween(0, 3);
    }

    @Test
    void aRouterSeesWhatIsKnownBeforeTheSend() {
        TypedMessageBuilderImpl<String> b = new TypedMessageBuilderImpl<>(m -> new CompletableFuture<>());
        b.value("hello").key("k").property("tier", "vip").eventTime(42).sequenceId(7);
        RoutedMessage<String> m = new RoutedMessage<>(b, Schema.STRING, "t/ns/topic");
        assertThat(m.getValue()).isEqualTo("hello");
        assertThat(m.getData()).isEqualTo("hello".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        assertThat(m.getKey()).isEqualTo("k");
        assertThat(m.getProperty("tier")).isEqualTo("vip");
        assertThat(m.getEventTime()).isEqualTo(42);
        assertThat(m.getSequenceId()).isEqualTo(7);
        assertThat(m.getTopicName()).isEqualTo("t/ns/topic");
        assertThat(m.getMessageId()).isNull();
    }
}
