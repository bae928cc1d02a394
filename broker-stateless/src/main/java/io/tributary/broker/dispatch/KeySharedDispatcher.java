package io.tributary.broker.dispatch;

import io.tributary.api.v1.SubscriptionType;
import io.tributary.storage.log.Position;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/**
 * Key_Shared: an entry goes to the consumer its key hashes to ({@link KeySharedSelector}). An entry
 * whose key is still held by another consumer (delivered there and not yet acknowledged, because
 * membership changed) waits, and so do later entries of that key, so a key is never processed by
 * two consumers at once and never out of order; nothing overtakes an entry about to be read
 * again. Entries without a common key are spread like Shared; delivery times hold as on Shared.
 */
final class KeySharedDispatcher extends SharedDispatcher {
    private final KeySharedSelector selector = new KeySharedSelector();
    /** Key hash to the consumer holding entries of that key. */
    private final Map<Integer, KeyHold> holds = new HashMap<>();

    KeySharedDispatcher(Parts parts) {
        super(parts);
    }

    @Override
    public SubscriptionType type() {
        return SubscriptionType.KEY_SHARED;
    }

    @Override
    public void add(Consumer c) {
        super.add(c);
        selector.add(c);
    }

    @Override
    public boolean remove(Consumer c) {
        if (!super.remove(c)) {
            return false;
        }
        selector.remove(c);
        return true;
    }

    @Override
    public void detach(Consumer c) {
        super.detach(c);
        selector.remove(c);
    }

    @Override
    public void restart() {
        holds.clear();
        super.restart();
    }

    /** An entry is no longer held by {@code c}: its key may go to another consumer once none is held. */
    @Override
    void release(Consumer c, Consumer.Delivered d) {
        if (!d.hasKey()) {
            return;
        }
        KeyHold h = holds.get(d.keyHash());
        if (h != null && h.consumer == c && h.release()) {
            holds.remove(d.keyHash());
        }
    }

    private void hold(int keyHash, Consumer c) {
        holds.computeIfAbsent(keyHash, k -> new KeyHold(c)).add();
    }

    @Override
    public void deliverBuffered() {
        if (readAhead.isEmpty() || consumers.isEmpty()) {
            return;
        }
        long now = System.currentTimeMillis();
        Position barrier = redeliveries.first();
        Set<Integer> blockedKeys = null;
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
            if (setAside(e, now)) {
                it.remove();
                continue;
            }
            Consumer c;
            if (e.hasKey()) {
                if (blockedKeys != null && blockedKeys.contains(e.keyHash())) {
                    continue;
                }
                c = selector.select(e.keyHash());
                KeyHold h = holds.get(e.keyHash());
                if (c == null || !c.canTake() || (h != null && h.consumer != c)) {
                    // later entries of this key wait too, so that the key stays in order
                    if (blockedKeys == null) {
                        blockedKeys = new HashSet<>();
                    }
                    blockedKeys.add(e.keyHash());
                    continue;
                }
                hold(e.keyHash(), c);
            } else {
                c = nextConsumerWithPermits();
                if (c == null) {
                    break;
                }
            }
            it.remove();
            deliver(c, e, e.hasKey());
            if (permits() == 0) {
                break;
            }
        }
    }
}
