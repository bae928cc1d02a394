package io.tributary.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.metrics.MetricsSettings;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class ProxyConfigTest {

    @Test
    void defaults() {
        ProxyConfig c = ProxyConfig.withBrokers("b1:6651, b2:6651");
        assertThat(c.bindAddress()).isEqualTo("0.0.0.0");
        assertThat(c.port()).isEqualTo(6650);
        assertThat(c.maxInboundMessageSize()).isEqualTo(16 * 1024 * 1024 + 64 * 1024);
        assertThat(c.lookupCacheTtl()).isEqualTo(Duration.ofSeconds(60));
        assertThat(c.streamResumeTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.brokerAddresses()).containsExactly("b1:6651", "b2:6651");
        assertThat(c.brokerServiceUrl()).isEqualTo("b1:6651,b2:6651");
        assertThat(c.metricsPort()).isEqualTo(8081);
        assertThat(c.metricsSettings()).isEqualTo(new MetricsSettings("0.0.0.0", 8081));
        // the metrics endpoint follows the proxy's interface unless given its own
        assertThat(c.withBindAddress("127.0.0.1").metricsSettings().bindAddress()).isEqualTo("127.0.0.1");
        assertThat(c.withMetrics(-1, "10.0.0.1").metricsSettings()).isEqualTo(new MetricsSettings("10.0.0.1", -1));
    }

    @Test
    void metricsKeys() {
        Properties p = new Properties();
        p.setProperty("proxy.brokerServiceUrl", "b1:6651");
        p.setProperty("proxy.bindAddress", "10.1.1.1");
        assertThat(ProxyConfig.fromProperties(p, Map.of()).metricsSettings()).isEqualTo(new MetricsSettings("10.1.1.1", 8081));
        p.setProperty("proxy.metricsPort", "9100");
        p.setProperty("proxy.metricsBindAddress", "127.0.0.1");
        assertThat(ProxyConfig.fromProperties(p, Map.of()).metricsSettings()).isEqualTo(new MetricsSettings("127.0.0.1", 9100));
        assertThat(ProxyConfig.fromProperties(p, Map.of("TRIBUTARY_PROXY_METRICS_PORT", "-1")).metricsSettings().port())
                .isEqualTo(-1);
        p.setProperty("proxy.metricsPort", "-2");
        assertThatThrownBy(() -> ProxyConfig.fromProperties(p, Map.of())).hasMessageContaining("proxy.metricsPort");
    }

    @Test
    void discoveryReplacesTheBrokerListOrFallsBackToIt() {
        Properties p = new Properties();
        p.setProperty("proxy.zookeeperServers", "zk-0:2181,zk-1:2181");
        p.setProperty("proxy.zookeeperSessionTimeout", "10s");
        ProxyConfig c = ProxyConfig.fromProperties(p, Map.of("TRIBUTARY_PROXY_METADATA_ROOT", "/east"));
        assertThat(c.brokerServiceUrl()).isNull();
        assertThat(c.brokerAddresses()).isEmpty();
        assertThat(c.discovery()).isEqualTo(new BrokerDiscoverySettings("zk-0:2181,zk-1:2181", "/east", Duration.ofSeconds(10), null));
        p.setProperty("proxy.brokerServiceUrl", "tributary-broker:6651");
        assertThat(ProxyConfig.fromProperties(p, Map.of()).brokerAddresses()).containsExactly("tributary-broker:6651");

        assertThatThrownBy(() -> ProxyConfig.fromProperties(new Properties(), Map.of()))
                .hasMessageContaining("proxy.brokerServiceUrl").hasMessageContaining("proxy.zookeeperServers");
        p.setProperty("proxy.metadataRoot", "tributary");
        assertThatThrownBy(() -> ProxyConfig.fromProperties(p, Map.of())).hasMessageContaining("proxy.metadataRoot");
    }

    @Test
    void invalidValuesAreRefusedWithTheKeyInTheMessage() {
        assertThatThrownBy(() -> ProxyConfig.withBrokers(""))
                .hasMessageContaining("proxy.brokerServiceUrl");
        assertThatThrownBy(() -> ProxyConfig.withBrokers("b1"))
                .hasMessageContaining("'b1' is not host:port");
        assertThatThrownBy(() -> ProxyConfig.withBrokers("b1:6651,,b2:1"))
                .hasMessageContaining("empty entry");
        assertThatThrownBy(() -> ProxyConfig.withBrokers("b1:http"))
                .hasMessageContaining("no valid port");
        assertThatThrownBy(() -> ProxyConfig.withBrokers("::1:6651"))
                .hasMessageContaining("IPv6");
        assertThat(ProxyConfig.withBrokers("[::1]:6651").brokerAddresses()).containsExactly("[::1]:6651");
        assertThatThrownBy(() -> ProxyConfig.withBrokers("b:1").withPort(70000))
                .hasMessageContaining("proxy.port");
        assertThatThrownBy(() -> ProxyConfig.withBrokers("b:1").withMaxInboundMessageSize(0))
                .hasMessageContaining("proxy.maxInboundMessageSize");
        assertThatThrownBy(() -> ProxyConfig.withBrokers("b:1").withLookupCacheTtl(Duration.ofSeconds(-1)))
                .hasMessageContaining("proxy.lookupCacheTtl");
        assertThatThrownBy(() -> ProxyConfig.withBrokers("b:1").withBindAddress(" "))
                .hasMessageContaining("proxy.bindAddress");
        assertThatThrownBy(() -> ProxyConfig.withBrokers("b:1").toBuilder().streamResumeTimeout(Duration.ofSeconds(-1))
                .build()).hasMessageContaining("proxy.streamResumeTimeout");
    }

    @Test
    void propertiesWithEnvironmentOverrides() {
        Properties p = new Properties();
        p.setProperty("proxy.port", "7000");
        p.setProperty("proxy.brokerServiceUrl", "b1:6651");
        p.setProperty("proxy.lookupCacheTtl", "500ms");
        p.setProperty("proxy.maxInboundMessageSize", "9000000");
        p.setProperty("proxy.streamResumeTimeout", "20s");
        ProxyConfig c = ProxyConfig.fromProperties(p, Map.of(
                "TRIBUTARY_PROXY_STREAM_RESUME_TIMEOUT", "0",
                "TRIBUTARY_PROXY_PORT", "7001",
                "TRIBUTARY_PROXY_BIND_ADDRESS", "127.0.0.1"));
        assertThat(c.port()).isEqualTo(7001);
        assertThat(c.bindAddress()).isEqualTo("127.0.0.1");
        assertThat(c.brokerServiceUrl()).isEqualTo("b1:6651");
        assertThat(c.lookupCacheTtl()).isEqualTo(Duration.ofMillis(500));
        assertThat(c.maxInboundMessageSize()).isEqualTo(9_000_000);
        assertThat(c.streamResumeTimeout()).isZero();
        p.remove("proxy.port");
        assertThat(ProxyConfig.fromProperties(p, Map.of()).streamResumeTimeout()).isEqualTo(Duration.ofSeconds(20));

        assertThat(ProxyConfig.envName("proxy.brokerServiceUrl")).isEqualTo("TRIBUTARY_PROXY_BROKER_SERVICE_URL");
        assertThat(ProxyConfig.envName("proxy.lookupCacheTtl")).isEqualTo("TRIBUTARY_PROXY_LOOKUP_CACHE_TTL");
        assertThatThrownBy(() -> ProxyConfig.fromProperties(new Properties(), Map.of()))
                .hasMessageContaining("proxy.brokerServiceUrl");
        p.setProperty("proxy.port", "x");
        assertThatThrownBy(() -> ProxyConfig.fromProperties(p, Map.of()))
                .hasMessageContaining("proxy.port must be an integer");
    }

    @Test
    void durations() {
        assertThat(ProxyConfig.parseDuration("k", "60s")).isEqualTo(Duration.ofSeconds(60));
        assertThat(ProxyConfig.parseDuration("k", "2m")).isEqualTo(Duration.ofMinutes(2));
        assertThat(ProxyConfig.parseDuration("k", "1h")).isEqualTo(Duration.ofHours(1));
        assertThat(ProxyConfig.parseDuration("k", "PT1M")).isEqualTo(Duration.ofMinutes(1));
        assertThat(ProxyConfig.parseDuration("k", "1500")).isEqualTo(Duration.ofMillis(1500));
        assertThatThrownBy(() -> ProxyConfig.parseDuration("k", "soon")).hasMessageContaining("k must be a duration");
    }

    @Test
    void securityIsOffByDefaultAndReadFromItsKeys() {
        ProxyConfig off = ProxyConfig.fromProperties(props("proxy.brokerServiceUrl", "b1:6651"), Map.of());
        assertThat(off.tls()).isNull();
        assertThat(off.authentication().enabled()).isFalse();
        assertThat(off.brokerClientAuthTokenFile()).isNull();
        assertThat(off.brokerClientTls()).isNull();

        ProxyConfig on = ProxyConfig.fromProperties(props("proxy.brokerServiceUrl", "b1:6651",
                "proxy.tls.enabled", "true", "proxy.tls.certFile", "/tls/proxy.crt", "proxy.tls.keyFile", "/tls/proxy.key",
                "proxy.brokerClient.authTokenFile", "/secrets/proxy.token",
                "proxy.brokerClient.tls.trustCertsFile", "/tls/ca.crt"),
                Map.of("TRIBUTARY_PROXY_BROKER_CLIENT_TLS_CERT_FILE", "/tls/client.crt",
                        "TRIBUTARY_PROXY_BROKER_CLIENT_TLS_KEY_FILE", "/tls/client.key"));
        assertThat(on.tls().certFile()).hasToString("/tls/proxy.crt");
        assertThat(on.brokerClientAuthTokenFile()).hasToString("/secrets/proxy.token");
        assertThat(on.brokerClientTls().trustCertsFile()).hasToString("/tls/ca.crt");
        assertThat(on.brokerClientTls().certFile()).hasToString("/tls/client.crt");
        assertThat(on.withPort(1).brokerClientTls()).isEqualTo(on.brokerClientTls());
        // brokers' certificates are checked against the address dialled unless a server name is expected
        assertThat(on.brokerClientTls().serverName()).isNull();
        assertThat(ProxyConfig.fromProperties(props("proxy.brokerServiceUrl", "b1:6651",
                "proxy.brokerClient.tls.trustCertsFile", "/tls/ca.crt"),
                Map.of("TRIBUTARY_PROXY_BROKER_CLIENT_TLS_SERVER_NAME", "tributary-broker.messaging.svc.cluster.local"))
                .brokerClientTls().serverName()).isEqualTo("tributary-broker.messaging.svc.cluster.local");
        // the metrics endpoint stays plain HTTP until asked, then serves the public port's certificate
        assertThat(on.metricsSettings().tls()).isNull();
        ProxyConfig https = ProxyConfig.fromProperties(props("proxy.brokerServiceUrl", "b1:6651",
                "proxy.tls.enabled", "true", "proxy.tls.certFile", "/tls/proxy.crt", "proxy.tls.keyFile", "/tls/proxy.key",
                "proxy.metrics.tls.enabled", "true"), Map.of());
        assertThat(https.metricsSettings().scheme()).isEqualTo("https");
        assertThat(https.metricsSettings().tls().certFile()).hasToString("/tls/proxy.crt");
        assertThat(https.withMetrics(0, null).withPort(1).metricsSettings().tls()).isEqualTo(https.metricsTls());
    }

    @Test
    void tlsToBrokersNeedsTheCasToTrust() {
        assertThatThrownBy(() -> ProxyConfig.fromProperties(props("proxy.brokerServiceUrl", "b1:6651",
                "proxy.brokerClient.tls.certFile", "/c.crt", "proxy.brokerClient.tls.keyFile", "/c.key"), Map.of()))
                .hasMessageContaining("proxy.brokerClient.tls.trustCertsFile");
        assertThatThrownBy(() -> ProxyConfig.fromProperties(props("proxy.brokerServiceUrl", "b1:6651",
                "proxy.brokerClient.tls.certFile", "/c.crt", "proxy.brokerClient.tls.trustCertsFile", "/ca.crt"), Map.of()))
                .hasMessageContaining("proxy.brokerClient.tls.keyFile");
        assertThatThrownBy(() -> ProxyConfig.fromProperties(props("proxy.brokerServiceUrl", "b1:6651",
                "proxy.brokerClient.tls.serverName", "tributary-broker"), Map.of()))
                .hasMessageContaining("proxy.brokerClient.tls.serverName needs").hasMessageContaining("trustCertsFile");
        assertThatThrownBy(() -> ProxyConfig.fromProperties(props("proxy.brokerServiceUrl", "b1:6651",
                "proxy.brokerClient.tls.trustCertsFile", "/ca.crt", "proxy.brokerClient.tls.serverName", "tributary-broker:6651"),
                Map.of()))
                .hasMessageContaining("proxy.brokerClient.tls.serverName").hasMessageContaining("without port");
        assertThatThrownBy(() -> ProxyConfig.fromProperties(props("proxy.brokerServiceUrl", "b1:6651",
                "proxy.tls.enabled", "true"), Map.of()))
                .hasMessageContaining("proxy.tls.certFile");
    }

    private static Properties props(String... kv) {
        Properties p = new Properties();
        for (int i = 0; i < kv.length; i += 2) {
            p.setProperty(kv[i], kv[i + 1]);
        }
        return p;
    }
}
