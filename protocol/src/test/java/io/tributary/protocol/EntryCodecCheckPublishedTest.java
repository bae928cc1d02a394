package io.tributary.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.tributary.api.v1.BatchHeader;
import io.tributary.api.v1.CompressionType;
import io.tributary.api.v1.EntryBatch;
import io.tributary.api.v1.SingleMessage;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** What the broker checks in a published batch before storing it: the header against the stream and the payload. */
class EntryCodecCheckPublishedTest {
    private static List<SingleMessage> messages(int n) {
        return IntStream.range(0, n).mapToObj(i -> SingleMessage.newBuilder()
                .setValue(ByteString.copyFromUtf8("message " + i + " ".repeat(200))).build()).toList();
    }

    @Test
    void aTruthfulBatchPassesWhateverItsCompression() {
        for (CompressionType c : List.of(CompressionType.COMPRESSION_NONE, CompressionType.COMPRESSION_LZ4,
                CompressionType.COMPRESSION_ZSTD)) {
            ByteString entry = EntryCodec.encode("p", "string", 7, messages(5), 1, c);
            assertThat(EntryCodec.checkPublished(entry, "p", 7, 5)).as("%s", c).isNull();
        }
    }

    @Test
    void aCompressedBatchClaimingMoreMessagesThanItHoldsIsRefused() {
        ByteString entry = EntryCodec.encode("p", "string", 0, messages(3), 1, CompressionType.COMPRESSION_ZSTD);
        EntryBatch batch = parse(entry);
        ByteString forged = batch.toBuilder().setHeader(batch.getHeader().toBuilder().setMessageCount(1000)).build()
                .toByteString();
        assertThat(EntryCodec.checkPublished(forged, "p", 0, 1000)).contains("holds 3");
    }

    @Test
    void aHeaderAnnouncingAHugeUncompressedSizeIsRefusedWithoutAllocatingIt() {
        ByteString entry = EntryCodec.encode("p", "string", 0, messages(3), 1, CompressionType.COMPRESSION_LZ4);
        EntryBatch batch = parse(entry);
        ByteString forged = batch.toBuilder().setHeader(batch.getHeader().toBuilder().setUncompressedSize(Integer.MAX_VALUE))
                .build().toByteString();
        assertThat(EntryCodec.checkPublished(forged, "p", 0, 3)).isNotNull();
    }

    @Test
    void headersThatDisagreeWithTheStreamAreRefused() {
        ByteString entry = EntryCodec.encode("p", "string", 10, messages(2), 1);
        assertThat(EntryCodec.checkPublished(entry, "q", 10, 2)).contains("'p'").contains("'q'");
        assertThat(EntryCodec.checkPublished(entry, "p", 11, 2)).contains("10");
        assertThat(EntryCodec.checkPublished(entry, "p", 10, 3)).contains("counts 2");
        assertThat(EntryCodec.checkPublished(entry, "p", -1, 2)).contains("negative");
        assertThat(EntryCodec.checkPublished(entry, "p", 10, 0)).contains("at least 1");
        assertThat(EntryCodec.checkPublished(ByteString.copyFromUtf8("no entry"), "p", 10, 2)).isNotNull();
        ByteString headless = EntryBatch.newBuilder().setPayload(ByteString.copyFromUtf8("x")).build().toByteString();
        assertThat(EntryCodec.checkPublished(headless, "p", 10, 2)).contains("no header");
        ByteString garbagePayload = EntryBatch.newBuilder().setHeader(BatchHeader.newBuilder().setProducerName("p")
                .setFirstSequenceId(10).setMessageCount(2)).setPayload(ByteString.copyFrom(new byte[] {(byte) 0x0a, (byte) 0xff}))
                .build().toByteString();
        assertThat(EntryCodec.checkPublished(garbagePayload, "p", 10, 2)).contains("not a valid message list");
    }

    private static EntryBatch parse(ByteString entry) {
        try {
            return EntryBatch.parseFrom(entry);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
