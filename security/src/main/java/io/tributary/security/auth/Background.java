package io.tributary.security.auth;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Threads shared by every verifier and interceptor of the process: one scheduler for the token
 * expiry of streams, one for JWKS refresh, one small pool for background key fetches. Daemon threads, so no
 * listener needs closing for the process to exit; cancelled timers are removed at once, so a
 * stream that ends before its token expires leaves nothing behind.
 */
final class Background {
    static final ScheduledThreadPoolExecutor EXPIRY;
    static final ScheduledThreadPoolExecutor SCHEDULER;
    static final ExecutorService EXECUTOR;

    static {
        EXPIRY = scheduler("tributary-token-expiry");
        SCHEDULER = scheduler("tributary-auth-timer");
        ThreadPoolExecutor pool = new ThreadPoolExecutor(2, 2, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
                daemon("tributary-auth-keys"));
        pool.allowCoreThreadTimeOut(true);
        EXECUTOR = pool;
    }

    private Background() {}

    private static ScheduledThreadPoolExecutor scheduler(String name) {
        ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(1, daemon(name));
        scheduler.setRemoveOnCancelPolicy(true);
        return scheduler;
    }

    private static ThreadFactory daemon(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
