package io.tributary.client.impl;

import java.util.ArrayList;
import java.util.List;

/**
 * Future completions collected under a producer's or consumer's lock and run after it is
 * released, so that application callbacks never run while the lock is held (a callback that
 * sends again would otherwise be able to deadlock against an I/O thread).
 */
final class Completions {
    private List<Runnable> tasks;

    void add(Runnable task) {
        if (tasks == null) {
            tasks = new ArrayList<>();
        }
        tasks.add(task);
    }

    void run() {
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
