package io.tributary.broker.service;

import io.tributary.api.v1.DeadLetter;
import io.tributary.api.v1.MessageId;
import io.tributary.api.v1.ReceivedMessage;
import io.tributary.broker.dispatch.Subscription;
import io.tributary.broker.topic.Topic;
import io.tributary.protocol.DeadLetters;
import io.tributary.storage.log.LogEntry;
import io.tributary.storage.log.Position;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Reads the dead letters a dead-letter subscription still holds (neither acknowledged by a redrive
 * nor purged), oldest first, without consuming them: entry by entry from the subscription's first
 * unacknowledged one, skipping acknowledged entries and batch indexes, never reading more entries
 * than a page needs nor more than {@link #MAX_PAGE_BYTES} of values.
 */
final class DeadLetterScan {
    /** Entries read at a time. */
    private static final int READ_BATCH = 32;
    /** Value bytes one page holds at most (it stops early, with more = true). */
    static final int MAX_PAGE_BYTES = 4 << 20;

    /** A page of held dead letters, and whether more follow. */
    record Page(List<DeadLetter> messages, boolean more) {}

    private final Topic topic;
    private final Subscription subscription;
    private final int maxEntrySize;

    DeadLetterScan(Topic topic, Subscription subscription, int maxEntrySize) {
        this.topic = topic;
        this.subscription = subscription;
        this.maxEntrySize = maxEntrySize;
    }

    /** Up to {@code max} held messages after {@code after} (null: from the oldest). */
    CompletableFuture<Page> page(MessageId after, int max) {
        return CompletableFuture.supplyAsync(() -> after == null ? subscription.cursor().firstUnacknowledged()
                : new Position(after.getLedgerId(), after.getEntryId()), topic.executor())
                .thenCompose(from -> collect(from, after, max, new ArrayList<>(), 0));
    }

    private CompletableFuture<Page> collect(Position from, MessageId after, int max, List<DeadLetter> out, long bytes) {
        Position last = topic.log().lastConfirmed();
        if (from.isAfter(last)) {
            return CompletableFuture.completedFuture(new Page(out, false));
        }
        return topic.log().readAsync(from, READ_BATCH).thenComposeAsync(entries -> {
            if (entries.isEmpty()) {
                Position next = topic.log().nextPosition(from);
                return next.equals(from) || next.isAfter(last) ? CompletableFuture.completedFuture(new Page(out, false))
                        : collect(next, after, max, out, bytes);
            }
            long size = bytes;
            for (LogEntry e : entries) {
                for (DeadLetter d : held(e, after)) {
                    if (out.size() == max || size >= MAX_PAGE_BYTES) {
                        return CompletableFuture.completedFuture(new Page(out, true));
                    }
                    out.add(d);
                    size += d.getValue().size();
                }
            }
            return collect(topic.log().nextPosition(entries.get(entries.size() - 1).position()), after, max, out, size);
        }, topic.executor());
    }

    /** The messages of one entry the subscription still holds, after {@code after}. Runs on the topic's executor. */
    private List<DeadLetter> held(LogEntry e, MessageId after) {
        Position p = e.position();
        if (subscription.cursor().isAcknowledged(p)) {
            return List.of();
        }
        BitSet acked = subscription.cursor().acknowledgedIndexes(p);
        List<DeadLetter> out = new ArrayList<>();
        for (ReceivedMessage m : EntryMessages.decode(p, e.data(), -1, new EntryMessages.Delivery(0, "", 0), acked,
                maxEntrySize, null)) {
            if (after != null && p.ledgerId() == after.getLedgerId() && p.entryId() == after.getEntryId()
                    && m.getMessageId().getBatchIndex() <= after.getBatchIndex()) {
                continue;
            }
            out.add(deadLetter(m));
        }
        return out;
    }

    /** A stored message as a dead letter: its dead-letter properties become the DeadLetter's fields. */
    static DeadLetter deadLetter(ReceivedMessage m) {
        Map<String, String> props = new HashMap<>(m.getPropertiesMap());
        DeadLetter.Builder d = DeadLetter.newBuilder().setMessageId(m.getMessageId()).setValue(m.getValue())
                .setKey(m.getKey()).setPublishTimeMs(m.getPublishTimeMs()).setEventTimeMs(m.getEventTimeMs())
                .setOriginalTopic(props.getOrDefault(DeadLetters.REAL_TOPIC, ""))
                .setOriginalSubscription(props.getOrDefault(DeadLetters.DLQ_SUBSCRIPTION, ""))
                .setRedeliveryCount((int) number(props.get(DeadLetters.DLQ_REDELIVERY_COUNT)))
                .setFailureReason(props.getOrDefault(DeadLetters.DLQ_FAILURE_REASON, ""))
                .setFirstDeliveryMs(number(props.get(DeadLetters.DLQ_FIRST_DELIVERY_MS)))
                .setLastDeliveryMs(number(props.get(DeadLetters.DLQ_LAST_DELIVERY_MS)));
        MessageId origin = originId(props.get(DeadLetters.ORIGIN_MESSAGE_ID));
        if (origin != null) {
            d.setOriginalMessageId(origin);
        }
        DeadLetters.DEAD_LETTER_PROPERTIES.forEach(props::remove);
        return d.putAllProperties(props).build();
    }

    /** A number written by the SDK into a property; 0 when absent or not a number. */
    private static long number(String s) {
        if (s == null) {
            return 0;
        }
        try {
            return Long.parseLong(s.trim());
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** The SDK's text of a message id, {@code ledger:entry:batchIndex[:partition]}; null if it is not one. */
    static MessageId originId(String s) {
        if (s == null) {
            return null;
        }
        String[] parts = s.split(":");
        if (parts.length < 3 || parts.length > 4) {
            return null;
        }
        try {
            MessageId.Builder b = MessageId.newBuilder().setLedgerId(Long.parseLong(parts[0]))
                    .setEntryId(Long.parseLong(parts[1])).setBatchIndex(Integer.parseInt(parts[2]));
            return b.setPartition(parts.length == 4 ? Integer.parseInt(parts[3]) : -1).build();
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
