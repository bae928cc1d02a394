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
}
