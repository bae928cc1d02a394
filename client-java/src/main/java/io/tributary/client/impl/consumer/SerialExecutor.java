package io.tributary.client.impl.consumer;

import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs tasks one at a time, in the order given, on a shared pool: a consumer's listener calls
 * keep their order without a thread of their own. While a task runs, the next ones wait here,
 * not in the pool.
 */
final class SerialExecutor implements Executor {
    private static final Logger LOG = LoggerFactory.getLogger(SerialExecutor.class);
    private final Executor pool;
    private final ArrayDeque<Runnable> tasks = new ArrayDeque<>();
    // guarded by tasks
    private boolean running;

    SerialExecutor(Executor pool) {
        this.pool = pool;
    }

    /** @throws RejectedExecutionException if the pool is shut down (the client is closed) */
    @Override
    public void execute(Runnable task) {
        synchronized (tasks) {
            tasks.add(task);
            if (running) {
                return;
            }
            running = true;
        }
        try {
            pool.execute(this::runAll);
        } catch (RejectedExecutionException e) {
            synchronized (tasks) {
                tasks.clear();
                running = false;
            }
            throw e;
        }
    }

    private void runAll() {
        while (true) {
            Runnable next;
            synchronized (tasks) {
                next = tasks.poll();
                if (next == null) {
                    running = false;
                    return;
                }
            }
            try {
                next.run();
            } catch (RuntimeException e) {
                // the next task still runs; the task itself reports what it can
                LOG.warn("A serial task failed", e);
            }
        }
    }
}
