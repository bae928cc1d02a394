package io.tributary.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.tributary.api.v1.AdminServiceGrpc;
import io.tributary.api.v1.GetTopicStatsRequest;
import io.tributary.api.v1.SubscriptionStats;
import io.tributary.cli.Standalone;
import io.tributary.cli.TributaryCli;
import io.tributary.client.Consumer;
import io.tributary.client.DeadLetterPolicy;
import io.tributary.client.Message;
import io.tributary.client.MessageId;
import io.tributary.client.Producer;
import io.tributary.client.Reader;
import io.tributary.client.Schema;
import io.tributary.client.SubscriptionInitialPosition;
import io.tributary.client.SubscriptionType;
import io.tributary.client.TributaryClient;
import io.tributary.client.TributaryClientException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Redelivery (negative acks with a delay, ack timeout, dead and retry letters), delayed delivery,
 * seek and readers, and the stats that show them, through the proxy with the SDK.
 */
class RedeliveryAndSeekTest {
    @TempDir
    static Path dir;
    static Standalone standalone;
    static TributaryClient client;
    static ManagedChannel channel;

    @BeforeAll
    static void start() throws Exception {
        standalone = TestClusters.start(dir.toFile());
        client = TributaryClient.builder().serviceUrl(standalone.serviceUrl()).build();
        channel = NettyChannelBuilder.forTarget(standalone.serviceUrl()).usePlaintext().build();
    }

    @AfterAll
    static void stop() throws Exception {
        channel.shutdownNow();
        client.close();
        standalone.close();
    }

    private static List<MessageId> produce(String topic, int n) throws Exception {
        List<MessageId> ids = new ArrayList<>();
        try (Producer<String> p = client.newProducer(Schema.STRING).topic(topic).enableBatching(false).create()) {
            for (int i = 0; i < n; i++) {
                ids.add(p.send("m" + i));
            }
        }
        return ids;
    }

    private static SubscriptionStats stats(String topic, String subscription) {
        return AdminServiceGrpc.newBlockingStub(channel).getTopicStats(GetTopicStatsRequest.newBuilder().setTopic(topic).build())
                .getSubscriptionsList().stream().filter(s -> s.getSubscription().equals(subscription)).findFirst().orElseThrow();
    }

    @Test
    void aNegativelyAcknowledgedMessageComesBackAfterItsDelayWithItsRedeliveryCount() throws Exception {
        String topic = "public/default/nack";
        try (Consumer<String> c = client.newConsumer(Schema.STRING).topic(topic).subscriptionName("s")
                .subscriptionType(SubscriptionType.Shared).negativeAckRedeliveryDelay(1, TimeUnit.SECONDS)
                .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe()) {
            produce(topic, 2);
            Message<String> first = c.receive(30, TimeUnit.SECONDS);
            assertThat(first.getRedeliveryCount()).isZero();
            long nacked = System.nanoTime();
            c.negativeAcknowledge(first);
            Message<String> second = c.receive(30, TimeUnit.SECONDS);
            assertThat(second.getValue()).as("the next message is not held up by the delay").isEqualTo("m1");
            c.acknowledge(second);
            Message<String> again = c.receive(30, TimeUnit.SECONDS);
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - nacked)).as("not before the delay").isGreaterThanOrEqualTo(900);
            assertThat(again.getMessageId()).isEqualTo(first.getMessageId());
            assertThat(again.getRedeliveryCount()).isEqualTo(1);
            c.acknowledge(again);
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                assertThat(stats(topic, "s").getRedeliveredTotal()).isEqualTo(1);
                assertThat(stats(topic, "s").getMsgBacklog()).isZero();
            });
        }
    }

    @Test
    void anUnacknowledgedMessageIsDeliveredAgainAfterTheAckTimeout() throws Exception {
        String topic = "public/default/ack-timeout";
        try (Consumer<String> c = client.newConsumer(Schema.STRING).topic(topic).subscriptionName("s")
                .subscriptionType(SubscriptionType.Shared).ackTimeout(1, TimeUnit.SECONDS)
                .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe()) {
            produce(topic, 1);
            Message<String> m = c.receive(30, TimeUnit.SECONDS);
            Message<String> again = c.receive(30, TimeUnit.SECONDS);
            assertThat(again.getMessageId()).isEqualTo(m.getMessageId());
            assertThat(again.getRedeliveryCount()).isEqualTo(1);
            c.acknowledge(again);
            assertThat(c.receive(1500, TimeUnit.MILLISECONDS)).as("acknowledged in time: not delivered again").isNull();
        }
    }

    @Test
    void afterMaxRedeliveriesAMessageGoesToTheDeadLetterTopicAndLeavesTheBacklog() throws Exception {
        String topic = "public/default/poison";
        try (Consumer<String> dlq = client.newConsumer(Schema.STRING).topic(topic + "-s-DLQ").subscriptionName("ops")
                .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe();
             Consumer<String> c = client.newConsumer(Schema.STRING).topic(topic).subscriptionName("s")
                     .subscriptionType(SubscriptionType.Shared).negativeAckRedeliveryDelay(0, TimeUnit.MILLISECONDS)
                     .deadLetterPolicy(DeadLetterPolicy.builder().maxRedeliverCount(2).build())
                     .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe()) {
            MessageId original = produce(topic, 1).get(0);
            for (int attempt = 0; attempt <= 2; attempt++) {
                Message<String> m = c.receive(30, TimeUnit.SECONDS);
                assertThat(m.getRedeliveryCount()).isEqualTo(attempt);
                c.negativeAcknowledge(m);
            }
            Message<String> dead = dlq.receive(30, TimeUnit.SECONDS);
            assertThat(dead.getValue()).isEqualTo("m0");
            assertThat(dead.getProperty(DeadLetterPolicy.REAL_TOPIC)).isEqualTo(topic);
            assertThat(dead.getProperty(DeadLetterPolicy.ORIGIN_MESSAGE_ID)).isEqualTo(original.toString());
            assertThat(c.receive(500, TimeUnit.MILLISECONDS)).as("not delivered a fourth time").isNull();
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(stats(topic, "s").getMsgBacklog()).isZero());
        }
    }

    @Test
    void reconsumeLaterDeliversTheMessageAgainThroughTheRetryTopicAfterTheDelay() throws Exception {
        String topic = "public/default/retry";
        try (Consumer<String> c = client.newConsumer(Schema.STRING).topic(topic).subscriptionName("s")
                .subscriptionType(SubscriptionType.Shared).enableRetry(true)
                .deadLetterPolicy(DeadLetterPolicy.builder().maxRedeliverCount(3).build())
                .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe()) {
            produce(topic, 1);
            Message<String> m = c.receive(30, TimeUnit.SECONDS);
            long asked = System.nanoTime();
            c.reconsumeLater(m, 1, TimeUnit.SECONDS);
            Message<String> later = c.receive(30, TimeUnit.SECONDS);
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - asked)).isGreaterThanOrEqualTo(900);
            assertThat(later.getValue()).isEqualTo("m0");
            assertThat(later.getProperty(DeadLetterPolicy.RECONSUME_TIMES)).isEqualTo("1");
            assertThat(later.getProperty(DeadLetterPolicy.REAL_TOPIC)).isEqualTo(topic);
            c.acknowledge(later);
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(stats(topic, "s").getMsgBacklog()).isZero());
        }
    }

    @Test
    void aDelayedMessageIsHeldBackOnSharedSubscriptionsOnly() throws Exception {
        String topic = "public/default/delayed";
        try (Consumer<String> shared = client.newConsumer(Schema.STRING).topic(topic).subscriptionName("shared")
                .subscriptionType(SubscriptionType.Shared).subscribe();
             Consumer<String> exclusive = client.newConsumer(Schema.STRING).topic(topic).subscriptionName("exclusive")
                     .subscriptionType(SubscriptionType.Exclusive).subscribe();
             Producer<String> p = client.newProducer(Schema.STRING).topic(topic).create()) {
            long sent = System.currentTimeMillis();
            p.newMessage().value("later").deliverAfter(2, TimeUnit.SECONDS).send();
            p.newMessage().value("now").send();
            assertThat(exclusive.receive(30, TimeUnit.SECONDS).getValue()).as("exclusive ignores the delay").isEqualTo("later");
            Message<String> first = shared.receive(30, TimeUnit.SECONDS);
            assertThat(first.getValue()).as("the delayed message does not hold up the next").isEqualTo("now");
            shared.acknowledge(first);
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(stats(topic, "shared").getDelayedMessages()).isEqualTo(1));
            Message<String> delayed = shared.receive(30, TimeUnit.SECONDS);
            assertThat(delayed.getValue()).isEqualTo("later");
            assertThat(System.currentTimeMillis() - sent).isGreaterThanOrEqualTo(1900);
            assertThat(delayed.getRedeliveryCount()).as("held back, not redelivered").isZero();
            assertThatThrownBy(() -> p.newMessage().value("x").deliverAfter(-1, TimeUnit.SECONDS))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void seekByIdByTimeAndToEarliestOrLatest() throws Exception {
        String topic = "public/default/seek";
        List<MessageId> ids = produce(topic, 10);
        try (Consumer<String> c = client.newConsumer(Schema.STRING).topic(topic).subscriptionName("s")
                .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe()) {
            for (int i = 0; i < 10; i++) {
                c.acknowledge(c.receive(30, TimeUnit.SECONDS));
            }
            c.seek(ids.get(4));
            assertThat(c.receive(30, TimeUnit.SECONDS).getValue()).isEqualTo("m4");
            c.seek(MessageId.earliest);
            assertThat(c.receive(30, TimeUnit.SECONDS).getValue()).isEqualTo("m0");

            long cut = System.currentTimeMillis();
            try (Producer<String> p = client.newProducer(Schema.STRING).topic(topic).create()) {
                await().atMost(Duration.ofSeconds(5)).until(() -> System.currentTimeMillis() > cut);
                p.send("after-cut");
            }
            c.seek(cut + 1);
            assertThat(c.receive(30, TimeUnit.SECONDS).getValue()).as("first published after the time").isEqualTo("after-cut");

            c.seek(MessageId.latest);
            assertThat(c.receive(300, TimeUnit.MILLISECONDS)).isNull();
            produce(topic, 1);
            assertThat(c.receive(30, TimeUnit.SECONDS).getValue()).isEqualTo("m0");

            MessageId past = new MessageId(ids.get(9).getLedgerId(), ids.get(9).getEntryId() + 1000, -1, -1, 0);
            assertThatThrownBy(() -> c.seek(past)).isInstanceOf(TributaryClientException.PositionOutOfRangeException.class);
            produce(topic, 1);
            assertThat(c.receive(30, TimeUnit.SECONDS)).as("still usable after a refused seek").isNotNull();
        }
    }

    @Test
    void readersStartAtEarliestLatestOrAGivenIdAndLeaveNoSubscriptionBehind() throws Exception {
        String topic = "public/default/readers";
        List<MessageId> ids = produce(topic, 5);
        try (Reader<String> fromStart = client.newReader(Schema.STRING).topic(topic).startMessageId(MessageId.earliest).create();
             Reader<String> afterTwo = client.newReader(Schema.STRING).topic(topic).startMessageId(ids.get(2)).create();
             Reader<String> atTwo = client.newReader(Schema.STRING).topic(topic).startMessageId(ids.get(2))
                     .startMessageIdInclusive().create();
             Reader<String> fromNow = client.newReader(Schema.STRING).topic(topic).startMessageId(MessageId.latest).create()) {
            assertThat(fromStart.readNext(30, TimeUnit.SECONDS).getValue()).isEqualTo("m0");
            assertThat(afterTwo.readNext(30, TimeUnit.SECONDS).getValue()).isEqualTo("m3");
            assertThat(atTwo.readNext(30, TimeUnit.SECONDS).getValue()).isEqualTo("m2");
            assertThat(fromNow.readNext(300, TimeUnit.MILLISECONDS)).isNull();
            produce(topic, 1);
            assertThat(fromNow.readNext(30, TimeUnit.SECONDS).getValue()).isEqualTo("m0");
            fromStart.seek(ids.get(4));
            assertThat(fromStart.readNext(30, TimeUnit.SECONDS).getValue()).isEqualTo("m4");
        }
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(AdminServiceGrpc.newBlockingStub(channel)
                .getTopicStats(GetTopicStatsRequest.newBuilder().setTopic(topic).build()).getSubscriptionsList())
                .as("readers leave no subscription").isEmpty());
    }

    @Test
    void theCliShowsTopicAndSubscriptionStats() throws Exception {
        String topic = "public/default/stats";
        try (Consumer<String> c = client.newConsumer(Schema.STRING).topic(topic).subscriptionName("billing")
                .subscriptionType(SubscriptionType.Shared).consumerName("worker-1")
                .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe()) {
            produce(topic, 3);
            c.acknowledge(c.receive(30, TimeUnit.SECONDS));
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                SubscriptionStats s = stats(topic, "billing");
                assertThat(s.getMsgBacklog()).isEqualTo(2);
                assertThat(s.getMsgOutTotal()).isEqualTo(3);
                assertThat(s.getConsumersList()).singleElement().satisfies(x -> {
                    assertThat(x.getConsumerName()).isEqualTo("worker-1");
                    assertThat(x.getUnackedMessages()).isEqualTo(2);
                });
            });
            PrintStream saved = System.out;
            ByteArrayOutputStream buf = new ByteArrayOutputStream();
            System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
            int code;
            try {
                code = TributaryCli.commandLine().execute("admin", "topics", "stats", topic, "-u", standalone.serviceUrl());
            } finally {
                System.setOut(saved);
            }
            String out = buf.toString(StandardCharsets.UTF_8);
            assertThat(code).isZero();
            assertThat(out).contains("subscription billing (SHARED)").contains("backlog:      2 messages")
                    .contains("consumer worker-1").contains("3 messages in all");
        }
    }
}
