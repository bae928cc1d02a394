package io.tributary.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.tributary.api.v1.ErrorReason;
import io.tributary.cli.Standalone;
import io.tributary.cli.TributaryCli;
import io.tributary.client.Consumer;
import io.tributary.client.Message;
import io.tributary.client.MessageId;
import io.tributary.client.Producer;
import io.tributary.client.Schema;
import io.tributary.client.SubscriptionInitialPosition;
import io.tributary.client.SubscriptionType;
import io.tributary.client.TributaryClient;
import io.tributary.client.TributaryClientException;
import io.tributary.client.TributaryClientException.AlreadyClosedException;
import io.tributary.client.TributaryClientException.AlreadyExistsException;
import io.tributary.client.TributaryClientException.ConsumerBusyException;
import io.tributary.client.TributaryClientException.InvalidTopicNameException;
import io.tributary.client.TributaryClientException.NamespaceNotFoundException;
import io.tributary.client.TributaryClientException.NotAllowedException;
import io.tributary.client.TributaryClientException.NotEmptyException;
import io.tributary.client.TributaryClientException.NotFoundException;
import io.tributary.client.TributaryClientException.SubscriptionNotFoundException;
import io.tributary.client.TributaryClientException.TenantNotFoundException;
import io.tributary.client.TributaryClientException.TopicNotFoundException;
import io.tributary.client.admin.AuthAction;
import io.tributary.client.admin.BacklogQuota;
import io.tributary.client.admin.BacklogQuotaPolicy;
import io.tributary.client.admin.NamespacePolicies;
import io.tributary.client.admin.Permission;
import io.tributary.client.admin.SubscriptionStats;
import io.tributary.client.admin.TopicInfo;
import io.tributary.client.admin.TopicStats;
import io.tributary.client.admin.TributaryAdmin;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every operation of the admin client, through the proxy on real ZooKeeper and BookKeeper. */
class TributaryAdminTest {
    @TempDir
    static Path dir;
    static Standalone standalone;
    static TributaryClient client;
    static TributaryAdmin admin;

    @BeforeAll
    static void start() throws Exception {
        standalone = TestClusters.start(dir.toFile());
        client = TributaryClient.builder().serviceUrl(standalone.serviceUrl()).build();
        admin = TributaryAdmin.builder().serviceUrl(standalone.serviceUrl()).operationTimeout(Duration.ofSeconds(20)).build();
    }

    @AfterAll
    static void stop() throws Exception {
        admin.close();
        client.close();
        standalone.close();
    }

    /** The call fails with {@code type}, the server's {@code reason}, and a message naming {@code name}. */
    private static void refused(ThrowingCallable call, Class<? extends TributaryClientException> type, ErrorReason reason,
                                String name) {
        assertThatThrownBy(call).isInstanceOfSatisfying(type, e -> {
            assertThat(e.reason()).isEqualTo(reason);
            assertThat(e.getMessage()).contains(name);
        });
    }

    private static List<MessageId> produce(String topic, int n, String prefix) throws Exception {
        List<MessageId> ids = new ArrayList<>();
        try (Producer<String> p = client.newProducer(Schema.STRING).topic(topic).enableBatching(false).create()) {
            for (int i = 0; i < n; i++) {
                ids.add(p.send(prefix + i));
            }
        }
        return ids;
    }

    /** Creates the subscription at the start of the topic, without consuming. */
    private static void subscribe(String topic, String subscription) throws Exception {
        consumer(topic, subscription).close();
    }

    private static Consumer<String> consumer(String topic, String subscription) throws Exception {
        return client.newConsumer(Schema.STRING).topic(topic).subscriptionName(subscription)
                .subscriptionType(SubscriptionType.Shared).consumerName("worker")
                .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe();
    }

    private static String next(Consumer<String> c) throws Exception {
        Message<String> m = c.receive(30, TimeUnit.SECONDS);
        assertThat(m).isNotNull();
        return m.getValue();
    }

    @Test
    void tenantsAndNamespacesHaveALifecycle() throws Exception {
        assertThat(admin.tenants().list()).contains("public");
        admin.tenants().create("acme");
        assertThat(admin.tenants().listAsync().get(30, TimeUnit.SECONDS)).contains("acme");
        refused(() -> admin.tenants().create("acme"), AlreadyExistsException.class, ErrorReason.TENANT_ALREADY_EXISTS, "acme");

        admin.namespaces().create("acme/payments", 8);
        admin.namespaces().createAsync("acme/audit", 0).get(30, TimeUnit.SECONDS);
        admin.namespaces().create("acme/misc");
        assertThat(admin.namespaces().list("acme")).containsExactlyInAnyOrder("acme/payments", "acme/audit", "acme/misc");
        refused(() -> admin.namespaces().create("acme/payments"), AlreadyExistsException.class,
                ErrorReason.NAMESPACE_ALREADY_EXISTS, "acme/payments");
        assertThatThrownBy(() -> admin.namespaces().create("acme/bad", -1)).isInstanceOf(IllegalArgumentException.class);

        refused(() -> admin.tenants().delete("acme"), NotEmptyException.class, ErrorReason.TENANT_NOT_EMPTY, "acme");
        admin.topics().create("acme/audit/log");
        refused(() -> admin.namespaces().delete("acme/audit"), NotEmptyException.class, ErrorReason.NAMESPACE_NOT_EMPTY,
                "acme/audit");
        admin.topics().delete("acme/audit/log");
        admin.namespaces().delete("acme/audit");
        admin.namespaces().deleteAsync("acme/misc").get(30, TimeUnit.SECONDS);
        admin.namespaces().delete("acme/payments");
        admin.tenants().delete("acme");
        assertThat(admin.tenants().list()).doesNotContain("acme");
    }

    @Test
    void unknownTenantsNamespacesTopicsAndSubscriptionsAreNotFoundWithTheServersReason() throws Exception {
        refused(() -> admin.tenants().delete("nobody"), TenantNotFoundException.class, ErrorReason.TENANT_NOT_FOUND, "nobody");
        refused(() -> admin.namespaces().create("nobody/ns"), TenantNotFoundException.class, ErrorReason.TENANT_NOT_FOUND,
                "nobody");
        refused(() -> admin.namespaces().list("nobody"), TenantNotFoundException.class, ErrorReason.TENANT_NOT_FOUND, "nobody");
        refused(() -> admin.namespaces().getPolicies("public/nothing"), NamespaceNotFoundException.class,
                ErrorReason.NAMESPACE_NOT_FOUND, "public/nothing");
        refused(() -> admin.namespaces().delete("public/nothing"), NamespaceNotFoundException.class,
                ErrorReason.NAMESPACE_NOT_FOUND, "public/nothing");
        refused(() -> admin.topics().create("public/nothing/t"), NamespaceNotFoundException.class,
                ErrorReason.NAMESPACE_NOT_FOUND, "public/nothing");
        refused(() -> admin.topics().list("public/nothing"), NamespaceNotFoundException.class,
                ErrorReason.NAMESPACE_NOT_FOUND, "public/nothing");
        refused(() -> admin.topics().getStats("public/default/never"), TopicNotFoundException.class,
                ErrorReason.TOPIC_NOT_FOUND, "public/default/never");
        refused(() -> admin.topics().getInfo("public/default/never"), TopicNotFoundException.class,
                ErrorReason.TOPIC_NOT_FOUND, "public/default/never");
        refused(() -> admin.topics().getPartitions("public/default/never"), TopicNotFoundException.class,
                ErrorReason.TOPIC_NOT_FOUND, "public/default/never");
        refused(() -> admin.topics().delete("public/default/never"), TopicNotFoundException.class,
                ErrorReason.TOPIC_NOT_FOUND, "public/default/never");
        refused(() -> admin.subscriptions().clearBacklog("public/default/never", "s"), TopicNotFoundException.class,
                ErrorReason.TOPIC_NOT_FOUND, "public/default/never");
        assertThatThrownBy(() -> admin.topics().getStats("public/default/never")).isInstanceOf(NotFoundException.class);

        String topic = "public/default/admin-no-sub";
        produce(topic, 1, "m");
        refused(() -> admin.subscriptions().reset(topic, "ghost", MessageId.earliest), SubscriptionNotFoundException.class,
                ErrorReason.SUBSCRIPTION_NOT_FOUND, "ghost");
        refused(() -> admin.subscriptions().skip(topic, "ghost", 1), SubscriptionNotFoundException.class,
                ErrorReason.SUBSCRIPTION_NOT_FOUND, "ghost");
        refused(() -> admin.subscriptions().delete(topic, "ghost"), SubscriptionNotFoundException.class,
                ErrorReason.SUBSCRIPTION_NOT_FOUND, "ghost");

        refused(() -> admin.topics().create("only/two"), InvalidTopicNameException.class, ErrorReason.INVALID_TOPIC_NAME,
                "only/two");
        refused(() -> admin.topics().getStats("not a topic"), InvalidTopicNameException.class,
                ErrorReason.INVALID_TOPIC_NAME, "not a topic");
        // the async variants fail their future with the same exception
        CompletableFuture<TopicStats> f = admin.topics().getStatsAsync("public/default/never");
        assertThatThrownBy(() -> f.get(30, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(TopicNotFoundException.class);
    }

    @Test
    void policiesRoundTripAndChangeOnlyWhatIsSet() throws Exception {
        admin.namespaces().create("public/policies");
        assertThat(admin.namespaces().getPolicies("public/policies")).isEqualTo(NamespacePolicies.empty());
        NamespacePolicies all = NamespacePolicies.builder().retentionTimeSeconds(3600).retentionSizeBytes(NamespacePolicies.NO_LIMIT)
                .messageTtlSeconds(600).backlogQuota(new BacklogQuota(1 << 20, BacklogQuotaPolicy.PRODUCER_EXCEPTION)).build();
        assertThat(admin.namespaces().setPolicies("public/policies", all)).isEqualTo(all);
        assertThat(admin.namespaces().getPolicies("public/policies")).isEqualTo(all);

        NamespacePolicies after = admin.namespaces().setPoliciesAsync("public/policies",
                NamespacePolicies.builder().messageTtlSeconds(0).build()).get(30, TimeUnit.SECONDS);
        assertThat(after).isEqualTo(all.toBuilder().messageTtlSeconds(0).build());
        assertThat(after.retentionTimeSeconds()).hasValue(3600);
        assertThat(after.backlogQuota()).hasValue(new BacklogQuota(1 << 20, BacklogQuotaPolicy.PRODUCER_EXCEPTION));
        assertThat(admin.namespaces().getPoliciesAsync("public/policies").get(30, TimeUnit.SECONDS)).isEqualTo(after);
        admin.namespaces().delete("public/policies");
    }

    @Test
    void topicsAndPartitionsWithInfo() throws Exception {
        String plain = "public/default/admin-plain";
        String parted = "public/default/admin-parted";
        admin.topics().create(plain);
        admin.topics().createAsync(parted, 3).get(30, TimeUnit.SECONDS);
        refused(() -> admin.topics().create(plain), AlreadyExistsException.class, ErrorReason.TOPIC_ALREADY_EXISTS, plain);
        assertThatThrownBy(() -> admin.topics().create("public/default/x", -1)).isInstanceOf(IllegalArgumentException.class);
        assertThat(admin.topics().list("public/default")).contains(plain, parted, parted + "-partition-0", parted + "-partition-2");
        assertThat(admin.topics().getPartitions(plain)).isZero();
        assertThat(admin.topics().getPartitions("persistent://" + parted)).isEqualTo(3);

        produce(plain, 4, "m");
        subscribe(plain, "books");
        TopicInfo info = admin.topics().getInfo(plain);
        assertThat(info.topic()).isEqualTo(plain);
        assertThat(info.partitions()).isZero();
        assertThat(info.entries()).isEqualTo(4);
        assertThat(info.sizeBytes()).isPositive();
        assertThat(info.ledgers()).isPositive();
        assertThat(info.subscriptions()).containsExactly("books");

        for (int i = 0; i < 3; i++) {
            produce(parted + "-partition-" + i, i + 1, "p" + i + "-");
        }
        subscribe(parted + "-partition-0", "a");
        subscribe(parted + "-partition-2", "b");
        TopicInfo sum = admin.topics().getInfoAsync(parted).get(30, TimeUnit.SECONDS);
        assertThat(sum.partitions()).isEqualTo(3);
        assertThat(sum.entries()).isEqualTo(6);
        assertThat(sum.subscriptions()).containsExactly("a", "b");
        assertThat(admin.subscriptions().list(parted)).containsExactly("a", "b");
        assertThat(admin.subscriptions().listAsync(plain).get(30, TimeUnit.SECONDS)).containsExactly("books");

        admin.topics().delete(plain);
        admin.topics().deleteAsync(parted).get(30, TimeUnit.SECONDS);
        assertThat(admin.topics().list("public/default")).doesNotContain(plain, parted, parted + "-partition-1");
    }

    @Test
    void statsOfAPartitionedTopicAreSummedOverItsPartitions() throws Exception {
        String topic = "public/default/admin-stats";
        admin.topics().create(topic, 2);
        List<Consumer<String>> consumers = new ArrayList<>();
        try {
            for (int i = 0; i < 2; i++) {
                consumers.add(consumer(topic + "-partition-" + i, "audit"));
            }
            produce(topic + "-partition-0", 3, "x");
            produce(topic + "-partition-1", 5, "y");
            // one message of each partition acknowledged, the rest left in the backlog
            for (Consumer<String> c : consumers) {
                c.acknowledge(c.receive(30, TimeUnit.SECONDS));
            }
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                TopicStats s = admin.topics().getStats(topic);
                assertThat(s.topic()).isEqualTo(topic);
                assertThat(s.msgInTotal()).isEqualTo(8);
                assertThat(s.entries()).isEqualTo(8);
                assertThat(s.partitions()).hasSize(2);
                assertThat(s.partitions()).extracting(TopicStats::msgInTotal).containsExactly(3L, 5L);
                SubscriptionStats audit = s.subscription("audit");
                assertThat(audit.type()).isEqualTo(SubscriptionType.Shared);
                assertThat(audit.msgBacklog()).isEqualTo(6);
                assertThat(audit.msgOutTotal()).isEqualTo(8);
                assertThat(audit.unackedMessages()).isEqualTo(6);
                assertThat(audit.backlogBytes()).isEqualTo(s.partitions().get(0).subscription("audit").backlogBytes()
                        + s.partitions().get(1).subscription("audit").backlogBytes());
                assertThat(audit.consumers()).singleElement().satisfies(c -> {
                    assertThat(c.consumerName()).isEqualTo("worker");
                    assertThat(c.unackedMessages()).isEqualTo(6);
                });
                assertThat(s.backlogBytes()).isEqualTo(audit.backlogBytes());
                assertThat(s.partitions().get(1).subscription("audit").markDeletePosition().getPartition()).isEqualTo(1);
            });
            TopicStats one = admin.topics().getStats(topic + "-partition-1");
            assertThat(one.partitions()).isEmpty();
            assertThat(one.subscription("audit").msgBacklog()).isEqualTo(4);
        } finally {
            for (Consumer<String> c : consumers) {
                c.close();
            }
        }
    }

    @Test
    void skipCountsMessagesInsideBatches() throws Exception {
        String topic = "public/default/admin-skip";
        subscribe(topic, "s");
        List<MessageId> batch;
        try (Producer<String> p = client.newProducer(Schema.STRING).topic(topic).batchingMaxMessages(5)
                .batchingMaxPublishDelay(Duration.ofSeconds(10)).create()) {
            List<CompletableFuture<MessageId>> sent = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                sent.add(p.sendAsync("b" + i));
            }
            p.flush();
            batch = new ArrayList<>();
            for (CompletableFuture<MessageId> f : sent) {
                batch.add(f.get(30, TimeUnit.SECONDS));
            }
        }
        assertThat(batch).extracting(MessageId::getEntryId).containsOnly(batch.get(0).getEntryId());
        produce(topic, 3, "s");

        assertThat(admin.subscriptions().skip(topic, "s", 2)).as("part of the batch").isEqualTo(2);
        try (Consumer<String> c = consumer(topic, "s")) {
            assertThat(next(c)).isEqualTo("b2");
        }
        // the consumer went away without acknowledging b2: it is the first unacknowledged one again
        assertThat(admin.subscriptions().skipAsync(topic, "s", 4).get(30, TimeUnit.SECONDS))
                .as("the rest of the batch and one more").isEqualTo(4);
        try (Consumer<String> c = consumer(topic, "s")) {
            assertThat(next(c)).isEqualTo("s1");
        }
        assertThat(admin.subscriptions().skip(topic, "s", 100)).as("only what is left").isEqualTo(2);
        assertThat(admin.topics().getStats(topic).subscription("s").msgBacklog()).isZero();
        assertThatThrownBy(() -> admin.subscriptions().skip(topic, "s", 0)).isInstanceOf(IllegalArgumentException.class);

        admin.topics().create("public/default/admin-skip-parted", 2);
        subscribe("public/default/admin-skip-parted-partition-0", "s");
        refused(() -> admin.subscriptions().skip("public/default/admin-skip-parted", "s", 1), NotAllowedException.class,
                ErrorReason.NOT_ALLOWED, "admin-skip-parted-partition-0");
        assertThat(admin.subscriptions().skip("public/default/admin-skip-parted-partition-0", "s", 1)).isZero();
    }

    @Test
    void resetMovesASubscriptionAndClearBacklogEmptiesIt() throws Exception {
        String topic = "public/default/admin-reset";
        subscribe(topic, "s");
        List<MessageId> ids = produce(topic, 5, "m");

        admin.subscriptions().clearBacklog(topic, "s");
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
                assertThat(admin.topics().getStats(topic).subscription("s").msgBacklog()).isZero());

        admin.subscriptions().reset(topic, "s", ids.get(2));
        try (Consumer<String> c = consumer(topic, "s")) {
            assertThat(next(c)).isEqualTo("m2");
        }
        admin.subscriptions().reset(topic, "s", MessageId.earliest);
        try (Consumer<String> c = consumer(topic, "s")) {
            assertThat(next(c)).isEqualTo("m0");
        }
        // by publish time: everything published so far is at or before `before`, what follows after it
        long before = System.currentTimeMillis();
        await().atMost(Duration.ofSeconds(5)).until(() -> System.currentTimeMillis() > before);
        produce(topic, 1, "late");
        admin.subscriptions().resetAsync(topic, "s", before + 1).get(30, TimeUnit.SECONDS);
        try (Consumer<String> c = consumer(topic, "s")) {
            assertThat(next(c)).isEqualTo("late0");
        }
        admin.subscriptions().reset(topic, "s", 0L);
        try (Consumer<String> c = consumer(topic, "s")) {
            assertThat(next(c)).isEqualTo("m0");
        }
        admin.subscriptions().reset(topic, "s", MessageId.latest);
        assertThat(admin.topics().getStats(topic).subscription("s").msgBacklog()).isZero();
        assertThatThrownBy(() -> admin.subscriptions().reset(topic, "s", -1L)).isInstanceOf(IllegalArgumentException.class);
        refused(() -> admin.subscriptions().reset(topic, "s", MessageId.of(Long.MAX_VALUE - 1, 0, 0)),
                TributaryClientException.PositionOutOfRangeException.class, ErrorReason.POSITION_OUT_OF_RANGE, topic);
    }

    @Test
    void resetClearAndDeleteGoToEveryPartition() throws Exception {
        String topic = "public/default/admin-reset-parted";
        admin.topics().create(topic, 2);
        subscribe(topic + "-partition-0", "s");
        subscribe(topic + "-partition-1", "s");
        produce(topic + "-partition-0", 2, "a");
        produce(topic + "-partition-1", 3, "b");
        assertThat(admin.topics().getStats(topic).subscription("s").msgBacklog()).isEqualTo(5);
        admin.subscriptions().clearBacklogAsync(topic, "s").get(30, TimeUnit.SECONDS);
        assertThat(admin.topics().getStats(topic).subscription("s").msgBacklog()).isZero();
        admin.subscriptions().reset(topic, "s", MessageId.earliest);
        assertThat(admin.topics().getStats(topic).subscription("s").msgBacklog()).isEqualTo(5);

        MessageId stored = produce(topic + "-partition-1", 1, "c").get(0);
        // the id as a consumer of the partition sees it (the ids a producer gets back name no partition yet)
        MessageId inPartition1 = new MessageId(stored.getLedgerId(), stored.getEntryId(), 0, 1, 0);
        admin.subscriptions().reset(topic, "s", inPartition1);
        TopicStats s = admin.topics().getStats(topic);
        assertThat(s.partitions().get(0).subscription("s").msgBacklog()).as("untouched").isEqualTo(2);
        assertThat(s.partitions().get(1).subscription("s").msgBacklog()).isEqualTo(1);
        refused(() -> admin.subscriptions().reset(topic, "s", MessageId.of(inPartition1.getLedgerId(), 0, 0)),
                NotAllowedException.class, ErrorReason.NOT_ALLOWED, topic);

        admin.subscriptions().delete(topic, "s");
        assertThat(admin.subscriptions().list(topic)).isEmpty();
        refused(() -> admin.subscriptions().delete(topic, "s"), SubscriptionNotFoundException.class,
                ErrorReason.SUBSCRIPTION_NOT_FOUND, topic);
    }

    @Test
    void aSubscriptionWithConsumersIsDeletedOnlyByForce() throws Exception {
        String topic = "public/default/admin-delete-sub";
        try (Consumer<String> c = consumer(topic, "busy")) {
            refused(() -> admin.subscriptions().delete(topic, "busy"), ConsumerBusyException.class, ErrorReason.CONSUMER_BUSY,
                    "busy");
            admin.subscriptions().deleteAsync(topic, "busy", true).get(30, TimeUnit.SECONDS);
            assertThat(admin.subscriptions().list(topic)).doesNotContain("busy");
            assertThatThrownBy(() -> c.receive(30, TimeUnit.SECONDS)).isInstanceOf(SubscriptionNotFoundException.class);
        }
    }

    @Test
    void aClosedAdminRefusesCalls() throws Exception {
        TributaryAdmin other = TributaryAdmin.builder().serviceUrl(standalone.serviceUrl()).build();
        assertThat(other.tenants().list()).contains("public");
        other.close();
        other.close();
        assertThatThrownBy(() -> other.tenants().list()).isInstanceOf(AlreadyClosedException.class);
        assertThatThrownBy(() -> TributaryAdmin.builder().serviceUrl("no-port").build())
                .isInstanceOf(TributaryClientException.class).hasMessageContaining("no-port");
        assertThatThrownBy(() -> TributaryAdmin.builder().operationTimeout(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private static CliRun cli(String... args) {
        return CliRun.admin(standalone.serviceUrl(), args);
    }

    @Test
    void theCliAdministersThroughTheAdminClient() throws Exception {
        String topic = "public/default/admin-cli";
        CliRun created = cli("topics", "create", topic, "-p", "2");
        assertThat(created.code()).as(created.err()).isZero();
        subscribe(topic + "-partition-0", "s");
        subscribe(topic + "-partition-1", "s");
        produce(topic + "-partition-0", 2, "a");
        produce(topic + "-partition-1", 3, "b");

        CliRun stats = cli("topics", "stats", topic);
        assertThat(stats.code()).as(stats.err()).isZero();
        assertThat(stats.out()).contains("5 messages in all").contains("partition " + topic + "-partition-1")
                .contains("subscription s (SHARED)").contains("backlog:      5 messages");
        CliRun json = cli("topics", "stats", topic, "--json");
        assertThat(json.out()).contains("\"msgInTotal\" : 5").contains("\"partitions\"");
        assertThat(cli("subscriptions", "list", topic).out().lines()).containsExactly("s");

        CliRun skipped = cli("subscriptions", "skip", topic + "-partition-1", "s", "2");
        assertThat(skipped.code()).as(skipped.err()).isZero();
        assertThat(skipped.out()).contains("skipped 2 messages");
        CliRun refused = cli("subscriptions", "skip", topic, "s", "2");
        assertThat(refused.code()).isEqualTo(1);
        assertThat(refused.err()).contains("NOT_ALLOWED").contains(topic + "-partition-0");
        assertThat(cli("subscriptions", "clear-backlog", topic, "s").code()).isZero();
        assertThat(admin.topics().getStats(topic).subscription("s").msgBacklog()).isZero();
        assertThat(cli("subscriptions", "reset", topic, "s", "--earliest").code()).isZero();
        assertThat(admin.topics().getStats(topic).subscription("s").msgBacklog()).isEqualTo(5);

        assertThat(cli("tenants", "list").out().lines()).contains("public");
        assertThat(cli("namespaces", "create", "public/cli", "--bundles", "2").code()).isZero();
        assertThat(cli("namespaces", "list", "public").out().lines()).contains("public/cli");
        CliRun policies = cli("namespaces", "set-policies", "public/cli", "--ttl", "3600", "--backlog-quota", "1000", "-o", "json");
        assertThat(policies.code()).as(policies.err()).isZero();
        assertThat(policies.out()).contains("\"messageTtlSeconds\" : \"3600\"").contains("PRODUCER_REQUEST_HOLD");
        assertThat(cli("namespaces", "policies", "public/cli").out()).containsPattern("messageTtlSeconds: +3600");
        assertThat(admin.namespaces().getPolicies("public/cli").backlogQuota())
                .hasValue(new BacklogQuota(1000, BacklogQuotaPolicy.PRODUCER_REQUEST_HOLD));
        CliRun badTtl = cli("namespaces", "set-policies", "public/cli", "--ttl", "-3");
        assertThat(badTtl.code()).isNotZero();
        assertThat(badTtl.err()).contains("INVALID_REQUEST").contains("message_ttl_seconds");
        assertThat(cli("namespaces", "delete", "public/cli").code()).isZero();

        CliRun missing = cli("topics", "stats", "public/default/admin-cli-missing");
        assertThat(missing.code()).isEqualTo(1);
        assertThat(missing.err()).contains("TOPIC_NOT_FOUND").contains("admin-cli-missing");
        assertThat(cli("subscriptions", "delete", topic, "s").code()).isZero();
        assertThat(cli("topics", "delete", topic).code()).isZero();
    }

    @Test
    void theAdminClientGrantsListsAndRevokesPermissions() throws Exception {
        admin.tenants().create("perm");
        admin.namespaces().create("perm/ns");
        admin.namespaces().grantPermission("perm/ns", "app", Set.of(AuthAction.PRODUCE, AuthAction.CONSUME));
        admin.namespaces().grantPermission("perm/ns", "audit", Set.of(AuthAction.CONSUME), "audit-");
        admin.topics().grantPermission("perm/ns/one", "ops", Set.of(AuthAction.ADMIN));
        assertThat(admin.namespaces().getPermissions("perm/ns")).containsExactlyInAnyOrder(
                new Permission("app", Set.of(AuthAction.PRODUCE, AuthAction.CONSUME), ""),
                new Permission("audit", Set.of(AuthAction.CONSUME), "audit-"));
        assertThat(admin.topics().getPermissions("persistent://perm/ns/one"))
                .containsExactly(new Permission("ops", Set.of(AuthAction.ADMIN), ""));
        // a grant replaces what the role had there
        admin.namespaces().grantPermission("perm/ns", "app", Set.of(AuthAction.PRODUCE));
        assertThat(admin.namespaces().getPermissions("perm/ns")).contains(new Permission("app", Set.of(AuthAction.PRODUCE), ""));
        assertThat(admin.namespaces().revokePermission("perm/ns", "app")).isTrue();
        assertThat(admin.namespaces().revokePermission("perm/ns", "app")).isFalse();
        assertThat(admin.namespaces().getPermissions("perm/ns")).extracting(Permission::role).containsExactly("audit");
        assertThatThrownBy(() -> admin.namespaces().grantPermission("perm/ns", "x", Set.of(AuthAction.PRODUCE), "p-"))
                .isInstanceOfSatisfying(TributaryClientException.class, e -> {
                    assertThat(e.reason()).isEqualTo(ErrorReason.INVALID_REQUEST);
                    assertThat(e.getMessage()).contains("consume only");
                });
        refused(() -> admin.namespaces().getPermissions("perm/missing"), NamespaceNotFoundException.class,
                ErrorReason.NAMESPACE_NOT_FOUND, "perm/missing");
        admin.tenants().setAdmins("perm", List.of("perm-admin"));
        refused(() -> admin.tenants().setAdmins("nope", List.of("x")), TenantNotFoundException.class,
                ErrorReason.TENANT_NOT_FOUND, "nope");
    }

    @Test
    void theCliGrantsListsAndRevokesPermissions() {
        assertThat(cli("tenants", "create", "permcli").code()).isZero();
        assertThat(cli("tenants", "set-admins", "permcli", "alice", "bob").out()).contains("admins of permcli: alice, bob");
        assertThat(cli("namespaces", "create", "permcli/ns").code()).isZero();
        CliRun granted = cli("namespaces", "grant", "permcli/ns", "--role", "app", "--actions", "produce,consume",
                "--subscription-prefix", "app-");
        assertThat(granted.code()).as(granted.err()).isZero();
        assertThat(cli("topics", "grant", "permcli/ns/t", "--role", "ops", "--actions", "admin").code()).isZero();
        assertThat(cli("namespaces", "permissions", "permcli/ns").out()).contains("app\tproduce,consume\tsubscription-prefix=app-");
        assertThat(cli("topics", "permissions", "permcli/ns/t").out()).contains("ops\tadmin");
        CliRun bad = cli("namespaces", "grant", "permcli/ns", "--role", "x", "--actions", "write");
        assertThat(bad.code()).isNotZero();
        assertThat(bad.err()).contains("unknown action 'write'");
        assertThat(cli("namespaces", "revoke", "permcli/ns", "--role", "app").out()).contains("revoked the grants of app");
        assertThat(cli("namespaces", "permissions", "permcli/ns").out()).contains("no grants");
        assertThat(cli("topics", "revoke", "permcli/ns/t", "--role", "nobody").out()).contains("nobody had no grant");
    }
}
