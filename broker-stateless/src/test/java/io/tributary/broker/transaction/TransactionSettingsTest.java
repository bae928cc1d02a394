package io.tributary.broker.transaction;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.broker.TransactionSettings;
import io.tributary.protocol.config.Settings;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class TransactionSettingsTest {

    private static Settings settings(String... kv) {
        Properties p = new Properties();
        for (int i = 0; i < kv.length; i += 2) {
            p.setProperty(kv[i], kv[i + 1]);
        }
        return new Settings(p, Map.of());
    }

    @Test
    void keysHaveTheirDocumentedDefaultsAndAreRead() {
        assertThat(TransactionSettings.from(settings())).isEqualTo(TransactionSettings.DEFAULT);
        TransactionSettings s = TransactionSettings.from(settings("broker.transactionTimeout", "5s",
                "broker.transactionCheckInterval", "250ms", "broker.transactionMaxChecks", "3",
                "broker.transactionDefaultOutcome", "commit", "broker.maxOpenTransactions", "10",
                "broker.transactionMaxBytes", "2048", "broker.transactionBufferBytes", "4096"));
        assertThat(s).isEqualTo(new TransactionSettings(Duration.ofSeconds(5), Duration.ofHours(1), Duration.ofMillis(250), 3,
                true, 10, 2048, 4096));
    }

    @Test
    void aValueOutOfRangeIsRefusedByName() {
        assertThatThrownBy(() -> TransactionSettings.from(settings("broker.transactionDefaultOutcome", "maybe")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("broker.transactionDefaultOutcome");
        assertThatThrownBy(() -> TransactionSettings.from(settings("broker.transactionMaxChecks", "0")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("broker.transactionMaxChecks");
        assertThatThrownBy(() -> TransactionSettings.from(settings("broker.transactionBufferBytes", "1024")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("broker.transactionBufferBytes");
        assertThatThrownBy(() -> TransactionSettings.from(settings("broker.transactionTimeout", "2h")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("broker.transactionMaxTimeout");
    }
}
