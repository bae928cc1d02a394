package io.tributary.client;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.tributary.client.impl.Schemas;

/**
 * How values become message bytes and back. The {@link #name()} travels in the header of every
 * batch a producer writes, and a consumer compares it with its own schema's name before it
 * decodes anything, so that a consumer with the wrong schema gets a clear error, never a value
 * decoded into garbage.
 *
 * <p>The rule a consumer applies to each received message:
 * <ul>
 *   <li>a consumer of {@link #BYTES} reads every message, whatever its schema;</li>
 *   <li>a message whose producer declared no format (schema {@code "bytes"}, or no schema name at
 *       all, as from clients in other languages that leave it empty) is decoded with the
 *       consumer's schema: the consumer asked for that format, and bytes that are not in it fail
 *       with {@link TributaryClientException.SchemaSerializationException};</li>
 *   <li>otherwise the names must be equal ({@code "string"}, {@code "json:<class name>"},
 *       {@code "protobuf:<full message name>"}); a message written with another schema fails with
 *       {@link TributaryClientException.IncompatibleSchemaException}, which names both.</li>
 * </ul>
 * Both errors come from {@code receive} (and {@code readNext}), which decodes the value before it
 * hands the message over, so that the error reaches the code that can act on it; the message then
 * counts as received and stays unacknowledged (see the exceptions for what to do with it).
 *
 * <p>Implementations must be thread-safe. A custom schema should give a name of its own, and its
 * {@link #decode} should throw a {@link RuntimeException} for bytes that are not a valid value.
 *
 * @param <T> the value type
 */
public interface Schema<T> {

    /** Values are the message bytes as they are; a consumer of this schema reads any message. */
    Schema<byte[]> BYTES = Schemas.BYTES;

    /** Values are strings, encoded as UTF-8. Name {@code "string"}. */
    Schema<String> STRING = Schemas.STRING;

    /**
     * Values are objects of {@code type} written as JSON by Jackson, with a mapper that ignores
     * unknown properties (so a producer may add fields without breaking older consumers) and
     * otherwise Jackson's defaults; records and beans both work. Name {@code "json:" + type.getName()}.
     *
     * @throws IllegalArgumentException if {@code type} is null
     */
    static <T> Schema<T> JSON(Class<T> type) {
        return Schemas.json(type, null);
    }

    /**
     * {@link #JSON(Class)} with a mapper of your own, e.g. one with the Java time module
     * registered. The mapper must not be reconfigured afterwards. Name {@code "json:" + type.getName()}.
     *
     * @throws IllegalArgumentException if {@code type} or {@code mapper} is null
     */
    static <T> Schema<T> JSON(Class<T> type, ObjectMapper mapper) {
        if (mapper == null) {
            throw new IllegalArgumentException("the object mapper must not be null");
        }
        return Schemas.json(type, mapper);
    }

    /**
     * Values are protobuf messages of the generated class {@code type}, in protobuf's binary
     * format. Name {@code "protobuf:" + the message's full name} (e.g. {@code protobuf:acme.v1.Order}).
     *
     * @throws IllegalArgumentException if {@code type} is null or not a generated message class
     *         (one with a static {@code getDefaultInstance()})
     */
    static <T extends com.google.protobuf.Message> Schema<T> PROTOBUF(Class<T> type) {
        return Schemas.protobuf(type);
    }

    /**
     * The bytes of a value.
     *
     * @throws RuntimeException if the value cannot be encoded; a producer reports it as
     *         {@link TributaryClientException.SchemaSerializationException}
     */
    byte[] encode(T value);

    /**
     * The value of some bytes.
     *
     * @throws RuntimeException if the bytes are not a valid value (the built-in schemas throw
     *         {@link IllegalArgumentException}); a consumer reports it as
     *         {@link TributaryClientException.SchemaSerializationException}
     */
    T decode(byte[] bytes);

    /**
     * The name that travels with every batch, e.g. {@code "bytes"}, {@code "string"},
     * {@code "json:com.acme.Order"}, {@code "protobuf:acme.v1.Order"}.
     */
    String name();
}
