package io.tributary.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class BatchReceivePolicyTest {

    @Test
    void defaultsArePulsars() {
        BatchReceivePolicy p = BatchReceivePolicy.DEFAULT;
        assertThat(p.getMaxNumMessages()).isEqualTo(100);
        assertThat(p.getMaxNumBytes()).isEqualTo(10L * 1024 * 1024);
        assertThat(p.getTimeout()).isEqualTo(Duration.ofMillis(100));
        assertThat(BatchReceivePolicy.builder().build()).isEqualTo(p);
    }

    @Test
    void builderSetsEveryLimit() {
        BatchReceivePolicy p = BatchReceivePolicy.builder().maxNumMessages(7).maxNumBytes(2048)
                .timeout(3, TimeUnit.SECONDS).build();
        assertThat(p.getMaxNumMessages()).isEqualTo(7);
        assertThat(p.getMaxNumBytes()).isEqualTo(2048);
        assertThat(p.getTimeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(BatchReceivePolicy.builder().timeout(Duration.ZERO).build().getTimeout()).isZero();
    }

    @Test
    void builderRejectsBadLimitsNamingThem() {
        assertThatThrownBy(() -> BatchReceivePolicy.builder().maxNumMessages(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxNumMessages");
        assertThatThrownBy(() -> BatchReceivePolicy.builder().maxNumBytes(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxNumBytes");
        assertThatThrownBy(() -> BatchReceivePolicy.builder().timeout(Duration.ofMillis(-1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("timeout");
        assertThatThrownBy(() -> BatchReceivePolicy.builder().timeout(-1, TimeUnit.SECONDS))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("timeout");
    }
}
