package io.tributary.client;

import io.tributary.client.impl.Schemas;

/**
 * How values become message bytes and back. The {@link #name()} travels in every batch header
 * so that tools can tell how to read a topic's messages.
 *
 * @param <T> the value type
 */
public interface Schema<T> {

    /** Values are the message bytes as they are. */
    Schema<byte[]> BYTES = Schemas.BYTES;

    /** Values are strings, encoded as UTF-8. */
    Schema<String> STRING = Schemas.STRING;

    byte[] encode(T value);

    T decode(byte[] bytes);

    /** A short name for the encoding, e.g. {@code "bytes"}, {@code "string"}. */
    String name();
}
