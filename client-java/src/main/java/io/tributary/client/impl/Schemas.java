package io.tributary.client.impl;

import io.tributary.client.Schema;
import java.nio.charset.StandardCharsets;

/** The built-in schemas behind {@link Schema#BYTES} and {@link Schema#STRING}. */
public final class Schemas {

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
            return "bytes";
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

    private Schemas() {}
}
