package io.tributary.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/**
 * The key placement other clients must reproduce. The expected values come from a separate
 * implementation of Murmur3 x86_32 (seed 0); e.g. murmur3_32("a") = 0x3c2569b2.
 */
class MessageRouterTest {

    @Test
    void keysArePlacedByMurmur3OfTheirUtf8BytesWithTheSignBitCleared() {
        // 0x4b11a18e
        assertThat(MessageRouter.partitionForKey("order-42", 7)).isEqualTo(6);
        assertThat(MessageRouter.partitionForKey("order-42", 16)).isEqualTo(14);
        // 0x3c2569b2
        assertThat(MessageRouter.partitionForKey("a", 7)).isEqualTo(4);
        // 0x51365930: the UTF-8 bytes of ü, not its UTF-16 unit
        assertThat(MessageRouter.partitionForKey("key-ü", 7)).isEqualTo(5);
        assertThat(MessageRouter.partitionForKey("", 7)).isZero();
    }

    @Test
    void aHashWithTheTopBitSetIsNotTakenAsNegative() {
        // 0xf8a28763: (h & 0x7fffffff) % 7 = 5, where floorMod of the signed int would give 3
        assertThat(MessageRouter.partitionForKey("user-1", 7)).isEqualTo(5);
        // 0xc93e2042
        assertThat(MessageRouter.partitionForKey("user-5", 7)).isEqualTo(6);
    }

    @Test
    void rejectsNoPartitionsAndNoKey() {
        assertThatThrownBy(() -> MessageRouter.partitionForKey("k", 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("numPartitions");
        assertThatThrownBy(() -> MessageRouter.partitionForKey(null, 3)).isInstanceOf(NullPointerException.class);
    }
}
