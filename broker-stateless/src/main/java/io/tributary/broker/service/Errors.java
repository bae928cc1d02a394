package io.tributary.broker.service;

import io.tributary.api.v1.ErrorDetail;
import io.tributary.api.v1.ErrorReason;
import io.tributary.protocol.ErrorReasons;
import io.tributary.protocol.TributaryException;
import io.tributary.storage.log.ManagedLogException;
import org.apache.bookkeeper.client.api.BKException;
import org.apache.zookeeper.KeeperException;

/** Turns failures from storage and metadata into the shared reasons clients understand. */
public final class Errors {
    private Errors() {}

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

    public static RuntimeException toStatus(Throwable t) {
        return ErrorReasons.toStatus(detailOf(t));
    }

    public static TributaryException error(ErrorReason reason, String message) {
        return new TributaryException(reason, message);
    }
}
