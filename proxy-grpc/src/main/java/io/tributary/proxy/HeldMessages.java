package io.tributary.proxy;

import io.tributary.api.v1.MessageId;
import java.util.BitSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;

/**
 * The messages a Subscribe stream delivered to its client that the client has not acknowledged or given
 * back (negative ack) yet: what the client holds. When the stream moves to a new owner, the new owner
 * delivers everything unacknowledged on its cursor again, including what the client still holds (and
 * what it acknowledged only after the move): the proxy lets those deliveries through only if the client
 * does not hold them ({@link #expectAgain()}, {@link #takeIfExpected}), so a client sees no duplicate
 * because of a move, as a client that reconnects itself and drops what it prefetched sees none.
 *
 * <p>A whole entry ({@code MessageBatch}) is held under its position with index -1 until all its messages
 * are acknowledged; a decoded message under its position and batch index. What the client acknowledged with
 * an ack carrying a {@code request_id} is remembered until the broker answers it: the proxy sends such an ack
 * to the new owner again, and an owner may deliver a message before it applies an ack that came first (when it
 * must read the entry to check a batch index, say), so those deliveries are not passed on either. Memory: one
 * small record per entry or message the client holds or has an ack in flight for, which the client itself
 * must keep too.
 */
final class HeldMessages {
    /** Where a delivery is stored: ledger, entry, and the batch index of a decoded message (-1: the entry). */
    record Pos(long ledger, long entry, int index) implements Comparable<Pos> {
        static Pos entryOf(MessageId id) {
            return new Pos(id.getLedgerId(), id.getEntryId(), -1);
        }

        static Pos messageOf(MessageId id) {
            return new Pos(id.getLedgerId(), id.getEntryId(), id.getBatchIndex());
        }

        @Override
        public int compareTo(Pos o) {
            int c = Long.compare(ledger, o.ledger);
            if (c == 0) {
                c = Long.compare(entry, o.entry);
            }
            return c != 0 ? c : Integer.compare(index, o.index);
        }
    }

    /** An entry's messages, and which of them are acknowledged (batch-index acks). */
    private static final class Held {
        final int size;
        final BitSet acked = new BitSet();

        Held(int size) {
            this.size = Math.max(1, size);
        }

        /** Acknowledges one index; true when every message is. */
        boolean ack(int index) {
            if (size <= 1) {
                return true;
            }
            acked.set(Math.max(0, Math.min(index, size - 1)));
            return acked.cardinality() >= size;
        }
    }

    /**
     * The most deliveries tracked per stream. A client that keeps granting permits and never acknowledges would
     * otherwise cost the proxy a record per message; beyond this, deliveries are passed on untracked and may reach
     * the client again after a move (at least once, as after any reconnect).
     */
    static final int MAX_TRACKED = 100_000;

    private final TreeMap<Pos, Held> held = new TreeMap<>();
    /**
     * what the client acknowledged with an ack the broker will answer (a {@code request_id}) and has not answered
     * yet: an owner may deliver it again before it applies that ack (sent again to it after a move)
     */
    private final Set<Pos> acking = new HashSet<>();
    /** what the client held when the stream moved: deliveries of these by the new owner are not passed on */
    private Set<Pos> expected = new HashSet<>();

    /** An entry delivered whole ({@code MessageBatch}), with the indexes already acknowledged. */
    void deliveredEntry(MessageId id, List<Integer> ackedIndexes) {
        if (held.size() >= MAX_TRACKED) {
            return;
        }
        Held h = new Held(id.getBatchSize());
        for (int i : ackedIndexes) {
            h.ack(i);
        }
        held.put(Pos.entryOf(id), h);
    }

    /** A decoded message. */
    void deliveredMessage(MessageId id) {
        if (held.size() >= MAX_TRACKED) {
            return;
        }
        held.put(Pos.messageOf(id), new Held(1));
    }

    /**
     * The client acknowledged {@code id} (individually or cumulatively); {@code answered}: in an ack the broker
     * answers, which {@link #ackAnswered} reports.
     */
    void acked(MessageId id, boolean cumulative, boolean answered) {
        if (cumulative) {
            // everything before this entry, and of this entry the messages up to the index
            held.headMap(Pos.entryOf(id), false).clear();
            if (id.getBatchIndex() >= 0) {
                // (a negative index is the broker's to refuse; it names no message here)
                held.subMap(new Pos(id.getLedgerId(), id.getEntryId(), 0), true, Pos.messageOf(id), true).clear();
            }
            Held h = held.get(Pos.entryOf(id));
            if (h != null) {
                boolean all = false;
                for (int i = 0; i <= id.getBatchIndex() && !all; i++) {
                    all = h.ack(i);
                }
                if (all || id.getBatchSize() == 0) {
                    held.remove(Pos.entryOf(id));
                }
            }
            return;
        }
        if (held.remove(Pos.messageOf(id)) != null) {
            if (answered) {
                acking.add(Pos.messageOf(id)); // a decoded message
            }
            return;
        }
        Held h = held.get(Pos.entryOf(id));
        if (h != null && (id.getBatchSize() == 0 || h.ack(id.getBatchIndex()))) {
            held.remove(Pos.entryOf(id));
            if (answered) {
                acking.add(Pos.entryOf(id));
            }
        }
    }

    /** The broker answered an ack of {@code id}: it applied it (or refused it); a later delivery is wanted. */
    void ackAnswered(MessageId id) {
        if (!acking.isEmpty()) {
            acking.remove(Pos.messageOf(id));
            acking.remove(Pos.entryOf(id));
        }
    }

    /** The client gave {@code id} back: its next delivery is one the client wants. */
    void givenBack(MessageId id) {
        for (Pos p : new Pos[] {Pos.messageOf(id), Pos.entryOf(id)}) {
            held.remove(p);
            expected.remove(p);
        }
    }

    /** The cursor moved: whatever comes next is wanted, even what was delivered before. */
    void clear() {
        held.clear();
        acking.clear();
        expected.clear();
    }

    /**
     * The stream moves to a new owner: what the client holds now must not reach it again, nor what it
     * acknowledged with an ack not answered yet (sent again to the new owner, which may deliver the message
     * before it gets to that ack).
     */
    void expectAgain() {
        expected = new HashSet<>(held.keySet());
        expected.addAll(acking);
    }

    /**
     * Whether a delivery by the new owner is of something the client holds (or acknowledged after the
     * move): then it is not passed on. Each is taken once: a later delivery passes.
     */
    boolean takeIfExpected(Pos p) {
        return !expected.isEmpty() && expected.remove(p);
    }

    /** Entries and messages held now (for tests). */
    int size() {
        return held.size();
    }
}
