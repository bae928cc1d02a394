package io.tributary.storage.cursor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.CodedOutputStream;
import io.tributary.storage.log.LogEntry;
import io.tributary.storage.log.LogReader;
import io.tributary.storage.log.Position;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.junit.jupiter.api.Test;

/** The cursor's index acknowledgements are never sized by a number that was not checked. */
class CursorAckBoundsTest {
    /** A log of one ledger (1) holding entries 0..9, enough for a cursor kept in memory. */
    private static final LogReader LOG = new LogReader() {
        @Override
        public String name() {
            return "t/ns/bounds";
        }

        @Override
        public CompletableFuture<List<LogEntry>> readAsync(Position from, int maxEntries) {
            return CompletableFuture.completedFuture(List.of());
        }

        @Override
        public Position lastConfirmed() {
            return new Position(1, 9);
        }

        @Override
        public Position firstPosition() {
            return new Position(1, 0);
        }

        @Override
        public Position endPosition() {
            return new Position(1, 10);
        }

        @Override
        public Position nextPosition(Position p) {
            return new Position(p.ledgerId(), p.entryId() + 1);
        }

        @Override
        public CompletableFuture<Void> waitForEntriesAfter(Position p) {
            return new CompletableFuture<>();
        }

        @Override
        public long entriesFrom(Position from) {
            return Math.max(0, 10 - from.entryId());
        }

        @Override
        public Executor executor() {
            return Runnable::run;
        }
    };

    @Test
    void anIndexOutsideItsBatchOrAHugeBatchIsRefusedWithoutAllocating() {
        ManagedCursor c = ManagedCursor.nonDurable(LOG, "r", new Position(1, -1));
        Position p = new Position(1, 3);
        assertThatThrownBy(() -> c.acknowledgeIndex(p, 2147483646, 2147483647)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> c.acknowledgeIndex(p, 5, 3)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> c.acknowledgeIndex(p, -1, 3)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> c.acknowledgeIndexesUpTo(p, 2147483646, 2147483647)).isInstanceOf(IllegalArgumentException.class);
        assertThat(c.acknowledgedIndexes(p).isEmpty()).isTrue();

        c.acknowledgeIndexesUpTo(p, 1, 3);
        assertThat(c.acknowledgedIndexes(p).stream().boxed().toList()).containsExactly(0, 1);
        assertThat(c.acknowledgeIndex(p, 2, 3)).isTrue();
        assertThat(c.isAcknowledged(p)).as("all three acknowledged: the entry is").isTrue();
    }

    @Test
    void aStoredStateNamingMoreWordsThanItHoldsIsRefusedNotAllocated() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        CodedOutputStream out = CodedOutputStream.newInstance(bytes);
        out.writeUInt32NoTag(1); // format
        out.writeUInt32NoTag(0); // no ranges
        out.writeUInt32NoTag(1); // one batch
        out.writeUInt64NoTag(0);
        out.writeUInt64NoTag(1);
        out.writeUInt32NoTag(Integer.MAX_VALUE); // words it does not hold
        out.flush();
        assertThatThrownBy(() -> CursorAckCodec.decode(new Position(1, -1), bytes.toByteArray()))
                .isInstanceOf(IOException.class).hasMessageContaining("words");
    }
}
