package io.tributary.client.impl;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Parser;
import io.tributary.client.Schema;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;

/** The built-in schemas behind {@link Schema}, and the rule for which messages a schema reads. */
public final class Schemas {

    /** The name of {@link Schema#BYTES}: a producer that declares no format. */
    static final String BYTES_NAME = "bytes";

    public static final Schema<byte[]> BYTES = new Schema<>() {
        @Override
        public byte[] encode(byte[] value) {
            return value;
        }

        @Override
        public byte[] decode(byte[] bytes) {
            return bytes;
        }

        @Override
        public String name() {
            return BYTES_NAME;
        }

        @Override
        public String toString() {
            return "Schema.BYTES";
        }
    };

    public static final Schema<String> STRING = new Schema<>() {
        @Override
        public byte[] encode(String value) {
            return value.getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public String decode(byte[] bytes) {
            return new String(bytes, StandardCharsets.UTF_8);
        }

        @Override
        public String name() {
            return "string";
        }

        @Override
        public String toString() {
            return "Schema.STRING";
        }
    };

    /**
     * Shared by every JSON schema made without a mapper of its own; configured once, so thread-safe.
     * Unknown properties are ignored (a producer may add fields); anything after the value is an error.
     */
    private static final ObjectMapper DEFAULT_MAPPER = new ObjectMapper()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private Schemas() {}

    /**
     * Whether a consumer with schema {@code reader} may decode a message whose batch header names
     * {@code writerName} (the rule is documented on {@link Schema}).
     */
    public static boolean canRead(Schema<?> reader, String writerName) {
        if (reader == BYTES || writerName == null || writerName.isEmpty() || writerName.equals(BYTES_NAME)) {
            return true;
        }
        return writerName.equals(reader.name());
    }

    /** A JSON schema for {@code type}; {@code mapper} null for the default one. */
    public static <T> Schema<T> json(Class<T> type, ObjectMapper mapper) {
        if (type == null) {
            throw new IllegalArgumentException("the JSON schema needs a class");
        }
        return new JsonSchema<>(type, mapper == null ? DEFAULT_MAPPER : mapper);
    }

    /** A protobuf schema for the generated message class {@code type}. */
    public static <T extends com.google.protobuf.Message> Schema<T> protobuf(Class<T> type) {
        if (type == null) {
            throw new IllegalArgumentException("the protobuf schema needs a message class");
        }
        Object instance;
        try {
            var method = type.getMethod("getDefaultInstance");
            if (!Modifier.isStatic(method.getModifiers())) {
                throw new NoSuchMethodException("getDefaultInstance is not static");
            }
            instance = method.invoke(null);
        } catch (NoSuchMethodException | IllegalAccessException | InvocationTargetException e) {
            throw new IllegalArgumentException(type.getName() + " is not a generated protobuf message class "
                    + "(it has no static getDefaultInstance())", e);
        }
        if (!type.isInstance(instance)) {
            throw new IllegalArgumentException(type.getName() + ".getDefaultInstance() does not return a " + type.getName());
        }
        return new ProtobufSchema<>(type, type.cast(instance));
    }

    private static final class JsonSchema<T> implements Schema<T> {
        private final Class<T> type;
        private final ObjectReader reader;
        private final ObjectWriter writer;
        private final String name;

        JsonSchema(Class<T> type, ObjectMapper mapper) {
            this.type = type;
            this.reader = mapper.readerFor(type);
            this.writer = mapper.writerFor(type);
            this.name = "json:" + type.getName();
        }

        @Override
        public byte[] encode(T value) {
            try {
                return writer.writeValueAsBytes(value);
            } catch (JsonProcessingException e) {
                throw new IllegalArgumentException("cannot write a " + type.getName() + " as JSON: " + e.getOriginalMessage(), e);
            }
        }

        @Override
        public T decode(byte[] bytes) {
            try {
                return reader.readValue(bytes);
            } catch (JsonProcessingException e) {
                throw new IllegalArgumentException("the bytes are not a JSON " + type.getName() + ": " + e.getOriginalMessage(), e);
            } catch (IOException e) {
                throw new IllegalArgumentException("the bytes are not a JSON " + type.getName() + ": " + e.getMessage(), e);
            }
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public String toString() {
            return "Schema.JSON(" + type.getName() + ")";
        }
    }

    private static final class ProtobufSchema<T extends com.google.protobuf.Message> implements Schema<T> {
        private final Class<T> type;
        private final Parser<? extends com.google.protobuf.Message> parser;
        private final String name;

        ProtobufSchema(Class<T> type, T defaultInstance) {
            this.type = type;
            this.parser = defaultInstance.getParserForType();
            this.name = "protobuf:" + defaultInstance.getDescriptorForType().getFullName();
        }

        @Override
        public byte[] encode(T value) {
            return value.toByteArray();
        }

        @Override
        public T decode(byte[] bytes) {
            try {
                return type.cast(parser.parseFrom(bytes));
            } catch (InvalidProtocolBufferException e) {
                throw new IllegalArgumentException("the bytes are not a protobuf "
                        + name.substring("protobuf:".length()) + ": " + e.getMessage(), e);
            }
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public String toString() {
            return "Schema.PROTOBUF(" + type.getName() + ")";
        }
    }
}
