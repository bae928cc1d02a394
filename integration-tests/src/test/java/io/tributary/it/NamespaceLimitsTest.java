package io.tributary.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.tributary.api.v1.AdminServiceGrpc;
import io.tributary.api.v1.AutoTopicCreationType;
import io.tributary.api.v1.ErrorReason;
import io.tributary.api.v1.SetNamespacePoliciesRequest;
import io.tributary.broker.BrokerConfig;
import io.tributary.cli.Standalone;
import io.tributary.client.Consumer;
import io.tributary.client.MessageId;
import io.tributary.client.Producer;
import io.tributary.client.Reader;
import io.tributary.client.Schema;
import io.tributary.client.SubscriptionInitialPosition;
import io.tributary.client.SubscriptionType;
import io.tributary.client.TributaryClient;
import io.tributary.client.TributaryClientException;
import io.tributary.client.admin.AutoTopicCreation;
import io.tributary.client.admin.NamespacePolicies;
import io.tributary.client.admin.Persistence;
import io.tributary.client.admin.TributaryAdmin;
import io.tributary.protocol.ErrorReasons;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.apache.bookkeeper.client.api.BookKeeper;
import org.apache.bookkeeper.conf.ClientConfiguration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * The namespace limits of issue 17 (producers, consumers, subscriptions, topics, message size, auto
 * topic creation, deduplication, subscription expiry, persistence) through the proxy with the Java
 * SDK and admin client: each one exceeded gives its precise error, a change applies without a
 * restart, and clearing it returns to the broker's default. One standalone cluster with two bookies
 * (so that its ledgers have two copies by default) and a policy check every 200 ms.
 */
class NamespaceLimitsTest {
    @TempDir
    static Path dir;
    static Standalone standalone;
    static TributaryClient client;
    static TributaryAdmin admin;
    static ManagedChannel channel;
    static AdminServiceGrpc.AdminServiceBlockingStub raw;
    static BookKeeper bk;
    static final AtomicInteger NAMESPACES = new AtomicInteger();

    @BeforeAll
    static void start() throws Exception {
        UnaryOperator<BrokerConfig> settings = c -> c.toBuilder().metricsPort(0)
                .policyCheckInterval(Duration.ofMillis(200)).build();
        int bookies = TestClusters.freePorts(4);
        int brokers = TestClusters.freePorts(4, bookies, bookies + 1, bookies + 2, bookies + 3);
        standalone = new Standalone(new Standalone.Options(dir.toFile(), 2, TestClusters.freePort(), bookies, brokers,
                TestClusters.freePort(), false, settings)).start();
        client = TributaryClient.builder().serviceUrl(standalone.serviceUrl()).build();
        admin = TributaryAdmin.builder().serviceUrl(standalone.serviceUrl()).operationTimeout(Duration.ofSeconds(20)).build();
        channel = NettyChannelBuilder.forTarget(standalone.serviceUrl()).usePlaintext().build();
        raw = AdminServiceGrpc.newBlockingStub(channel);
        bk = BookKeeper.newBuilder(new ClientConfiguration()
                .setMetadataServiceUri("zk+null://" + standalone.zookeeperConnect() + "/ledgers")).build();
    }

    @AfterAll
    static void stop() throws Exception {
        if (bk != null) {
            bk.close();
        }
        channel.shutdownNow();
        admin.close();
        client.close();
        standalone.close();
    }

    /** A fresh namespace (one bundle) with these policies. */
    private static String namespace(NamespacePolicies policies) throws Exception {
        String ns = "public/limits-" + NAMESPACES.incrementAndGet();
        admin.namespaces().create(ns, 1);
        admin.namespaces().setPolicies(ns, policies);
        return ns;
    }

    private static Producer<String> producer(String topic) throws Exception {
        return client.newProducer(Schema.STRING).topic(topic).enableBatching(false).create();
    }

    private static Consumer<String> consumer(String topic, String subscription) throws Exception {
        return client.newConsumer(Schema.STRING).topic(topic).subscriptionName(subscription)
                .subscriptionType(SubscriptionType.Shared)
                .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe();
    }

    /** The call fails with this reason and a message holding every one of {@code words}. */
    private static void refused(Executable call, ErrorReason reason, String... words) {
        assertThatThrownBy(call::execute).isInstanceOfSatisfying(TributaryClientException.class, e -> {
            assertThat(e.reason()).as(e.getMessage()).isEqualTo(reason);
            assertThat(e.getMessage()).contains(words);
        });
    }

    @Test
    void producersPerTopicLoweredRaisedAndCleared() throws Exception {
        String ns = namespace(NamespacePolicies.builder().maxProducersPerTopic(2).build());
        String topic = ns + "/t";
        List<Producer<String>> open = new ArrayList<>();
        try {
            open.add(producer(topic));
            open.add(producer(topic));
            refused(() -> producer(topic), ErrorReason.PRODUCER_BUSY,
                    "topic " + topic + " has 2 producers", "namespace " + ns, "(max_producers_per_topic)");
            admin.namespaces().setPolicies(ns, NamespacePolicies.builder().maxProducersPerTopic(3).build());
            open.add(producer(topic));
            refused(() -> producer(topic), ErrorReason.PRODUCER_BUSY, "has 3 producers", "(max_producers_per_topic)");
            // cleared: the broker's default (broker.maxProducersPerTopic, 1000)
            NamespacePolicies after = admin.namespaces().clearPolicies(ns, "max_producers_per_topic");
            assertThat(after.maxProducersPerTopic()).isEmpty();
            open.add(producer(topic));
            // 0: no limit
            admin.namespaces().setPolicies(ns, NamespacePolicies.builder().maxProducersPerTopic(0).build());
            open.add(producer(topic));
        } finally {
            for (Producer<String> p : open) {
                p.close();
            }
        }
    }

    @Test
    void consumersPerTopicCountOverAllSubscriptions() throws Exception {
        String ns = namespace(NamespacePolicies.builder().maxConsumersPerTopic(1).build());
        String topic = ns + "/t";
        try (Consumer<String> a = consumer(topic, "a")) {
            refused(() -> consumer(topic, "b"), ErrorReason.CONSUMER_BUSY,
                    "topic " + topic + " has 1 consumers", "(max_consumers_per_topic)");
            admin.namespaces().setPolicies(ns, NamespacePolicies.builder().maxConsumersPerTopic(2).build());
            try (Consumer<String> b = consumer(topic, "b")) {
                refused(() -> consumer(topic, "a"), ErrorReason.CONSUMER_BUSY, "has 2 consumers");
            }
        }
    }

    @Test
    void subscriptionsPerTopicCountReaders() throws Exception {
        String ns = namespace(NamespacePolicies.builder().maxSubscriptionsPerTopic(1).build());
        String topic = ns + "/t";
        try (Consumer<String> a = consumer(topic, "a")) {
            refused(() -> consumer(topic, "b"), ErrorReason.NOT_ALLOWED,
                    "topic " + topic + " has 1 subscriptions", "(max_subscriptions_per_topic)");
            // a reader is a subscription that is not stored: it counts
            refused(() -> client.newReader(Schema.STRING).topic(topic).startMessageId(MessageId.earliest).create(),
                    ErrorReason.NOT_ALLOWED, "(max_subscriptions_per_topic)");
            // the existing subscription takes a second consumer: no new subscription
            try (Consumer<String> again = consumer(topic, "a")) {
                assertThat(admin.subscriptions().list(topic)).containsExactly("a");
            }
            admin.namespaces().clearPolicies(ns, "max_subscriptions_per_topic");
            try (Consumer<String> b = consumer(topic, "b");
                 Reader<String> r = client.newReader(Schema.STRING).topic(topic).startMessageId(MessageId.earliest).create()) {
                assertThat(admin.subscriptions().list(topic)).contains("a", "b");
            }
        }
    }

    @Test
    void topicsPerNamespaceCountPartitions() throws Exception {
        String ns = namespace(NamespacePolicies.builder().maxTopicsPerNamespace(3).build());
        admin.topics().create(ns + "/p", 2);
        try (Producer<String> p = producer(ns + "/one")) {
            p.send("x");
        }
        refused(() -> producer(ns + "/two"), ErrorReason.NOT_ALLOWED,
                "namespace " + ns + " has 3 topics", "(max_topics_per_namespace)");
        refused(() -> admin.topics().create(ns + "/three"), ErrorReason.NOT_ALLOWED, "has 3 topics", "(max_topics_per_namespace)");
        admin.namespaces().setPolicies(ns, NamespacePolicies.builder().maxTopicsPerNamespace(4).build());
        refused(() -> admin.topics().create(ns + "/q", 2), ErrorReason.NOT_ALLOWED, "has 3 topics", "would add 2");
        admin.topics().create(ns + "/three");
        admin.namespaces().clearPolicies(ns, "max_topics_per_namespace");
        admin.topics().create(ns + "/four");
    }

    @Test
    void messageSizeOfTheNamespace() throws Exception {
        String ns = namespace(NamespacePolicies.empty());
        String topic = ns + "/t";
        String big = "x".repeat(2000);
        try (Producer<String> before = producer(topic)) {
            before.send(big);
            admin.namespaces().setPolicies(ns, NamespacePolicies.builder().maxMessageSizeBytes(1024).build());
            // this producer was told the broker's size when it opened: the broker checks the namespace's
            refused(() -> before.send(big), ErrorReason.MESSAGE_TOO_LARGE,
                    "exceeds the maximum message size of namespace " + ns + " (max_message_size_bytes): 1024 bytes");
            before.send("small");
            // the unary Send too, through the proxy
            assertThatThrownBy(() -> io.tributary.api.v1.MessagingServiceGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(30, TimeUnit.SECONDS).send(io.tributary.api.v1.SendRequest.newBuilder().setTopic(topic)
                            .addMessages(io.tributary.api.v1.PlainMessage.newBuilder()
                                    .setValue(com.google.protobuf.ByteString.copyFromUtf8(big))).build()))
                    .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                        assertThat(ErrorReasons.detailOf(e).getReason()).isEqualTo(ErrorReason.MESSAGE_TOO_LARGE);
                        assertThat(ErrorReasons.detailOf(e).getMessage()).contains("(max_message_size_bytes): 1024 bytes");
                    });
            // a producer opened now is told 1024 and refuses the message itself
            try (Producer<String> after = producer(topic)) {
                assertThatThrownBy(() -> after.send(big)).isInstanceOf(TributaryClientException.MessageTooLargeException.class)
                        .hasMessageContaining("1024");
            }
            admin.namespaces().clearPolicies(ns, "max_message_size_bytes");
            before.send(big);
        }
        // above the broker's maximum: refused, naming the field and the bound
        refused(() -> admin.namespaces().setPolicies(ns, NamespacePolicies.builder()
                        .maxMessageSizeBytes(BrokerConfig.DEFAULT_MAX_MESSAGE_SIZE + 1).build()),
                ErrorReason.INVALID_REQUEST, "max_message_size_bytes must be in [0, " + BrokerConfig.DEFAULT_MAX_MESSAGE_SIZE + "]");
    }

    @Test
    void autoTopicCreationDisabledOrPartitioned() throws Exception {
        String ns = namespace(NamespacePolicies.builder().autoTopicCreation(AutoTopicCreation.disabled()).build());
        refused(() -> producer(ns + "/missing"), ErrorReason.TOPIC_NOT_FOUND,
                "auto topic creation is disabled for namespace " + ns, "(auto_topic_creation");
        refused(() -> consumer(ns + "/missing", "s"), ErrorReason.TOPIC_NOT_FOUND, "auto topic creation is disabled");
        admin.topics().create(ns + "/made");
        try (Producer<String> p = producer(ns + "/made")) {
            p.send("explicitly created topics still work");
        }
        admin.namespaces().setPolicies(ns, NamespacePolicies.builder().autoTopicCreation(AutoTopicCreation.partitioned(3)).build());
        // the SDK asks for the partitions first: the topic is created with 3, and it publishes to them
        try (Consumer<String> c = consumer(ns + "/auto", "s"); Producer<String> p = producer(ns + "/auto")) {
            assertThat(admin.topics().getPartitions(ns + "/auto")).isEqualTo(3);
            for (int i = 0; i < 6; i++) {
                p.newMessage().key("k" + i).value("m" + i).send();
            }
            java.util.Set<String> got = new java.util.TreeSet<>();
            for (int i = 0; i < 6; i++) {
                var m = c.receive(10, java.util.concurrent.TimeUnit.SECONDS);
                assertThat(m).as("message %s of 6", i).isNotNull();
                got.add(m.getValue());
                c.acknowledge(m);
            }
            assertThat(got).containsExactly("m0", "m1", "m2", "m3", "m4", "m5");
        }
        // a client that opens the topic itself, without asking for partitions, is told to use them
        assertThatThrownBy(() -> io.tributary.api.v1.MessagingServiceGrpc.newBlockingStub(channel)
                .withDeadlineAfter(30, TimeUnit.SECONDS).send(io.tributary.api.v1.SendRequest.newBuilder().setTopic(ns + "/auto-raw")
                        .addMessages(io.tributary.api.v1.PlainMessage.newBuilder()
                                .setValue(com.google.protobuf.ByteString.copyFromUtf8("m"))).build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(ErrorReasons.detailOf(e).getReason()).isEqualTo(ErrorReason.NOT_ALLOWED);
                    assertThat(ErrorReasons.detailOf(e).getMessage()).contains("created partitioned into 3 partitions");
                });
        assertThat(admin.topics().getPartitions(ns + "/auto-raw")).isEqualTo(3);
        // cleared: the broker's default, a topic without partitions
        admin.namespaces().clearPolicies(ns, "auto_topic_creation");
        try (Producer<String> p = producer(ns + "/plain")) {
            p.send("x");
        }
        assertThat(admin.topics().getPartitions(ns + "/plain")).isZero();
    }

    @Test
    void deduplicationOffStoresAResentBatchTwice() throws Exception {
        String ns = namespace(NamespacePolicies.builder().deduplicationEnabled(false).build());
        String topic = ns + "/t";
        try (Producer<String> p = producer(topic)) {
            MessageId first = p.newMessage().value("m").sequenceId(7).send();
            MessageId again = p.newMessage().value("m").sequenceId(7).send();
            assertThat(again).isNotEqualTo(first);
            admin.namespaces().setPolicies(ns, NamespacePolicies.builder().deduplicationEnabled(true).build());
            MessageId third = p.newMessage().value("n").sequenceId(8).send();
            MessageId resent = p.newMessage().value("n").sequenceId(8).send();
            // on: the resend is answered with the original's position, not stored
            assertThat(resent).isEqualTo(third);
        }
        try (Consumer<String> c = consumer(topic, "count")) {
            List<String> got = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                got.add(c.receive(30, TimeUnit.SECONDS).getValue());
            }
            assertThat(got).containsExactly("m", "m", "n");
            assertThat(c.receive(300, TimeUnit.MILLISECONDS)).isNull();
        }
    }

    @Test
    void anIdleSubscriptionExpires() throws Exception {
        String ns = namespace(NamespacePolicies.builder().subscriptionExpirationSeconds(1).build());
        String topic = ns + "/t";
        try (Consumer<String> kept = consumer(topic, "kept")) {
            consumer(topic, "idle").close();
            await().atMost(Duration.ofSeconds(20)).until(() -> !admin.subscriptions().list(topic).contains("idle"));
            // one with a consumer connected stays
            assertThat(admin.subscriptions().list(topic)).containsExactly("kept");
        }
    }

    @Test
    void persistenceOfLedgersCreatedAfterTheChange() throws Exception {
        String plain = namespace(NamespacePolicies.empty());
        String single = namespace(NamespacePolicies.builder().persistence(new Persistence(1, 1, 1)).build());
        assertThat(ensembleOf(plain + "/t")).isEqualTo(2);
        assertThat(ensembleOf(single + "/t")).isEqualTo(1);
    }

    /** The ensemble size of the ledger a first message to a new topic went to, read from BookKeeper. */
    private static int ensembleOf(String topic) throws Exception {
        try (Producer<String> p = producer(topic)) {
            MessageId id = p.send("m");
            var md = bk.getLedgerMetadata(id.getLedgerId()).get(30, TimeUnit.SECONDS);
            assertThat(md.getWriteQuorumSize()).isEqualTo(md.getEnsembleSize());
            return md.getEnsembleSize();
        }
    }

    /** Hostile values are refused with INVALID_REQUEST naming the field, before anything is stored. */
    @Test
    void badPoliciesAreRefused() throws Exception {
        String ns = namespace(NamespacePolicies.empty());
        invalid(ns, io.tributary.api.v1.NamespacePolicies.newBuilder().setMaxProducersPerTopic(-1), "max_producers_per_topic");
        invalid(ns, io.tributary.api.v1.NamespacePolicies.newBuilder().setMaxConsumersPerTopic(-5), "max_consumers_per_topic");
        invalid(ns, io.tributary.api.v1.NamespacePolicies.newBuilder().setMaxSubscriptionsPerTopic(Integer.MIN_VALUE),
                "max_subscriptions_per_topic");
        invalid(ns, io.tributary.api.v1.NamespacePolicies.newBuilder().setMaxTopicsPerNamespace(-1), "max_topics_per_namespace");
        invalid(ns, io.tributary.api.v1.NamespacePolicies.newBuilder().setMaxMessageSizeBytes(Integer.MAX_VALUE),
                "max_message_size_bytes");
        invalid(ns, io.tributary.api.v1.NamespacePolicies.newBuilder().setSubscriptionExpirationSeconds(-1),
                "subscription_expiration_seconds");
        invalid(ns, io.tributary.api.v1.NamespacePolicies.newBuilder().setSubscriptionExpirationSeconds(Long.MAX_VALUE),
                "subscription_expiration_seconds");
        invalid(ns, io.tributary.api.v1.NamespacePolicies.newBuilder().setAutoTopicCreation(
                io.tributary.api.v1.AutoTopicCreation.newBuilder().setTypeValue(99)), "auto_topic_creation.type");
        invalid(ns, io.tributary.api.v1.NamespacePolicies.newBuilder().setAutoTopicCreation(
                io.tributary.api.v1.AutoTopicCreation.newBuilder().setType(AutoTopicCreationType.AUTO_TOPIC_CREATION_TYPE_PARTITIONED)
                        .setPartitions(0)), "auto_topic_creation.partitions");
        invalid(ns, io.tributary.api.v1.NamespacePolicies.newBuilder().setAutoTopicCreation(
                io.tributary.api.v1.AutoTopicCreation.newBuilder().setType(AutoTopicCreationType.AUTO_TOPIC_CREATION_TYPE_PARTITIONED)
                        .setPartitions(1_000_000)), "auto_topic_creation.partitions");
        invalid(ns, io.tributary.api.v1.NamespacePolicies.newBuilder().setPersistence(
                io.tributary.api.v1.Persistence.newBuilder().setEnsembleSize(1).setWriteQuorum(2).setAckQuorum(1)), "persistence");
        invalid(ns, io.tributary.api.v1.NamespacePolicies.newBuilder().setPersistence(
                io.tributary.api.v1.Persistence.newBuilder().setEnsembleSize(3).setWriteQuorum(3).setAckQuorum(0)), "persistence");
        // nothing was stored
        assertThat(admin.namespaces().getPolicies(ns)).isEqualTo(NamespacePolicies.empty());
        refused(() -> admin.namespaces().clearPolicies(ns, "max_producer_per_topic"), ErrorReason.INVALID_REQUEST,
                "no namespace policy is named max_producer_per_topic");
    }

    private static void invalid(String ns, io.tributary.api.v1.NamespacePolicies.Builder p, String field) {
        assertThatThrownBy(() -> raw.setNamespacePolicies(SetNamespacePoliciesRequest.newBuilder().setNamespace(ns)
                .setPolicies(p).build())).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(io.grpc.Status.Code.INVALID_ARGUMENT);
                    assertThat(ErrorReasons.detailOf(e).getReason()).isEqualTo(ErrorReason.INVALID_REQUEST);
                    assertThat(ErrorReasons.detailOf(e).getMessage()).contains(field);
                });
    }
}
