package io.tributary.it.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.tributary.api.v1.ListTransactionsRequest;
import io.tributary.api.v1.TransactionServiceGrpc;
import io.tributary.client.MessageId;
import io.tributary.client.Producer;
import io.tributary.client.Reader;
import io.tributary.client.Schema;
import io.tributary.client.Transaction;
import io.tributary.client.TributaryClient;
import io.tributary.protocol.SystemTopics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * kill -9 of the broker running the transaction coordinator while transactions across three topics commit:
 * every transaction is all or nothing on the three topics, none is stored twice, and every commit the client saw
 * succeed is visible everywhere. The transactions in flight at the kill (begun, sending, decided and being applied)
 * are finished by the broker that takes the log over, which replays it.
 */
class TransactionCrashTest {
    private static final Map<String, String> SETTINGS = Map.of(
            // an undecided transaction of the kill ends soon: rolled back after one unanswered check
            "broker.transactionTimeout", "3s", "broker.transactionCheckInterval", "500ms", "broker.transactionMaxChecks", "1");
    private static final int WORKERS = 3;
    private static final int PER_WORKER = 25;

    @Test
    void aCoordinatorKilledWhileTransactionsCommitLosesNoDecisionAndAppliesNoneTwice() throws Exception {
        List<String> topics = List.of("public/default/tx-a", "public/default/tx-b", "public/default/tx-c");
        try (ClusterFixture cluster = ClusterFixture.start()) {
            cluster.addBroker(SETTINGS);
            cluster.addBroker(SETTINGS);
            try (TributaryClient client = TributaryClient.builder().serviceUrl(cluster.serviceUrl())
                    .operationTimeout(Duration.ofSeconds(60)).build()) {
                List<Producer<String>> producers = new ArrayList<>();
                for (String t : topics) {
                    producers.add(client.newProducer(Schema.STRING).topic(t).create());
                }
                // the first transaction creates the log; its owner is the one to kill
                commit(client, producers, "warm-up");
                BrokerProcess coordinator = cluster.ownerOf(SystemTopics.TRANSACTION_LOG);

                Map<String, CompletableFuture<Void>> outcomes = new ConcurrentHashMap<>();
                AtomicInteger started = new AtomicInteger();
                ExecutorService workers = Executors.newFixedThreadPool(WORKERS);
                for (int w = 0; w < WORKERS; w++) {
                    int worker = w;
                    workers.execute(() -> {
                        for (int i = 0; i < PER_WORKER; i++) {
                            String name = "w" + worker + "-" + i;
                            CompletableFuture<Void> outcome = new CompletableFuture<>();
                            outcomes.put(name, outcome);
                            started.incrementAndGet();
                            try {
                                commit(client, producers, name);
                                outcome.complete(null);
                            } catch (Exception e) {
                                outcome.completeExceptionally(e);
                            }
                        }
                    });
                }
                await().atMost(Duration.ofSeconds(60)).until(() -> started.get() >= WORKERS * 5);
                List<String> inFlight = outcomes.entrySet().stream().filter(e -> !e.getValue().isDone())
                        .map(Map.Entry::getKey).toList();
                coordinator.kill9();
                workers.shutdown();
                assertThat(workers.awaitTermination(3, TimeUnit.MINUTES)).isTrue();
                assertThat(inFlight).as("transactions in flight at the kill").isNotEmpty();

                // every transaction finished: the decided ones applied, the undecided ones of the kill rolled back
                ManagedChannel channel = NettyChannelBuilder.forTarget(cluster.serviceUrl()).usePlaintext().build();
                try {
                    TransactionServiceGrpc.TransactionServiceBlockingStub admin = TransactionServiceGrpc.newBlockingStub(channel);
                    await().atMost(Duration.ofSeconds(90)).ignoreExceptions().until(() -> admin
                            .listTransactions(ListTransactionsRequest.getDefaultInstance()).getTotal() == 0);
                } finally {
                    channel.shutdownNow();
                }
                Map<String, Integer>[] counts = countsByTransaction(client, topics);
                for (String name : outcomes.keySet()) {
                    int a = counts[0].getOrDefault(name, 0);
                    assertThat(List.of(a, counts[1].getOrDefault(name, 0), counts[2].getOrDefault(name, 0)))
                            .as("transaction %s on the three topics: all or nothing, never twice", name)
                            .containsOnly(a).allMatch(c -> c <= 1);
                    if (!outcomes.get(name).isCompletedExceptionally()) {
                        assertThat(a).as("transaction %s committed for its client", name).isEqualTo(1);
                    }
                }
                long failed = outcomes.values().stream().filter(CompletableFuture::isCompletedExceptionally).count();
                System.out.printf("transaction crash: %d in flight at the kill, %d of %d commits failed for the client%n",
                        inFlight.size(), failed, outcomes.size());
                for (Producer<String> p : producers) {
                    p.close();
                }
            }
        }
    }

    private static void commit(TributaryClient client, List<Producer<String>> producers, String name) throws Exception {
        Transaction txn = client.newTransaction().build();
        for (Producer<String> p : producers) {
            p.newMessage(txn).value(name).send();
        }
        txn.commit();
    }

    /** How many times each value is on each topic, read from its start to its end. */
    @SuppressWarnings("unchecked")
    private static Map<String, Integer>[] countsByTransaction(TributaryClient client, List<String> topics) throws Exception {
        Map<String, Integer>[] counts = new Map[topics.size()];
        for (int i = 0; i < topics.size(); i++) {
            counts[i] = new HashMap<>();
            try (Reader<String> reader = client.newReader(Schema.STRING).topic(topics.get(i))
                    .startMessageId(MessageId.earliest).create()) {
                while (reader.hasMessageAvailable()) {
                    counts[i].merge(reader.readNext(30, TimeUnit.SECONDS).getValue(), 1, Integer::sum);
                }
            }
        }
        return counts;
    }
}
