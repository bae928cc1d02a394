package io.tributary.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.common.util.concurrent.ListenableFuture;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.tributary.api.v1.AcknowledgeRequest;
import io.tributary.api.v1.AcknowledgeResponse;
import io.tributary.api.v1.MessagingServiceGrpc;
import io.tributary.api.v1.SubscriptionStats;
import io.tributary.broker.Broker;
import io.tributary.broker.BrokerConfig;
import io.tributary.broker.topic.Topic;
import io.tributary.chaos.cluster.Relay;
import io.tributary.chaos.cluster.RelayMode;
import io.tributary.client.Consumer;
import io.tributary.client.Message;
import io.tributary.client.MessageId;
import io.tributary.client.Producer;
import io.tributary.client.Schema;
import io.tributary.client.SubscriptionInitialPosition;
import io.tributary.client.SubscriptionType;
import io.tributary.client.TributaryClient;
import io.tributary.protocol.TopicName;
import io.tributary.proxy.ProxyConfig;
import io.tributary.proxy.ProxyServer;
import io.tributary.storage.StorageClients;
import io.tributary.storage.embedded.EmbeddedBookie;
import io.tributary.storage.embedded.EmbeddedZooKeeper;
import java.io.File;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.state.ConnectionState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A broker whose link to ZooKeeper is cut (a relay resets it and refuses new connections) while its
 * session lives on: Curator reports SUSPENDED, and until the session is back (RECONNECTED, same
 * session, ownership still ours) the broker hands out no message and applies no acknowledgement;
 * publishes go on. Real ZooKeeper, bookie, broker and proxy in this JVM.
 */
class SuspendedSessionTest {
    @TempDir
    Path dir;

    @Test
    void aBrokerWhoseZooKeeperSessionIsSuspendedDispatchesNothingAndHoldsAcknowledgementsUntilItIsBack() throws Exception {
        File root = dir.toFile();
        try (EmbeddedZooKeeper zk = EmbeddedZooKeeper.start(new File(root, "zk"), "127.0.0.1", 0);
             EmbeddedBookie bookie = EmbeddedBookie.start(StorageClients.metadataServiceUri(zk.connectString(), "/ledgers"),
                     new File(root, "bookie"), TestClusters.freePort(), false);
             Relay relay = new Relay("broker-zookeeper", new InetSocketAddress("127.0.0.1", 0),
                     new InetSocketAddress("127.0.0.1", zk.port()))) {
            BrokerConfig config = BrokerConfig.defaults(relay.address()).toBuilder().singleCopy().port(0).internalPort(0).metricsPort(-1)
                    .zkSessionTimeout(Duration.ofSeconds(60)).build();
            Broker broker = new Broker(config).start();
            ProxyServer proxy = new ProxyServer(ProxyConfig.withBrokers(broker.address()).withPort(0)
                    .withBindAddress("127.0.0.1").withMetrics(-1, null)).start();
            String url = "127.0.0.1:" + proxy.port();
            ManagedChannel channel = NettyChannelBuilder.forTarget(url).usePlaintext().build();
            String topic = "public/default/suspended";
            try (TributaryClient client = TributaryClient.builder().serviceUrl(url).build();
                 Producer<String> producer = client.newProducer(Schema.STRING).topic(topic).enableBatching(false).create();
                 Consumer<String> consumer = client.newConsumer(Schema.STRING).topic(topic).subscriptionName("sub")
                         .subscriptionType(SubscriptionType.Shared)
                         .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe()) {
                MessageId first = producer.send("m0");
                Message<String> m0 = consumer.receive(60, TimeUnit.SECONDS);
                assertThat(m0.getValue()).isEqualTo("m0");

                relay.setMode(RelayMode.RESET); // every connection reset, new ones too: the session is suspended
                await().atMost(Duration.ofSeconds(60)).until(() -> broker.zooKeeperState() == ConnectionState.SUSPENDED);

                // an acknowledgement while suspended is held, not applied, and not answered until it is
                ListenableFuture<AcknowledgeResponse> held = MessagingServiceGrpc.newFutureStub(channel)
                        .acknowledge(AcknowledgeRequest.newBuilder().setTopic(topic)
                        .setSubscription("sub").addMessageIds(io.tributary.api.v1.MessageId.newBuilder()
                                .setLedgerId(first.getLedgerId()).setEntryId(first.getEntryId()).setBatchIndex(-1).setPartition(-1))
                        .build());
                await().atMost(Duration.ofSeconds(60)).until(() -> heldAcks(broker, topic) == 1);
                assertThat(backlog(broker, topic)).as("m0 still unacknowledged while suspended").isEqualTo(1);
                assertThat(held.isDone()).as("a held acknowledgement is not answered as applied").isFalse();

                // publishing goes on (BookKeeper fences a stale writer); nothing is handed out
                producer.send("m1");
                assertThat(consumer.receive(3, TimeUnit.SECONDS)).as("delivered while suspended").isNull();

                relay.heal();
                await().atMost(Duration.ofSeconds(60)).until(() -> broker.zooKeeperState() == ConnectionState.RECONNECTED
                        && !broker.topics().isPaused());
                Message<String> m1 = consumer.receive(60, TimeUnit.SECONDS);
                assertThat(m1).isNotNull();
                assertThat(m1.getValue()).isEqualTo("m1");
                // the held acknowledgement is applied, and answered: only m1 is left
                held.get(60, TimeUnit.SECONDS);
                assertThat(backlog(broker, topic)).isEqualTo(1);
                consumer.acknowledge(m1);
                await().atMost(Duration.ofSeconds(60)).until(() -> backlog(broker, topic) == 0);
            } finally {
                channel.shutdownNow();
                proxy.close();
                broker.close();
            }
        }
    }

    /** Acknowledgement requests the topic's subscriptions hold unanswered now. */
    private static int heldAcks(Broker broker, String topic) throws Exception {
        Topic t = broker.topics().loadedTopicsNow().stream().filter(x -> x.name().equals(TopicName.of(topic)))
                .findFirst().orElseThrow();
        return t.heldAcknowledgements().get(30, TimeUnit.SECONDS);
    }

    /** The subscription's backlog as the broker counts it now (its own state; the admin API needs ZooKeeper). */
    private static long backlog(Broker broker, String topic) throws Exception {
        Topic t = broker.topics().loadedTopicsNow().stream().filter(x -> x.name().equals(TopicName.of(topic)))
                .findFirst().orElseThrow();
        SubscriptionStats s = t.stats().get(30, TimeUnit.SECONDS).getSubscriptionsList().stream()
                .filter(x -> x.getSubscription().equals("sub")).findFirst().orElseThrow();
        return s.getMsgBacklog();
    }
}
