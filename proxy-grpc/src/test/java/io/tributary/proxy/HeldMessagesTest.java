package io.tributary.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.api.v1.MessageId;
import org.junit.jupiter.api.Test;

class HeldMessagesTest {
    private static MessageId id(long entry) {
        return MessageId.newBuilder().setLedgerId(7).setEntryId(entry).setBatchIndex(0).setBatchSize(1).build();
    }

    @Test
    void aClientThatNeverAcknowledgesCostsABoundedRecord() {
        HeldMessages held = new HeldMessages();
        for (long e = 0; e < HeldMessages.MAX_TRACKED + 5_000L; e++) {
            held.deliveredMessage(id(e));
        }
        assertThat(held.size()).isEqualTo(HeldMessages.MAX_TRACKED);
        held.expectAgain();
        // tracked ones are held back after a move; one beyond the bound passes (delivered again: at least once)
        assertThat(held.takeIfExpected(HeldMessages.Pos.messageOf(id(0)))).isTrue();
        assertThat(held.takeIfExpected(HeldMessages.Pos.messageOf(id(HeldMessages.MAX_TRACKED + 1L)))).isFalse();
    }

    @Test
    void acknowledgingMakesRoomAgain() {
        HeldMessages held = new HeldMessages();
        for (long e = 0; e < HeldMessages.MAX_TRACKED; e++) {
            held.deliveredMessage(id(e));
        }
        held.acked(id(HeldMessages.MAX_TRACKED - 1L), true, false);
        assertThat(held.size()).isZero();
        held.deliveredMessage(id(HeldMessages.MAX_TRACKED));
        assertThat(held.size()).isEqualTo(1);
    }
}
