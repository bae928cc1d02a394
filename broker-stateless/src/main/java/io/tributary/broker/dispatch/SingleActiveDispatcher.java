package io.tributary.broker.dispatch;

import io.tributary.api.v1.ErrorReason;
import io.tributary.api.v1.SubscriptionType;
import io.tributary.protocol.TributaryException;
import io.tributary.storage.log.Position;
import java.util.Comparator;
import java.util.Iterator;

/**
 * Exclusive and Failover: one active consumer receives every entry, in order. Exclusive takes one
 * consumer. Failover keeps the others as standbys, ordered by priority, then name; the first is
 * the active one, and each is told when it becomes or stops being active. When the active
 * consumer changes, what the old one had not acknowledged goes to the new one first.
 */
final class SingleActiveDispatcher extends AbstractDispatcher {
    private static final Comparator<Consumer> BY_PRIORITY =
            Comparator.comparingInt(Consumer::priority).thenComparing(Consumer::name);

    private final SubscriptionType type;
    /** Failover: standbys may join, and consumers hear when they become active or stop being it. */
    private final boolean standbys;
    private final String subscription;
    private final String topic;

    SingleActiveDispatcher(SubscriptionType type, boolean standbys, Parts parts) {
        super(parts);
        this.type = type;
        this.standbys = standbys;
        this.subscription = parts.subscription();
        this.topic = parts.topic();
    }

    @Override
    public SubscriptionType type() {
        return type;
    }

    @Override
    public void add(Consumer c) {
        if (!standbys && !consumers.isEmpty()) {
            throw new TributaryException(ErrorReason.CONSUMER_BUSY, "exclusive subscription " + subscription + " on "
                    + topic + " already has a consumer");
        }
        super.add(c);
        if (standbys) {
            consumers.sort(BY_PRIORITY);
        }
        updateActive();
    }

    @Override
    public boolean remove(Consumer c) {
        if (!super.remove(c)) {
            return false;
        }
        updateActive();
        return true;
    }

    @Override
    public void restart() {
        super.restart();
        updateActive();
    }

    /** The first consumer is the active one; tells consumers when that changes. */
    private void updateActive() {
        Consumer active = consumers.isEmpty() ? null : consumers.get(0);
        for (Consumer c : consumers) {
            boolean now = c == active;
            if (c.active != now) {
                c.active = now;
                if (!now) {
                    // what the old active consumer did not acknowledge goes to the new one, from the first unacknowledged
                    takeBack(c, false);
                }
                if (standbys) {
                    c.activeChanged(now);
                }
            }
        }
    }

    @Override
    public int permits() {
        return consumers.isEmpty() || !consumers.get(0).canTake() ? 0 : consumers.get(0).permits;
    }

    @Override
    public boolean isActive(Consumer c) {
        return c.active;
    }

    @Override
    public boolean allowsCumulativeAck() {
        return true;
    }

    @Override
    public boolean readsPastWaitingEntries() {
        return false;
    }

    @Override
    public void deliverBuffered() {
        if (readAhead.isEmpty() || consumers.isEmpty()) {
            return;
        }
        Consumer active = consumers.get(0);
        // nothing overtakes an entry that is about to be read again
        Position barrier = redeliveries.first();
        Iterator<BufferedEntry> it = readAhead.buffered();
        while (it.hasNext()) {
            BufferedEntry e = it.next();
            if (barrier != null && e.position().isAfter(barrier)) {
                break;
            }
            if (cursor.isAcknowledged(e.position())) {
                it.remove();
                continue;
            }
            if (!active.canTake()) {
                break;
            }
            it.remove();
            deliver(active, e, false);
        }
    }
}
