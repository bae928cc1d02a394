package io.tributary.broker.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.tributary.api.v1.AuthAction;
import io.tributary.api.v1.ErrorReason;
import io.tributary.api.v1.NamespacePolicies;
import io.tributary.broker.namespace.NamespaceService;
import io.tributary.protocol.TopicName;
import io.tributary.protocol.TributaryException;
import io.tributary.security.auth.Principal;
import io.tributary.storage.StorageClients;
import io.tributary.storage.embedded.EmbeddedZooKeeper;
import io.tributary.storage.meta.MetadataPaths;
import io.tributary.storage.meta.MetadataStore;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.cache.ChildData;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The authorization rules over a real ZooKeeper: grants written by {@link GrantStore} reach a
 * second {@link AuthorizationService} (another broker) through its watch on {@code /policies}.
 */
class AuthorizationServiceTest {
    @TempDir
    static Path dir;
    static EmbeddedZooKeeper zk;
    static CuratorFramework writer;
    static CuratorFramework reader;
    static CuratorCache watch;
    static NamespaceService namespaces;
    static GrantStore store;
    static AuthorizationService auth;

    @BeforeAll
    static void start() throws Exception {
        zk = EmbeddedZooKeeper.start(dir.resolve("zk").toFile(), "127.0.0.1", 0);
        writer = StorageClients.curator(zk.connectString(), "/tributary", Duration.ofSeconds(10));
        reader = StorageClients.curator(zk.connectString(), "/tributary", Duration.ofSeconds(10));
        MetadataStore metadata = new MetadataStore(writer);
        namespaces = new NamespaceService(metadata, 4);
        store = new GrantStore(metadata);
        namespaces.createTenant("acme", List.of("acme-admin")).join();
        namespaces.createTenant("other", List.of("other-admin")).join();
        namespaces.createNamespace("acme/orders", 0).join();
        namespaces.createNamespace("acme/billing", 0).join();
        namespaces.createNamespace("other/ns", 0).join();
        auth = new AuthorizationService(AuthorizationConfig.enabled(Set.of("root")));
        watch = CuratorCache.build(reader, MetadataPaths.POLICIES);
        watch.listenable().addListener(auth.listener());
        watch.start();
        auth.whenLoaded().get();
    }

    @AfterAll
    static void stop() {
        watch.close();
        reader.close();
        writer.close();
        zk.close();
    }

    private static Principal role(String r) {
        return Principal.of(r);
    }

    private static TopicName topic(String t) {
        return TopicName.of(t);
    }

    private static boolean mayProduce(String role, String t) {
        return auth.whyNotTopic(role(role), topic(t), MethodPermissions.PRODUCE, null, "produce on") == null;
    }

    private static boolean mayConsume(String role, String t, String subscription) {
        return auth.whyNotTopic(role(role), topic(t), MethodPermissions.CONSUME, subscription, "consume from") == null;
    }

    @Test
    void aNamespaceGrantCoversEveryTopicOfTheNamespaceAndOnlyItsActions() {
        store.grant(GrantStore.Resource.of("acme/orders", null), "writer", EnumSet.of(AuthAction.PRODUCE), "").join();
        await().atMost(Duration.ofSeconds(10)).until(() -> mayProduce("writer", "acme/orders/a"));
        assertThat(mayProduce("writer", "acme/orders/b-partition-3")).isTrue();
        assertThat(mayConsume("writer", "acme/orders/a", "s")).isFalse();
        assertThat(mayProduce("writer", "acme/billing/a")).isFalse();
        assertThat(auth.whyNotNamespace(role("writer"), "acme/orders", MethodPermissions.ADMIN, "change the policies of"))
                .contains("needs admin on acme/orders");
    }

    @Test
    void aTopicGrantCoversTheTopicAndItsPartitionsButNotItsNamespace() {
        store.grant(GrantStore.Resource.of(null, "persistent://acme/orders/events"), "reader", EnumSet.of(AuthAction.CONSUME), "")
                .join();
        await().atMost(Duration.ofSeconds(10)).until(() -> mayConsume("reader", "acme/orders/events", "s"));
        assertThat(mayConsume("reader", "acme/orders/events-partition-0", "s")).isTrue();
        assertThat(mayConsume("reader", "acme/orders/events2", "s")).isFalse();
        assertThat(auth.whyNotNamespace(role("reader"), "acme/orders", MethodPermissions.ANY, "list the topics of"))
                .isEqualTo("role 'reader' may not list the topics of (needs produce, consume or admin on acme/orders, "
                        + "or to be an admin of tenant acme)");
        assertThat(store.grants(GrantStore.Resource.of(null, "acme/orders/events")).join())
                .singleElement().satisfies(g -> assertThat(g.getTopic()).isEqualTo("acme/orders/events"));
        assertThat(store.grants(GrantStore.Resource.of("acme/orders", null)).join()).noneMatch(g -> g.getRole().equals("reader"));
    }

    @Test
    void aConsumeGrantWithAPrefixCoversOnlySubscriptionsStartingWithIt() {
        store.grant(GrantStore.Resource.of("acme/billing", null), "team-a", EnumSet.of(AuthAction.CONSUME), "team-a-").join();
        await().atMost(Duration.ofSeconds(10)).until(() -> mayConsume("team-a", "acme/billing/x", "team-a-audit"));
        assertThat(mayConsume("team-a", "acme/billing/x", "team-b-audit")).isFalse();
        assertThat(auth.whyNotTopic(role("team-a"), topic("acme/billing/x"), MethodPermissions.CONSUME, "team-b-audit",
                "consume subscription 'team-b-audit' of"))
                .contains("may not consume subscription 'team-b-audit' of topic acme/billing/x")
                .contains("cover only subscriptions starting with 'team-a-'");
        // no subscription involved (a lookup): the grant still counts
        assertThat(auth.whyNotTopic(role("team-a"), topic("acme/billing/x"), MethodPermissions.ANY, null, "look up")).isNull();
    }

    @Test
    void theBrokerThatWritesAGrantAppliesItAtOnceAndALateWatchEventDoesNotUndoIt() throws Exception {
        // a second broker's service, fed only by its own writes: no watch delivers anything to it
        AuthorizationService own = new AuthorizationService(AuthorizationConfig.enabled(Set.of("root")));
        GrantStore writing = new GrantStore(new MetadataStore(writer), own::written);
        GrantStore.Resource ns = GrantStore.Resource.of("acme/billing", null);
        writing.grant(ns, "at-once", EnumSet.of(AuthAction.PRODUCE), "").join();
        assertThat(own.whyNotTopic(role("at-once"), topic("acme/billing/x"), MethodPermissions.PRODUCE, null, "produce on")).isNull();

        // the watch then delivers that same change late, then the older record: neither undoes the write
        String path = MetadataPaths.namespace("acme/billing");
        org.apache.zookeeper.data.Stat stat = new org.apache.zookeeper.data.Stat();
        byte[] current = writer.getData().storingStatIn(stat).forPath(path);
        io.tributary.internal.v1.NamespacePolicies older = io.tributary.internal.v1.NamespacePolicies.parseFrom(current).toBuilder().clearGrants().build();
        org.apache.zookeeper.data.Stat olderStat = new org.apache.zookeeper.data.Stat();
        olderStat.setVersion(stat.getVersion() - 1);
        own.listener().event(CuratorCacheListener.Type.NODE_CHANGED, null, new ChildData(path, stat, current));
        own.listener().event(CuratorCacheListener.Type.NODE_CHANGED, null, new ChildData(path, olderStat, older.toByteArray()));
        assertThat(own.whyNotTopic(role("at-once"), topic("acme/billing/x"), MethodPermissions.PRODUCE, null, "produce on")).isNull();

        assertThat(writing.revoke(ns, "at-once").join()).isTrue();
        assertThat(own.whyNotTopic(role("at-once"), topic("acme/billing/x"), MethodPermissions.PRODUCE, null, "produce on"))
                .contains("may not produce on");
    }

    @Test
    void aGrantReplacesTheRolesPreviousOneAndARevokeRemovesIt() {
        GrantStore.Resource ns = GrantStore.Resource.of("acme/orders", null);
        store.grant(ns, "flip", EnumSet.of(AuthAction.PRODUCE), "").join();
        await().atMost(Duration.ofSeconds(10)).until(() -> mayProduce("flip", "acme/orders/a"));
        store.grant(ns, "flip", EnumSet.of(AuthAction.CONSUME), "").join();
        await().atMost(Duration.ofSeconds(10)).until(() -> !mayProduce("flip", "acme/orders/a"));
        assertThat(mayConsume("flip", "acme/orders/a", "s")).isTrue();
        assertThat(store.revoke(ns, "flip").join()).isTrue();
        await().atMost(Duration.ofSeconds(10)).until(() -> !mayConsume("flip", "acme/orders/a", "s"));
        assertThat(store.revoke(ns, "flip").join()).isFalse();
    }

    @Test
    void tenantAdminsAdministerTheirTenantOnlyAndSuperusersEverything() {
        assertThat(auth.whyNotTenantAdmin(role("acme-admin"), "acme", "create namespace acme/x")).isNull();
        assertThat(mayProduce("acme-admin", "acme/orders/a")).isTrue();
        assertThat(auth.whyNotTenantAdmin(role("acme-admin"), "other", "create namespace other/x"))
                .isEqualTo("role 'acme-admin' may not create namespace other/x (needs to be an admin of tenant other or a superuser)");
        assertThat(mayConsume("acme-admin", "other/ns/t", "s")).isFalse();
        assertThat(auth.whyNotSuperUser(role("acme-admin"), "list brokers")).contains("needs a superuser role");
        assertThat(auth.whyNotSuperUser(role("root"), "list brokers")).isNull();
        assertThat(auth.whyNotTenantAdmin(role("root"), "other", "delete namespace other/ns")).isNull();
        assertThat(mayConsume("root", "other/ns/t", "s")).isTrue();
    }

    @Test
    void newTenantAdminsApplyWithoutRestart() {
        namespaces.createTenant("later", List.of()).join();
        await().atMost(Duration.ofSeconds(10)).until(() -> auth.whyNotSuperUser(role("root"), "x") == null
                && auth.whyNotTenantAdmin(role("late-admin"), "later", "x") != null);
        store.setTenantAdmins("later", List.of("late-admin")).join();
        await().atMost(Duration.ofSeconds(10)).until(() -> auth.whyNotTenantAdmin(role("late-admin"), "later", "x") == null);
        store.setTenantAdmins("later", List.of()).join();
        await().atMost(Duration.ofSeconds(10)).until(() -> auth.whyNotTenantAdmin(role("late-admin"), "later", "x") != null);
        assertThatThrownBy(() -> store.setTenantAdmins("missing", List.of("x")).join())
                .hasRootCauseInstanceOf(TributaryException.class).rootCause().hasMessageContaining("tenant missing does not exist");
    }

    @Test
    void concurrentGrantsAndPolicyChangesAreAllKept() {
        namespaces.createNamespace("acme/busy", 0).join();
        GrantStore.Resource ns = GrantStore.Resource.of("acme/busy", null);
        List<CompletableFuture<?>> writes = new java.util.ArrayList<>();
        IntStream.range(0, 10).forEach(i -> writes.add(store.grant(ns, "r" + i, EnumSet.of(AuthAction.PRODUCE), "")));
        writes.add(namespaces.setPolicies("acme/busy", NamespacePolicies.newBuilder().setMessageTtlSeconds(60).build(), List.of()));
        CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new)).join();
        assertThat(store.grants(ns).join()).hasSize(10);
        assertThat(namespaces.setPolicies("acme/busy", NamespacePolicies.getDefaultInstance(), List.of()).join().getMessageTtlSeconds())
                .isEqualTo(60);
        await().atMost(Duration.ofSeconds(10)).until(() -> IntStream.range(0, 10).allMatch(i -> mayProduce("r" + i, "acme/busy/t")));
    }

    @Test
    void badGrantsAreRefusedWithTheReason() {
        GrantStore.Resource ns = GrantStore.Resource.of("acme/orders", null);
        assertThatThrownBy(() -> store.grant(ns, "x", EnumSet.of(AuthAction.PRODUCE), "p-"))
                .hasMessageContaining("subscription prefix applies to consume only");
        assertThatThrownBy(() -> store.grant(ns, " ", EnumSet.of(AuthAction.PRODUCE), "")).hasMessageContaining("a role is required");
        assertThatThrownBy(() -> store.grant(ns, "x", EnumSet.noneOf(AuthAction.class), "")).hasMessageContaining("at least one action");
        assertThatThrownBy(() -> store.grant(GrantStore.Resource.of("acme/none", null), "x", EnumSet.of(AuthAction.PRODUCE), "").join())
                .rootCause().isInstanceOfSatisfying(TributaryException.class,
                        e -> assertThat(e.reason()).isEqualTo(ErrorReason.NAMESPACE_NOT_FOUND));
    }
}
