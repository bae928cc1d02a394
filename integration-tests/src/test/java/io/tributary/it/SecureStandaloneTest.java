package io.tributary.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.tributary.api.v1.EndTransactionRequest;
import io.tributary.api.v1.ErrorReason;
import io.tributary.api.v1.ListTransactionsRequest;
import io.tributary.api.v1.TransactionResolution;
import io.tributary.api.v1.TransactionServiceGrpc;
import io.tributary.cli.SecureSetup;
import io.tributary.cli.Standalone;
import io.tributary.client.Authentication;
import io.tributary.client.Consumer;
import io.tributary.client.Message;
import io.tributary.client.Producer;
import io.tributary.client.Schema;
import io.tributary.client.SubscriptionInitialPosition;
import io.tributary.client.TlsOptions;
import io.tributary.client.Transaction;
import io.tributary.client.TributaryClient;
import io.tributary.client.TributaryClientException;
import io.tributary.client.TributaryClientException.NotAuthenticatedException;
import io.tributary.client.TributaryClientException.NotAuthorizedException;
import io.tributary.client.admin.AuthAction;
import io.tributary.client.admin.TributaryAdmin;
import io.tributary.internal.v1.BrokerControlServiceGrpc;
import io.tributary.internal.v1.PrepareBundleRequest;
import io.tributary.it.observability.PrometheusServer;
import io.tributary.protocol.ErrorReasons;
import io.tributary.protocol.security.BearerCredentials;
import io.tributary.protocol.security.ClientTls;
import io.tributary.protocol.security.TlsFiles;
import io.tributary.security.auth.Tokens;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code standalone --secure} as a user meets it: the files it writes are all a client needs, and
 * without them (or with a role's token that lacks the permission) nothing gets through.
 */
class SecureStandaloneTest {
    @TempDir
    static Path dir;

    static SecureSetup setup;
    static Standalone.Options options;
    static Standalone standalone;
    static String tlsUrl;

    @BeforeAll
    static void start() throws Exception {
        setup = SecureSetup.prepare(dir.resolve("data"));
        options = TestClusters.options(dir.resolve("data").toFile(), UnaryOperator.identity());
        standalone = new Standalone(options.withSecurity(setup)).start();
        tlsUrl = "tls://localhost:" + standalone.proxyPort();
        CliRun tenant = cli("admin", "--client-config", clientProperties().toString(), "tenants", "create", "acme");
        assertThat(tenant.code()).as(tenant.err()).isZero();
        CliRun ns = cli("admin", "--client-config", clientProperties().toString(), "namespaces", "create", "acme/app");
        assertThat(ns.code()).as(ns.err()).isZero();
    }

    @AfterAll
    static void stop() {
        if (standalone != null) {
            standalone.close();
        }
    }

    private static Path clientProperties() {
        return setup.clientConfigFile();
    }

    private static CliRun cli(String... args) {
        return CliRun.of(args);
    }

    private static String token(String role, Duration expiry) {
        return Tokens.create(role, expiry, setup.secretKeyFile(), null, null);
    }

    private static TributaryClient client(String role) throws TributaryClientException {
        return TributaryClient.builder().serviceUrl(tlsUrl).tls(TlsOptions.trusting(setup.caFile()))
                .authentication(Authentication.token(token(role, null))).operationTimeout(Duration.ofSeconds(20)).build();
    }

    private static TributaryAdmin admin(Authentication auth) throws TributaryClientException {
        var builder = TributaryAdmin.builder().serviceUrl(tlsUrl).tls(TlsOptions.trusting(setup.caFile()))
                .operationTimeout(Duration.ofSeconds(20));
        return (auth == null ? builder : builder.authentication(auth)).build();
    }

    @Test
    void theWrittenClientSettingsAreASuperusersAndPointAtTheTlsPort() throws Exception {
        String text = Files.readString(clientProperties());
        assertThat(text).contains("serviceUrl=tls://localhost:" + standalone.proxyPort());
        CliRun tenants = cli("admin", "--client-config", clientProperties().toString(), "tenants", "list");
        assertThat(tenants.code()).as(tenants.err()).isZero();
        assertThat(tenants.out()).contains("acme", "public");
        CliRun brokers = cli("admin", "--client-config", clientProperties().toString(), "brokers", "list");
        assertThat(brokers.code()).as(brokers.err()).isZero();
        assertThat(brokers.out()).contains(standalone.broker().brokerId());
        // the secrets are the owner's alone
        for (Path secret : List.of(setup.adminTokenFile(), setup.secretKeyFile(), setup.keyFile())) {
            assertThat(Files.getPosixFilePermissions(secret)).as("%s", secret).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        }
    }

    @Test
    void aClientWithoutATokenIsRefusedAsUnauthenticated() throws Exception {
        try (TributaryAdmin anonymous = admin(null)) {
            assertThatThrownBy(() -> anonymous.tenants().list()).isInstanceOfSatisfying(NotAuthenticatedException.class,
                    e -> assertThat(e.getMessage()).contains("missing token"));
        }
        CliRun cli = cli("admin", "-u", tlsUrl, "--tls-ca", setup.caFile().toString(), "tenants", "list");
        assertThat(cli.code()).isNotZero();
        assertThat(cli.err()).contains("NOT_AUTHENTICATED");
    }

    @Test
    void aTokenSignedWithAnotherKeyIsRefused() throws Exception {
        Path otherKey = dir.resolve("other-secret.key");
        if (!Files.exists(otherKey)) {
            Tokens.createSecretKey(otherKey);
        }
        String forged = Tokens.create("admin", null, otherKey, null, null);
        try (TributaryAdmin admin = admin(Authentication.token(forged))) {
            assertThatThrownBy(() -> admin.tenants().list()).isInstanceOf(NotAuthenticatedException.class);
        }
    }

    @Test
    void plaintextAndUntrustingClientsGetNothingThrough() throws Exception {
        String adminToken = Files.readString(setup.adminTokenFile()).trim();
        // a plaintext client on the TLS port: the server closes every connection it opens
        try (TributaryAdmin plaintext = TributaryAdmin.builder().serviceUrl("localhost:" + standalone.proxyPort())
                .authentication(Authentication.token(adminToken)).operationTimeout(Duration.ofSeconds(3)).build()) {
            assertThatThrownBy(() -> plaintext.tenants().list()).isInstanceOf(TributaryClientException.class);
        }
        // a TLS client that does not trust the generated CA
        try (TributaryAdmin untrusting = TributaryAdmin.builder().serviceUrl(tlsUrl).tls(TlsOptions.systemTrust())
                .authentication(Authentication.token(adminToken)).operationTimeout(Duration.ofSeconds(3)).build()) {
            assertThatThrownBy(() -> untrusting.tenants().list()).isInstanceOf(TributaryClientException.class);
        }
    }

    @Test
    void eachRoleDoesOnlyWhatItWasGranted() throws Exception {
        try (TributaryAdmin superuser = admin(Authentication.tokenFile(setup.adminTokenFile()))) {
            superuser.namespaces().grantPermission("acme/app", "orders-in", Set.of(AuthAction.PRODUCE));
            superuser.namespaces().grantPermission("acme/app", "orders-out", Set.of(AuthAction.CONSUME), "billing-");
        }
        String topic = "acme/app/orders";
        try (TributaryClient producing = client("orders-in");
             TributaryClient consuming = client("orders-out")) {
            try (Producer<String> producer = producing.newProducer(Schema.STRING).topic(topic).create()) {
                producer.send("order-1");
            }
            assertThatThrownBy(() -> producing.newConsumer(Schema.STRING).topic(topic).subscriptionName("billing-1").subscribe())
                    .isInstanceOfSatisfying(NotAuthorizedException.class,
                            e -> assertThat(e.getMessage()).contains("role 'orders-in' may not consume"));
            assertThatThrownBy(() -> consuming.newProducer(Schema.STRING).topic(topic).create())
                    .isInstanceOfSatisfying(NotAuthorizedException.class,
                            e -> assertThat(e.getMessage()).contains("role 'orders-out' may not produce"));
            assertThatThrownBy(() -> consuming.newConsumer(Schema.STRING).topic(topic).subscriptionName("audit").subscribe())
                    .isInstanceOfSatisfying(NotAuthorizedException.class,
                            e -> assertThat(e.getMessage()).contains("only subscriptions starting with 'billing-'"));
            try (Consumer<String> consumer = consuming.newConsumer(Schema.STRING).topic(topic).subscriptionName("billing-1")
                    .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe()) {
                Message<String> m = consumer.receive(30, TimeUnit.SECONDS);
                assertThat(m).isNotNull();
                assertThat(m.getValue()).isEqualTo("order-1");
                consumer.acknowledge(m);
            }
        }
        try (TributaryAdmin consumerAdmin = admin(Authentication.token(token("orders-out", null)))) {
            assertThatThrownBy(() -> consumerAdmin.topics().delete(topic)).isInstanceOfSatisfying(NotAuthorizedException.class,
                    e -> assertThat(e.getMessage()).contains("may not delete topic"));
            assertThatThrownBy(() -> consumerAdmin.tenants().create("evil")).isInstanceOfSatisfying(NotAuthorizedException.class,
                    e -> assertThat(e.getMessage()).contains("needs a superuser role"));
        }
    }

    @Test
    void aRoleCommitsItsOwnTransactionsOnlyWhereItMayProduce() throws Exception {
        try (TributaryAdmin superuser = admin(Authentication.tokenFile(setup.adminTokenFile()))) {
            superuser.namespaces().grantPermission("acme/app", "txn-writer", Set.of(AuthAction.PRODUCE));
        }
        String topic = "acme/app/txn-orders";
        try (TributaryClient writer = client("txn-writer");
             TributaryClient stranger = client("txn-stranger");
             Producer<String> producer = writer.newProducer(Schema.STRING).topic(topic).create()) {
            Transaction txn = writer.newTransaction().build();
            producer.newMessage(txn).value("secured").send();
            // another role can neither commit nor roll back someone else's transaction
            assertThatThrownBy(() -> stranger.newProducer(Schema.STRING).topic(topic).create())
                    .isInstanceOf(NotAuthorizedException.class);
            String strangerToken = token("txn-stranger", null);
            ManagedChannel tls = ClientTls.apply(NettyChannelBuilder.forTarget("localhost:" + standalone.proxyPort()),
                    TlsFiles.trusting(setup.caFile())).build();
            try {
                TransactionServiceGrpc.TransactionServiceBlockingStub strangers = TransactionServiceGrpc.newBlockingStub(tls)
                        .withCallCredentials(new BearerCredentials(() -> strangerToken));
                assertThatThrownBy(() -> strangers.endTransaction(EndTransactionRequest.newBuilder().setTransactionId(txn.id())
                        .setResolution(TransactionResolution.TRANSACTION_RESOLUTION_ROLLBACK).build()))
                        .satisfies(e -> assertThat(ErrorReasons.detailOf(e).getReason()).isEqualTo(ErrorReason.NOT_AUTHORIZED));
                assertThatThrownBy(() -> strangers.listTransactions(ListTransactionsRequest.getDefaultInstance()))
                        .satisfies(e -> assertThat(ErrorReasons.detailOf(e).getReason()).isEqualTo(ErrorReason.NOT_AUTHORIZED));
            } finally {
                tls.shutdownNow();
            }
            txn.commit();
        }
        try (TributaryClient superClient = TributaryClient.builder().serviceUrl(tlsUrl).tls(TlsOptions.trusting(setup.caFile()))
                .authentication(Authentication.tokenFile(setup.adminTokenFile())).build();
             Consumer<String> consumer = superClient.newConsumer(Schema.STRING).topic(topic).subscriptionName("audit")
                     .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe()) {
            Message<String> m = consumer.receive(30, TimeUnit.SECONDS);
            assertThat(m).isNotNull();
            assertThat(m.getValue()).isEqualTo("secured");
        }
    }

    @Test
    void aTenantAdminRulesItsTenantAndNoOther() throws Exception {
        try (TributaryAdmin superuser = admin(Authentication.tokenFile(setup.adminTokenFile()))) {
            superuser.tenants().create("globex");
            superuser.tenants().setAdmins("acme", List.of("acme-ops"));
        }
        try (TributaryAdmin acmeOps = admin(Authentication.token(token("acme-ops", null)))) {
            acmeOps.namespaces().create("acme/ops-made");
            acmeOps.namespaces().grantPermission("acme/ops-made", "worker", Set.of(AuthAction.PRODUCE));
            assertThat(acmeOps.namespaces().list("acme")).contains("acme/ops-made");
            assertThatThrownBy(() -> acmeOps.namespaces().create("globex/taken")).isInstanceOfSatisfying(
                    NotAuthorizedException.class, e -> assertThat(e.getMessage()).contains("globex"));
            assertThatThrownBy(() -> acmeOps.tenants().list()).isInstanceOf(NotAuthorizedException.class);
        }
    }

    @Test
    void aTokenPastItsExpiryIsRefused() throws Exception {
        // signed with the right key, for the superuser, expired five minutes ago (beyond any allowed clock skew)
        byte[] secret = Base64.getDecoder().decode(Files.readString(setup.secretKeyFile()).trim());
        Instant now = Instant.now();
        SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), new JWTClaimsSet.Builder().subject("admin")
                .issueTime(Date.from(now.minus(Duration.ofHours(1)))).expirationTime(Date.from(now.minus(Duration.ofMinutes(5))))
                .build());
        jwt.sign(new MACSigner(secret));
        try (TributaryAdmin expired = admin(Authentication.token(jwt.serialize()))) {
            assertThatThrownBy(() -> expired.tenants().list()).isInstanceOfSatisfying(NotAuthenticatedException.class,
                    e -> assertThat(e.getMessage()).contains("token expired at"));
        }
    }

    @Test
    void theInternalListenerServesBrokersOnlyOverTls() throws Exception {
        PrepareBundleRequest prepare = PrepareBundleRequest.newBuilder().setNamespace("public/default")
                .setBundle("0x00000000_0x40000000").setTimeoutMs(100).build();
        String internal = standalone.broker().internalAddress();
        ManagedChannel tls = ClientTls.apply(NettyChannelBuilder.forTarget(internal), TlsFiles.trusting(setup.caFile())).build();
        try {
            // the superuser's token is not a broker's
            String adminToken = Files.readString(setup.adminTokenFile()).trim();
            assertThatThrownBy(() -> BrokerControlServiceGrpc.newBlockingStub(tls).withCallCredentials(new BearerCredentials(() -> adminToken))
                    .withDeadlineAfter(10, TimeUnit.SECONDS).prepareBundle(prepare))
                    .isInstanceOfSatisfying(StatusRuntimeException.class,
                            e -> assertThat(e.getStatus().getCode()).isIn(Status.Code.PERMISSION_DENIED, Status.Code.UNAUTHENTICATED));
            assertThatThrownBy(() -> BrokerControlServiceGrpc.newBlockingStub(tls).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .prepareBundle(prepare)).isInstanceOfSatisfying(StatusRuntimeException.class,
                            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));
        } finally {
            tls.shutdownNow();
        }
        ManagedChannel plaintext = NettyChannelBuilder.forTarget(internal).usePlaintext().build();
        try {
            assertThatThrownBy(() -> BrokerControlServiceGrpc.newBlockingStub(plaintext).withDeadlineAfter(5, TimeUnit.SECONDS)
                    .prepareBundle(prepare)).isInstanceOfSatisfying(StatusRuntimeException.class,
                            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
        } finally {
            plaintext.shutdownNow();
        }
    }

    @Test
    void prometheusScrapesEveryProcessOverHttpsTrustingTheCa() throws Exception {
        Map<String, List<Integer>> jobs = new LinkedHashMap<>();
        jobs.put("broker", standalone.brokers().stream().map(b -> b.metricsPort()).toList());
        jobs.put("proxy", List.of(standalone.proxyMetricsPort()));
        jobs.put("bookie", standalone.bookieMetricsPorts());
        jobs.put("zookeeper", List.of(standalone.zookeeperMetricsPort()));
        int targets = jobs.values().stream().mapToInt(List::size).sum();
        assertThat(jobs.values().stream().flatMap(List::stream)).as("every process serves metrics").allMatch(p -> p > 0);
        assertThat(standalone.metricsScheme()).isEqualTo("https");

        // plain HTTP to any of them is refused at once, not answered and not left hanging
        HttpClient plain = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        for (int port : jobs.values().stream().flatMap(List::stream).toList()) {
            assertThatThrownBy(() -> plain.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString()))
                    .as("plain HTTP to port %s", port).isInstanceOf(IOException.class)
                    .isNotInstanceOf(HttpTimeoutException.class);
        }

        Path prometheusDir = Files.createDirectories(dir.resolve("prometheus"));
        try (PrometheusServer prometheus = PrometheusServer.start(prometheusDir, jobs, List.of(), setup.caFile())) {
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
                JsonNode up = prometheus.query("up");
                String log = prometheus.log();
                assertThat(up).as("up of every target (Prometheus log: %s)", log).hasSize(targets);
                for (JsonNode series : up) {
                    assertThat(series.path("value").get(1).asText()).as("up of %s (Prometheus log: %s)", series.path("metric"), log)
                            .isEqualTo("1");
                }
            });
            // real scrapes: each target gave its metrics, the JVM's at least
            assertThat(prometheus.query("count(jvm_memory_bytes_used{area=\"heap\"})").get(0).path("value").get(1).asText())
                    .isEqualTo(String.valueOf(targets));
        }
    }

    @Test
    void zooKeeperTakesNoPlaintextClient() throws Exception {
        assertThat(TestClusters.plaintextZooKeeperClientConnects(standalone.zookeeperConnect())).isFalse();
    }

    @Test
    void aRestartOnTheSameDataKeepsTheCaAndTheTokensAClientWasGiven() throws Exception {
        String ca = Files.readString(setup.caFile());
        String adminToken = Files.readString(setup.adminTokenFile()).trim();
        standalone.close();
        setup = SecureSetup.prepare(dir.resolve("data"));
        standalone = new Standalone(options.withSecurity(setup)).start();
        assertThat(Files.readString(setup.caFile())).isEqualTo(ca);
        try (TributaryAdmin admin = admin(Authentication.token(adminToken))) {
            assertThat(admin.tenants().list()).contains("acme");
        }
    }
}
