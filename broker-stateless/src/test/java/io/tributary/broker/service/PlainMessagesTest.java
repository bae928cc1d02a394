package io.tributary.broker.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.tributary.api.v1.ErrorReason;
import io.tributary.api.v1.PlainMessage;
import io.tributary.api.v1.SingleMessage;
import io.tributary.protocol.EntryCodec;
import io.tributary.protocol.TributaryException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The entry the broker makes of plain messages: the SDK's format, header fields included. */
class PlainMessagesTest {

    private static SingleMessage single(PlainMessage.Builder m) {
        return PlainMessages.toSingle(m.build(), 0, 1_000);
    }

    private static PlainMessage.Builder value(String v) {
        return PlainMessage.newBuilder().setValue(ByteString.copyFromUtf8(v));
    }

    @Test
    void theHeaderCarriesTheSharedKeyAndTheLatestDeliveryTime() {
        byte[] entry = PlainMessages.encode("p", 7, List.of(single(value("a").setKey("k").setDeliverAfterMs(500)),
                single(value("b").setKey("k").setDeliverAtMs(1_200))), 99);
        EntryCodec.Decoded d = EntryCodec.decode(entry);
        assertThat(d.header().getProducerName()).isEqualTo("p");
        assertThat(d.header().getFirstSequenceId()).isEqualTo(7);
        assertThat(d.header().getMessageCount()).isEqualTo(2);
        assertThat(d.header().getPublishTimeMs()).isEqualTo(99);
        assertThat(d.header().getHasKey()).isTrue();
        assertThat(d.header().getKey()).isEqualTo("k");
        assertThat(d.header().getDeliverAtMs()).isEqualTo(1_500);
        assertThat(d.messages()).extracting(SingleMessage::getSequenceId).containsExactly(7L, 8L);
        assertThat(d.messages()).extracting(SingleMessage::getDeliverAtMs).containsExactly(1_500L, 1_200L);
        assertThat(EntryCodec.checkPublished(ByteString.copyFrom(entry), "p", 7, 2)).isNull();
        assertThat(entry.length).isLessThanOrEqualTo((int) PlainMessages.entrySizeBound("p",
                List.of(single(value("a").setKey("k").setDeliverAfterMs(500)), single(value("b").setKey("k")))));
    }

    @Test
    void differentKeysOrAMissingOneLeaveTheHeaderWithoutKey() {
        assertThat(EntryCodec.decode(PlainMessages.encode("p", 0, List.of(single(value("a").setKey("k")),
                single(value("b").setKey("j"))), 1)).header().getHasKey()).isFalse();
        assertThat(EntryCodec.decode(PlainMessages.encode("p", 0, List.of(single(value("a").setKey("k")),
                single(value("b"))), 1)).header().getHasKey()).isFalse();
        assertThat(EntryCodec.decode(PlainMessages.encode("p", 0, List.of(single(value("a").setKey(""))), 1))
                .header().getHasKey()).as("an empty key is a key").isTrue();
    }

    @Test
    void countsAndDelaysAreChecked() {
        assertThatThrownBy(() -> PlainMessages.checkCount(0, 10, "a Send")).isInstanceOf(TributaryException.class)
                .hasMessageContaining("no message");
        assertThatThrownBy(() -> PlainMessages.checkCount(11, 10, "a Send"))
                .satisfies(e -> assertThat(((TributaryException) e).reason()).isEqualTo(ErrorReason.INVALID_REQUEST))
                .hasMessageContaining("broker.maxSendMessages");
        PlainMessages.checkCount(10, 10, "a Send");
        assertThatThrownBy(() -> PlainMessages.toSingle(value("a").setDeliverAfterMs(-1).build(), 3, 0))
                .hasMessageContaining("message 3").hasMessageContaining("deliver_after_ms");
        assertThat(PlainMessages.toSingle(value("a").setDeliverAfterMs(Long.MAX_VALUE).build(), 0, 5).getDeliverAtMs())
                .isEqualTo(Long.MAX_VALUE);
    }
}
