package io.tributary.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import org.junit.jupiter.api.Test;

class TributaryCliTest {
    /** A failure without a message of its own, as BookKeeper's refusal of a bookie's cookie is. */
    static final class SilentFailure extends Exception {
        SilentFailure(Throwable cause) {
            super(null, cause);
        }
    }

    @Test
    void anErrorLineIsNeverEmpty() {
        assertThat(TributaryCli.describe(new IllegalStateException("the bookie cannot start"))).isEqualTo("the bookie cannot start");
        assertThat(TributaryCli.describe(new SilentFailure(null))).isEqualTo("SilentFailure");
        assertThat(TributaryCli.describe(new SilentFailure(new IOException("disk full")))).isEqualTo("SilentFailure: disk full");
    }
}
