package io.tributary.it.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.tributary.api.v1.LookupRequest;
import io.tributary.api.v1.LookupResponse;
import io.tributary.api.v1.LookupServiceGrpc;
import io.tributary.client.Consumer;
import io.tributary.client.Message;
import io.tributary.client.MessageId;
import io.tributary.client.Producer;
import io.tributary.client.Schema;
import io.tributary.client.SubscriptionInitialPosition;
import io.tributary.client.SubscriptionType;
import io.tributary.client.TributaryClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The multi-process harness itself: broker JVMs behind the in-process proxy, killed, paused and stopped. */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ClusterFixtureTest {

    @Test
    void twoBrokerProcessesServeThroughTheProxyAndTheOwnerCanBeKilled() throws Exception {
        try (ClusterFixture cluster = ClusterFixture.start()) {
            BrokerProcess first = cluster.addBroker(Map.of());
            BrokerProcess second = cluster.addBroker(Map.of());
            assertThat(List.of(first, second)).allMatch(BrokerProcess::isAlive);
            assertThat(first.brokerId()).isNotEqualTo(second.brokerId());
            assertThat(first.address()).isNotEqualTo(second.address());
            assertThat(first.pid()).isNotEqualTo(ProcessHandle.current().pid()).isNotEqualTo(second.pid());

            String topic = "public/default/smoke";
            int n = 100;
            try (TributaryClient client = TributaryClient.builder().serviceUrl(cluster.serviceUrl()).build();
                 Consumer<String> consumer = client.newConsumer(Schema.STRING).topic(topic).subscriptionName("smoke")
                         .subscriptionType(SubscriptionType.Exclusive)
                         .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe();
                 Producer<String> producer = client.newProducer(Schema.STRING).topic(topic).create()) {
                List<CompletableFuture<MessageId>> sent = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    sent.add(producer.sendAsync("smoke-" + i));
                }
                producer.flush();
                for (CompletableFuture<MessageId> f : sent) {
                    f.get(60, TimeUnit.SECONDS);
                }
                for (int i = 0; i < n; i++) {
                    Message<String> m = consumer.receive(30, TimeUnit.SECONDS);
                    assertThat(m).as("message %d", i).isNotNull();
                    assertThat(m.getValue()).isEqualTo("smoke-" + i);
                    consumer.acknowledge(m);
                }
            }

            // who owns the topic, as the proxy's LookupService says
            ManagedChannel channel = ManagedChannelBuilder.forTarget(cluster.serviceUrl()).usePlaintext().build();
            LookupResponse owner;
            try {
                owner = LookupServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
                        .lookup(LookupRequest.newBuilder().setTopic(topic).build());
            } finally {
                channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
            }
            BrokerProcess ownerProcess = cluster.brokers().stream()
                    .filter(b -> b.address().equals(owner.getBrokerAddress())).findFirst()
                    .orElseThrow(() -> new AssertionError("owner " + owner + " is none of " + cluster.brokers()));
            assertThat(ownerProcess.brokerId()).isEqualTo(owner.getBrokerId());
            assertThat(cluster.ownerOf(topic)).isSameAs(ownerProcess);
            BrokerProcess other = ownerProcess == first ? second : first;

            long pid = ownerProcess.pid();
            ownerProcess.kill9();
            assertThat(ownerProcess.isAlive()).isFalse();
            assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).as("pid %d is gone", pid).isFalse();
            assertThat(other.isAlive()).isTrue();
            assertThat(cluster.liveBrokers()).containsExactly(other);
        }
    }

    @Test
    void aPausedBrokerResumesAndSigtermStopsItCleanly() throws Exception {
        assumeTrue(Files.isDirectory(Path.of("/proc/self")), "reads process states from /proc");
        try (ClusterFixture cluster = ClusterFixture.start()) {
            BrokerProcess broker = cluster.addBroker(Map.of("broker.drainOnShutdown", "false"));
            assertThat(Files.readString(broker.logFile())).contains("serving at " + broker.address());

            broker.pause();
            await().atMost(Duration.ofSeconds(10)).until(() -> processState(broker.pid()) == 'T');
            assertThat(broker.isAlive()).isTrue();
            broker.resume();
            await().atMost(Duration.ofSeconds(10)).until(() -> processState(broker.pid()) != 'T');

            assertThat(broker.terminate()).as("exit code after SIGTERM; log %s", broker.logFile()).isZero();
            assertThat(broker.isAlive()).isFalse();
            assertThat(Files.readString(broker.logFile())).contains("broker " + broker.brokerId() + " stopped");
        }
    }

    /** The state letter of /proc/PID/stat: R, S, T (stopped), ... (Linux). */
    private static char processState(long pid) throws Exception {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        return stat.charAt(stat.lastIndexOf(')') + 2);
    }
}
