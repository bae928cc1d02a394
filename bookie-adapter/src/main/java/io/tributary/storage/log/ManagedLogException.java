package io.tributary.storage.log;

/** Failures of the managed log that callers act on. */
public class ManagedLogException extends RuntimeException {
    public ManagedLogException(String message) {
        super(message);
    }

    public ManagedLogException(String message, Throwable cause) {
        super(message, cause);
    }

    /** Another writer took the log over; this instance will never append again. */
    public static final class FencedException extends ManagedLogException {
        public FencedException(String message) {
            super(message);
        }
    }

    /** The log does not exist and creation was not asked for. */
    public static final class NotFoundException extends ManagedLogException {
        public NotFoundException(String message) {
            super(message);
        }
    }

    /** The log was closed by its owner. */
    public static final class ClosedException extends ManagedLogException {
        public ClosedException(String message) {
            super(message);
        }
    }

    /** A read asked for a position the log no longer or never held. */
    public static final class InvalidPositionException extends ManagedLogException {
        public InvalidPositionException(String message) {
            super(message);
        }
    }

    /**
     * The log takes no appends for now: a write failed (not fenced) and the log has no healthy
     * ledger yet. Every append queued or in flight behind the failed one failed with it, so nothing
     * written after a failure is stored before what failed; retry once the log has a new ledger.
     */
    public static final class UnavailableException extends ManagedLogException {
        public UnavailableException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
