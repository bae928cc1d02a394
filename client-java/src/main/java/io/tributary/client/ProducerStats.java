package io.tributary.client;

/**
 * What a producer did since it was created: an immutable snapshot taken by
 * {@link Producer#getStats()}. Counters only grow; subtract two snapshots for a rate.
 *
 * <p>Every message ends in exactly one of {@link #getAcksReceived()} and {@link #getSendFailures()},
 * or is still counted in {@link #getPendingMessages()}. This is where a fire-and-forget application
 * (one that ignores the futures of {@link Producer#sendAsync}) sees that messages failed.
 */
public interface ProducerStats {

    /**
     * Messages written to the broker for the first time (a batch counts all its messages); resends
     * after a lost connection are not counted again.
     */
    long getMessagesSent();

    /**
     * Bytes of the entries behind {@link #getMessagesSent()}, as they travel and are stored: after
     * compression, with the batch header.
     */
    long getBytesSent();

    /** Messages the broker acknowledged as stored (including resends it recognised as duplicates). */
    long getAcksReceived();

    /**
     * Messages whose send failed: refused at once by {@code sendAsync} (queue or memory full, too
     * large, producer closed), refused by the broker, or not acknowledged within the send timeout.
     */
    long getSendFailures();

    /** Messages accepted by {@code sendAsync} and not answered yet (batched, in flight or awaiting a reconnect). */
    long getPendingMessages();

    /** The bytes that {@link #getPendingMessages()} hold against the client's memory limit. */
    long getPendingBytes();

    /** Mean time from {@code sendAsync} to the broker's acknowledgement, in milliseconds; 0 before the first ack. */
    double getSendLatencyMeanMs();

    /** The median send latency in milliseconds (see {@link #getSendLatencyMeanMs()}). */
    double getSendLatencyP50Ms();

    /** The 95th percentile of the send latency in milliseconds. */
    double getSendLatencyP95Ms();

    /** The 99th percentile of the send latency in milliseconds. */
    double getSendLatencyP99Ms();

    /** The largest send latency seen, in milliseconds. */
    double getSendLatencyMaxMs();
}
