package io.tributary.chaos.check;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tributary.chaos.load.MessageRecord;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the checker found after a run. {@link #ok()} holds when nothing acknowledged was lost,
 * nothing was stored twice, nothing came out of its promised order, and every stored message
 * reached every durable subscription. See docs/reliability.md for why each count is defined
 * as it is.
 *
 * @param attempts messages the workload tried to send (each send call once)
 * @param acked sends the broker confirmed as stored
 * @param failed sends that failed or timed out (such a message may still be stored)
 * @param stored distinct messages found in the audit read (each identity once)
 * @param storedAfterFailedSend stored although their send failed: allowed (at least once)
 * @param lost acknowledged but not found in the audit read
 * @param duplicated extra stored copies of one (producer, sequence)
 * @param orderViolations {@code storageOrderViolations + deliveryOrderViolations}
 * @param storageOrderViolations a producer's message stored before one it sent earlier, on one partition
 * @param deliveryOrderViolations a first delivery out of the order its subscription type promises
 * @param undelivered (message, durable subscription) pairs where a stored message was never delivered
 * @param undeliveredBySubscription the same by {@code topic/subscription}
 * @param redelivered deliveries of a message to a subscription beyond the first
 * @param unknownStored stored messages that carry no identity of this run
 * @param ackedWithoutPosition acknowledged as a duplicate with ledger and entry -1 (the broker no
 *     longer knew the first copy's position): allowed, the message must still be stored once
 * @param ackPositionMismatches acknowledged with a position where the message is not stored: the
 *     returned {@code MessageId} is wrong (not part of {@link #ok()}, but a defect)
 * @param lostSample the first few lost identities
 * @param duplicatedSample the first few duplicated identities
 * @param firstViolation the first violating message and its whole history, or null
 * @param extra figures the caller adds (audit completeness, drain time, failed acks, ...)
 * @param transactions the verdict on the workload's transactions (null: the plan had none)
 */
public record CheckReport(long attempts, long acked, long failed, long stored, long storedAfterFailedSend,
        long lost, long duplicated, long orderViolations, long storageOrderViolations, long deliveryOrderViolations,
        long undelivered, Map<String, Long> undeliveredBySubscription, long redelivered, long unknownStored,
        long ackedWithoutPosition, long ackPositionMismatches, List<String> lostSample, List<String> duplicatedSample,
        Violation firstViolation, Map<String, Object> extra, TransactionVerdict transactions) {

    /**
     * A violating message.
     *
     * @param kind {@code lost}, {@code duplicated}, {@code storage-order}, {@code delivery-order} or
     *     {@code undelivered}
     * @param detail what exactly is wrong
     * @param storedAt where the audit read found it ({@code topic@ledger:entry:batchIndex})
     * @param history every attempt, acknowledgement and delivery, with times
     */
    public record Violation(String kind, String detail, List<String> storedAt, MessageRecord.Snapshot history) {}

    /** Nothing lost, nothing stored twice, nothing out of order, everything delivered, every transaction whole. */
    @JsonProperty("ok")
    public boolean ok() {
        return lost == 0 && duplicated == 0 && orderViolations == 0 && undelivered == 0
                && (transactions == null || transactions.ok());
    }

    /** The same report with the verdict on the transactions. */
    public CheckReport withTransactions(TransactionVerdict verdict) {
        return new CheckReport(attempts, acked, failed, stored, storedAfterFailedSend, lost, duplicated,
                orderViolations, storageOrderViolations, deliveryOrderViolations, undelivered,
                undeliveredBySubscription, redelivered, unknownStored, ackedWithoutPosition, ackPositionMismatches,
                lostSample, duplicatedSample, firstViolation, extra, verdict);
    }

    /** The same report with more figures in {@link #extra()}. */
    public CheckReport withExtra(Map<String, Object> more) {
        Map<String, Object> all = new TreeMap<>(extra);
        all.putAll(more);
        return new CheckReport(attempts, acked, failed, stored, storedAfterFailedSend, lost, duplicated,
                orderViolations, storageOrderViolations, deliveryOrderViolations, undelivered,
                undeliveredBySubscription, redelivered, unknownStored, ackedWithoutPosition, ackPositionMismatches,
                lostSample, duplicatedSample, firstViolation, Map.copyOf(all), transactions);
    }

    public String toJson() {
        try {
            return new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a report is always serialisable", e);
        }
    }
}
