package io.tributary.protocol;

import io.grpc.StatusRuntimeException;
import io.tributary.api.v1.ErrorDetail;
import io.tributary.api.v1.ErrorReason;

/** A failure with a reason from the shared enum; servers throw it, {@link ErrorReasons} maps it. */
public class TributaryException extends RuntimeException {
    private final ErrorDetail detail;

    public TributaryException(ErrorReason reason, String message) {
        this(ErrorReasons.detail(reason, message), null);
    }

    public TributaryException(ErrorReason reason, String message, Throwable cause) {
        this(ErrorReasons.detail(reason, message), cause);
    }

    public TributaryException(ErrorDetail detail, Throwable cause) {
        super(detail.getReason().name() + ": " + detail.getMessage(), cause);
        this.detail = detail;
    }

    public ErrorReason reason() {
        return detail.getReason();
    }

    public ErrorDetail detail() {
        return detail;
    }

    public StatusRuntimeException toStatus() {
        return ErrorReasons.toStatus(detail);
    }
}
