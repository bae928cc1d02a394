package io.tributary.client.impl.producer;

import io.tributary.client.MessageId;
import io.tributary.client.impl.BatchCodec;
import java.util.concurrent.CompletableFuture;

/**
 * A message accepted by {@code sendAsync}, until the broker answers its batch. It is serialised
 * once, when accepted; numbering it only changes the record.
 *
 * @param sequenceId its sequence id, {@link #UNNUMBERED} until it has one
 * @param size the bytes it takes in its batch's message list, for the batch size limits
 * @param memory the bytes it holds against the client's memory limit until answered
 * @param acceptedNanos when {@code sendAsync} accepted it, for the send latency
 */
record PendingMessage(BatchCodec.Serialized message, long sequenceId, int size, CompletableFuture<MessageId> future,
                      int memory, long acceptedNanos) {
    static final long UNNUMBERED = -1;

    /** The same message with its sequence id. */
    PendingMessage numbered(long seq, int newSize) {
        return new PendingMessage(message, seq, newSize, future, memory, acceptedNanos);
    }
}
