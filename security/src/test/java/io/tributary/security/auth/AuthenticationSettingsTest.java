package io.tributary.security.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.protocol.config.Settings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/** What an operator writes under {@code broker.authentication.*} and what it means. */
class AuthenticationSettingsTest {
    private static AuthenticationSettings read(String... keysAndValues) {
        Properties p = new Properties();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            p.setProperty("proxy.authentication." + keysAndValues[i], keysAndValues[i + 1]);
        }
        return AuthenticationSettings.from(new Settings(p, Map.of()), "proxy.authentication");
    }

    @Test
    void authenticationIsOffUnlessEnabled() {
        AuthenticationSettings s = read("secretKeyFile", "/etc/tributary/secret.key");
        assertThat(s.enabled()).isFalse();
    }

    @Test
    void theDefaultsAreTheSubClaimAFifteenMinuteRefreshAndNoProxies() {
        AuthenticationSettings s = read("enabled", "true", "secretKeyFile", "/etc/tributary/secret.key");
        assertThat(s.enabled()).isTrue();
        assertThat(s.secretKeyFile()).isEqualTo(Path.of("/etc/tributary/secret.key"));
        assertThat(s.roleClaim()).isEqualTo("sub");
        assertThat(s.jwksRefreshInterval()).isEqualTo(Duration.ofMinutes(15));
        assertThat(s.certificateRoles()).isFalse();
        assertThat(s.proxyRoles()).isEmpty();
        assertThat(s.issuer()).isNull();
        assertThat(s.audience()).isNull();
    }

    @Test
    void everyKeyIsRead() {
        AuthenticationSettings s = read("enabled", "true", "oidcIssuerUrl", "https://login.example.com/realms/prod",
                "issuer", "https://login.example.com/realms/prod", "audience", "tributary", "roleClaim", "preferred_username",
                "jwksRefreshInterval", "5m", "certificateRoles", "true", "proxyRoles", " proxy-a, proxy-b ,,");
        assertThat(s.oidcIssuerUrl()).isEqualTo("https://login.example.com/realms/prod");
        assertThat(s.issuer()).isEqualTo("https://login.example.com/realms/prod");
        assertThat(s.audience()).isEqualTo("tributary");
        assertThat(s.roleClaim()).isEqualTo("preferred_username");
        assertThat(s.jwksRefreshInterval()).isEqualTo(Duration.ofMinutes(5));
        assertThat(s.certificateRoles()).isTrue();
        assertThat(s.proxyRoles()).containsExactlyInAnyOrder("proxy-a", "proxy-b");
    }

    @Test
    void anEnvironmentVariableOverridesTheFile() {
        Properties p = new Properties();
        p.setProperty("broker.authentication.enabled", "true");
        p.setProperty("broker.authentication.secretKeyFile", "/from/file");
        AuthenticationSettings s = AuthenticationSettings.from(new Settings(p,
                Map.of("TRIBUTARY_BROKER_AUTHENTICATION_SECRET_KEY_FILE", "/from/env")), "broker.authentication");
        assertThat(s.secretKeyFile()).isEqualTo(Path.of("/from/env"));
    }

    @Test
    void enabledWithoutAKeySourceIsRefusedNamingTheKeys() {
        assertThatThrownBy(() -> read("enabled", "true"))
                .hasMessageContaining("proxy.authentication.secretKeyFile")
                .hasMessageContaining("proxy.authentication.oidcIssuerUrl")
                .hasMessageContaining("proxy.authentication.certificateRoles");
    }

    @Test
    void twoKeySourcesAreRefusedNamingBoth() {
        assertThatThrownBy(() -> read("enabled", "true", "publicKeyFile", "/k.pub", "jwksUrl", "https://idp/keys"))
                .hasMessageContaining("proxy.authentication.publicKeyFile and proxy.authentication.jwksUrl");
    }

    @Test
    void certificateRolesAloneNeedNoKeySource() {
        AuthenticationSettings s = read("enabled", "true", "certificateRoles", "true");
        assertThat(s.certificateRoles()).isTrue();
        assertThat(s.verifiesTokens()).isFalse();
    }

    @Test
    void aBadUrlOrRefreshIntervalIsRefusedNamingItsKey() {
        assertThatThrownBy(() -> read("enabled", "true", "jwksUrl", "ftp://idp/keys"))
                .hasMessageContaining("proxy.authentication.jwksUrl");
        assertThatThrownBy(() -> read("enabled", "true", "oidcIssuerUrl", "login.example.com"))
                .hasMessageContaining("proxy.authentication.oidcIssuerUrl");
        assertThatThrownBy(() -> read("enabled", "true", "jwksUrl", "https://idp/keys", "jwksRefreshInterval", "1s"))
                .hasMessageContaining("proxy.authentication.jwksRefreshInterval");
        assertThatThrownBy(() -> read("enabled", "yes"))
                .hasMessageContaining("proxy.authentication.enabled");
    }
}
