package io.tributary.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.tributary.api.v1.AdminServiceGrpc;
import io.tributary.api.v1.CreateNamespaceRequest;
import io.tributary.api.v1.DeleteSubscriptionRequest;
import io.tributary.api.v1.ErrorReason;
import io.tributary.api.v1.GetTopicStatsRequest;
import io.tributary.api.v1.TopicStats;
import io.tributary.cli.Standalone;
import io.tributary.client.Consumer;
import io.tributary.client.Message;
import io.tributary.client.MessageId;
import io.tributary.client.Producer;
import io.tributary.client.Schema;
import io.tributary.client.SubscriptionInitialPosition;
import io.tributary.client.SubscriptionType;
import io.tributary.client.TributaryClient;
import io.tributary.protocol.ErrorReasons;
import io.tributary.protocol.TopicName;
import io.tributary.storage.StorageClients;
import io.tributary.storage.log.ManagedLogConfig;
import io.tributary.storage.meta.MetadataPaths;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.bookkeeper.client.api.BKException;
import org.apache.bookkeeper.client.api.BookKeeper;
import org.apache.bookkeeper.client.api.DigestType;
import org.apache.bookkeeper.conf.ClientConfiguration;
import org.apache.curator.framework.CuratorFramework;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A stored subscription whose cursor cannot be loaded (here: its znode is corrupt) must keep its
 * backlog: its topic is not served (SERVICE_NOT_READY, naming the subscription) and retention trims
 * nothing, until the cursor is repaired or an admin deletes the subscription. Real BookKeeper and
 * ZooKeeper; ledgers roll over every 10 entries; retention 0 (a ledger goes once every loaded
 * subscription acknowledged it).
 */
class UnloadableCursorTest {
    /** A CursorState whose first field claims 127 bytes that are not there: it does not parse. */
    private static final byte[] CORRUPT = {0x0A, 0x7F, 0x01};

    @TempDir
    static Path dir;
    static Standalone standalone;
    static TributaryClient client;
    static ManagedChannel channel;
    static AdminServiceGrpc.AdminServiceBlockingStub admin;
    static BookKeeper bk;
    static CuratorFramework zk;
    static final AtomicInteger NAMESPACES = new AtomicInteger();

    @BeforeAll
    static void start() throws Exception {
        standalone = new Standalone(TestClusters.options(dir.toFile(), c -> c.toBuilder()
                .log(ManagedLogConfig.DEFAULT.withRollover(1 << 30, 10, Duration.ofHours(1)))
                .build())).start();
        client = TributaryClient.builder().serviceUrl(standalone.serviceUrl()).operationTimeout(Duration.ofSeconds(60)).build();
        channel = NettyChannelBuilder.forTarget(standalone.serviceUrl()).usePlaintext().build();
        admin = AdminServiceGrpc.newBlockingStub(channel);
        bk = BookKeeper.newBuilder(new ClientConfiguration()
                .setMetadataServiceUri("zk+null://" + standalone.zookeeperConnect() + "/ledgers")).build();
        zk = StorageClients.curator(standalone.zookeeperConnect(), "/tributary", Duration.ofSeconds(30));
    }

    @AfterAll
    static void stop() throws Exception {
        zk.close();
        bk.close();
        channel.shutdownNow();
        client.close();
        standalone.close();
    }

    @Test
    void aSubscriptionWhoseCursorCannotLoadKeepsItsBacklogAndItsTopicIsNotServedUntilTheCursorIsRepaired() throws Exception {
        String topic = namespace() + "/guarded";
        List<MessageId> ids = storeBehindAuditSubscription(topic);
        String cursor = MetadataPaths.cursor(TopicName.of(topic).toString(), "audit");
        byte[] good = zk.getData().forPath(cursor);

        corruptAndReload(topic, cursor);
        assertRefusedNaming(topic, "audit");
        // retention runs on the broker: it must trim nothing the audit subscription still needs
        assertThatThrownBy(() -> standalone.broker().topics().maintain(TopicName.of(topic)).get(60, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class);
        assertThat(inBookKeeper(ids.get(0).getLedgerId())).as("the audit subscription's first ledger").isTrue();

        zk.setData().forPath(cursor, good);
        TopicStats stats = admin.getTopicStats(GetTopicStatsRequest.newBuilder().setTopic(topic).build());
        assertThat(stats.getSubscriptionsList()).anySatisfy(s -> assertThat(s.getSubscription()).isEqualTo("audit"));
        try (Consumer<String> audit = subscribe(topic, "audit")) {
            for (int i = 0; i < ids.size(); i++) {
                Message<String> m = audit.receive(60, TimeUnit.SECONDS);
                assertThat(m).as("message %d of the audit backlog", i).isNotNull();
                assertThat(m.getValue()).isEqualTo("m" + i);
            }
        }
    }

    @Test
    void deletingTheSubscriptionWhoseCursorCannotLoadServesItsTopicAgain() throws Exception {
        String topic = namespace() + "/repaired-by-delete";
        storeBehindAuditSubscription(topic);
        String cursor = MetadataPaths.cursor(TopicName.of(topic).toString(), "audit");

        corruptAndReload(topic, cursor);
        assertRefusedNaming(topic, "audit");

        admin.deleteSubscription(DeleteSubscriptionRequest.newBuilder().setTopic(topic).setSubscription("audit").build());
        TopicStats stats = admin.getTopicStats(GetTopicStatsRequest.newBuilder().setTopic(topic).build());
        assertThat(stats.getSubscriptionsList()).extracting(s -> s.getSubscription()).containsExactly("live");
    }

    /** 30 messages in 3 ledgers; "live" acknowledged them all, "audit" none. */
    private static List<MessageId> storeBehindAuditSubscription(String topic) throws Exception {
        subscribe(topic, "audit").close();
        List<MessageId> ids = produce(topic, 30);
        try (Consumer<String> live = subscribe(topic, "live")) {
            for (int i = 0; i < ids.size(); i++) {
                Message<String> m = live.receive(60, TimeUnit.SECONDS);
                assertThat(m).isNotNull();
                live.acknowledge(m);
            }
        }
        return ids;
    }

    /** Unloads the topic, corrupts the audit cursor's znode, and lets the next request load the topic again. */
    private static void corruptAndReload(String topic, String cursor) throws Exception {
        standalone.broker().topics().unload(TopicName.of(topic),
                ErrorReasons.detail(ErrorReason.BUNDLE_MOVING, "test unloads the topic")).get(60, TimeUnit.SECONDS);
        zk.setData().forPath(cursor, CORRUPT);
    }

    private static void assertRefusedNaming(String topic, String subscription) {
        assertThatThrownBy(() -> admin.getTopicStats(GetTopicStatsRequest.newBuilder().setTopic(topic).build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(ErrorReasons.detailOf(e).getReason()).isEqualTo(ErrorReason.SERVICE_NOT_READY);
                    assertThat(e.getMessage()).contains(subscription);
                });
    }

    private static String namespace() {
        String ns = "public/unloadable-" + NAMESPACES.incrementAndGet();
        admin.createNamespace(CreateNamespaceRequest.newBuilder().setNamespace(ns).setBundles(1).build());
        return ns;
    }

    private static List<MessageId> produce(String topic, int n) throws Exception {
        try (Producer<String> p = client.newProducer(Schema.STRING).topic(topic).enableBatching(false).create()) {
            List<CompletableFuture<MessageId>> sent = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                sent.add(p.sendAsync("m" + i));
            }
            List<MessageId> ids = new ArrayList<>();
            for (CompletableFuture<MessageId> f : sent) {
                ids.add(f.get(60, TimeUnit.SECONDS));
            }
            return ids;
        }
    }

    private static Consumer<String> subscribe(String topic, String subscription) throws Exception {
        return client.newConsumer(Schema.STRING).topic(topic).subscriptionName(subscription)
                .subscriptionType(SubscriptionType.Exclusive)
                .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe();
    }

    private static boolean inBookKeeper(long ledgerId) throws Exception {
        try {
            bk.newOpenLedgerOp().withLedgerId(ledgerId).withRecovery(false).withDigestType(DigestType.CRC32C)
                    .withPassword("tributary".getBytes(StandardCharsets.UTF_8)).execute().get(30, TimeUnit.SECONDS).close();
            return true;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof BKException bke && (bke.getCode() == BKException.Code.NoSuchLedgerExistsOnMetadataServerException
                    || bke.getCode() == BKException.Code.NoSuchLedgerExistsException)) {
                return false;
            }
            throw e;
        }
    }
}
