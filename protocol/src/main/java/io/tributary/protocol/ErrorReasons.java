package io.tributary.protocol;

import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.ProtoUtils;
import io.tributary.api.v1.ErrorDetail;
import io.tributary.api.v1.ErrorReason;

/**
 * The one place where a failure reason becomes a gRPC status and back. Servers raise
 * {@link TributaryException}s; clients read the reason from the status trailers and decide
 * from {@link #isRetriable(ErrorReason)} alone whether to try again.
 */
public final class ErrorReasons {

    /** Trailer key that carries an {@link ErrorDetail} on every failed call. */
    public static final Metadata.Key<ErrorDetail> DETAIL_KEY =
            ProtoUtils.keyForProto(ErrorDetail.getDefaultInstance());

    private ErrorReasons() {}

    public static Status.Code codeOf(ErrorReason reason) {
        switch (reason) {
            case INVALID_TOPIC_NAME:
            case INVALID_REQUEST:
            case MESSAGE_TOO_LARGE:
            case INVALID_MESSAGE_ID:
                return Status.Code.INVALID_ARGUMENT;
            case TOPIC_NOT_FOUND:
            case NAMESPACE_NOT_FOUND:
            case TENANT_NOT_FOUND:
            case SUBSCRIPTION_NOT_FOUND:
            case TRANSACTION_NOT_FOUND:
                return Status.Code.NOT_FOUND;
            case TOPIC_ALREADY_EXISTS:
            case NAMESPACE_ALREADY_EXISTS:
            case TENANT_ALREADY_EXISTS:
                return Status.Code.ALREADY_EXISTS;
            case CONSUMER_BUSY:
            case PRODUCER_BUSY:
            case NOT_ALLOWED:
            case NAMESPACE_NOT_EMPTY:
            case TENANT_NOT_EMPTY:
            case PRODUCER_FENCED:
            case MESSAGE_ALREADY_ACKNOWLEDGED:
            case MESSAGE_NOT_HELD:
            case TRANSACTION_ENDED:
                return Status.Code.FAILED_PRECONDITION;
            case POSITION_OUT_OF_RANGE:
                return Status.Code.OUT_OF_RANGE;
            case NOT_OWNER:
            case BUNDLE_MOVING:
            case SERVICE_NOT_READY:
            case BROKER_UNAVAILABLE:
            case TOPIC_FENCED:
                return Status.Code.UNAVAILABLE;
            case TIMEOUT:
                return Status.Code.DEADLINE_EXCEEDED;
            case NOT_AUTHORIZED:
                return Status.Code.PERMISSION_DENIED;
            case NOT_AUTHENTICATED:
                return Status.Code.UNAUTHENTICATED;
            case PRODUCER_QUEUE_FULL:
            case BACKLOG_QUOTA_EXCEEDED:
            case TRANSACTION_LIMIT_EXCEEDED:
                return Status.Code.RESOURCE_EXHAUSTED;
            case STORAGE_ERROR:
            case METADATA_ERROR:
            case INTERNAL_ERROR:
            default:
                return Status.Code.INTERNAL;
        }
    }

    /** Whether an operation that failed for this reason may succeed if sent again. */
    public static boolean isRetriable(ErrorReason reason) {
        switch (reason) {
            case NOT_OWNER:
            case BUNDLE_MOVING:
            case SERVICE_NOT_READY:
            case BROKER_UNAVAILABLE:
            case TOPIC_FENCED:
            case TIMEOUT:
            case STORAGE_ERROR:
            case METADATA_ERROR:
                return true;
            default:
                return false;
        }
    }

    public static ErrorDetail detail(ErrorReason reason, String message) {
        return ErrorDetail.newBuilder().setReason(reason).setMessage(message == null ? "" : message).build();
    }

    public static StatusRuntimeException toStatus(ErrorDetail detail) {
        Metadata trailers = new Metadata();
        trailers.put(DETAIL_KEY, detail);
        return Status.fromCode(codeOf(detail.getReason()))
                .withDescription(detail.getReason().name() + ": " + detail.getMessage())
                .asRuntimeException(trailers);
    }

    /**
     * The reason behind any throwable: our own exceptions, a status carrying our trailer,
     * or a plain gRPC status (mapped to the closest reason).
     */
    public static ErrorDetail detailOf(Throwable t) {
        Throwable cause = unwrap(t);
        if (cause instanceof TributaryException) {
            return ((TributaryException) cause).detail();
        }
        if (cause instanceof StatusRuntimeException) {
            StatusRuntimeException sre = (StatusRuntimeException) cause;
            Metadata trailers = sre.getTrailers();
            if (trailers != null && trailers.containsKey(DETAIL_KEY)) {
                return trailers.get(DETAIL_KEY);
            }
            return detailOfStatus(sre.getStatus());
        }
        if (cause instanceof io.grpc.StatusException) {
            io.grpc.StatusException se = (io.grpc.StatusException) cause;
            Metadata trailers = se.getTrailers();
            if (trailers != null && trailers.containsKey(DETAIL_KEY)) {
                return trailers.get(DETAIL_KEY);
            }
            return detailOfStatus(se.getStatus());
        }
        if (cause instanceof java.util.concurrent.TimeoutException) {
            return detail(ErrorReason.TIMEOUT, String.valueOf(cause.getMessage()));
        }
        return detail(ErrorReason.INTERNAL_ERROR, String.valueOf(cause));
    }

    private static ErrorDetail detailOfStatus(Status status) {
        String description = status.getDescription() == null ? status.getCode().name() : status.getDescription();
        switch (status.getCode()) {
            case UNAVAILABLE:
                // gRPC says only "io exception" for a connection that failed; its cause says why (a
                // TLS handshake refused, a connection refused), which is what the user needs
                return detail(ErrorReason.BROKER_UNAVAILABLE, withRootCause(description, status.getCause()));
            case CANCELLED:
            case ABORTED:
                return detail(ErrorReason.BROKER_UNAVAILABLE, description);
            case DEADLINE_EXCEEDED:
                return detail(ErrorReason.TIMEOUT, description);
            case INVALID_ARGUMENT:
                return detail(ErrorReason.INVALID_REQUEST, description);
            case RESOURCE_EXHAUSTED:
                return detail(ErrorReason.MESSAGE_TOO_LARGE, description);
            case PERMISSION_DENIED:
                return detail(ErrorReason.NOT_AUTHORIZED, description);
            case UNAUTHENTICATED:
                return detail(ErrorReason.NOT_AUTHENTICATED, description);
            default:
                return detail(ErrorReason.INTERNAL_ERROR, description);
        }
    }

    private static String withRootCause(String description, Throwable cause) {
        if (cause == null) {
            return description;
        }
        // Netty appends its channel pipeline on further lines: noise to a user
        description = description.lines().findFirst().orElse(description);
        Throwable root = cause;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String why = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
        return description.contains(why) ? description : description + ": " + why;
    }

    public static Throwable unwrap(Throwable t) {
        Throwable c = t;
        while ((c instanceof java.util.concurrent.CompletionException
                || c instanceof java.util.concurrent.ExecutionException) && c.getCause() != null) {
            c = c.getCause();
        }
        return c;
    }

    /**
     * {@code t} as a CompletionException, to rethrow from a stage's {@code exceptionally} without
     * wrapping an exception that already is one.
     */
    public static java.util.concurrent.CompletionException asCompletion(Throwable t) {
        return t instanceof java.util.concurrent.CompletionException ce ? ce : new java.util.concurrent.CompletionException(t);
    }
}
