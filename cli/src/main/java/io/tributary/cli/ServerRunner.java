package io.tributary.cli;

import java.io.PrintStream;
import java.net.BindException;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Start-up and shutdown shared by the long-running server commands ({@code broker}, {@code proxy},
 * {@code bookie}, {@code zookeeper}).
 *
 * <p>SIGTERM and SIGINT (Ctrl-C) are handled, not left to the JVM's shutdown: the main thread then
 * closes the server while logging still works (a shutdown hook would race log4j's own hook, losing
 * the messages of a drain), and the process exits 0. A second signal while closing forces the exit
 * at once. Any other JVM shutdown (SIGHUP, {@code System.exit}) still closes the server through a
 * shutdown hook.
 */
final class ServerRunner {
    private ServerRunner() {}

    interface Starter<T> {
        T start() throws Exception;
    }

    /**
     * Starts a server; a port clash becomes a message that names the option to change, any other
     * failure keeps its message. On failure {@code cleanup} runs (e.g. to close a half-started broker).
     */
    static <T> T start(String what, Object port, String option, Starter<T> starter, Runnable cleanup) throws Exception {
        try {
            return starter.start();
        } catch (Exception e) {
            try {
                cleanup.run();
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            for (Throwable c = e; c != null; c = c.getCause()) {
                // a listener that names its own setting (the REST port: "cannot listen on proxy.httpPort=...")
                if (c.getMessage() != null && c.getMessage().startsWith("cannot listen on ")) {
                    throw new IllegalStateException(what + " " + c.getMessage(), e);
                }
                if (c instanceof BindException) {
                    throw new IllegalStateException(what + " cannot listen on port " + port + ": " + c.getMessage()
                            + " (choose another port with " + option + ")", e);
                }
            }
            throw e;
        }
    }

    /** Prints the line a parent process waits for, on stdout, flushed. */
    static void announce(String line) {
        PrintStream out = System.out;
        out.println(line);
        out.flush();
    }

    /**
     * Handles SIGTERM and SIGINT (and the exit of process {@code parentPid}, if not null) from now on. Call it
     * before starting the server, so a signal during start-up or right after the ready line is not lost, then
     * {@link Stopper#runUntilStopped(Runnable)} once the server runs.
     *
     * @param parentPid when this process dies, stop at once without a graceful close (its cluster is gone with
     *                  it); the test harness passes its own pid so no server outlives a crashed test run
     */
    static Stopper installStopHandlers(String what, Long parentPid) {
        Stopper stopper = new Stopper(what);
        for (String name : List.of("TERM", "INT")) {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal(name), sig -> stopper.signalled("SIG" + name, sig.getNumber()));
            } catch (IllegalArgumentException | UnsupportedOperationException | LinkageError e) {
                // the signal is ignored or reserved here (e.g. SIGINT of a background job): the JVM's
                // default handling stays, and the shutdown hook still closes the server
            }
        }
        Runtime.getRuntime().addShutdownHook(new Thread(stopper::closeOnce, what + "-shutdown"));
        if (parentPid != null) {
            ProcessHandle.of(parentPid).ifPresentOrElse(
                    parent -> parent.onExit().thenRun(() -> parentGone(what, parentPid)),
                    () -> parentGone(what, parentPid));
        }
        return stopper;
    }

    /** Waits for a stop signal, then closes the server. */
    static final class Stopper {
        private final String what;
        private final CountDownLatch stop = new CountDownLatch(1);
        private final AtomicBoolean stopping = new AtomicBoolean();
        private final AtomicBoolean closed = new AtomicBoolean();
        private final AtomicReference<String> reason = new AtomicReference<>("stop requested");
        private final AtomicReference<Runnable> close = new AtomicReference<>();

        private Stopper(String what) {
            this.what = what;
        }

        private void signalled(String name, int number) {
            if (stopping.getAndSet(true)) {
                System.err.println(what + ": " + name + " again while stopping; exiting now");
                System.err.flush();
                Runtime.getRuntime().halt(128 + number);
            }
            reason.set(name);
            stop.countDown();
        }

        private void closeOnce() {
            Runnable c = close.get();
            if (c != null && closed.compareAndSet(false, true)) {
                c.run();
            }
        }

        /**
         * Blocks until SIGTERM or SIGINT (perhaps received already), runs {@code close} and exits the JVM
         * with 0. Does not return.
         */
        int runUntilStopped(Runnable closeAction) throws InterruptedException {
            close.set(closeAction);
            stop.await();
            System.err.println("Stopping " + what + " (" + reason.get() + ")...");
            closeOnce();
            System.err.println(what + " stopped");
            System.err.flush();
            System.exit(0);
            return 0;
        }
    }

    private static void parentGone(String what, long parentPid) {
        System.err.println(what + ": parent process " + parentPid + " has exited; stopping now");
        System.err.flush();
        Runtime.getRuntime().halt(3);
    }
}
