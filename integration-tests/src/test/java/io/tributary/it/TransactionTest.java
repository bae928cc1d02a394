package io.tributary.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.tributary.api.v1.AdminServiceGrpc;
import io.tributary.api.v1.CreateTopicRequest;
import io.tributary.api.v1.EndTransactionRequest;
import io.tributary.api.v1.ErrorReason;
import io.tributary.api.v1.GetTopicStatsRequest;
import io.tributary.api.v1.ListTransactionsRequest;
import io.tributary.api.v1.LookupRequest;
import io.tributary.api.v1.LookupResponse;
import io.tributary.api.v1.LookupServiceGrpc;
import io.tributary.api.v1.MessagingServiceGrpc;
import io.tributary.api.v1.PlainMessage;
import io.tributary.api.v1.SendRequest;
import io.tributary.api.v1.TransactionServiceGrpc;
import io.tributary.api.v1.TransactionState;
import io.tributary.api.v1.UnloadBundleRequest;
import io.tributary.broker.Broker;
import io.tributary.broker.TransactionSettings;
import io.tributary.client.Consumer;
import io.tributary.client.Message;
import io.tributary.client.Producer;
import io.tributary.client.Schema;
import io.tributary.client.SubscriptionInitialPosition;
import io.tributary.client.Transaction;
import io.tributary.client.TransactionCheck;
import io.tributary.client.TransactionResolution;
import io.tributary.client.TributaryClient;
import io.tributary.client.TributaryClientException;
import io.tributary.protocol.ErrorReasons;
import io.tributary.protocol.SystemTopics;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Transactional messages through the proxy of two brokers on real ZooKeeper and BookKeeper: nothing of a
 * transaction is visible before its commit, everything (on every topic) after it, nothing ever after a rollback;
 * ends are idempotent and the other end is refused; a transaction whose producer stopped is checked back with
 * another producer of its group (commit, rollback, unknown until the default outcome); and the transaction log
 * moving between brokers during commits loses no decision and applies none twice.
 */
class TransactionTest {
    private static final Duration DEADLINE = Duration.ofSeconds(30);
    /** How long a consumer is watched for a message that must not come. */
    private static final Duration QUIET = Duration.ofMillis(800);
    private static final int MAX_CHECKS = 3;
    private static final int MAX_BYTES = 64 * 1024;

    @TempDir
    static File dir;

    static InProcessCluster cluster;
    static TributaryClient client;
    static ManagedChannel channel;

    @BeforeAll
    static void start() throws Exception {
        cluster = new InProcessCluster(dir);
        for (int i = 0; i < 2; i++) {
            cluster.addBroker(c -> c.toBuilder().loadBalancer(InProcessCluster.MANUAL)
                    .transactions(new TransactionSettings(Duration.ofSeconds(60), Duration.ofHours(1), Duration.ofMillis(200),
                            MAX_CHECKS, false, 1000, MAX_BYTES, 4 * MAX_BYTES))
                    .build());
        }
        client = TributaryClient.builder().serviceUrl(cluster.serviceUrl()).build();
        channel = NettyChannelBuilder.forTarget(cluster.serviceUrl()).usePlaintext().build();
    }

    @AfterAll
    static void stop() throws Exception {
        channel.shutdownNow();
        client.close();
        cluster.close();
    }

    private static String topic(String name) {
        return "public/default/txn-" + name + "-" + System.nanoTime();
    }

    private static Consumer<String> consumer(TributaryClient c, String topic) throws TributaryClientException {
        return c.newConsumer(Schema.STRING).topic(topic).subscriptionName("s")
                .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe();
    }

    /** The values the consumer receives until {@code n} arrived (acknowledging each), then checks nothing follows. */
    private static List<String> receiveExactly(Consumer<String> consumer, int n) throws TributaryClientException {
        List<String> got = new ArrayList<>();
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (got.size() < n && System.nanoTime() < deadline) {
            Message<String> m = consumer.receive(1, TimeUnit.SECONDS);
            if (m != null) {
                got.add(m.getValue());
                consumer.acknowledge(m);
            }
        }
        assertThat(consumer.receive(QUIET)).as("nothing after the %s expected", n).isNull();
        return got;
    }

    @Test
    void aCommitMakesEveryMessageVisibleOnEachOfThreeTopicsAndNothingIsVisibleBefore() throws Exception {
        List<String> topics = List.of(topic("a"), topic("b"), topic("c"));
        List<Consumer<String>> consumers = new ArrayList<>();
        List<Producer<String>> producers = new ArrayList<>();
        try {
            for (String t : topics) {
                consumers.add(consumer(client, t));
                producers.add(client.newProducer(Schema.STRING).topic(t).create());
            }
            Transaction txn = client.newTransaction().timeout(Duration.ofSeconds(30)).build();
            for (int i = 0; i < topics.size(); i++) {
                for (int k = 0; k < 3; k++) {
                    producers.get(i).newMessage(txn).key("k" + k).value(topics.get(i) + "#" + k).send();
                }
            }
            for (Consumer<String> c : consumers) {
                assertThat(c.receive(QUIET)).as("a message of an open transaction").isNull();
            }
            assertThat(txn.state()).isEqualTo(Transaction.State.OPEN);
            txn.commit();
            assertThat(txn.state()).isEqualTo(Transaction.State.COMMITTED);
            for (int i = 0; i < topics.size(); i++) {
                String t = topics.get(i);
                assertThat(receiveExactly(consumers.get(i), 3)).containsExactly(t + "#0", t + "#1", t + "#2");
            }
            // committing again is harmless; the other end is refused, naming what decided it
            txn.commit();
            assertThatThrownBy(txn::abort).isInstanceOf(TributaryClientException.TransactionEndedException.class);
        } finally {
            for (Consumer<String> c : consumers) {
                c.close();
            }
            for (Producer<String> p : producers) {
                p.close();
            }
        }
    }

    @Test
    void aPartitionedTopicTakesATransactionOnEveryPartitionItsMessagesAreRoutedTo() throws Exception {
        String topic = topic("partitioned");
        AdminServiceGrpc.newBlockingStub(channel).createTopic(CreateTopicRequest.newBuilder().setTopic(topic).setPartitions(2)
                .build());
        try (Consumer<String> consumer = consumer(client, topic);
             Producer<String> producer = client.newProducer(Schema.STRING).topic(topic).create()) {
            Transaction txn = client.newTransaction().build();
            for (int i = 0; i < 6; i++) {
                producer.newMessage(txn).key("customer-" + i).value("p" + i).send();
            }
            assertThat(consumer.receive(QUIET)).as("a message of an open transaction").isNull();
            txn.commit();
            assertThat(receiveExactly(consumer, 6)).containsExactlyInAnyOrder("p0", "p1", "p2", "p3", "p4", "p5");
        }
    }

    @Test
    void aRolledBackTransactionIsNeverDeliveredAndItsCommitIsRefused() throws Exception {
        String topic = topic("rollback");
        try (Consumer<String> consumer = consumer(client, topic);
             Producer<String> producer = client.newProducer(Schema.STRING).topic(topic).create()) {
            Transaction txn = client.newTransaction().build();
            producer.newMessage(txn).value("never").send();
            producer.newMessage(txn).value("never either").send();
            txn.abort();
            producer.send("after");
            assertThat(receiveExactly(consumer, 1)).containsExactly("after");
            assertThat(txn.state()).isEqualTo(Transaction.State.ABORTED);
            assertThatThrownBy(() -> producer.newMessage(txn).value("late").send())
                    .isInstanceOf(TributaryClientException.TransactionEndedException.class);

            // the coordinator itself refuses the commit of a rolled-back transaction and an unknown id
            TransactionServiceGrpc.TransactionServiceBlockingStub raw = TransactionServiceGrpc.newBlockingStub(channel);
            assertThatThrownBy(() -> raw.endTransaction(EndTransactionRequest.newBuilder().setTransactionId(txn.id())
                    .setResolution(io.tributary.api.v1.TransactionResolution.TRANSACTION_RESOLUTION_COMMIT).build()))
                    .satisfies(e -> assertThat(ErrorReasons.detailOf(e).getReason()).isEqualTo(ErrorReason.TRANSACTION_ENDED))
                    .hasMessageContaining("rolled back by its client");
            assertThatThrownBy(() -> raw.endTransaction(EndTransactionRequest.newBuilder().setTransactionId("txn-1-999999")
                    .setResolution(io.tributary.api.v1.TransactionResolution.TRANSACTION_RESOLUTION_COMMIT).build()))
                    .satisfies(e -> assertThat(ErrorReasons.detailOf(e).getReason())
                            .isEqualTo(ErrorReason.TRANSACTION_NOT_FOUND));
            assertThatThrownBy(() -> raw.endTransaction(EndTransactionRequest.newBuilder().setTransactionId("order-42")
                    .setResolution(io.tributary.api.v1.TransactionResolution.TRANSACTION_RESOLUTION_COMMIT).build()))
                    .isInstanceOf(StatusRuntimeException.class)
                    .satisfies(e -> assertThat(ErrorReasons.detailOf(e).getReason()).isEqualTo(ErrorReason.INVALID_REQUEST));
        }
    }

    @Test
    void aTransactionOverItsLimitsOrWithABadIdIsRefusedPreciselyAndTheRestGoesOn() throws Exception {
        String topic = topic("limits");
        try (Consumer<String> consumer = consumer(client, topic);
             Producer<String> producer = client.newProducer(Schema.STRING).topic(topic).create()) {
            Transaction txn = client.newTransaction().build();
            String big = "x".repeat(40 * 1024);
            producer.newMessage(txn).value(big).send();
            assertThatThrownBy(() -> producer.newMessage(txn).value(big).send())
                    .isInstanceOf(TributaryClientException.TransactionLimitExceededException.class)
                    .hasMessageContaining("broker.transactionMaxBytes");
            // a send refused leaves the transaction as it was: its commit rolls back, saying why
            assertThatThrownBy(txn::commit).isInstanceOf(TributaryClientException.TransactionEndedException.class)
                    .hasMessageContaining("failed to send");
            assertThat(txn.state()).isEqualTo(Transaction.State.ABORTED);

            MessagingServiceGrpc.MessagingServiceBlockingStub raw = MessagingServiceGrpc.newBlockingStub(channel);
            assertThatThrownBy(() -> raw.send(SendRequest.newBuilder().setTopic(topic).setTransactionId("txn-1")
                    .addMessages(PlainMessage.newBuilder().setValue(ByteString.copyFromUtf8("v"))).build()))
                    .satisfies(e -> assertThat(ErrorReasons.detailOf(e).getReason()).isEqualTo(ErrorReason.INVALID_REQUEST))
                    .hasMessageContaining("malformed");
            assertThatThrownBy(() -> raw.send(SendRequest.newBuilder().setTopic(topic).setProducerName("__transactions-0")
                    .addMessages(PlainMessage.newBuilder().setValue(ByteString.copyFromUtf8("v")).setSequenceId(1 << 30))
                    .build()))
                    .satisfies(e -> assertThat(ErrorReasons.detailOf(e).getReason()).isEqualTo(ErrorReason.INVALID_REQUEST))
                    .hasMessageContaining("the brokers' own");

            Transaction small = client.newTransaction().build();
            producer.newMessage(small).value("fits").send();
            small.commit();
            assertThat(receiveExactly(consumer, 1)).containsExactly("fits");
        }
    }

    /** A producer of group {@code group} begins a transaction, sends one message and stops without ending it. */
    private static String crashedProducer(String group, String topic, String value) throws Exception {
        try (TributaryClient crashing = TributaryClient.builder().serviceUrl(cluster.serviceUrl()).build()) {
            Producer<String> p = crashing.newProducer(Schema.STRING).topic(topic).producerGroup(group).create();
            Transaction txn = crashing.newTransaction().timeout(Duration.ofSeconds(1)).property("order", value).build();
            p.newMessage(txn).key(value).value(value).send();
            return txn.id();
        }
    }

    @Test
    void aTransactionLeftOpenIsCheckedBackWithAnotherProducerOfItsGroup() throws Exception {
        String topic = topic("checked");
        String group = "orders-" + System.nanoTime();
        List<TransactionCheck> asked = new CopyOnWriteArrayList<>();
        try (TributaryClient other = TributaryClient.builder().serviceUrl(cluster.serviceUrl()).build();
             Consumer<String> consumer = consumer(client, topic)) {
            Producer<String> live = other.newProducer(Schema.STRING).topic(topic).producerGroup(group)
                    .transactionChecker(check -> {
                        asked.add(check);
                        return "commit-me".equals(check.properties().get("order")) ? TransactionResolution.COMMIT
                                : TransactionResolution.ROLLBACK;
                    }).create();
            String committed = crashedProducer(group, topic, "commit-me");
            String rolledBack = crashedProducer(group, topic, "roll-me-back");
            await().atMost(DEADLINE).until(() -> asked.stream().map(TransactionCheck::id).distinct().count() == 2);
            assertThat(receiveExactly(consumer, 1)).containsExactly("commit-me");
            TransactionCheck check = asked.stream().filter(c -> c.id().equals(committed)).findFirst().orElseThrow();
            assertThat(check.topics()).containsExactly(topic);
            assertThat(check.checkNumber()).isEqualTo(1);
            assertThat(check.messages()).singleElement().satisfies(m -> {
                assertThat(m.key()).isEqualTo("commit-me");
                assertThat(new String(m.value(), StandardCharsets.UTF_8)).isEqualTo("commit-me");
            });
            assertThat(asked).extracting(TransactionCheck::id).contains(rolledBack);
            live.close();
        }
    }

    @Test
    void aTransactionNobodyCanResolveIsRolledBackAfterTheLastCheck() throws Exception {
        String topic = topic("unknown");
        String group = "undecided-" + System.nanoTime();
        List<TransactionCheck> asked = new CopyOnWriteArrayList<>();
        try (TributaryClient other = TributaryClient.builder().serviceUrl(cluster.serviceUrl()).build();
             Consumer<String> consumer = consumer(client, topic);
             Producer<String> live = other.newProducer(Schema.STRING).topic(topic).producerGroup(group)
                     .transactionChecker(check -> {
                         asked.add(check);
                         return TransactionResolution.UNKNOWN;
                     }).create()) {
            String id = crashedProducer(group, topic, "undecided");
            TransactionServiceGrpc.TransactionServiceBlockingStub raw = TransactionServiceGrpc.newBlockingStub(channel);
            // an administrator sees it open while it is checked back
            await().atMost(DEADLINE).until(() -> !asked.isEmpty());
            assertThat(raw.listTransactions(ListTransactionsRequest.getDefaultInstance()).getTransactionsList())
                    .filteredOn(t -> t.getTransactionId().equals(id)).singleElement().satisfies(t -> {
                        assertThat(t.getState()).isEqualTo(TransactionState.TRANSACTION_STATE_OPEN);
                        assertThat(t.getProducerGroup()).isEqualTo(group);
                        assertThat(t.getTopicsList()).containsExactly(topic);
                        assertThat(t.getChecks()).isPositive();
                    });
            await().atMost(DEADLINE).until(() -> raw.listTransactions(ListTransactionsRequest.getDefaultInstance())
                    .getTransactionsList().stream().noneMatch(t -> t.getTransactionId().equals(id)));
            assertThatThrownBy(() -> raw.endTransaction(EndTransactionRequest.newBuilder().setTransactionId(id)
                    .setResolution(io.tributary.api.v1.TransactionResolution.TRANSACTION_RESOLUTION_COMMIT).build()))
                    .hasMessageContaining("rolled back by timeout after " + MAX_CHECKS + " check-backs");
            assertThat(asked).extracting(TransactionCheck::checkNumber).containsExactly(1, 2, 3);
            live.send("marker");
            assertThat(receiveExactly(consumer, 1)).containsExactly("marker");
        }
    }

    @Test
    void anOperatorListsOpenTransactionsAndRollsOneBackWithTheCli() throws Exception {
        String topic = topic("cli");
        try (Consumer<String> consumer = consumer(client, topic);
             Producer<String> producer = client.newProducer(Schema.STRING).topic(topic).producerGroup("cli-group").create()) {
            Transaction txn = client.newTransaction().property("order", "o-7").build();
            producer.newMessage(txn).value("stuck").send();

            CliRun list = CliRun.admin(cluster.serviceUrl(), "transactions", "list", "-o", "json");
            assertThat(list.code()).as(list.err()).isZero();
            JsonNode listed = new ObjectMapper().readTree(list.out());
            JsonNode mine = null;
            for (JsonNode t : listed) {
                if (t.get("transactionId").asText().equals(txn.id())) {
                    mine = t;
                }
            }
            assertThat(mine).as(list.out()).isNotNull();
            assertThat(mine.get("state").asText()).isEqualTo("TRANSACTION_STATE_OPEN");
            assertThat(mine.get("producerGroup").asText()).isEqualTo("cli-group");
            assertThat(mine.get("topics").get(0).asText()).isEqualTo(topic);
            assertThat(mine.get("messageCount").asInt()).isEqualTo(1);
            assertThat(mine.get("properties").get("order").asText()).isEqualTo("o-7");

            CliRun table = CliRun.admin(cluster.serviceUrl(), "transactions", "list");
            assertThat(table.out()).contains(txn.id()).contains("open").contains("cli-group");

            CliRun abort = CliRun.admin(cluster.serviceUrl(), "transactions", "abort", txn.id());
            assertThat(abort.code()).as(abort.err()).isZero();
            assertThat(abort.out()).contains(txn.id() + " rolled back (1 messages)");
            CliRun again = CliRun.admin(cluster.serviceUrl(), "transactions", "commit", txn.id());
            assertThat(again.code()).isEqualTo(1);
            assertThat(again.err()).contains("TRANSACTION_ENDED").contains("rolled back by admin");
            assertThatThrownBy(txn::commit).isInstanceOf(TributaryClientException.TransactionEndedException.class);
            producer.send("after");
            assertThat(receiveExactly(consumer, 1)).containsExactly("after");
        }
    }

    @Test
    void theLogKeepsNothingOfFinishedTransactionsButTheLatestCommitsDecision() throws Exception {
        String topic = topic("reclaimed");
        try (Producer<String> producer = client.newProducer(Schema.STRING).topic(topic).create()) {
            for (int i = 0; i < 5; i++) {
                Transaction txn = client.newTransaction().build();
                producer.newMessage(txn).value("v" + i).send();
                if (i % 2 == 0) {
                    txn.commit();
                } else {
                    txn.abort();
                }
            }
        }
        TransactionServiceGrpc.TransactionServiceBlockingStub raw = TransactionServiceGrpc.newBlockingStub(channel);
        AdminServiceGrpc.AdminServiceBlockingStub admin = AdminServiceGrpc.newBlockingStub(channel);
        // every record of a finished transaction is acknowledged (retention then trims them) except the decision of
        // the latest commit, which carries the apply sequence
        await().atMost(DEADLINE).untilAsserted(() -> {
            assertThat(raw.listTransactions(ListTransactionsRequest.getDefaultInstance()).getTotal()).isZero();
            assertThat(admin.getTopicStats(GetTopicStatsRequest.newBuilder().setTopic(SystemTopics.TRANSACTION_LOG).build())
                    .getSubscriptionsList()).singleElement()
                    .satisfies(sub -> assertThat(sub.getMsgBacklog()).isEqualTo(1));
        });
    }

    private static LookupResponse lookup(String topic) {
        return LookupServiceGrpc.newBlockingStub(channel).lookup(LookupRequest.newBuilder().setTopic(topic).build());
    }

    @Test
    void theTransactionLogMovingDuringCommitsLosesNoDecisionAndAppliesNoneTwice() throws Exception {
        String topic = topic("moves");
        int n = 24;
        try (Consumer<String> consumer = consumer(client, topic);
             Producer<String> producer = client.newProducer(Schema.STRING).topic(topic).create()) {
            // one transaction open across the moves: begun and sent before, committed after
            Transaction early = client.newTransaction().build();
            producer.newMessage(early).value("early").send();
            AdminServiceGrpc.AdminServiceBlockingStub admin = AdminServiceGrpc.newBlockingStub(channel);
            List<String> expected = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                Transaction txn = client.newTransaction().build();
                producer.newMessage(txn).value("m" + i).send();
                if (i % 6 == 3) {
                    // the commit races the move: sent while the log's bundle goes to the other broker
                    LookupResponse log = lookup(SystemTopics.TRANSACTION_LOG);
                    String other = cluster.brokers.stream().map(Broker::brokerId)
                            .filter(id -> !id.equals(log.getBrokerId())).findFirst().orElseThrow();
                    var commit = txn.commitAsync();
                    admin.unloadBundle(UnloadBundleRequest.newBuilder().setNamespace(SystemTopics.NAMESPACE)
                            .setBundle(log.getBundle()).setDestinationBrokerId(other).build());
                    commit.get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
                    await().atMost(DEADLINE).until(() -> lookup(SystemTopics.TRANSACTION_LOG).getBrokerId().equals(other));
                } else {
                    txn.commit();
                }
                expected.add("m" + i);
            }
            early.commit();
            expected.add("early");
            assertThat(receiveExactly(consumer, n + 1)).containsExactlyElementsOf(expected);
        }
    }
}
