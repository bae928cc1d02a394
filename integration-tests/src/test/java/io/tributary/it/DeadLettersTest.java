package io.tributary.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.tributary.api.v1.AdminServiceGrpc;
import io.tributary.api.v1.DeadLetter;
import io.tributary.api.v1.DeadLetterTopic;
import io.tributary.api.v1.GetTopicStatsRequest;
import io.tributary.api.v1.ListDeadLettersRequest;
import io.tributary.api.v1.MessagingServiceGrpc;
import io.tributary.api.v1.NegativeAcknowledgeRequest;
import io.tributary.api.v1.PeekDeadLettersRequest;
import io.tributary.api.v1.PeekDeadLettersResponse;
import io.tributary.api.v1.PlainMessage;
import io.tributary.api.v1.PurgeDeadLettersRequest;
import io.tributary.api.v1.PurgeDeadLettersResponse;
import io.tributary.api.v1.ReceiveRequest;
import io.tributary.api.v1.ReceivedMessage;
import io.tributary.api.v1.RedriveDeadLettersRequest;
import io.tributary.api.v1.RedriveDeadLettersResponse;
import io.tributary.api.v1.SendRequest;
import io.tributary.cli.Standalone;
import io.tributary.client.Consumer;
import io.tributary.client.DeadLetterPolicy;
import io.tributary.client.Producer;
import io.tributary.client.Schema;
import io.tributary.client.SubscriptionInitialPosition;
import io.tributary.client.SubscriptionType;
import io.tributary.client.TributaryClient;
import io.tributary.client.admin.TributaryAdmin;
import io.tributary.protocol.ErrorReasons;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Dead letters as an operator meets them, through the proxy of a two-broker standalone: a consumer
 * that fails messages on purpose fills its dead-letter topic; the operator lists it, peeks at the
 * reasons, redrives half at a limited rate (twice: published once), the consumer then takes them,
 * and the rest is purged. Counts are checked at every step.
 */
class DeadLettersTest {
    static final Duration DEADLINE = Duration.ofSeconds(60);

    @TempDir
    static Path dir;

    static Standalone standalone;
    static TributaryClient client;
    static TributaryAdmin admin;
    static ManagedChannel channel;
    static AdminServiceGrpc.AdminServiceBlockingStub deadLetters;

    @BeforeAll
    static void start() throws Exception {
        int bookies = TestClusters.freePorts(4);
        int brokers = TestClusters.freePorts(4, bookies, bookies + 1, bookies + 2, bookies + 3);
        standalone = new Standalone(new Standalone.Options(dir.toFile(), 2, TestClusters.freePort(), bookies, brokers,
                TestClusters.freePort(), false, c -> c.toBuilder().metricsPort(0).build())).start();
        client = TributaryClient.builder().serviceUrl(standalone.serviceUrl()).build();
        admin = TributaryAdmin.builder().serviceUrl(standalone.serviceUrl()).operationTimeout(Duration.ofSeconds(20)).build();
        channel = NettyChannelBuilder.forTarget(standalone.serviceUrl()).usePlaintext().build();
        deadLetters = AdminServiceGrpc.newBlockingStub(channel);
    }

    @AfterAll
    static void stop() throws Exception {
        channel.shutdownNow();
        admin.close();
        client.close();
        standalone.close();
    }

    private static AdminServiceGrpc.AdminServiceBlockingStub admin() {
        return deadLetters.withDeadlineAfter(60, TimeUnit.SECONDS);
    }

    private static List<DeadLetterTopic> listed(String namespace) {
        return admin().listDeadLetters(ListDeadLettersRequest.newBuilder().setNamespace(namespace).build()).getTopicsList();
    }

    @Test
    void anOperatorInspectsRedrivesAndPurgesWhatAConsumerGaveUpOn() throws Exception {
        String ns = "public/dead-letters";
        admin.namespaces().create(ns, 4);
        String topic = ns + "/orders";
        String dlq = topic + "-billing-DLQ";
        AtomicBoolean accepting = new AtomicBoolean();
        Map<String, String> reasonsSeenAgain = new ConcurrentHashMap<>();
        Map<String, Integer> redriven = new ConcurrentHashMap<>();
        try (Consumer<String> consumer = client.newConsumer(Schema.STRING).topic(topic).subscriptionName("billing")
                .subscriptionType(SubscriptionType.Shared).subscriptionInitialPosition(SubscriptionInitialPosition.Earliest)
                .negativeAckRedeliveryDelay(10, TimeUnit.MILLISECONDS)
                .deadLetterPolicy(DeadLetterPolicy.builder().maxRedeliverCount(2).build())
                .messageListener((c, m) -> {
                    int n = Integer.parseInt(m.getProperty("n"));
                    if (m.getRedeliveryCount() > 0) {
                        reasonsSeenAgain.put(m.getValue(), m.getLastFailureReason() + "@" + m.getFirstDeliveryTime());
                    }
                    if (m.getProperty(DeadLetterPolicy.REDRIVEN_FROM) != null) {
                        redriven.merge(m.getValue(), 1, Integer::sum);
                    }
                    if (n % 5 < 2 && !accepting.get()) {
                        c.negativeAcknowledge(m, "bad order " + n);
                    } else {
                        c.acknowledgeAsync(m);
                    }
                }).subscribe();
             // one message per entry: a redelivery count is the entry's, so in a batch one message's failures
             // would count against the others (docs/subscriptions.md)
             Producer<String> producer = client.newProducer(Schema.STRING).topic(topic).enableBatching(false).create()) {
            for (int n = 0; n < 100; n++) {
                producer.newMessage().key("customer-" + (n % 7)).property("n", Integer.toString(n)).value("order-" + n)
                        .sendAsync();
            }
            producer.flush();

            // 40 of 100 fail three times and land in the dead-letter topic, kept by its dead-letter subscription
            await().atMost(DEADLINE).untilAsserted(() -> assertThat(listed(ns)).singleElement()
                    .satisfies(d -> assertThat(d.getMessages()).isEqualTo(40)));
            DeadLetterTopic listedTopic = listed(ns).get(0);
            assertThat(listedTopic.getTopic()).isEqualTo(dlq);
            assertThat(listedTopic.getOriginalTopic()).isEqualTo(topic);
            assertThat(listedTopic.getOriginalSubscription()).isEqualTo("billing");
            assertThat(listedTopic.getOldestPublishTimeMs()).isPositive()
                    .isLessThanOrEqualTo(listedTopic.getNewestPublishTimeMs());
            assertThat(admin().listDeadLetters(ListDeadLettersRequest.newBuilder().setTopic(topic).setSubscription("billing")
                    .build()).getTopicsList()).extracting(DeadLetterTopic::getTopic).containsExactly(dlq);
            assertThat(admin().listDeadLetters(ListDeadLettersRequest.newBuilder().setTopic(topic).setSubscription("other")
                    .build()).getTopicsList()).isEmpty();
            // the reason of the last negative acknowledgement came back with each redelivery
            assertThat(reasonsSeenAgain).hasSize(40).allSatisfy((value, seen) -> {
                assertThat(seen).startsWith("bad order " + value.substring("order-".length()) + "@");
                assertThat(Long.parseLong(seen.substring(seen.indexOf('@') + 1))).isPositive();
            });

            // peek: every dead letter with its origin, reason, count and times, in pages
            List<DeadLetter> all = new ArrayList<>();
            PeekDeadLettersResponse page = admin().peekDeadLetters(PeekDeadLettersRequest.newBuilder().setTopic(dlq)
                    .setMaxMessages(15).build());
            all.addAll(page.getMessagesList());
            while (page.getMore()) {
                page = admin().peekDeadLetters(PeekDeadLettersRequest.newBuilder().setTopic(dlq).setMaxMessages(15)
                        .setAfter(all.get(all.size() - 1).getMessageId()).build());
                all.addAll(page.getMessagesList());
            }
            assertThat(all).hasSize(40);
            assertThat(all).allSatisfy(d -> {
                String n = d.getProperties().get("n");
                assertThat(d.getValue().toStringUtf8()).isEqualTo("order-" + n);
                assertThat(d.getOriginalTopic()).isEqualTo(topic);
                assertThat(d.getOriginalSubscription()).isEqualTo("billing");
                assertThat(d.getRedeliveryCount()).isEqualTo(2);
                assertThat(d.getFailureReason()).isEqualTo("bad order " + n);
                assertThat(d.getFirstDeliveryMs()).isPositive().isLessThanOrEqualTo(d.getLastDeliveryMs());
                assertThat(d.getKey()).isEqualTo("customer-" + Integer.parseInt(n) % 7);
                assertThat(d.hasOriginalMessageId()).isTrue();
                assertThat(d.getPropertiesMap()).doesNotContainKeys(DeadLetterPolicy.DLQ_FAILURE_REASON,
                        DeadLetterPolicy.DLQ_REDELIVERY_COUNT, DeadLetterPolicy.DLQ_SUBSCRIPTION);
            });

            // redrive half of them, selected, at 10 per second: it takes about two seconds
            accepting.set(true);
            List<DeadLetter> half = all.subList(0, 20);
            RedriveDeadLettersRequest redrive = RedriveDeadLettersRequest.newBuilder().setTopic(dlq).setRatePerSecond(10)
                    .addAllMessageIds(half.stream().map(DeadLetter::getMessageId).toList()).build();
            long started = System.nanoTime();
            RedriveDeadLettersResponse first = admin().redriveDeadLetters(redrive);
            long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
            assertThat(first.getRedriven()).isEqualTo(20);
            assertThat(first.getAlreadyDone()).isZero();
            assertThat(first.getRemaining()).isEqualTo(20);
            assertThat(tookMs).as("20 messages at 10 per second").isGreaterThanOrEqualTo(1900);
            // again: nothing is published twice
            RedriveDeadLettersResponse second = admin().redriveDeadLetters(redrive);
            assertThat(second.getRedriven()).isZero();
            assertThat(second.getAlreadyDone()).isEqualTo(20);
            assertThat(second.getRemaining()).isEqualTo(20);

            // the consumer, accepting now, gets exactly those 20 and acknowledges them
            Set<String> expected = new TreeSet<>(half.stream().map(d -> d.getValue().toStringUtf8()).toList());
            await().atMost(DEADLINE).untilAsserted(() -> assertThat(new TreeSet<>(redriven.keySet())).isEqualTo(expected));
            await().atMost(DEADLINE).untilAsserted(() -> assertThat(admin.topics().getStats(topic).subscriptions())
                    .allSatisfy(s -> assertThat(s.msgBacklog()).isZero()));
            assertThat(admin().getTopicStats(GetTopicStatsRequest.newBuilder().setTopic(topic).build()).getMsgInTotal())
                    .as("100 published and 20 redriven, none twice").isEqualTo(120);
            assertThat(redriven).allSatisfy((value, times) -> assertThat(times).as(value).isEqualTo(1));
            assertThat(listed(ns)).singleElement().satisfies(d -> {
                assertThat(d.getMessages()).isEqualTo(20);
                assertThat(d.getRedrivenTotal()).isEqualTo(20);
            });

            // the rest is purged
            PurgeDeadLettersResponse purged = admin().purgeDeadLetters(PurgeDeadLettersRequest.newBuilder().setTopic(dlq).build());
            assertThat(purged.getPurged()).isEqualTo(20);
            assertThat(purged.getRemaining()).isZero();
            assertThat(listed(ns)).singleElement().satisfies(d -> assertThat(d.getMessages()).isZero());
            assertThat(admin().peekDeadLetters(PeekDeadLettersRequest.newBuilder().setTopic(dlq).build()).getMessagesList())
                    .isEmpty();
        }
    }

    @Test
    void aReasonReachesAnyLanguageClientAndBadRequestsAreRefusedPrecisely() {
        String topic = "public/default/raw-reasons";
        var messaging = MessagingServiceGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
        messaging.send(SendRequest.newBuilder().setTopic(topic)
                .addMessages(PlainMessage.newBuilder().setValue(ByteString.copyFromUtf8("m"))).build());
        ReceiveRequest receive = ReceiveRequest.newBuilder().setTopic(topic).setSubscription("raw").setMaxMessages(1)
                .setMaxWaitMs(10_000).setInitialPosition(io.tributary.api.v1.InitialPosition.EARLIEST).build();
        ReceivedMessage m = messaging.receive(receive).getMessages(0);
        assertThat(m.getLastFailureReason()).isEmpty();
        assertThat(refusal(() -> messaging.negativeAcknowledge(NegativeAcknowledgeRequest.newBuilder().setTopic(topic)
                .setSubscription("raw").addMessageIds(m.getMessageId()).setReason("x".repeat(1025)).build())))
                .isEqualTo("INVALID_REQUEST: reason must be at most 1024 bytes of UTF-8, was 1025 bytes");
        messaging.negativeAcknowledge(NegativeAcknowledgeRequest.newBuilder().setTopic(topic).setSubscription("raw")
                .addMessageIds(m.getMessageId()).setReason("no such customer").build());
        ReceivedMessage again = messaging.receive(receive).getMessages(0);
        assertThat(again.getRedeliveryCount()).isEqualTo(1);
        assertThat(again.getLastFailureReason()).isEqualTo("no such customer");
        assertThat(again.getFirstDeliveryMs()).isPositive().isLessThanOrEqualTo(System.currentTimeMillis());

        // not a dead-letter topic; out-of-range numbers
        assertThat(refusal(() -> admin().peekDeadLetters(PeekDeadLettersRequest.newBuilder().setTopic(topic).build())))
                .startsWith("SUBSCRIPTION_NOT_FOUND: topic " + topic + " is not a dead-letter topic");
        assertThat(refusal(() -> admin().redriveDeadLetters(RedriveDeadLettersRequest.newBuilder().setTopic(topic)
                .setRatePerSecond(20_000).build()))).isEqualTo("INVALID_REQUEST: rate_per_second must be in [1, 10000] (0: 100), was 20000");
        assertThat(refusal(() -> admin().peekDeadLetters(PeekDeadLettersRequest.newBuilder().setTopic(topic)
                .setMaxMessages(-1).build()))).isEqualTo("INVALID_REQUEST: max_messages must be in [1, 1000] (0: 10), was -1");
        assertThat(refusal(() -> admin().listDeadLetters(ListDeadLettersRequest.getDefaultInstance())))
                .isEqualTo("INVALID_REQUEST: namespace or topic is required");
    }

    private static String refusal(Runnable call) {
        try {
            call.run();
        } catch (StatusRuntimeException e) {
            var d = ErrorReasons.detailOf(e);
            return d.getReason() + ": " + d.getMessage();
        }
        throw new AssertionError("the call was not refused");
    }
}
