package io.tributary.security.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.PlainHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import io.grpc.Status;
import io.tributary.protocol.config.Settings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Token authentication as a client of a real gRPC server sees it. */
class AuthenticationInterceptorTest {
    @TempDir
    Path dir;
    private final List<AutoCloseable> resources = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable r : resources) {
            r.close();
        }
    }

    private AuthenticationSettings settings(String... keysAndValues) {
        Properties p = new Properties();
        p.setProperty("broker.authentication.enabled", "true");
        for (int i = 0; i < keysAndValues.length; i += 2) {
            p.setProperty("broker.authentication." + keysAndValues[i], keysAndValues[i + 1]);
        }
        return AuthenticationSettings.from(new Settings(p, Map.of()), "broker.authentication");
    }

    private WhoAmIServer serve(AuthenticationInterceptor interceptor) {
        WhoAmIServer server = new WhoAmIServer(interceptor);
        resources.add(server);
        return server;
    }

    private WhoAmIServer serve(AuthenticationSettings settings) {
        return serve(AuthenticationInterceptor.create(settings));
    }

    private IdentityProvider identityProvider() {
        IdentityProvider idp = new IdentityProvider();
        resources.add(idp);
        return idp;
    }

    private Path secretKey() {
        Path key = dir.resolve("secret-" + System.nanoTime() + ".key");
        Tokens.createSecretKey(key);
        return key;
    }

    /** A token with {@code claims}, signed HS256 with the secret in {@code key}. */
    private static String hs256(Path key, JWTClaimsSet claims) throws Exception {
        SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims);
        jwt.sign(new MACSigner(KeyFiles.readSecret(key)));
        return jwt.serialize();
    }

    private static Date in(Duration d) {
        return Date.from(Instant.now().plus(d));
    }

    private static void assertRefused(Status status, Status.Code code, String reason) {
        assertThat(status.getCode()).isEqualTo(code);
        assertThat(status.getDescription()).contains(reason);
    }

    @Test
    void aTokenSignedWithTheSecretKeyIsAccepted() {
        Path key = secretKey();
        WhoAmIServer server = serve(settings("secretKeyFile", key.toString()));
        assertThat(server.whoAmI(Tokens.create("alice", Duration.ofHours(1), key, null, null)))
                .isEqualTo("role=alice caller=alice");
    }

    @Test
    void aTokenSignedWithAnRsaKeyIsAccepted() {
        Tokens.createKeyPair("RS256", dir.resolve("rsa.key"), dir.resolve("rsa.pub"));
        WhoAmIServer server = serve(settings("publicKeyFile", dir.resolve("rsa.pub").toString()));
        assertThat(server.whoAmI(Tokens.create("bob", null, dir.resolve("rsa.key"), null, null)))
                .isEqualTo("role=bob caller=bob");
    }

    @Test
    void aTokenSignedWithAnEcKeyIsAccepted() {
        Tokens.createKeyPair("ES256", dir.resolve("ec.key"), dir.resolve("ec.pub"));
        WhoAmIServer server = serve(settings("publicKeyFile", dir.resolve("ec.pub").toString()));
        assertThat(server.whoAmI(Tokens.create("carol", Duration.ofMinutes(5), dir.resolve("ec.key"), null, null)))
                .isEqualTo("role=carol caller=carol");
    }

    @Test
    void theClientsBearerCredentialsSendTheirCurrentToken() {
        Path key = secretKey();
        WhoAmIServer server = serve(settings("secretKeyFile", key.toString()));
        java.util.concurrent.atomic.AtomicReference<String> current =
                new java.util.concurrent.atomic.AtomicReference<>(Tokens.create("alice", Duration.ofMinutes(5), key, null, null));
        io.tributary.protocol.security.BearerCredentials credentials = new io.tributary.protocol.security.BearerCredentials(current::get);
        assertThat(server.whoAmIWith(credentials)).isEqualTo("role=alice caller=alice");
        current.set(Tokens.create("alice-renewed", Duration.ofMinutes(5), key, null, null));
        assertThat(server.whoAmIWith(credentials)).isEqualTo("role=alice-renewed caller=alice-renewed");
    }

    @Test
    void aMissingTokenIsRefusedWithUnauthenticated() {
        WhoAmIServer server = serve(settings("secretKeyFile", secretKey().toString()));
        assertRefused(server.refusal(null), Status.Code.UNAUTHENTICATED, "missing token");
    }

    @Test
    void aMalformedTokenIsRefusedSayingSo() {
        WhoAmIServer server = serve(settings("secretKeyFile", secretKey().toString()));
        assertRefused(server.refusal("not-a-jwt"), Status.Code.UNAUTHENTICATED, "malformed token");
    }

    @Test
    void anExpiredTokenIsRefusedSayingItExpired() throws Exception {
        Path key = secretKey();
        WhoAmIServer server = serve(settings("secretKeyFile", key.toString()));
        Date expiry = Date.from(Instant.now().minus(Duration.ofMinutes(2)).truncatedTo(java.time.temporal.ChronoUnit.SECONDS));
        String token = hs256(key, new JWTClaimsSet.Builder().subject("alice").expirationTime(expiry).build());
        assertRefused(server.refusal(token), Status.Code.UNAUTHENTICATED, "token expired at " + expiry.toInstant());
    }

    @Test
    void aTokenNotYetValidIsRefused() throws Exception {
        Path key = secretKey();
        WhoAmIServer server = serve(settings("secretKeyFile", key.toString()));
        String token = hs256(key, new JWTClaimsSet.Builder().subject("alice").notBeforeTime(in(Duration.ofMinutes(5))).build());
        assertRefused(server.refusal(token), Status.Code.UNAUTHENTICATED, "not yet valid");
    }

    @Test
    void aTokenSignedWithAnotherKeyIsRefused() {
        WhoAmIServer server = serve(settings("secretKeyFile", secretKey().toString()));
        String forged = Tokens.create("admin", Duration.ofHours(1), secretKey(), null, null);
        assertRefused(server.refusal(forged), Status.Code.UNAUTHENTICATED, "bad signature");
    }

    @Test
    void anUnsignedTokenIsRefused() {
        WhoAmIServer server = serve(settings("secretKeyFile", secretKey().toString()));
        String unsigned = new PlainJWT(new PlainHeader(), new JWTClaimsSet.Builder().subject("admin").build()).serialize();
        assertRefused(server.refusal(unsigned), Status.Code.UNAUTHENTICATED, "unsupported token algorithm none");
    }

    @Test
    void aTokenMacedWithThePublicKeyIsRefused() throws Exception {
        // The classic algorithm confusion: HS256 with the (public!) RSA key's bytes as the secret.
        Tokens.createKeyPair("RS256", dir.resolve("rsa.key"), dir.resolve("rsa.pub"));
        WhoAmIServer server = serve(settings("publicKeyFile", dir.resolve("rsa.pub").toString()));
        SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), new JWTClaimsSet.Builder().subject("admin").build());
        jwt.sign(new MACSigner(Files.readAllBytes(dir.resolve("rsa.pub"))));
        assertRefused(server.refusal(jwt.serialize()), Status.Code.UNAUTHENTICATED, "unsupported token algorithm HS256");
    }

    @Test
    void aTokenForAnotherAudienceIsRefused() {
        Path key = secretKey();
        WhoAmIServer server = serve(settings("secretKeyFile", key.toString(), "audience", "tributary"));
        assertThat(server.whoAmI(Tokens.create("alice", Duration.ofHours(1), key, null, "tributary"))).isEqualTo("role=alice caller=alice");
        assertRefused(server.refusal(Tokens.create("alice", Duration.ofHours(1), key, null, "billing")),
                Status.Code.UNAUTHENTICATED, "wrong token audience [billing]");
        assertRefused(server.refusal(Tokens.create("alice", Duration.ofHours(1), key, null, null)),
                Status.Code.UNAUTHENTICATED, "wrong token audience (none)");
    }

    @Test
    void aTokenFromAnotherIssuerIsRefused() {
        Path key = secretKey();
        WhoAmIServer server = serve(settings("secretKeyFile", key.toString(), "issuer", "https://auth.example.com"));
        assertThat(server.whoAmI(Tokens.create("alice", null, key, "https://auth.example.com", null))).isEqualTo("role=alice caller=alice");
        assertRefused(server.refusal(Tokens.create("alice", null, key, "https://evil.example.com", null)),
                Status.Code.UNAUTHENTICATED, "wrong token issuer 'https://evil.example.com'");
    }

    @Test
    void aTokenWithoutTheRoleClaimIsRefused() throws Exception {
        Path key = secretKey();
        WhoAmIServer server = serve(settings("secretKeyFile", key.toString()));
        String token = hs256(key, new JWTClaimsSet.Builder().claim("scope", "everything").expirationTime(in(Duration.ofHours(1))).build());
        assertRefused(server.refusal(token), Status.Code.UNAUTHENTICATED, "no role claim");
    }

    @Test
    void theRoleComesFromTheConfiguredClaim() throws Exception {
        Path key = secretKey();
        WhoAmIServer server = serve(settings("secretKeyFile", key.toString(), "roleClaim", "tributary_role"));
        String token = hs256(key, new JWTClaimsSet.Builder().subject("user-8841").claim("tributary_role", "payments").build());
        assertThat(server.whoAmI(token)).isEqualTo("role=payments caller=payments");
        String withoutIt = hs256(key, new JWTClaimsSet.Builder().subject("user-8841").build());
        assertRefused(server.refusal(withoutIt), Status.Code.UNAUTHENTICATED, "no string claim 'tributary_role'");
    }

    @Test
    void aTokenFromTheOidcIssuerIsAcceptedThroughItsJwks() {
        IdentityProvider idp = identityProvider();
        WhoAmIServer server = serve(settings("oidcIssuerUrl", idp.issuer()));
        assertThat(server.whoAmI(idp.token("dave"))).isEqualTo("role=dave caller=dave");
        // Its keys, but another issuer's name: the issuer of the discovery document is required.
        String other = idp.sign(new JWTClaimsSet.Builder().subject("dave").issuer("https://elsewhere.example.com").build());
        assertRefused(server.refusal(other), Status.Code.UNAUTHENTICATED, "wrong token issuer");
    }

    @Test
    void aKeyRotatedAtTheIdentityProviderIsPickedUp() {
        IdentityProvider idp = identityProvider();
        WhoAmIServer server = serve(settings("jwksUrl", idp.jwksUrl()));
        assertThat(server.whoAmI(idp.token("erin"))).isEqualTo("role=erin caller=erin");
        String oldKeysToken = idp.token("erin");

        idp.rotate("key-2", JWSAlgorithm.ES256);

        assertThat(server.whoAmI(idp.token("frank"))).isEqualTo("role=frank caller=frank");
        int fetches = idp.jwksFetches.get();
        for (int i = 0; i < 5; i++) {
            assertThat(server.whoAmI(idp.token("frank"))).isEqualTo("role=frank caller=frank");
        }
        assertThat(idp.jwksFetches.get()).as("known keys come from the cache").isEqualTo(fetches);
        assertRefused(server.refusal(oldKeysToken), Status.Code.UNAUTHENTICATED, "'key-1' is unknown");
    }

    @Test
    void aKeyWithdrawnByTheIdentityProviderIsRefusedAfterTheRefreshInterval() {
        IdentityProvider idp = identityProvider();
        WhoAmIServer server = serve(settings("oidcIssuerUrl", idp.issuer(), "jwksRefreshInterval", "10s"));
        String withdrawn = idp.token("erin");
        assertThat(server.whoAmI(withdrawn)).isEqualTo("role=erin caller=erin");

        idp.rotate("key-2", JWSAlgorithm.RS256);

        await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                assertRefused(server.refusal(withdrawn), Status.Code.UNAUTHENTICATED, "'key-1' is unknown"));
        assertThat(server.whoAmI(idp.token("erin"))).isEqualTo("role=erin caller=erin");
    }

    @Test
    void anUnreachableIdentityProviderMakesCallsUnavailableNotUnauthenticated() {
        IdentityProvider idp = identityProvider();
        String token = idp.token("gina");
        String jwksUrl = idp.jwksUrl();
        idp.close();
        WhoAmIServer server = serve(settings("jwksUrl", jwksUrl));
        for (int i = 0; i < 4; i++) {
            assertRefused(server.refusal(token), Status.Code.UNAVAILABLE, "cannot be fetched");
        }
    }

    @Test
    void aServerStartedDuringAnIdentityProviderOutageAcceptsTokensOnceItRecovers() {
        IdentityProvider idp = identityProvider();
        idp.down.set(true);
        WhoAmIServer server = serve(settings("oidcIssuerUrl", idp.issuer(), "jwksRefreshInterval", "10s"));
        String token = idp.token("hank");
        assertRefused(server.refusal(token), Status.Code.UNAVAILABLE, "cannot be fetched");

        idp.down.set(false);

        await().atMost(Duration.ofSeconds(60)).ignoreExceptions()
                .untilAsserted(() -> assertThat(server.whoAmI(token)).isEqualTo("role=hank caller=hank"));
    }

    @Test
    void aClientCannotForgeAForwardedRole() {
        Path key = secretKey();
        WhoAmIServer server = serve(settings("secretKeyFile", key.toString(), "proxyRoles", "proxy"));
        String client = Tokens.create("mallory", Duration.ofHours(1), key, null, null);
        assertRefused(server.refusal(client, "admin"), Status.Code.PERMISSION_DENIED, "role 'mallory' may not act for another role");
    }

    @Test
    void aProxyRoleMayForwardAClientsRole() {
        Path key = secretKey();
        WhoAmIServer server = serve(settings("secretKeyFile", key.toString(), "proxyRoles", "edge-proxy, proxy"));
        String proxy = Tokens.create("proxy", Duration.ofHours(1), key, null, null);
        assertThat(server.whoAmI(proxy, "alice")).isEqualTo("role=alice caller=proxy");
        assertThat(server.whoAmI(proxy)).isEqualTo("role=proxy caller=proxy");
    }

    @Test
    void aStreamIsEndedWhenItsTokenExpires() {
        Path key = secretKey();
        WhoAmIServer server = serve(settings("secretKeyFile", key.toString()));
        WhoAmIServer.Watch stream = server.watch(Tokens.create("alice", Duration.ofSeconds(3), key, null, null));
        WhoAmIServer.Watch unexpiring = server.watch(Tokens.create("bob", null, key, null, null));

        await().atMost(Duration.ofSeconds(30)).until(() -> stream.ended.get() != null);
        assertThat(stream.received).containsExactly("role=alice caller=alice");
        assertThat(stream.ended.get().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
        assertThat(stream.ended.get().getDescription()).contains("token expired at").contains("reconnect with a fresh token");
        assertThat(unexpiring.received).containsExactly("role=bob caller=bob");
        assertThat(unexpiring.ended.get()).isNull();
        // The service let go of the expired stream (its handler heard the cancel), not of the other.
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(server.watching).containsExactly("role=bob caller=bob"));
    }

    @Test
    void aStreamThatEndsBeforeItsTokenLeavesNoTimerBehind() throws Exception {
        Path key = secretKey();
        WhoAmIServer server = serve(settings("secretKeyFile", key.toString()));
        int timersBefore = Background.EXPIRY.getQueue().size();
        List<WhoAmIServer.Watch> streams = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            streams.add(server.watch(Tokens.create("alice", Duration.ofHours(1), key, null, null)));
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> streams.stream().allMatch(s -> !s.received.isEmpty()));
        assertThat(Background.EXPIRY.getQueue().size()).isGreaterThanOrEqualTo(timersBefore + 5);

        server.disconnectClients();

        await().atMost(Duration.ofSeconds(20)).until(() -> Background.EXPIRY.getQueue().size() <= timersBefore);
    }

    @Test
    void onlyListedCallersReachAnInternalListener() {
        Path key = secretKey();
        WhoAmIServer internal = serve(AuthenticationInterceptor.create(settings("secretKeyFile", key.toString(), "proxyRoles", "proxy"))
                .onlyCallers(Set.of("broker")));
        assertThat(internal.whoAmI(Tokens.create("broker", null, key, null, null))).isEqualTo("role=broker caller=broker");
        assertRefused(internal.refusal(Tokens.create("alice", null, key, null, null)), Status.Code.PERMISSION_DENIED,
                "role 'alice' may not call test.Who/WhoAmI on this listener");
        assertRefused(internal.refusal(Tokens.create("proxy", null, key, null, null), "broker"), Status.Code.PERMISSION_DENIED,
                "role 'proxy' may not call");
        assertRefused(internal.refusal(null), Status.Code.UNAUTHENTICATED, "missing token");
    }

    @Test
    void theTokenNeverAppearsInTheRefusalReason() throws Exception {
        Path key = secretKey();
        WhoAmIServer server = serve(settings("secretKeyFile", key.toString(), "audience", "tributary", "issuer", "me"));
        List<String> refused = List.of(
                hs256(key, new JWTClaimsSet.Builder().subject("a").expirationTime(in(Duration.ofMinutes(-5))).build()),
                Tokens.create("a", null, secretKey(), null, null),
                Tokens.create("a", null, key, "me", "billing"),
                Tokens.create("a", null, key, "you", "tributary"),
                hs256(key, new JWTClaimsSet.Builder().issuer("me").audience("tributary").build()),
                "eyJhbGciOiJIUzI1NiJ9.bm90IGpzb24.c2lnbmF0dXJl");
        for (String token : refused) {
            String reason = server.refusal(token).getDescription();
            assertThat(reason).isNotBlank();
            for (String part : token.split("\\.")) {
                assertThat(reason).doesNotContain(part);
            }
        }
    }

    @Test
    void withAuthenticationOffEveryCallIsAdmittedWithoutAPrincipal() {
        WhoAmIServer server = serve(AuthenticationInterceptor.create(AuthenticationSettings.DISABLED).onlyCallers(Set.of("broker")));
        assertThat(server.whoAmI(null)).isEqualTo("anonymous");
        assertThat(server.whoAmI("whatever", "admin")).isEqualTo("anonymous");
    }

    @Test
    void aServerWithABadKeyFileDoesNotStartAndNamesTheFile() throws Exception {
        Path bad = dir.resolve("bad.key");
        Files.writeString(bad, "this is not base64!");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> AuthenticationInterceptor.create(settings("secretKeyFile", bad.toString())))
                .hasMessageContaining(bad.toString()).hasMessageContaining("not base64");
        Path missing = dir.resolve("missing.pub");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> AuthenticationInterceptor.create(settings("publicKeyFile", missing.toString())))
                .hasMessageContaining(missing.toString());
    }
}
