package io.tributary.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.tributary.api.v1.BatchHeader;
import io.tributary.api.v1.CompressionType;
import io.tributary.api.v1.EntryBatch;
import io.tributary.api.v1.ErrorReason;
import io.tributary.api.v1.SingleMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

class PayloadCompressionTest {

    /** Messages like real events: JSON with repeating field names and few distinct values. */
    static List<SingleMessage> jsonEvents(int n) {
        List<SingleMessage> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            String json = "{\"orderId\":" + (100000 + i) + ",\"customer\":\"customer-" + (i % 37)
                    + "\",\"status\":\"" + (i % 3 == 0 ? "PAID" : "CREATED") + "\",\"currency\":\"EUR\",\"amount\":"
                    + (i % 500) + ".99,\"items\":[{\"sku\":\"SKU-" + (i % 11) + "\",\"qty\":1}]}";
            out.add(SingleMessage.newBuilder().setValue(ByteString.copyFromUtf8(json)).setSequenceId(i)
                    .setKey("customer-" + (i % 37)).setHasKey(true).putProperties("source", "checkout").build());
        }
        return out;
    }

    private static BatchHeader header(ByteString entry) throws Exception {
        return EntryBatch.parseFrom(entry).getHeader();
    }

    @ParameterizedTest
    @EnumSource(value = CompressionType.class, names = {"COMPRESSION_LZ4", "COMPRESSION_ZSTD", "COMPRESSION_SNAPPY"})
    void everyCodecRoundTripsAndShrinksACompressibleBatch(CompressionType type) throws Exception {
        List<SingleMessage> messages = jsonEvents(500);
        ByteString plain = EntryCodec.encode("p", "string", 0, messages, 1, CompressionType.COMPRESSION_NONE);
        ByteString packed = EntryCodec.encode("p", "string", 0, messages, 1, type);

        BatchHeader h = header(packed);
        assertThat(h.getCompression()).isEqualTo(type);
        assertThat(h.getUncompressedSize()).isEqualTo(EntryBatch.parseFrom(plain).getPayload().size());
        assertThat(packed.size()).isLessThan(plain.size() / 3);
        assertThat(EntryCodec.decode(packed).messages()).containsExactlyElementsOf(messages);
        System.out.printf("%s: %d messages, %d bytes uncompressed, %d compressed, ratio %.1f%n", type,
                messages.size(), plain.size(), packed.size(), (double) plain.size() / packed.size());
    }

    @ParameterizedTest
    @EnumSource(value = CompressionType.class, names = {"COMPRESSION_LZ4", "COMPRESSION_ZSTD", "COMPRESSION_SNAPPY"})
    void aBatchThatDoesNotShrinkIsStoredUncompressed(CompressionType type) throws Exception {
        byte[] random = new byte[4096];
        new Random(42).nextBytes(random);
        List<SingleMessage> messages = List.of(SingleMessage.newBuilder().setValue(ByteString.copyFrom(random)).build());
        ByteString entry = EntryCodec.encode("p", "bytes", 0, messages, 1, type);
        assertThat(header(entry).getCompression()).isEqualTo(CompressionType.COMPRESSION_NONE);
        assertThat(EntryCodec.decode(entry).messages()).containsExactlyElementsOf(messages);
    }

    @Test
    void anEmptyBatchRoundTrips() {
        ByteString entry = EntryCodec.encode("p", "bytes", 0, List.of(), 1, CompressionType.COMPRESSION_ZSTD);
        assertThat(EntryCodec.decode(entry).messages()).isEmpty();
    }

    @Test
    void anUnknownCodecIsAClearError() {
        ByteString entry = EntryBatch.newBuilder()
                .setHeader(BatchHeader.newBuilder().setCompressionValue(9).setUncompressedSize(3))
                .setPayload(ByteString.copyFromUtf8("zzz"))
                .build().toByteString();
        assertThatThrownBy(() -> EntryCodec.decode(entry))
                .isInstanceOf(TributaryException.class)
                .hasMessageContaining("unknown codec (number 9)")
                .extracting(e -> ((TributaryException) e).detail().getReason())
                .isEqualTo(ErrorReason.INVALID_REQUEST);
    }

    @ParameterizedTest
    @EnumSource(value = CompressionType.class, names = {"COMPRESSION_LZ4", "COMPRESSION_ZSTD", "COMPRESSION_SNAPPY"})
    void aTruncatedOrMislabelledPayloadIsAClearErrorNotGarbage(CompressionType type) throws Exception {
        EntryBatch good = EntryBatch.parseFrom(EntryCodec.encode("p", "string", 0, jsonEvents(50), 1, type));
        String codec = type.name().substring("COMPRESSION_".length());

        ByteString payload = good.getPayload();
        EntryBatch truncated = good.toBuilder().setPayload(payload.substring(0, payload.size() / 2)).build();
        assertThatThrownBy(() -> EntryCodec.decode(truncated.toByteString()))
                .isInstanceOf(TributaryException.class).hasMessageContaining(codec);

        EntryBatch wrongSize = good.toBuilder()
                .setHeader(good.getHeader().toBuilder().setUncompressedSize(good.getHeader().getUncompressedSize() + 10))
                .build();
        assertThatThrownBy(() -> EntryCodec.decode(wrongSize.toByteString()))
                .isInstanceOf(TributaryException.class).hasMessageContaining(codec);

        EntryBatch notCompressed = good.toBuilder().setPayload(ByteString.copyFromUtf8("plain text, not " + codec)).build();
        assertThatThrownBy(() -> EntryCodec.decode(notCompressed.toByteString()))
                .isInstanceOf(TributaryException.class).hasMessageContaining(codec);
    }

    @Test
    void aHugeAnnouncedSizeIsRefusedBeforeAllocating() {
        ByteString entry = EntryBatch.newBuilder()
                .setHeader(BatchHeader.newBuilder().setCompression(CompressionType.COMPRESSION_LZ4)
                        .setUncompressedSize(Integer.MAX_VALUE))
                .setPayload(ByteString.copyFromUtf8("zzz"))
                .build().toByteString();
        assertThatThrownBy(() -> EntryCodec.decode(entry))
                .isInstanceOf(TributaryException.class)
                .hasMessageContaining("announces " + Integer.MAX_VALUE);
    }

    /** Bytes this thread allocated while running {@code r}. */
    private static long allocatedBy(Runnable r) {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long before = mx.getCurrentThreadAllocatedBytes();
        try {
            r.run();
        } catch (TributaryException expected) {
            // measured either way
        }
        return mx.getCurrentThreadAllocatedBytes() - before;
    }

    @ParameterizedTest
    @EnumSource(value = CompressionType.class, names = {"COMPRESSION_LZ4", "COMPRESSION_ZSTD", "COMPRESSION_SNAPPY"})
    void aSizeClaimTheBlockCannotHoldIsRefusedWithoutAllocatingIt(CompressionType type) {
        ByteString block = PayloadCompression.compress(type, ByteString.copyFromUtf8("a small payload, a small payload"));
        int claim = 60 * 1024 * 1024; // under the old 64 MiB ceiling, far above what the block holds
        assertThatThrownBy(() -> PayloadCompression.decompress(type.getNumber(), block, claim))
                .isInstanceOf(TributaryException.class)
                .satisfies(e -> assertThat(((TributaryException) e).reason()).isEqualTo(ErrorReason.INVALID_REQUEST))
                .hasMessageContaining(String.valueOf(claim));
        assertThat(allocatedBy(() -> PayloadCompression.decompress(type.getNumber(), block, claim)))
                .as("nothing near the claimed size is allocated").isLessThan(1024 * 1024);
    }

    @Test
    void aClaimAboveTheCallersMaximumIsTooLarge() {
        ByteString block = PayloadCompression.compress(CompressionType.COMPRESSION_ZSTD, ByteString.copyFrom(new byte[2048]));
        assertThatThrownBy(() -> PayloadCompression.decompress(CompressionType.COMPRESSION_ZSTD_VALUE, block, 2048, 1024))
                .isInstanceOf(TributaryException.class)
                .satisfies(e -> assertThat(((TributaryException) e).reason()).isEqualTo(ErrorReason.MESSAGE_TOO_LARGE))
                .hasMessageContaining("2048").hasMessageContaining("1024");
        assertThat(PayloadCompression.decompress(CompressionType.COMPRESSION_ZSTD_VALUE, block, 2048, 2048).size()).isEqualTo(2048);
    }
}
