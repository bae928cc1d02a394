package io.tributary.protocol;

import com.google.protobuf.ByteOutput;
import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import java.io.IOException;
import java.nio.ByteBuffer;

/** Bytes of a {@link ByteString} as an array, without a copy where one is not needed. */
public final class ByteStrings {
    private ByteStrings() {}

    /**
     * The bytes of {@code bytes} as an array that must not be modified: the ByteString's own backing
     * array when it covers exactly that array (what parsing a bytes field gives: protobuf copies the field
     * into an array of its own), else a copy. The broker stores a published entry this way, once.
     */
    public static byte[] readOnlyArray(ByteString bytes) {
        WholeArray whole = new WholeArray();
        try {
            UnsafeByteOperations.unsafeWriteTo(bytes, whole);
        } catch (IOException e) {
            throw new IllegalStateException("writing to memory failed", e);
        }
        byte[] array = whole.array();
        return array != null && array.length == bytes.size() ? array : bytes.toByteArray();
    }

    /** Remembers the array when the ByteString hands over exactly one, covering all of it, and nothing else. */
    private static final class WholeArray extends ByteOutput {
        private byte[] array;
        private boolean other;

        byte[] array() {
            return other ? null : array;
        }

        @Override
        public void write(byte value) {
            other = true;
        }

        @Override
        public void write(byte[] value, int offset, int length) {
            other = true;
        }

        @Override
        public void writeLazy(byte[] value, int offset, int length) {
            if (array != null || offset != 0 || length != value.length) {
                other = true;
            }
            array = value;
        }

        @Override
        public void write(ByteBuffer value) {
            other = true;
        }

        @Override
        public void writeLazy(ByteBuffer value) {
            other = true;
        }
    }
}
