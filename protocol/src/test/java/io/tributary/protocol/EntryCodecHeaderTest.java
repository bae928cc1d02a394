package io.tributary.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.tributary.api.v1.BatchHeader;
import io.tributary.api.v1.CompressionType;
import io.tributary.api.v1.SingleMessage;
import java.util.List;
import org.junit.jupiter.api.Test;

class EntryCodecHeaderTest {
    @Test
    void readsTheHeaderOfAnEncodedEntryWithoutItsPayload() {
        List<SingleMessage> messages = List.of(
                SingleMessage.newBuilder().setValue(ByteString.copyFromUtf8("a".repeat(500))).build(),
                SingleMessage.newBuilder().setValue(ByteString.copyFromUtf8("b".repeat(500))).build());
        byte[] entry = EntryCodec.encode("p-1", "", 41, messages, 1234, CompressionType.COMPRESSION_ZSTD).toByteArray();

        BatchHeader h = EntryCodec.header(entry);

        assertThat(h.getProducerName()).isEqualTo("p-1");
        assertThat(h.getFirstSequenceId()).isEqualTo(41);
        assertThat(h.getMessageCount()).isEqualTo(2);
        assertThat(h.getPublishTimeMs()).isEqualTo(1234);
        assertThat(EntryCodec.messageCount(entry)).isEqualTo(2);
    }

    @Test
    void bytesThatAreNoEntryReadAsTheDefaultHeaderAndOneMessage() {
        byte[] garbage = {(byte) 0xff, (byte) 0xff, (byte) 0xff};

        assertThat(EntryCodec.header(garbage)).isEqualTo(BatchHeader.getDefaultInstance());
        assertThat(EntryCodec.header(new byte[0])).isEqualTo(BatchHeader.getDefaultInstance());
        assertThat(EntryCodec.messageCount(garbage)).isEqualTo(1);
    }
}
