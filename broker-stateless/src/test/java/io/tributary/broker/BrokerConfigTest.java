package io.tributary.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.metrics.MetricsSettings;
import io.tributary.protocol.security.ServerTlsSettings;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/** Every broker setting is read from the file, overridden by the environment, and refused by name when wrong. */
class BrokerConfigTest {

    private static Properties props(String... kv) {
        Properties p = new Properties();
        for (int i = 0; i < kv.length; i += 2) {
            p.setProperty(kv[i], kv[i + 1]);
        }
        return p;
    }

    @Test
    void noSettingsGiveTheDocumentedDefaults() {
        BrokerConfig c = BrokerConfig.fromProperties(new Properties(), Map.of());
        assertThat(c).isEqualTo(BrokerConfig.defaults("127.0.0.1:2181"));
        assertThat(c.maxMessageSize()).isEqualTo(5 * 1024 * 1024);
        assertThat(c.port()).isEqualTo(6651);
        assertThat(c.metricsPort()).isEqualTo(8080);
        assertThat(c.metricsSettings()).isEqualTo(new MetricsSettings("0.0.0.0", 8080));
        assertThat(c.zkSessionTimeout()).isEqualTo(Duration.ofSeconds(15));
        assertThat(c.loadBalancer().overloadThreshold()).isEqualTo(0.25);
        assertThat(c.limits().maxSendMessages()).isEqualTo(1000);
    }

    @Test
    void maxSendMessagesIsReadAndCheckedByName() {
        assertThat(BrokerConfig.fromProperties(props("broker.maxSendMessages", "20"), Map.of()).limits().maxSendMessages())
                .isEqualTo(20);
        assertThat(BrokerConfig.fromProperties(new Properties(), Map.of("TRIBUTARY_BROKER_MAX_SEND_MESSAGES", "30"))
                .limits().maxSendMessages()).isEqualTo(30);
        assertThatThrownBy(() -> BrokerConfig.fromProperties(props("broker.maxSendMessages", "0"), Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("broker.maxSendMessages");
    }

    @Test
    void aClusterBrokerKeepsThreeCopiesAndAcknowledgesAfterTwoByDefault() {
        BrokerConfig c = BrokerConfig.fromProperties(new Properties(), Map.of());
        assertThat(c.log().ensembleSize()).isEqualTo(3);
        assertThat(c.log().writeQuorum()).isEqualTo(3);
        assertThat(c.log().ackQuorum()).isEqualTo(2);
        assertThat(c.allowSingleCopy()).isFalse();
    }

    @Test
    void deduplicationForgetsProducersInactiveForSixHoursAndKeepsAtMostTenThousandByDefault() {
        BrokerConfig c = BrokerConfig.fromProperties(new Properties(), Map.of());
        assertThat(c.dedupProducerInactivityTimeout()).isEqualTo(Duration.ofHours(6));
        assertThat(c.dedupMaxProducersPerTopic()).isEqualTo(10_000);
        BrokerConfig set = BrokerConfig.fromProperties(props("broker.dedupProducerInactivityTimeout", "10m",
                "broker.dedupMaxProducersPerTopic", "50"), Map.of());
        assertThat(set.dedupProducerInactivityTimeout()).isEqualTo(Duration.ofMinutes(10));
        assertThat(set.dedupMaxProducersPerTopic()).isEqualTo(50);
        assertThatThrownBy(() -> BrokerConfig.fromProperties(props("broker.dedupMaxProducersPerTopic", "0"), Map.of()))
                .hasMessageContaining("broker.dedupMaxProducersPerTopic");
    }

    @Test
    void aBrokerWithOneAcknowledgedCopyRefusesToStartUnlessSingleCopyIsAllowed() {
        assertThatThrownBy(() -> BrokerConfig.fromProperties(props("broker.ensembleSize", "1", "broker.writeQuorum", "1",
                "broker.ackQuorum", "1"), Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("broker.ackQuorum").hasMessageContaining("broker.allowSingleCopy=true");
        assertThatThrownBy(() -> BrokerConfig.fromProperties(props("broker.ackQuorum", "1"), Map.of()))
                .hasMessageContaining("broker.allowSingleCopy");
        BrokerConfig allowed = BrokerConfig.fromProperties(props("broker.ensembleSize", "1", "broker.writeQuorum", "1",
                "broker.ackQuorum", "1", "broker.allowSingleCopy", "true"), Map.of());
        assertThat(allowed.log().ackQuorum()).isEqualTo(1);
        assertThat(allowed.allowSingleCopy()).isTrue();
    }

    @Test
    void everyKeyIsReadFromTheFile() {
        BrokerConfig c = BrokerConfig.fromProperties(props(
                "broker.bindAddress", "127.0.0.2", "broker.port", "7001", "broker.advertisedAddress", "b1.example",
                "broker.zookeeperServers", "zk:2181", "broker.metadataRoot", "/t2", "broker.ledgersRoot", "/l2",
                "broker.zkSessionTimeout", "9s", "broker.maxMessageSize", "1048576", "broker.allowAutoTopicCreation", "false",
                "broker.defaultBundles", "16", "broker.ensembleSize", "3", "broker.writeQuorum", "2", "broker.ackQuorum", "2",
                "broker.ledgerRolloverSizeBytes", "1000", "broker.ledgerRolloverEntries", "10", "broker.ledgerRolloverAge", "PT1H",
                "broker.entryCacheSizeBytes", "0", "broker.cursorPersistInterval", "1s", "broker.maxPendingPublishes", "7",
                "broker.dispatchBatchSize", "9", "broker.pullConsumerIdleTimeout", "2m", "broker.loadBalancerEnabled", "false",
                "broker.loadReportInterval", "2s", "broker.loadBalancerInterval", "3s", "broker.loadBalancerOverloadThreshold", "0.5",
                "broker.loadBalancerGracePeriod", "4s", "broker.loadBalancerMaxMoveShare", "0.5", "broker.loadBalancerMaxMovesPerCycle", "2",
                "broker.loadBalancerMinRate", "5", "broker.bundleSplitTopicThreshold", "50", "broker.bundleSplitRateThreshold", "500",
                "broker.maxBundlesPerNamespace", "32", "broker.metricsPort", "-1", "broker.drainOnShutdown", "false",
                "broker.bundleMoveTimeout", "45s", "broker.policyCheckInterval", "5s", "broker.backlogQuotaHoldTimeout", "7s",
                "broker.defaultRetentionTimeSeconds", "-1", "broker.defaultRetentionSizeBytes", "4096",
                "broker.defaultMessageTtlSeconds", "60"), Map.of());
        assertThat(c.policyCheckInterval()).isEqualTo(Duration.ofSeconds(5));
        assertThat(c.backlogQuotaHoldTimeout()).isEqualTo(Duration.ofSeconds(7));
        assertThat(c.defaultPolicies().retentionTimeMs()).isEqualTo(-1);
        assertThat(c.defaultPolicies().retentionSizeBytes()).isEqualTo(4096);
        assertThat(c.defaultPolicies().messageTtlMs()).isEqualTo(60_000);
        assertThat(c.bindAddress()).isEqualTo("127.0.0.2");
        assertThat(c.port()).isEqualTo(7001);
        assertThat(c.advertisedAddress()).isEqualTo("b1.example");
        assertThat(c.zookeeperServers()).isEqualTo("zk:2181");
        assertThat(c.metadataRoot()).isEqualTo("/t2");
        assertThat(c.ledgersRoot()).isEqualTo("/l2");
        assertThat(c.zkSessionTimeout()).isEqualTo(Duration.ofSeconds(9));
        assertThat(c.maxMessageSize()).isEqualTo(1048576);
        assertThat(c.allowAutoTopicCreation()).isFalse();
        assertThat(c.defaultBundles()).isEqualTo(16);
        assertThat(c.log().ensembleSize()).isEqualTo(3);
        assertThat(c.log().writeQuorum()).isEqualTo(2);
        assertThat(c.log().ackQuorum()).isEqualTo(2);
        assertThat(c.log().rolloverSizeBytes()).isEqualTo(1000);
        assertThat(c.log().rolloverEntries()).isEqualTo(10);
        assertThat(c.log().rolloverAge()).isEqualTo(Duration.ofHours(1));
        assertThat(c.log().cacheSizeBytes()).isZero();
        assertThat(c.cursorPersistInterval()).isEqualTo(Duration.ofSeconds(1));
        assertThat(c.maxPendingPublishes()).isEqualTo(7);
        assertThat(c.dispatchBatchSize()).isEqualTo(9);
        assertThat(c.pullConsumerIdleTimeout()).isEqualTo(Duration.ofMinutes(2));
        assertThat(c.loadBalancer().enabled()).isFalse();
        assertThat(c.loadBalancer().reportInterval()).isEqualTo(Duration.ofSeconds(2));
        assertThat(c.loadBalancer().interval()).isEqualTo(Duration.ofSeconds(3));
        assertThat(c.loadBalancer().overloadThreshold()).isEqualTo(0.5);
        assertThat(c.loadBalancer().gracePeriod()).isEqualTo(Duration.ofSeconds(4));
        assertThat(c.loadBalancer().maxMoveShare()).isEqualTo(0.5);
        assertThat(c.loadBalancer().maxMovesPerCycle()).isEqualTo(2);
        assertThat(c.loadBalancer().minRateToBalance()).isEqualTo(5);
        assertThat(c.loadBalancer().splitTopicThreshold()).isEqualTo(50);
        assertThat(c.loadBalancer().splitRateThreshold()).isEqualTo(500);
        assertThat(c.loadBalancer().maxBundlesPerNamespace()).isEqualTo(32);
        assertThat(c.metricsPort()).isEqualTo(-1);
        assertThat(c.drainOnShutdown()).isFalse();
        assertThat(c.bundleMoveTimeout()).isEqualTo(Duration.ofSeconds(45));
    }

    @Test
    void theEnvironmentOverridesTheFile() {
        BrokerConfig c = BrokerConfig.fromProperties(props("broker.port", "7001", "broker.maxMessageSize", "1000"),
                Map.of("TRIBUTARY_BROKER_PORT", "7002", "TRIBUTARY_BROKER_MAX_MESSAGE_SIZE", "2000",
                        "TRIBUTARY_BROKER_LOAD_BALANCER_ENABLED", "false"));
        assertThat(c.port()).isEqualTo(7002);
        assertThat(c.maxMessageSize()).isEqualTo(2000);
        assertThat(c.loadBalancer().enabled()).isFalse();
    }

    @Test
    void theMetricsEndpointListensOnTheBrokersInterfaceUnlessGivenItsOwn() {
        assertThat(BrokerConfig.fromProperties(props("broker.bindAddress", "10.1.1.1"), Map.of()).metricsSettings())
                .isEqualTo(new MetricsSettings("10.1.1.1", 8080));
        assertThat(BrokerConfig.fromProperties(props("broker.bindAddress", "10.1.1.1", "broker.metricsPort", "9100",
                "broker.metricsBindAddress", "127.0.0.1"), Map.of()).metricsSettings())
                .isEqualTo(new MetricsSettings("127.0.0.1", 9100));
        assertThat(BrokerConfig.fromProperties(props(), Map.of("TRIBUTARY_BROKER_METRICS_BIND_ADDRESS", "127.0.0.2"))
                .metricsSettings().bindAddress()).isEqualTo("127.0.0.2");
    }

    @Test
    void badValuesAreRefusedNamingTheirKey() {
        assertThatThrownBy(() -> BrokerConfig.fromProperties(props("broker.port", "seven"), Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("broker.port");
        assertThatThrownBy(() -> BrokerConfig.fromProperties(props("broker.zkSessionTimeout", "soon"), Map.of()))
                .hasMessageContaining("broker.zkSessionTimeout");
        assertThatThrownBy(() -> BrokerConfig.fromProperties(props("broker.allowAutoTopicCreation", "yes"), Map.of()))
                .hasMessageContaining("broker.allowAutoTopicCreation");
        assertThatThrownBy(() -> BrokerConfig.fromProperties(props("broker.maxMessageSize", "0"), Map.of()))
                .hasMessageContaining("broker.maxMessageSize");
        assertThatThrownBy(() -> BrokerConfig.fromProperties(props("broker.writeQuorum", "4"), Map.of()))
                .hasMessageContaining("broker.writeQuorum");
        assertThatThrownBy(() -> BrokerConfig.fromProperties(props("broker.loadBalancerMaxMoveShare", "2"), Map.of()))
                .hasMessageContaining("broker.loadBalancerMaxMoveShare");
    }

    @Test
    void storageTlsKeysReachTheBrokersZooKeeperAndBookKeeperClients() {
        assertThat(BrokerConfig.fromProperties(new Properties(), Map.of()).storageTls())
                .isEqualTo(io.tributary.storage.tls.StorageTls.NONE);
        BrokerConfig c = BrokerConfig.fromProperties(props("broker.zookeeper.tls.trustCertsFile", "/tls/ca.crt",
                "broker.bookkeeper.tls.trustCertsFile", "/tls/ca.crt", "broker.bookkeeper.tls.certFile", "/tls/broker.crt",
                "broker.bookkeeper.tls.keyFile", "/tls/broker.key"), Map.of());
        assertThat(c.storageTls().zookeeper()).isEqualTo(io.tributary.protocol.security.TlsFiles.trusting(java.nio.file.Path.of("/tls/ca.crt")));
        assertThat(c.storageTls().bookkeeper().certFile()).isEqualTo(java.nio.file.Path.of("/tls/broker.crt"));
        assertThatThrownBy(() -> BrokerConfig.fromProperties(props("broker.zookeeper.tls.certFile", "/tls/broker.crt",
                "broker.zookeeper.tls.keyFile", "/tls/broker.key"), Map.of()))
                .hasMessageContaining("broker.zookeeper.tls.trustCertsFile");
    }

    @Test
    void theMetricsEndpointServesHttpsWhenAskedWithTheClientPortsCertificateByDefault() {
        assertThat(BrokerConfig.fromProperties(new Properties(), Map.of()).metricsSettings().tls()).isNull();
        BrokerConfig c = BrokerConfig.fromProperties(props("broker.tls.enabled", "true", "broker.tls.certFile", "/tls/broker.crt",
                "broker.tls.keyFile", "/tls/broker.key", "broker.metrics.tls.enabled", "true"), Map.of());
        assertThat(c.metricsSettings().scheme()).isEqualTo("https");
        assertThat(c.metricsSettings().tls().certFile()).hasToString("/tls/broker.crt");
        assertThat(c.toBuilder().port(1).build().metricsTls()).isEqualTo(c.metricsTls());
        BrokerConfig own = BrokerConfig.fromProperties(props("broker.metrics.tls.enabled", "true",
                "broker.metrics.tls.certFile", "/tls/metrics.crt", "broker.metrics.tls.keyFile", "/tls/metrics.key",
                "broker.metrics.tls.clientAuth", "require", "broker.metrics.tls.trustCertsFile", "/tls/ca.crt"), Map.of());
        assertThat(own.metricsSettings().tls().clientAuth()).isEqualTo(ServerTlsSettings.ClientAuth.REQUIRE);
        assertThatThrownBy(() -> BrokerConfig.fromProperties(props("broker.metrics.tls.enabled", "true"), Map.of()))
                .hasMessageContaining("broker.metrics.tls.certFile");
    }

    @Test
    void theInternalListenerIsPlaintextOnPort6652AndSecurityIsOffByDefault() {
        BrokerConfig c = BrokerConfig.fromProperties(new Properties(), Map.of());
        assertThat(c.internal().port()).isEqualTo(6652);
        assertThat(c.internalBindAddress()).isEqualTo(c.bindAddress());
        assertThat(c.internalAddress(6652)).isEqualTo("127.0.0.1:6652");
        assertThat(c.internal().tls()).isNull();
        assertThat(c.internal().roles()).isEmpty();
        assertThat(c.internal().clientAuthTokenFile()).isNull();
        assertThat(c.internal().clientTls()).isNull();
        assertThat(c.tls()).isNull();
        assertThat(c.authentication().enabled()).isFalse();
    }

    @Test
    void theInternalListenerAndTheClientPortTlsAreReadFromTheirKeys() {
        BrokerConfig c = BrokerConfig.fromProperties(props(
                "broker.internal.bindAddress", "10.0.0.5", "broker.internal.port", "7001",
                "broker.internal.advertisedAddress", "broker-1.internal",
                "broker.internal.tls.enabled", "true", "broker.internal.tls.certFile", "/tls/internal.crt",
                "broker.internal.tls.keyFile", "/tls/internal.key", "broker.internal.tls.trustCertsFile", "/tls/ca.crt",
                "broker.internal.tls.clientAuth", "require",
                "broker.internal.roles", "broker, broker-2 ,",
                "broker.internal.client.authTokenFile", "/secrets/broker.token",
                "broker.internal.client.tls.certFile", "/tls/client.crt", "broker.internal.client.tls.keyFile", "/tls/client.key",
                "broker.internal.client.tls.trustCertsFile", "/tls/ca.crt",
                "broker.internal.client.tls.serverName", "tributary-broker.messaging.svc.cluster.local",
                "broker.tls.enabled", "true", "broker.tls.certFile", "/tls/broker.crt", "broker.tls.keyFile", "/tls/broker.key"),
                Map.of("TRIBUTARY_BROKER_INTERNAL_PORT", "7002"));
        assertThat(c.internal().port()).isEqualTo(7002);
        assertThat(c.internalBindAddress()).isEqualTo("10.0.0.5");
        assertThat(c.internalAddress(7002)).isEqualTo("broker-1.internal:7002");
        assertThat(c.internal().tls().clientAuth()).isEqualTo(io.tributary.protocol.security.ServerTlsSettings.ClientAuth.REQUIRE);
        assertThat(c.internal().roles()).containsExactlyInAnyOrder("broker", "broker-2");
        assertThat(c.internal().clientAuthTokenFile()).hasToString("/secrets/broker.token");
        assertThat(c.internal().clientTls().certFile()).hasToString("/tls/client.crt");
        assertThat(c.internal().clientTls().trustCertsFile()).hasToString("/tls/ca.crt");
        assertThat(c.internal().clientTls().serverName()).isEqualTo("tributary-broker.messaging.svc.cluster.local");
        assertThat(c.tls().certFile()).hasToString("/tls/broker.crt");
        assertThat(c.tls().clientAuth()).isEqualTo(io.tributary.protocol.security.ServerTlsSettings.ClientAuth.NONE);
    }

    @Test
    void inconsistentInternalListenerSettingsAreRefusedByName() {
        assertThatThrownBy(() -> BrokerConfig.fromProperties(props("broker.internal.port", "6651"), Map.of()))
                .hasMessageContaining("broker.internal.port");
        assertThatThrownBy(() -> BrokerConfig.fromProperties(props("broker.internal.port", "70000"), Map.of()))
                .hasMessageContaining("broker.internal.port");
        assertThatThrownBy(() -> BrokerConfig.fromProperties(props("broker.internal.tls.enabled", "true",
                "broker.internal.tls.certFile", "/a.crt", "broker.internal.tls.keyFile", "/a.key"), Map.of()))
                .hasMessageContaining("broker.internal.client.tls.trustCertsFile");
        assertThatThrownBy(() -> BrokerConfig.fromProperties(props("broker.internal.client.tls.certFile", "/a.crt"), Map.of()))
                .hasMessageContaining("broker.internal.client.tls.keyFile");
        assertThatThrownBy(() -> BrokerConfig.fromProperties(props("broker.tls.enabled", "true"), Map.of()))
                .hasMessageContaining("broker.tls.certFile");
        assertThatThrownBy(() -> BrokerConfig.fromProperties(props("broker.internal.client.tls.serverName", "broker"), Map.of()))
                .hasMessageContaining("broker.internal.client.tls.serverName needs");
        assertThatThrownBy(() -> BrokerConfig.fromProperties(props("broker.internal.client.tls.trustCertsFile", "/ca.crt",
                "broker.internal.client.tls.serverName", "tls://broker"), Map.of()))
                .hasMessageContaining("broker.internal.client.tls.serverName").hasMessageContaining("without port");
    }

    @Test
    void withAuthenticationABrokerNeedsCredentialsForOtherBrokers() {
        assertThatThrownBy(() -> BrokerConfig.defaults("zk:2181").toBuilder()
                .authentication(new io.tributary.security.auth.AuthenticationSettings(true, java.nio.file.Path.of("/secret.key"),
                        null, null, null, null, null, "sub", Duration.ofMinutes(15), false, java.util.Set.of()))
                .build())
                .hasMessageContaining("broker.internal.client.authTokenFile")
                .hasMessageContaining("broker.internal.client.tls.certFile");
        // a client certificate counts only where it is asked for and taken as a role
        java.util.function.Function<String, Properties> mtls = certificateRoles -> props(
                "broker.authentication.enabled", "true", "broker.authentication.secretKeyFile", "/secret.key",
                "broker.authentication.certificateRoles", certificateRoles,
                "broker.internal.tls.enabled", "true", "broker.internal.tls.certFile", "/b.crt", "broker.internal.tls.keyFile", "/b.key",
                "broker.internal.tls.trustCertsFile", "/ca.crt", "broker.internal.tls.clientAuth", "require",
                "broker.internal.client.tls.certFile", "/c.crt", "broker.internal.client.tls.keyFile", "/c.key",
                "broker.internal.client.tls.trustCertsFile", "/ca.crt");
        assertThatThrownBy(() -> BrokerConfig.fromProperties(mtls.apply("false"), Map.of()))
                .hasMessageContaining("broker.authentication.certificateRoles=true");
        assertThat(BrokerConfig.fromProperties(mtls.apply("true"), Map.of()).internal().clientTls().certFile()).hasToString("/c.crt");
    }

    @Test
    void authorizationWithoutAuthenticationRefusesToStartNamingBothKeys() {
        assertThatThrownBy(() -> BrokerConfig.fromProperties(props("broker.authorization.enabled", "true"), Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("broker.authorization.enabled").hasMessageContaining("broker.authentication.enabled");
        BrokerConfig off = BrokerConfig.fromProperties(props(), Map.of());
        assertThat(off.authorization().enabled()).isFalse();
        BrokerConfig on = BrokerConfig.fromProperties(props("broker.authorization.enabled", "true",
                "broker.superUserRoles", " admin , ops,", "broker.authentication.enabled", "true",
                "broker.authentication.secretKeyFile", "/k", "broker.internal.client.authTokenFile", "/t"), Map.of());
        assertThat(on.authorization().enabled()).isTrue();
        assertThat(on.authorization().superUserRoles()).containsExactlyInAnyOrder("admin", "ops");
    }
}
