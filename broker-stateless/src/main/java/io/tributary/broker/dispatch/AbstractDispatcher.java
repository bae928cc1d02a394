package io.tributary.broker.dispatch;

import io.tributary.storage.cursor.ManagedCursor;
import io.tributary.storage.log.Position;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/** What every dispatcher does alike: the consumer list and the bookkeeping of what each consumer holds. */
abstract class AbstractDispatcher implements Dispatcher {
    final List<Consumer> consumers = new ArrayList<>();
    final ManagedCursor cursor;
    final EntryReadAhead readAhead;
    final RedeliveryTracker redeliveries;
    private final Sender sender;

    AbstractDispatcher(Parts parts) {
        this.cursor = parts.cursor();
        this.readAhead = parts.readAhead();
        this.redeliveries = parts.redeliveries();
        this.sender = parts.sender();
    }

    @Override
    public List<Consumer> consumers() {
        return Collections.unmodifiableList(consumers);
    }

    @Override
    public void add(Consumer c) {
        consumers.add(c);
    }

    @Override
    public boolean remove(Consumer c) {
        if (!consumers.remove(c)) {
            return false;
        }
        takeBack(c, true);
        return true;
    }

    @Override
    public void detach(Consumer c) {
        consumers.remove(c);
    }

    @Override
    public void acknowledged(Consumer c, Position p) {
        if (c != null) {
            Consumer.Delivered d = c.pending.remove(p);
            if (d != null) {
                release(c, d);
                return;
            }
        }
        for (Consumer other : consumers) {
            Consumer.Delivered d = other.pending.remove(p);
            if (d != null) {
                release(other, d);
                return;
            }
        }
    }

    @Override
    public long returned(Consumer c, Position p) {
        Consumer.Delivered d = c.pending.remove(p);
        if (d == null || cursor.isAcknowledged(p)) {
            return -1;
        }
        release(c, d);
        return d.atMs();
    }

    @Override
    public void forgetUpTo(Position p) {
        for (Consumer x : consumers) {
            Iterator<Map.Entry<Position, Consumer.Delivered>> it = x.pending.entrySet().iterator();
            while (it.hasNext()) {
                Map.Entry<Position, Consumer.Delivered> e = it.next();
                if (!e.getKey().isAfter(p)) {
                    release(x, e.getValue());
                    it.remove();
                }
            }
        }
    }

    @Override
    public void restart() {
        for (Consumer c : consumers) {
            c.pending.clear();
        }
    }

    /** Everything {@code c} holds unacknowledged is delivered again, to whoever may take it now. */
    void takeBack(Consumer c, boolean countAsRedelivery) {
        for (Map.Entry<Position, Consumer.Delivered> e : c.pending.entrySet()) {
            Position p = e.getKey();
            release(c, e.getValue());
            if (!cursor.isAcknowledged(p)) {
                redeliveries.add(p);
                if (countAsRedelivery) {
                    redeliveries.countRedelivery(p, e.getValue().atMs(), null);
                }
            }
        }
        c.pending.clear();
    }

    /** {@code c} no longer holds an entry it was given (acknowledged, given back, taken back). */
    void release(Consumer c, Consumer.Delivered d) {}

    /** Counts {@code e} against {@code c}'s permits, notes that {@code c} holds it, and sends it. */
    void deliver(Consumer c, BufferedEntry e, boolean keyed) {
        readAhead.throttle.charge(e.messages(), e.entry().data().length); // the dispatch rate limits' tokens
        c.permits -= e.messages();
        c.pending.put(e.position(), new Consumer.Delivered(e.messages(), keyed, e.keyHash(), System.currentTimeMillis()));
        sender.send(c, e);
    }
}
