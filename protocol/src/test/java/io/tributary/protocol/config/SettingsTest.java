package io.tributary.protocol.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class SettingsTest {

    private static Properties props(String... kv) {
        Properties p = new Properties();
        for (int i = 0; i < kv.length; i += 2) {
            p.setProperty(kv[i], kv[i + 1]);
        }
        return p;
    }

    @Test
    void theEnvironmentOverridesTheFileAndBlankValuesCountAsUnset() {
        Settings s = new Settings(props("x.port", "1", "x.bindAddress", " 10.0.0.1 ", "x.blank", " "),
                Map.of("TRIBUTARY_X_PORT", "2", "TRIBUTARY_X_BIND_ADDRESS", " "));
        assertThat(s.getInt("x.port", 0)).isEqualTo(2);
        assertThat(s.get("x.bindAddress", "d")).isEqualTo("10.0.0.1");
        assertThat(s.get("x.blank", "d")).isEqualTo("d");
        assertThat(s.get("x.missing", null)).isNull();
        assertThat(new Settings(null, null).getLong("x.missing", 7)).isEqualTo(7);
    }

    @Test
    void environmentNamesSplitCamelCase() {
        assertThat(Settings.envName("broker.maxMessageSize")).isEqualTo("TRIBUTARY_BROKER_MAX_MESSAGE_SIZE");
        assertThat(Settings.envName("proxy.brokerServiceUrl")).isEqualTo("TRIBUTARY_PROXY_BROKER_SERVICE_URL");
    }

    @Test
    void durationsTakeAUnitOrIso8601AndABareNumberOnlyWhereAUnitIsGiven() {
        assertThat(Settings.parseDuration("k", "200ms")).isEqualTo(Duration.ofMillis(200));
        assertThat(Settings.parseDuration("k", "15s")).isEqualTo(Duration.ofSeconds(15));
        assertThat(Settings.parseDuration("k", "2m")).isEqualTo(Duration.ofMinutes(2));
        assertThat(Settings.parseDuration("k", "4h")).isEqualTo(Duration.ofHours(4));
        assertThat(Settings.parseDuration("k", "1d")).isEqualTo(Duration.ofDays(1));
        assertThat(Settings.parseDuration("k", "pt15s")).isEqualTo(Duration.ofSeconds(15));
        assertThat(Settings.parseDuration("k", "1500", ChronoUnit.MILLIS)).isEqualTo(Duration.ofMillis(1500));
        assertThatThrownBy(() -> Settings.parseDuration("k", "1500")).hasMessageContaining("k must be a duration");
        assertThatThrownBy(() -> Settings.parseDuration("k", "soon", ChronoUnit.MILLIS))
                .hasMessageContaining("k must be a duration").hasMessageContaining("'soon'");
    }

    @Test
    void badValuesNameTheirKey() {
        Settings s = new Settings(props("a", "seven", "b", "yes", "c", "x"), Map.of());
        assertThatThrownBy(() -> s.getInt("a", 0)).hasMessageContaining("a must be an integer, got 'seven'");
        assertThatThrownBy(() -> s.getLong("a", 0)).hasMessageContaining("a must be an integer");
        assertThatThrownBy(() -> s.getBoolean("b", false)).hasMessageContaining("b must be true or false");
        assertThatThrownBy(() -> s.getDouble("c", 0)).hasMessageContaining("c must be a number");
    }
}
