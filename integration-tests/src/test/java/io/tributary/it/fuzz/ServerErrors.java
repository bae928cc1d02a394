package io.tributary.it.fuzz;

import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Property;

/**
 * Unexpected exceptions on the server side of this JVM (broker and proxy): errors logged by our
 * code, any logged {@link Error} or programming exception (NPE, index, cast, arithmetic...), gRPC's
 * own reports of exceptions that escaped a handler, and uncaught exceptions on any thread. The
 * fuzz target takes what arrived during an input and reports each as a finding.
 */
final class ServerErrors {
    private final List<String> seen = new ArrayList<>();

    private ServerErrors() {}

    static ServerErrors install() {
        ServerErrors errors = new ServerErrors();
        LoggerContext ctx = (LoggerContext) LogManager.getContext(false);
        AbstractAppender appender = new AbstractAppender("fuzz-server-errors", null, null, true, Property.EMPTY_ARRAY) {
            @Override
            public void append(LogEvent e) {
                Throwable t = e.getThrown();
                boolean ours = e.getLoggerName() != null && e.getLoggerName().startsWith("io.tributary")
                        && e.getLevel().isMoreSpecificThan(Level.ERROR);
                if (ours || isUnexpected(t)) {
                    errors.add(e.getLevel() + " " + e.getLoggerName() + " [" + e.getThreadName() + "]: "
                            + e.getMessage().getFormattedMessage() + (t == null ? "" : "\n" + stack(t)));
                }
            }
        };
        appender.start();
        ctx.getConfiguration().getRootLogger().addAppender(appender, Level.WARN, null);
        ctx.updateLoggers();

        java.util.logging.Logger.getLogger("io.grpc").addHandler(new Handler() {
            @Override
            public void publish(LogRecord r) {
                if (r.getLevel().intValue() >= java.util.logging.Level.WARNING.intValue() && r.getThrown() != null
                        && isUnexpected(r.getThrown())) {
                    errors.add(r.getLevel() + " " + r.getLoggerName() + ": " + r.getMessage() + "\n" + stack(r.getThrown()));
                }
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        });

        Thread.UncaughtExceptionHandler previous = Thread.getDefaultUncaughtExceptionHandler();
        Thread.setDefaultUncaughtExceptionHandler((thread, t) -> {
            errors.add("uncaught on " + thread.getName() + ":\n" + stack(t));
            if (previous != null) {
                previous.uncaughtException(thread, t);
            }
        });
        return errors;
    }

    /**
     * A JVM error anywhere, or an exception that only a bug throws (not I/O, status or refusal
     * exceptions) raised through our code: a library's own background task failing with no frame
     * of ours (BookKeeper's client timeout monitor has such a race) is not a finding of the API.
     */
    static boolean isUnexpected(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof Error) {
                return true;
            }
            if (c.getCause() == c) {
                break;
            }
        }
        return throughOurCode(t) && isBugException(t);
    }

    private static boolean throughOurCode(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            for (StackTraceElement f : c.getStackTrace()) {
                if (f.getClassName().startsWith("io.tributary.")) {
                    return true;
                }
            }
            if (c.getCause() == c) {
                break;
            }
        }
        return false;
    }

    private static boolean isBugException(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof Error || c instanceof NullPointerException || c instanceof IndexOutOfBoundsException
                    || c instanceof ClassCastException || c instanceof ArithmeticException
                    || c instanceof NegativeArraySizeException || c instanceof IllegalArgumentException
                    || c instanceof IllegalStateException || c instanceof UnsupportedOperationException
                    || c instanceof java.util.NoSuchElementException || c instanceof java.util.ConcurrentModificationException) {
                return true;
            }
            if (c.getCause() == c) {
                break;
            }
        }
        return false;
    }

    static String stack(Throwable t) {
        java.io.StringWriter w = new java.io.StringWriter();
        t.printStackTrace(new java.io.PrintWriter(w));
        String s = w.toString();
        return s.length() > 6000 ? s.substring(0, 6000) + "\n\t..." : s;
    }

    private synchronized void add(String error) {
        if (seen.size() < 1000) {
            seen.add(error);
        }
    }

    /** What arrived since the last call. */
    synchronized List<String> drain() {
        List<String> out = List.copyOf(seen);
        seen.clear();
        return out;
    }
}
