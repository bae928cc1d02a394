package io.tributary.client.impl.stream;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.Lock;
import java.util.function.Consumer;

/**
 * Future completions collected under a producer's or consumer's lock and run after it is
 * released, so that application callbacks never run while the lock is held (a callback that
 * sends again would otherwise be able to deadlock against an I/O thread).
 */
public final class Completions {
    private List<Runnable> tasks;

    /**
     * Runs {@code action} holding {@code lock}, then, once the lock is released, what the action
     * completed: the one way the client's parts act under their owner's lock. However the action
     * returns, nothing it completed is left unrun.
     */
    public static void underLock(Lock lock, Consumer<Completions> action) {
        Completions done = new Completions();
        lock.lock();
        try {
            action.accept(done);
        } finally {
            lock.unlock();
        }
        done.run();
    }

    public void add(Runnable task) {
        if (tasks == null) {
            tasks = new ArrayList<>();
        }
        tasks.add(task);
    }

    public void run() {
        if (tasks == null) {
            return;
        }
        List<Runnable> t = tasks;
        tasks = null;
        for (Runnable r : t) {
            try {
                r.run();
            } catch (RuntimeException e) {
                org.slf4j.LoggerFactory.getLogger(Completions.class).warn("A callback failed", e);
            }
        }
    }
}
