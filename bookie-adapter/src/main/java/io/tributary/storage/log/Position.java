package io.tributary.storage.log;

/**
 * The place of an entry in a managed log. Ledger ids come from BookKeeper's id generator in
 * ZooKeeper and grow with each new ledger, so positions order by ledger then entry.
 * An entry id of -1 means "before the first entry of that ledger".
 */
public record Position(long ledgerId, long entryId) implements Comparable<Position> {

    @Override
    public int compareTo(Position o) {
        int c = Long.compare(ledgerId, o.ledgerId);
        return c != 0 ? c : Long.compare(entryId, o.entryId);
    }

    public boolean isAfter(Position o) {
        return compareTo(o) > 0;
    }

    public boolean isBefore(Position o) {
        return compareTo(o) < 0;
    }

    @Override
    public String toString() {
        return ledgerId + ":" + entryId;
    }
}
