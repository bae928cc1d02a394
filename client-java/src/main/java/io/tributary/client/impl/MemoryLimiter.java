package io.tributary.client.impl;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The client-wide bound on the bytes of messages that its producers hold until the broker answers
 * them. Reserving and releasing is one compare-and-set on the fast path; only a sender that has to
 * wait takes the lock.
 *
 * <p>A reservation that alone exceeds the limit is granted when nothing else is reserved, so a
 * message larger than the limit is sent by itself rather than waiting forever.
 */
public final class MemoryLimiter {
    private final long limit;
    private final AtomicLong used = new AtomicLong();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition released = lock.newCondition();
    /** Senders waiting in {@link #reserve}; written under {@link #lock}. */
    private volatile int waiting;

    /** @param limit the bound in bytes; 0 means unlimited (usage is still counted) */
    MemoryLimiter(long limit) {
        if (limit < 0) {
            throw new IllegalArgumentException("the memory limit must not be negative, was " + limit);
        }
        this.limit = limit;
    }

    /** Reserves {@code bytes} if there is room now. */
    public boolean tryReserve(long bytes) {
        if (limit == 0) {
            used.addAndGet(bytes);
            return true;
        }
        while (true) {
            long current = used.get();
            if (current > 0 && current + bytes > limit) {
                return false;
            }
            if (used.compareAndSet(current, current + bytes)) {
                return true;
            }
        }
    }

    /** Reserves {@code bytes}, waiting for others to release memory as long as it takes. */
    public void reserve(long bytes) throws InterruptedException {
        if (tryReserve(bytes)) {
            return;
        }
        lock.lockInterruptibly();
        try {
            // counted before trying again, so that a release in between cannot miss us
            waiting++;
            try {
                while (!tryReserve(bytes)) {
                    released.await();
                }
            } finally {
                waiting--;
            }
        } finally {
            lock.unlock();
        }
    }

    public void release(long bytes) {
        if (bytes == 0) {
            return;
        }
        used.addAndGet(-bytes);
        if (waiting > 0) {
            lock.lock();
            try {
                released.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    /** The bytes reserved now. */
    public long used() {
        return used.get();
    }

    /** The bound in bytes; 0 means unlimited. */
    public long limit() {
        return limit;
    }
}
