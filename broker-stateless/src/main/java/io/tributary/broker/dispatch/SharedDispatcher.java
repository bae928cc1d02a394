package io.tributary.broker.dispatch;

import io.tributary.api.v1.SubscriptionType;
import java.util.Iterator;

/**
 * Shared: each entry goes to the next consumer with permits, in turn. Entries to read again go out
 * as soon as they are read, in any order. An entry whose delivery time is in the future is set
 * aside until then ({@link DelayedDeliveryTracker}).
 */
class SharedDispatcher extends AbstractDispatcher {
    final DelayedDeliveryTracker delayed;
    private int nextConsumer;

    SharedDispatcher(Parts parts) {
        super(parts);
        this.delayed = parts.delayed();
    }

    @Override
    public SubscriptionType type() {
        return SubscriptionType.SHARED;
    }

    @Override
    public int permits() {
        long n = 0;
        for (Consumer c : consumers) {
            if (c.canTake()) {
                n += c.permits;
            }
        }
        return (int) Math.min(Integer.MAX_VALUE, n);
    }

    @Override
    public boolean isActive(Consumer c) {
        return true;
    }

    @Override
    public boolean allowsCumulativeAck() {
        return false;
    }

    @Override
    public boolean readsPastWaitingEntries() {
        return true;
    }

    @Override
    public void deliverBuffered() {
        if (readAhead.isEmpty() || consumers.isEmpty()) {
            return;
        }
        long now = System.currentTimeMillis();
        Iterator<BufferedEntry> it = readAhead.buffered();
        while (it.hasNext()) {
            BufferedEntry e = it.next();
            if (cursor.isAcknowledged(e.position())) {
                it.remove();
                continue;
            }
            if (setAside(e, now)) {
                it.remove();
                continue;
            }
            Consumer c = nextConsumerWithPermits();
            if (c == null) {
                break;
            }
            it.remove();
            deliver(c, e, false);
            if (permits() == 0) {
                break;
            }
        }
    }

    /** An entry whose delivery time is still to come waits for it; true if {@code e} does. */
    final boolean setAside(BufferedEntry e, long now) {
        if (e.deliverAtMs() <= now) {
            return false;
        }
        delayed.holdUntil(e.position(), e.deliverAtMs());
        return true;
    }

    /** The next consumer, in turn, that can take a message now (permits, a ready stream); null if none can. */
    final Consumer nextConsumerWithPermits() {
        for (int i = 0; i < consumers.size(); i++) {
            Consumer c = consumers.get((nextConsumer + i) % consumers.size());
            if (c.canTake()) {
                nextConsumer = (nextConsumer + i + 1) % consumers.size();
                return c;
            }
        }
        return null;
    }
}
