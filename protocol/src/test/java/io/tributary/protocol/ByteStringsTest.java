package io.tributary.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.tributary.api.v1.PublishBatch;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ByteStringsTest {
    private static final byte[] ENTRY = "an entry of some bytes".getBytes(StandardCharsets.UTF_8);

    @Test
    void aParsedBytesFieldGivesItsOwnArrayWithoutACopy() throws Exception {
        byte[] wire = PublishBatch.newBuilder().setSequenceId(7).setEntry(ByteString.copyFrom(ENTRY)).build().toByteArray();
        ByteString parsed = PublishBatch.parseFrom(wire).getEntry();
        byte[] first = ByteStrings.readOnlyArray(parsed);
        assertThat(first).isEqualTo(ENTRY);
        assertThat(ByteStrings.readOnlyArray(parsed)).as("the same array, not a copy").isSameAs(first);
    }

    @Test
    void anythingButOneWholeArrayIsCopied() {
        byte[] backing = ENTRY.clone();
        ByteString part = UnsafeByteOperations.unsafeWrap(backing, 3, 5);
        assertThat(ByteStrings.readOnlyArray(part)).isEqualTo(new String(ENTRY, StandardCharsets.UTF_8).substring(3, 8)
                .getBytes(StandardCharsets.UTF_8)).isNotSameAs(backing);
        ByteString rope = ByteString.copyFrom(ENTRY).concat(ByteString.copyFrom(ENTRY));
        assertThat(ByteStrings.readOnlyArray(rope)).hasSize(2 * ENTRY.length).isEqualTo(rope.toByteArray());
        ByteString direct = UnsafeByteOperations.unsafeWrap(ByteBuffer.allocateDirect(4).put(new byte[] {1, 2, 3, 4}).flip());
        assertThat(ByteStrings.readOnlyArray(direct)).containsExactly(1, 2, 3, 4);
        assertThat(ByteStrings.readOnlyArray(ByteString.EMPTY)).isEmpty();
    }
}
