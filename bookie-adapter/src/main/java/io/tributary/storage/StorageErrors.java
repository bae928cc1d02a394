package io.tributary.storage;

import io.tributary.api.v1.ErrorDetail;
import io.tributary.api.v1.ErrorReason;
import io.tributary.protocol.ErrorReasons;
import io.tributary.protocol.TributaryException;
import io.tributary.storage.log.ManagedLogException;
import org.apache.bookkeeper.client.api.BKException;
import org.apache.zookeeper.KeeperException;

/**
 * Turns failures of storage (the managed log, BookKeeper) and metadata (ZooKeeper) into the shared
 * reasons clients understand. Next to the exceptions it maps, so a new storage failure gets its
 * reason where it is defined.
 */
public final class StorageErrors {
    private StorageErrors() {}

    /** The reason for {@code t}: a storage or metadata failure by its kind, anything else as {@link ErrorReasons#detailOf}. */
    public static ErrorDetail detailOf(Throwable t) {
        Throwable c = ErrorReasons.unwrap(t);
        if (c instanceof TributaryException te) {
            return te.detail();
        }
        if (c instanceof ManagedLogException.FencedException) {
            return ErrorReasons.detail(ErrorReason.TOPIC_FENCED, c.getMessage());
        }
        if (c instanceof ManagedLogException.NotFoundException) {
            return ErrorReasons.detail(ErrorReason.TOPIC_NOT_FOUND, c.getMessage());
        }
        if (c instanceof ManagedLogException.ClosedException) {
            return ErrorReasons.detail(ErrorReason.SERVICE_NOT_READY, c.getMessage());
        }
        if (c instanceof ManagedLogException.InvalidPositionException) {
            return ErrorReasons.detail(ErrorReason.INVALID_MESSAGE_ID, c.getMessage());
        }
        if (c instanceof ManagedLogException || c instanceof BKException) {
            return ErrorReasons.detail(ErrorReason.STORAGE_ERROR, String.valueOf(c.getMessage()));
        }
        if (c instanceof KeeperException) {
            return ErrorReasons.detail(ErrorReason.METADATA_ERROR, String.valueOf(c.getMessage()));
        }
        return ErrorReasons.detailOf(c);
    }
}
