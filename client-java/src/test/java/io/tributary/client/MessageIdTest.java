package io.tributary.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class MessageIdTest {

    @Test
    void bytesRoundTripKeepsEveryField() {
        MessageId id = new MessageId(12, 345, 6, 3, 10);
        MessageId back = MessageId.fromByteArray(id.toByteArray());
        assertThat(back).isEqualTo(id);
        assertThat(back.getLedgerId()).isEqualTo(12);
        assertThat(back.getEntryId()).isEqualTo(345);
        assertThat(back.getBatchIndex()).isEqualTo(6);
        assertThat(back.getPartition()).isEqualTo(3);
        assertThat(back.getBatchSize()).isEqualTo(10);
    }

    @Test
    void bytesRoundTripOfUnpartitionedAndSpecialIds() {
        MessageId id = MessageId.of(1, 2, 0);
        assertThat(MessageId.fromByteArray(id.toByteArray()).getPartition()).isEqualTo(-1);
        assertThat(MessageId.fromByteArray(MessageId.earliest.toByteArray())).isEqualTo(MessageId.earliest);
        assertThat(MessageId.fromByteArray(MessageId.latest.toByteArray())).isEqualTo(MessageId.latest);
    }

    @Test
    void bytesAreTheProtocolMessage() throws Exception {
        MessageId id = new MessageId(7, 8, 9, -1, 11);
        io.tributary.api.v1.MessageId p = io.tributary.api.v1.MessageId.parseFrom(id.toByteArray());
        assertThat(p.getLedgerId()).isEqualTo(7);
        assertThat(p.getEntryId()).isEqualTo(8);
        assertThat(p.getBatchIndex()).isEqualTo(9);
        assertThat(p.getPartition()).isEqualTo(-1);
        assertThat(p.getBatchSize()).isEqualTo(11);
    }

    @Test
    void garbageBytesAreRefused() {
        assertThatThrownBy(() -> MessageId.fromByteArray(new byte[] {(byte) 0xff, (byte) 0xff}))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> MessageId.fromByteArray(null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void stringForm() {
        assertThat(new MessageId(3, 4, 5, -1, 9).toString()).isEqualTo("3:4:5");
        assertThat(new MessageId(3, 4, 5, 2, 9).toString()).isEqualTo("3:4:5:2");
        assertThat(new MessageId(3, 4, 5, 0, 9).toString()).isEqualTo("3:4:5:0");
    }

    @Test
    void stringRoundTrip() {
        for (MessageId id : List.of(new MessageId(3, 4, 5, -1, 9), new MessageId(3, 4, 5, 0, 9),
                new MessageId(Long.MAX_VALUE, 0, 999, 17, 1000), MessageId.earliest, MessageId.latest)) {
            MessageId back = MessageId.fromString(id.toString());
            assertThat(back).isEqualTo(id);
            assertThat(back.getBatchSize()).isZero();
        }
    }

    @Test
    void malformedStringsAreRefused() {
        for (String s : new String[] {"", "1:2", "1:2:3:4:5", "a:2:3", "1:2:x", "1::3"}) {
            assertThatThrownBy(() -> MessageId.fromString(s)).as(s).isInstanceOf(IllegalArgumentException.class);
        }
        assertThatThrownBy(() -> MessageId.fromString(null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void equalityIgnoresBatchSize() {
        MessageId a = new MessageId(1, 2, 3, -1, 10);
        MessageId b = new MessageId(1, 2, 3, -1, 0);
        assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
        assertThat(a.compareTo(b)).isZero();
        assertThat(a).isNotEqualTo(new MessageId(1, 2, 3, 0, 10));
        assertThat(a).isNotEqualTo(new MessageId(1, 2, 4, -1, 10));
    }

    @Test
    void orderingIsLedgerThenEntryThenBatchIndex() {
        List<MessageId> sorted = List.of(
                MessageId.earliest,
                MessageId.of(0, 0, 0),
                MessageId.of(0, 0, 1),
                MessageId.of(0, 1, 0),
                MessageId.of(0, 10, 0),
                MessageId.of(1, 0, 0),
                MessageId.of(1, 0, 5),
                MessageId.latest);
        List<MessageId> shuffled = new ArrayList<>(sorted);
        Collections.reverse(shuffled);
        Collections.sort(shuffled);
        assertThat(shuffled).containsExactlyElementsOf(sorted);
        assertThat(MessageId.of(1, 2, 3)).isLessThan(MessageId.of(1, 3, 0));
        assertThat(MessageId.of(2, 0, 0)).isGreaterThan(MessageId.of(1, Long.MAX_VALUE - 1, 100));
    }

    @Test
    void javaSerialization() throws Exception {
        MessageId id = new MessageId(5, 6, 7, 1, 8);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ObjectOutputStream o = new ObjectOutputStream(out)) {
            o.writeObject(id);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(out.toByteArray()))) {
            MessageId back = (MessageId) in.readObject();
            assertThat(back).isEqualTo(id);
            assertThat(back.getBatchSize()).isEqualTo(8);
        }
    }
}
