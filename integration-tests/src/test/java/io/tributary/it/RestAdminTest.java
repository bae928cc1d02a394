package io.tributary.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tributary.cli.SecureSetup;
import io.tributary.cli.Standalone;
import io.tributary.security.auth.Tokens;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The REST admin API (docs/administration.md, section rest) on a secure standalone cluster (TLS, tokens,
 * authorization), through the proxy's HTTPS port and on a broker's own: the same operations, errors and
 * refusals as over gRPC.
 */
class RestAdminTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;

    static SecureSetup setup;
    static Standalone standalone;
    static HttpClient http;
    static String proxy;
    static String admin;

    @BeforeAll
    static void start() throws Exception {
        setup = SecureSetup.prepare(dir.resolve("data"));
        Standalone.Options options = TestClusters.options(dir.resolve("data").toFile(), c -> c.toBuilder().httpPort(0).build())
                .withHttpPort(0);
        standalone = new Standalone(options.withSecurity(setup)).start();
        http = HttpClient.newBuilder().sslContext(trusting(setup.caFile())).connectTimeout(Duration.ofSeconds(10)).build();
        proxy = "https://localhost:" + URI.create(standalone.proxyRestUrl()).getPort();
        admin = Files.readString(setup.adminTokenFile()).strip();
    }

    @AfterAll
    static void stop() {
        if (standalone != null) {
            standalone.close();
        }
    }

    private static SSLContext trusting(Path caFile) throws Exception {
        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        store.load(null, null);
        try (InputStream in = Files.newInputStream(caFile)) {
            int i = 0;
            for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                store.setCertificateEntry("ca" + i++, c);
            }
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(store);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }

    record Reply(int status, JsonNode body, HttpResponse<String> raw) {}

    private static Reply call(String base, String method, String path, String body, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
        return new Reply(r.statusCode(), JSON.readTree(r.body()), r);
    }

    private static Reply call(String method, String path, String body) throws Exception {
        return call(proxy, method, path, body, admin);
    }

    @Test
    void tenantNamespaceTopicPoliciesStatsAndBrokers() throws Exception {
        Reply tenant = call("POST", "/admin/v1/tenants", "{\"tenant\": \"rest\", \"adminRoles\": [\"ops\"]}");
        assertThat(tenant.status()).as(tenant.raw().body()).isEqualTo(200);
        assertThat(call("GET", "/admin/v1/tenants", null).body().get("tenants")).extracting(JsonNode::asText).contains("rest");
        assertThat(call("POST", "/admin/v1/namespaces/rest/app", "{\"bundles\": 2}").status()).isEqualTo(200);
        assertThat(call("GET", "/admin/v1/tenants/rest/namespaces", null).body().get("namespaces"))
                .extracting(JsonNode::asText).containsExactly("rest/app");
        assertThat(call("POST", "/admin/v1/topics/rest/app/orders", "{}").status()).isEqualTo(200);
        assertThat(call("GET", "/admin/v1/namespaces/rest/app/topics", null).body().get("topics").toString())
                .contains("rest/app/orders");

        Reply set = call("PATCH", "/admin/v1/namespaces/rest/app/policies",
                "{\"policies\": {\"messageTtlSeconds\": \"3600\", \"retentionTimeSeconds\": 7200}}");
        assertThat(set.status()).as(set.raw().body()).isEqualTo(200);
        Reply get = call("GET", "/admin/v1/namespaces/rest/app/policies", null);
        assertThat(get.body().get("messageTtlSeconds").asLong()).isEqualTo(3600);
        assertThat(get.body().get("retentionTimeSeconds").asLong()).isEqualTo(7200);

        Reply stats = call("GET", "/admin/v1/topics/rest/app/orders/stats", null);
        assertThat(stats.status()).as(stats.raw().body()).isEqualTo(200);
        assertThat(stats.body().get("topic").asText()).contains("rest/app/orders");
        assertThat(stats.body().has("msgInTotal")).as("fields with default values are written too").isTrue();

        Reply brokers = call("GET", "/admin/v1/brokers", null);
        assertThat(brokers.body().get("brokers").get(0).get("brokerId").asText()).isEqualTo(standalone.broker().brokerId());

        // the same operation on the broker's own REST port
        String broker = "https://localhost:" + standalone.broker().httpPort();
        Reply direct = call(broker, "GET", "/admin/v1/namespaces/rest/app/policies", null, admin);
        assertThat(direct.status()).isEqualTo(200);
        assertThat(direct.body().get("messageTtlSeconds").asLong()).isEqualTo(3600);
        assertThat(call(broker, "GET", "/admin/v1/tenants", null, null).status()).isEqualTo(401);
    }

    @Test
    void errorsCarryTheHttpStatusAndTheReason() throws Exception {
        Reply missing = call("GET", "/admin/v1/topics/public/default/nope/stats", null);
        assertThat(missing.status()).isEqualTo(404);
        assertThat(missing.body().get("reason").asText()).isEqualTo("TOPIC_NOT_FOUND");
        assertThat(missing.body().get("status").asText()).isEqualTo("NOT_FOUND");
        assertThat(missing.body().get("code").asInt()).isEqualTo(404);
        assertThat(missing.body().get("message").asText()).isNotBlank();

        assertThat(call("POST", "/admin/v1/tenants", "{\"tenant\": \"twice\"}").status()).isEqualTo(200);
        Reply twice = call("POST", "/admin/v1/tenants", "{\"tenant\": \"twice\"}");
        assertThat(twice.status()).isEqualTo(409);
        assertThat(twice.body().get("status").asText()).isEqualTo("ALREADY_EXISTS");
        assertThat(twice.body().get("reason").asText()).isEqualTo("TENANT_ALREADY_EXISTS");

        Reply partitions = call("POST", "/admin/v1/topics/public/default/bad", "{\"partitions\": -1}");
        assertThat(partitions.status()).isEqualTo(400);
        assertThat(partitions.body().get("reason").asText()).isEqualTo("INVALID_REQUEST");
        assertThat(partitions.body().get("message").asText()).contains("partitions");

        Reply unknownField = call("POST", "/admin/v1/tenants", "{\"tenant\": \"x\", \"colour\": \"red\"}");
        assertThat(unknownField.status()).isEqualTo(400);
        assertThat(unknownField.body().get("reason").asText()).isEqualTo("INVALID_REQUEST");
        assertThat(unknownField.body().get("message").asText()).contains("colour");

        Reply malformed = call("POST", "/admin/v1/tenants", "{\"tenant\": ");
        assertThat(malformed.status()).isEqualTo(400);
        assertThat(malformed.body().get("message").asText()).startsWith("malformed JSON body");

        Reply badQuery = call("GET", "/admin/v1/deadletters?colour=red", null);
        assertThat(badQuery.status()).isEqualTo(400);
        assertThat(badQuery.body().get("message").asText()).contains("colour");

        Reply wrongMethod = call("PUT", "/admin/v1/tenants", "{}");
        assertThat(wrongMethod.status()).isEqualTo(405);
        assertThat(wrongMethod.raw().headers().firstValue("Allow")).hasValue("GET, POST");

        Reply noSuchPath = call("GET", "/admin/v1/nothing/here", null);
        assertThat(noSuchPath.status()).isEqualTo(404);
        assertThat(noSuchPath.body().has("reason")).isFalse();

        String big = "{\"tenant\": \"" + "x".repeat(1024 * 1024) + "\"}";
        HttpResponse<String> tooLarge = http.send(HttpRequest.newBuilder(URI.create(proxy + "/admin/v1/tenants"))
                .expectContinue(true).header("Authorization", "Bearer " + admin)
                .POST(HttpRequest.BodyPublishers.ofString(big)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(tooLarge.statusCode()).isEqualTo(413);
        assertThat(JSON.readTree(tooLarge.body()).get("message").asText()).contains("1048576");
    }

    @Test
    void authenticatedAndAuthorizedAsOverGrpc() throws Exception {
        Reply anonymous = call(proxy, "GET", "/admin/v1/tenants", null, null);
        assertThat(anonymous.status()).isEqualTo(401);
        assertThat(anonymous.body().get("reason").asText()).isEqualTo("NOT_AUTHENTICATED");

        assertThat(call(proxy, "GET", "/admin/v1/tenants", null, "not-a-token").status()).isEqualTo(401);

        String alice = Tokens.create("alice", null, setup.secretKeyFile(), null, null);
        Reply denied = call(proxy, "POST", "/admin/v1/tenants", "{\"tenant\": \"alices\"}", alice);
        assertThat(denied.status()).isEqualTo(403);
        assertThat(denied.body().get("reason").asText()).isEqualTo("NOT_AUTHORIZED");
        assertThat(denied.body().get("message").asText()).contains("alice");

        assertThat(call(proxy, "POST", "/admin/v1/tenants", "{\"tenant\": \"admins\"}", admin).status()).isEqualTo(200);
    }

    @Test
    void theOpenApiDocumentIsServedAsCheckedIn() throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(proxy + "/admin/v1/openapi.json")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo(Files.readString(Path.of("../docs/openapi.json")));
    }
}
