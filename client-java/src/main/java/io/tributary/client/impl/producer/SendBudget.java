package io.tributary.client.impl.producer;

import io.tributary.client.TributaryClientException;
import io.tributary.client.TributaryClientException.MemoryBufferIsFullException;
import io.tributary.client.TributaryClientException.ProducerQueueIsFullException;
import io.tributary.client.impl.MemoryLimiter;
import java.util.concurrent.Semaphore;

/**
 * Bounds what a producer holds between {@code sendAsync} and the broker's answer: at most
 * {@code maxPendingMessages} messages of its own, and bytes within the client's memory limit,
 * which all producers of the client share. Thread-safe: senders reserve without the producer's
 * lock, answers release under it.
 */
final class SendBudget {
    private final Semaphore permits;
    private final int maxPendingMessages;
    private final boolean blockIfFull;
    private final MemoryLimiter memory;
    private final ProducerStatsRecorder stats;

    SendBudget(int maxPendingMessages, boolean blockIfFull, MemoryLimiter memory, ProducerStatsRecorder stats) {
        this.permits = new Semaphore(maxPendingMessages);
        this.maxPendingMessages = maxPendingMessages;
        this.blockIfFull = blockIfFull;
        this.memory = memory;
        this.stats = stats;
    }

    /**
     * Takes a pending-message permit and {@code bytes} of the client's memory, waiting for both
     * when the producer blocks if full; null once both are taken (and counted as pending), else
     * why the send is refused.
     *
     * @param flushOwnBatches sends the producer's batches being filled, which may hold the memory waited for
     */
    TributaryClientException reserve(int bytes, Runnable flushOwnBatches) {
        if (blockIfFull) {
            try {
                permits.acquire();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return new TributaryClientException("interrupted while waiting for room to send", e);
            }
            try {
                if (!memory.tryReserve(bytes)) {
                    // our own batches being filled may hold the memory we wait for: send them now
                    // rather than after batchingMaxPublishDelay
                    flushOwnBatches.run();
                    memory.reserve(bytes);
                }
            } catch (InterruptedException e) {
                permits.release();
                Thread.currentThread().interrupt();
                return new TributaryClientException("interrupted while waiting for the client's memory limit", e);
            }
        } else {
            if (!permits.tryAcquire()) {
                return new ProducerQueueIsFullException(
                        "the producer already has " + maxPendingMessages + " pending messages");
            }
            if (!memory.tryReserve(bytes)) {
                permits.release();
                return new MemoryBufferIsFullException("the client's memory limit of " + memory.limit()
                        + " bytes is used up by messages awaiting acknowledgement (" + memory.used() + " bytes in use)");
            }
        }
        stats.pending(1, bytes);
        return null;
    }

    /** Gives back what {@code messages} messages of {@code bytes} held: they were answered, failed or refused. */
    void release(int messages, long bytes) {
        permits.release(messages);
        memory.release(bytes);
        stats.pending(-messages, -bytes);
    }
}
