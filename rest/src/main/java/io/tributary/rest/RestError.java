package io.tributary.rest;

import io.grpc.Status;
import io.tributary.api.v1.ErrorReason;

/**
 * A refused REST call: the HTTP status, the gRPC status it stands for, the {@link ErrorReason} (null when there
 * is none: an unknown path, a wrong method) and the message; {@code ownerAddress} only with NOT_OWNER and
 * BUNDLE_MOVING when the owner is known.
 */
public final class RestError extends Exception {
    private static final long serialVersionUID = 1L;

    final int httpStatus;
    final Status.Code code;
    final ErrorReason reason;
    final String ownerAddress;

    RestError(int httpStatus, Status.Code code, ErrorReason reason, String message, String ownerAddress) {
        super(message, null, false, false);
        this.httpStatus = httpStatus;
        this.code = code;
        this.reason = reason;
        this.ownerAddress = ownerAddress;
    }

    static RestError invalid(String message) {
        return new RestError(400, Status.Code.INVALID_ARGUMENT, ErrorReason.INVALID_REQUEST, message, null);
    }

    /**
     * The HTTP status of a gRPC status. FAILED_PRECONDITION is 409 Conflict: it means the resource's state
     * forbids the call (a namespace not empty, a message already acknowledged); 412 is for HTTP's own
     * conditional headers, which this API does not use.
     */
    public static int httpStatus(Status.Code code) {
        return switch (code) {
            case OK -> 200;
            case INVALID_ARGUMENT, OUT_OF_RANGE -> 400;
            case UNAUTHENTICATED -> 401;
            case PERMISSION_DENIED -> 403;
            case NOT_FOUND -> 404;
            case ALREADY_EXISTS, FAILED_PRECONDITION, ABORTED -> 409;
            case RESOURCE_EXHAUSTED -> 429;
            case CANCELLED -> 499;
            case UNIMPLEMENTED -> 501;
            case UNAVAILABLE -> 503;
            case DEADLINE_EXCEEDED -> 504;
            case INTERNAL, UNKNOWN, DATA_LOSS -> 500;
        };
    }
}
