package io.tributary.broker.service;

import io.tributary.api.v1.ErrorDetail;
import io.tributary.api.v1.ErrorReason;
import io.tributary.protocol.ErrorReasons;
import io.tributary.protocol.TributaryException;
import io.tributary.storage.StorageErrors;

/**
 * The broker's errors: what it answers for any failure (storage and metadata failures mapped by
 * {@link StorageErrors}), as a gRPC status, and the broker's own refusals.
 */
public final class Errors {
    private Errors() {}

    public static ErrorDetail detailOf(Throwable t) {
        return StorageErrors.detailOf(t);
    }

    public static RuntimeException toStatus(Throwable t) {
        return ErrorReasons.toStatus(detailOf(t));
    }

    public static TributaryException error(ErrorReason reason, String message) {
        return new TributaryException(reason, message);
    }
}
