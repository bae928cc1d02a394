package io.tributary.client;

/**
 * How a producer compresses its batches ({@link ProducerBuilder#compressionType}). A batch is
 * compressed as a whole, once, by the producer; the broker stores it as is and every consumer,
 * reader and the broker's unary {@code Receive} decompress it, whatever their own setting, so
 * producers with different codecs can share a topic. A batch that a codec does not make smaller
 * is stored uncompressed.
 */
public enum CompressionType {
    /** No compression (the default). */
    NONE,
    /** LZ4: the fastest to compress and decompress, a moderate ratio. A good default for throughput. */
    LZ4,
    /** Zstandard (level 3): the best ratio of the four at a moderate CPU cost; for bandwidth- or storage-bound topics. */
    ZSTD,
    /** Snappy: fast, a ratio close to LZ4's; for compatibility with systems that use it. */
    SNAPPY
}
