package io.tributary.protocol;

import com.github.luben.zstd.Zstd;
import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.tributary.api.v1.CompressionType;
import io.tributary.api.v1.ErrorReason;
import java.io.IOException;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;
import org.xerial.snappy.Snappy;

/**
 * Compresses and decompresses the payload of an entry (a serialized {@code MessageList}) with the
 * codec named in its header. Each codec writes a raw block, without a frame of its own: the
 * header's {@code uncompressed_size} says how large the payload is once decompressed, so the
 * decoder allocates exactly that and checks that the block fills it.
 *
 * <p>Decoding never trusts the input: an unknown codec, a size out of range or a block that does
 * not decompress to the announced size is an {@code INVALID_REQUEST} {@link TributaryException},
 * never garbage or a huge allocation.
 */
public final class PayloadCompression {

    /**
     * The largest payload accepted for decompression: the broker's own upper bound for an entry,
     * which bounds a producer's uncompressed batch too.
     */
    public static final int MAX_UNCOMPRESSED_SIZE = 64 * 1024 * 1024;

    /** zstd's own default: a good ratio at several hundred MB/s on one core. */
    private static final int ZSTD_LEVEL = 3;

    private PayloadCompression() {}

    /** Lazily loaded, so a process that never sees LZ4 never loads its native library. */
    private static final class Lz4 {
        static final LZ4Factory FACTORY = LZ4Factory.fastestInstance();
        static final LZ4Compressor COMPRESSOR = FACTORY.fastCompressor();
        static final LZ4SafeDecompressor DECOMPRESSOR = FACTORY.safeDecompressor();
    }

    /**
     * The payload compressed with {@code type}; the payload itself for {@code COMPRESSION_NONE}.
     *
     * @throws IllegalArgumentException for a codec this version does not know
     */
    public static ByteString compress(CompressionType type, ByteString payload) {
        if (type == CompressionType.COMPRESSION_NONE) {
            return payload;
        }
        byte[] in = payload.toByteArray();
        try {
            switch (type) {
                case COMPRESSION_LZ4: {
                    byte[] out = new byte[Lz4.COMPRESSOR.maxCompressedLength(in.length)];
                    int n = Lz4.COMPRESSOR.compress(in, 0, in.length, out, 0, out.length);
                    return ByteString.copyFrom(out, 0, n);
                }
                case COMPRESSION_ZSTD:
                    return UnsafeByteOperations.unsafeWrap(Zstd.compress(in, ZSTD_LEVEL));
                case COMPRESSION_SNAPPY:
                    return UnsafeByteOperations.unsafeWrap(Snappy.compress(in));
                default:
                    throw new IllegalArgumentException("unknown compression " + type);
            }
        } catch (IOException e) {
            // snappy declares it for its native calls; compressing a heap array does not fail
            throw new IllegalStateException("snappy could not compress " + in.length + " bytes", e);
        }
    }

    /**
     * The payload decompressed; {@code compressed} itself for {@code COMPRESSION_NONE}. Accepts
     * up to {@link #MAX_UNCOMPRESSED_SIZE} bytes; see {@link #decompress(int, ByteString, int, int)}.
     */
    public static ByteString decompress(int typeNumber, ByteString compressed, int uncompressedSize) {
        return decompress(typeNumber, compressed, uncompressedSize, MAX_UNCOMPRESSED_SIZE);
    }

    /**
     * The payload decompressed; {@code compressed} itself for {@code COMPRESSION_NONE}. The header's
     * size is a claim, not a fact: before anything is allocated it must be within {@code maxSize}
     * and agree with what the block itself can hold (its codec's ratio bound, or the size its own
     * preamble or frame records), and the block must then decompress to exactly that size.
     *
     * @param typeNumber the header's codec number, which may name a codec newer than this version
     * @param uncompressedSize the header's {@code uncompressed_size}
     * @param maxSize the largest payload this process accepts (the broker's maximum message size)
     * @throws TributaryException with {@code MESSAGE_TOO_LARGE} if the announced size is above
     *         {@code maxSize}; with {@code INVALID_REQUEST} if the codec is unknown or the block
     *         is corrupt or does not match the announced size
     */
    public static ByteString decompress(int typeNumber, ByteString compressed, int uncompressedSize, int maxSize) {
        CompressionType type = CompressionType.forNumber(typeNumber);
        if (type == CompressionType.COMPRESSION_NONE) {
            return compressed;
        }
        if (type == null) {
            throw invalid("entry compressed with an unknown codec (number " + typeNumber
                    + "), which this version cannot decode; is the producer's client newer than this one?");
        }
        if (uncompressedSize < 0) {
            throw invalid("entry compressed with " + name(type) + " announces " + uncompressedSize + " bytes uncompressed");
        }
        int max = Math.min(maxSize, MAX_UNCOMPRESSED_SIZE);
        if (uncompressedSize > max) {
            throw new TributaryException(ErrorReason.MESSAGE_TOO_LARGE, "entry compressed with " + name(type)
                    + " announces " + uncompressedSize + " bytes uncompressed, above the maximum of " + max + " bytes");
        }
        byte[] in = compressed.toByteArray();
        checkClaim(type, in, uncompressedSize);
        byte[] out = new byte[uncompressedSize];
        int n;
        try {
            switch (type) {
                case COMPRESSION_LZ4:
                    n = Lz4.DECOMPRESSOR.decompress(in, 0, in.length, out, 0, out.length);
                    break;
                case COMPRESSION_ZSTD: {
                    long r = Zstd.decompress(out, in);
                    if (Zstd.isError(r)) {
                        throw invalid("corrupt " + name(type) + " payload: " + Zstd.getErrorName(r));
                    }
                    n = (int) r;
                    break;
                }
                case COMPRESSION_SNAPPY: {
                    if (!Snappy.isValidCompressedBuffer(in)) {
                        throw invalid("corrupt " + name(type) + " payload");
                    }
                    int len = Snappy.uncompressedLength(in);
                    if (len != uncompressedSize) {
                        throw invalid(name(type) + " payload holds " + len + " bytes, the header announces "
                                + uncompressedSize);
                    }
                    n = Snappy.uncompress(in, 0, in.length, out, 0);
                    break;
                }
                default:
                    throw invalid("entry compressed with " + type + ", which this version cannot decode");
            }
        } catch (TributaryException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw invalid("corrupt " + name(type) + " payload: " + e.getMessage());
        }
        if (n != uncompressedSize) {
            throw invalid(name(type) + " payload decompressed to " + n + " bytes, the header announces "
                    + uncompressedSize);
        }
        // the array is ours alone: no copy
        return UnsafeByteOperations.unsafeWrap(out);
    }

    /**
     * Refuses, before the output is allocated, a size the block cannot decompress to: LZ4 expands at
     * most 255 times (plus a few bytes), snappy and zstd record their decompressed size themselves.
     */
    private static void checkClaim(CompressionType type, byte[] in, int uncompressedSize) {
        long recorded;
        try {
            recorded = switch (type) {
                case COMPRESSION_LZ4 -> {
                    long bound = 255L * in.length + 64;
                    yield uncompressedSize <= bound ? uncompressedSize : -bound;
                }
                case COMPRESSION_SNAPPY -> Snappy.uncompressedLength(in);
                case COMPRESSION_ZSTD -> {
                    long n = Zstd.getFrameContentSize(in);
                    if (n == -1) {
                        // the frame does not record it: only the maximum bounds the allocation
                        yield uncompressedSize;
                    }
                    if (n < 0) {
                        throw invalid("corrupt ZSTD payload: no frame header");
                    }
                    yield n;
                }
                default -> uncompressedSize;
            };
        } catch (TributaryException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw invalid("corrupt " + name(type) + " payload: " + e.getMessage());
        }
        if (recorded != uncompressedSize) {
            throw invalid(name(type) + " payload of " + in.length + " bytes cannot hold the " + uncompressedSize
                    + " bytes its header announces" + (recorded >= 0 ? " (it records " + recorded + ")" : ""));
        }
    }

    /** The codec's short name, as users know it: {@code LZ4}, {@code ZSTD}, {@code SNAPPY}. */
    private static String name(CompressionType type) {
        return type.name().substring("COMPRESSION_".length());
    }

    private static TributaryException invalid(String message) {
        return new TributaryException(ErrorReason.INVALID_REQUEST, message);
    }
}
