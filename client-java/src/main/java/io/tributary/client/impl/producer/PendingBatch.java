package io.tributary.client.impl.producer;

import com.google.protobuf.ByteString;
import io.tributary.client.impl.BatchCodec;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * A closed batch: one entry once stored. Its messages carry consecutive sequence ids from
 * {@link #firstSequenceId}. It is encoded once, outside the producer's lock, after it was closed;
 * {@link #done} completes however it ends.
 */
final class PendingBatch {
    final long firstSequenceId;
    final List<PendingMessage> messages;
    final long createdNanos;
    final CompletableFuture<Void> done = new CompletableFuture<>();
    /** The encoded entry; null until encoded. Guarded by the producer's lock. */
    ByteString entry;
    /** Whether it went out on a stream at least once. Guarded by the producer's lock. */
    boolean written;
    /** Set (under the lock) once it was answered or failed: encoding it is then not worth it. */
    volatile boolean finished;

    PendingBatch(List<PendingMessage> messages, long createdNanos) {
        this.firstSequenceId = messages.get(0).sequenceId();
        this.messages = List.copyOf(messages);
        this.createdNanos = createdNanos;
    }

    long lastSequenceId() {
        return messages.get(messages.size() - 1).sequenceId();
    }

    int size() {
        return messages.size();
    }

    /** The bytes its messages hold against the client's memory limit. */
    long memory() {
        long m = 0;
        for (PendingMessage op : messages) {
            m += op.memory();
        }
        return m;
    }

    List<BatchCodec.Serialized> serialized() {
        List<BatchCodec.Serialized> out = new ArrayList<>(messages.size());
        for (PendingMessage op : messages) {
            out.add(op.message());
        }
        return out;
    }
}
