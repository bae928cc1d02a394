package io.tributary.client;

import io.tributary.api.v1.ErrorDetail;
import io.tributary.api.v1.ErrorReason;
import io.tributary.protocol.ErrorReasons;
import java.io.IOException;

/**
 * Every failure the client reports, carrying the system's {@link ErrorReason}. The nested
 * subclasses name the reasons an application typically handles; {@link #of(ErrorDetail)}
 * picks the right one, and every other reason comes as this class itself.
 *
 * <p>Whether retrying may help is {@link #isRetriable()}; the client itself already retried
 * retriable failures until its timeouts, so an exception that reaches the application is final
 * for that operation.
 */
public class TributaryClientException extends IOException {

    private static final long serialVersionUID = 1L;

    // protobuf messages are Serializable (they write themselves as bytes)
    private final ErrorDetail detail;

    /** An error with this message and no server reason. */
    public TributaryClientException(String message) {
        this(ErrorReason.ERROR_REASON_UNSPECIFIED, message, null);
    }

    /** An error with this message and cause, and no server reason. */
    public TributaryClientException(String message, Throwable cause) {
        this(ErrorReason.ERROR_REASON_UNSPECIFIED, message, cause);
    }

    /** An error with a reason from the shared {@link ErrorReason} enum. */
    public TributaryClientException(ErrorReason reason, String message, Throwable cause) {
        this(ErrorReasons.detail(reason, message), cause);
    }

    /** An error as the server described it: its reason and message. */
    public TributaryClientException(ErrorDetail detail, Throwable cause) {
        super(text(detail), cause);
        this.detail = detail;
    }

    private static String text(ErrorDetail d) {
        return d.getReason() == ErrorReason.ERROR_REASON_UNSPECIFIED
                ? d.getMessage()
                : d.getReason().name() + ": " + d.getMessage();
    }

    /** The reason; {@code ERROR_REASON_UNSPECIFIED} for failures raised by the client itself. */
    public ErrorReason reason() {
        return detail == null ? ErrorReason.ERROR_REASON_UNSPECIFIED : detail.getReason();
    }

    /** The full detail, including the new owner's address for ownership errors. */
    public ErrorDetail detail() {
        return detail == null ? ErrorReasons.detail(ErrorReason.ERROR_REASON_UNSPECIFIED, getMessage()) : detail;
    }

    /** Whether the same operation may succeed if tried again ({@link ErrorReasons#isRetriable}). */
    public boolean isRetriable() {
        return ErrorReasons.isRetriable(reason());
    }

    /** The exception for a failure the system reported. */
    public static TributaryClientException of(ErrorDetail detail) {
        return of(detail, null);
    }

    /** The exception for a failure the system reported, with the exception it came in. */
    public static TributaryClientException of(ErrorDetail detail, Throwable cause) {
        switch (detail.getReason()) {
            case INVALID_TOPIC_NAME:
                return new InvalidTopicNameException(detail, cause);
            case TOPIC_NOT_FOUND:
                return new TopicNotFoundException(detail, cause);
            case TENANT_NOT_FOUND:
                return new TenantNotFoundException(detail, cause);
            case NAMESPACE_NOT_FOUND:
                return new NamespaceNotFoundException(detail, cause);
            case SUBSCRIPTION_NOT_FOUND:
                return new SubscriptionNotFoundException(detail, cause);
            case TRANSACTION_NOT_FOUND:
                return new TransactionNotFoundException(detail, cause);
            case TRANSACTION_ENDED:
                return new TransactionEndedException(detail, cause);
            case TRANSACTION_LIMIT_EXCEEDED:
                return new TransactionLimitExceededException(detail, cause);
            case TENANT_ALREADY_EXISTS:
            case NAMESPACE_ALREADY_EXISTS:
            case TOPIC_ALREADY_EXISTS:
                return new AlreadyExistsException(detail, cause);
            case TENANT_NOT_EMPTY:
            case NAMESPACE_NOT_EMPTY:
                return new NotEmptyException(detail, cause);
            case MESSAGE_TOO_LARGE:
                return new MessageTooLargeException(detail, cause);
            case CONSUMER_BUSY:
                return new ConsumerBusyException(detail, cause);
            case PRODUCER_BUSY:
                return new ProducerBusyException(detail, cause);
            case NOT_AUTHORIZED:
                return new NotAuthorizedException(detail, cause);
            case NOT_AUTHENTICATED:
                return new NotAuthenticatedException(detail, cause);
            case TIMEOUT:
                return new TimeoutException(detail, cause);
            case PRODUCER_FENCED:
                return new ProducerFencedException(detail, cause);
            case PRODUCER_QUEUE_FULL:
                return new ProducerQueueIsFullException(detail, cause);
            case NOT_ALLOWED:
                return new NotAllowedException(detail, cause);
            case MESSAGE_ALREADY_ACKNOWLEDGED:
                return new AlreadyAcknowledgedException(detail, cause);
            case POSITION_OUT_OF_RANGE:
                return new PositionOutOfRangeException(detail, cause);
            case INVALID_MESSAGE_ID:
                return new InvalidMessageIdException(detail, cause);
            default:
                return new TributaryClientException(detail, cause);
        }
    }

    /**
     * The exception behind any throwable: a client exception itself (unwrapped from completion
     * and execution exceptions), or the mapping of {@link ErrorReasons#detailOf(Throwable)}.
     */
    public static TributaryClientException from(Throwable t) {
        Throwable c = ErrorReasons.unwrap(t);
        if (c instanceof TributaryClientException) {
            return (TributaryClientException) c;
        }
        return of(ErrorReasons.detailOf(c), c);
    }

    /** The topic name is malformed. */
    public static class InvalidTopicNameException extends TributaryClientException {
        private static final long serialVersionUID = 1L;

        /** An error with this message and no server reason. */
        public InvalidTopicNameException(String message) {
            this(ErrorReasons.detail(ErrorReason.INVALID_TOPIC_NAME, message), null);
        }

        /** An error as the server described it: its reason and message. */
        public InvalidTopicNameException(ErrorDetail detail, Throwable cause) {
            super(detail, cause);
        }
    }

    /**
     * Something named in the request does not exist: a tenant, a namespace, a topic or a
     * subscription ({@link #reason()} tells which; the subclasses name them too).
     */
    public static class NotFoundException extends TributaryClientException {
        private static final long serialVersionUID = 1L;

        /** The exception for {@code detail} as the server sent it, with the exception it came in (may be null). */
        public NotFoundException(ErrorDetail detail, Throwable cause) {
            super(detail, cause);
        }
    }

    /** The tenant does not exist. */
    public static class TenantNotFoundException extends NotFoundException {
        private static final long serialVersionUID = 1L;

        /** The exception for {@code detail} as the server sent it, with the exception it came in (may be null). */
        public TenantNotFoundException(ErrorDetail detail, Throwable cause) {
            super(detail, cause);
        }
    }

    /** The namespace does not exist. */
    public static class NamespaceNotFoundException extends NotFoundException {
        private static final long serialVersionUID = 1L;

        /** The exception for {@code detail} as the server sent it, with the exception it came in (may be null). */
        public NamespaceNotFoundException(ErrorDetail detail, Throwable cause) {
            super(detail, cause);
        }
    }

    /** The subscription does not exist on the topic. */
    public static class SubscriptionNotFoundException extends NotFoundException {
        private static final long serialVersionUID = 1L;

        /** The exception for {@code detail} as the server sent it, with the exception it came in (may be null). */
        public SubscriptionNotFoundException(ErrorDetail detail, Throwable cause) {
            super(detail, cause);
        }
    }

    /** No open or recently ended transaction has the id: it never began, or it ended long ago. */
    public static class TransactionNotFoundException extends NotFoundException {
        private static final long serialVersionUID = 1L;

        /** The exception for {@code detail} as the server sent it, with the exception it came in (may be null). */
        public TransactionNotFoundException(ErrorDetail detail, Throwable cause) {
            super(detail, cause);
        }
    }

    /**
     * The transaction was committed or rolled back already (by its client, a check-back, its timeout or an
     * administrator: the message says which), so it takes no more messages and not the other end.
     */
    public static class TransactionEndedException extends TributaryClientException {
        private static final long serialVersionUID = 1L;

        /** An error with this message and no server reason. */
        public TransactionEndedException(String message) {
            this(ErrorReasons.detail(ErrorReason.TRANSACTION_ENDED, message), null);
        }

        /** The exception for {@code detail} as the server sent it, with the exception it came in (may be null). */
        public TransactionEndedException(ErrorDetail detail, Throwable cause) {
            super(detail, cause);
        }
    }

    /** Too many open transactions, or a transaction over its size limits; the message names the limit. */
    public static class TransactionLimitExceededException extends TributaryClientException {
        private static final long serialVersionUID = 1L;

        /** The exception for {@code detail} as the server sent it, with the exception it came in (may be null). */
        public TransactionLimitExceededException(ErrorDetail detail, Throwable cause) {
            super(detail, cause);
        }
    }

    /** A tenant, namespace or topic of that name exists already ({@link #reason()} tells which). */
    public static class AlreadyExistsException extends TributaryClientException {
        private static final long serialVersionUID = 1L;

        /** The exception for {@code detail} as the server sent it, with the exception it came in (may be null). */
        public AlreadyExistsException(ErrorDetail detail, Throwable cause) {
            super(detail, cause);
        }
    }

    /** A tenant still has namespaces, or a namespace still has topics, so it cannot be deleted. */
    public static class NotEmptyException extends TributaryClientException {
        private static final long serialVersionUID = 1L;

        /** The exception for {@code detail} as the server sent it, with the exception it came in (may be null). */
        public NotEmptyException(ErrorDetail detail, Throwable cause) {
            super(detail, cause);
        }
    }

    /**
     * A received message was written with a schema this consumer's schema cannot read (see
     * {@link Schema} for the rule): raised by {@code receive} instead of a value decoded into
     * garbage. The message counts as received and stays unacknowledged, so nothing is lost:
     * acknowledge it by {@link #getMessageId()} to move past it, negatively acknowledge it to have
     * it delivered again (and dead-lettered after the policy's redeliveries), or read it with a
     * consumer of {@link Schema#BYTES}.
     */
    public static class IncompatibleSchemaException extends TributaryClientException {
        private static final long serialVersionUID = 1L;

        private final MessageId messageId;
        private final String writerSchema;
        private final String readerSchema;

        /**
         * @param topic        the topic the message came from
         * @param messageId    the message
         * @param writerSchema the schema name the producer wrote in the batch
         * @param readerSchema the name of the consumer's schema
         */
        public IncompatibleSchemaException(String topic, MessageId messageId, String writerSchema, String readerSchema) {
            super(ErrorReasons.detail(ErrorReason.ERROR_REASON_UNSPECIFIED, "message " + messageId + " of " + topic
                    + " was written with schema '" + writerSchema + "', which this consumer's schema '" + readerSchema
                    + "' cannot read; acknowledge it to skip it, or read the topic with Schema.BYTES"), null);
            this.messageId = messageId;
            this.writerSchema = writerSchema;
            this.readerSchema = readerSchema;
        }

        /** The message that could not be read; still unacknowledged. */
        public MessageId getMessageId() {
            return messageId;
        }

        /** The schema name the producer wrote, e.g. {@code json:com.acme.Order}. */
        public String getWriterSchema() {
            return writerSchema;
        }

        /** The name of the consumer's schema. */
        public String getReaderSchema() {
            return readerSchema;
        }
    }

    /**
     * A value could not be encoded, or a message's bytes are not a valid value of the schema
     * (malformed JSON, bytes that are not the protobuf message). Like
     * {@link IncompatibleSchemaException}, a message that cannot be decoded counts as received
     * and stays unacknowledged; {@link #getMessageId()} names it (null when encoding failed).
     */
    public static class SchemaSerializationException extends TributaryClientException {
        private static final long serialVersionUID = 1L;

        private final MessageId messageId;

        /**
         * @param messageId the message that could not be decoded; null for a value that could not be encoded
         * @param message   what went wrong
         * @param cause     the schema's exception
         */
        public SchemaSerializationException(MessageId messageId, String message, Throwable cause) {
            super(ErrorReasons.detail(ErrorReason.ERROR_REASON_UNSPECIFIED, message), cause);
            this.messageId = messageId;
        }

        /** The message whose bytes could not be decoded; null when a value could not be encoded. */
        public MessageId getMessageId() {
            return messageId;
        }
    }

    /** The topic does not exist and is not created automatically. */
    public static class TopicNotFoundException extends NotFoundException {
        private static final long serialVersionUID = 1L;

        /** An error with this message and no server reason. */
        public TopicNotFoundException(String message) {
            this(ErrorReasons.detail(ErrorReason.TOPIC_NOT_FOUND, message), null);
        }

        /** An error as the server described it: its reason and message. */
        public TopicNotFoundException(ErrorDetail detail, Throwable cause) {
            super(detail, cause);
        }
    }

    /** The message exceeds the broker's maximum message size. */
    public static class MessageTooLargeException extends TributaryClientException {
        private static final long serialVersionUID = 1L;

        /** An error with this message and no server reason. */
        public MessageTooLargeException(String message) {
            this(ErrorReasons.detail(ErrorReason.MESSAGE_TOO_LARGE, message), null);
        }

        /** An error as the server described it: its reason and message. */
        public MessageTooLargeException(ErrorDetail detail, Throwable cause) {
            super(detail, cause);
        }
    }

    /** An exclusive subscription already has a consumer. */
    public static class ConsumerBusyException extends TributaryClientException {
        private static final long serialVersionUID = 1L;

        /** An error with this message and no server reason. */
        public ConsumerBusyException(String message) {
            this(ErrorReasons.detail(ErrorReason.CONSUMER_BUSY, message), null);
        }

        /** An error as the server described it: its reason and message. */
        public ConsumerBusyException(ErrorDetail detail, Throwable cause) {
            super(detail, cause);
        }
    }

    /** Another producer with the same name is connected to the topic. */
    public static class ProducerBusyException extends TributaryClientException {
        private static final long serialVersionUID = 1L;

        /** An error with this message and no server reason. */
        public ProducerBusyException(String message) {
            this(ErrorReasons.detail(ErrorReason.PRODUCER_BUSY, message), null);
        }

        /** An error as the server described it: its reason and message. */
        public ProducerBusyException(ErrorDetail detail, Throwable cause) {
            super(detail, cause);
        }
    }

    /** The client is not authenticated or not allowed to do this. */
    public static class NotAuthorizedException extends TributaryClientException {
        private static final long serialVersionUID = 1L;

        /** An error with this message and no server reason. */
        public NotAuthorizedException(String message) {
            this(ErrorReasons.detail(ErrorReason.NOT_AUTHORIZED, message), null);
        }

        /** An error as the server described it: its reason and message. */
        public NotAuthorizedException(ErrorDetail detail, Throwable cause) {
            super(detail, cause);
        }
    }

    /**
     * The server did not accept the client's credentials: no token, or one that is malformed,
     * expired, not signed by a trusted key, or for another audience; the message says which. A
     * {@link NotAuthorizedException}, so code that catches that sees it too.
     */
    public static class NotAuthenticatedException extends NotAuthorizedException {
        private static final long serialVersionUID = 1L;

        /** An error as the server described it: its reason and message. */
        public NotAuthenticatedException(ErrorDetail detail, Throwable cause) {
            super(detail, cause);
        }
    }

    /** The operation did not complete in time (send timeout, operation timeout, or the broker's). */
    public static class TimeoutException extends TributaryClientException {
        private static final long serialVersionUID = 1L;

        /** An error with this message and no server reason. */
        public TimeoutException(String message) {
            this(ErrorReasons.detail(ErrorReason.TIMEOUT, message), null);
        }

        /** An error as the server described it: its reason and message. */
        public TimeoutException(ErrorDetail detail, Throwable cause) {
            super(detail, cause);
        }
    }

    /** A newer producer took the topic over from this one. */
    public static class ProducerFencedException extends TributaryClientException {
        private static final long serialVersionUID = 1L;

        /** An error with this message and no server reason. */
        public ProducerFencedException(String message) {
            this(ErrorReasons.detail(ErrorReason.PRODUCER_FENCED, message), null);
        }

        /** An error as the server described it: its reason and message. */
        public ProducerFencedException(ErrorDetail detail, Throwable cause) {
            super(detail, cause);
        }
    }

    /** The producer's pending queue is full and it was built not to block. */
    public static class ProducerQueueIsFullException extends TributaryClientException {
        private static final long serialVersionUID = 1L;

        /** An error with this message and no server reason. */
        public ProducerQueueIsFullException(String message) {
            this(ErrorReasons.detail(ErrorReason.PRODUCER_QUEUE_FULL, message), null);
        }

        /** An error as the server described it: its reason and message. */
        public ProducerQueueIsFullException(ErrorDetail detail, Throwable cause) {
            super(detail, cause);
        }
    }

    /**
     * The client's memory limit ({@link ClientBuilder#memoryLimit(long)}) is used up by messages
     * awaiting acknowledgement and the producer was built not to block. A kind of
     * {@link ProducerQueueIsFullException} (same reason, {@code PRODUCER_QUEUE_FULL}), so code that
     * handles a full queue handles this too.
     */
    public static class MemoryBufferIsFullException extends ProducerQueueIsFullException {
        private static final long serialVersionUID = 1L;

        /** The exception with a message that says how much memory is in use. */
        public MemoryBufferIsFullException(String message) {
            super(message);
        }
    }

    /** The producer, consumer or client was closed (or failed for good) before the operation. */
    public static class AlreadyClosedException extends TributaryClientException {
        private static final long serialVersionUID = 1L;

        /** An error with this message and no server reason. */
        public AlreadyClosedException(String message) {
            super(ErrorReasons.detail(ErrorReason.ERROR_REASON_UNSPECIFIED, message), null);
        }
    }

    /** The broker refused the operation in the current state, e.g. a cumulative ack on a Shared subscription. */
    public static class NotAllowedException extends TributaryClientException {
        private static final long serialVersionUID = 1L;

        /** An error with this message and no server reason. */
        public NotAllowedException(String message) {
            this(ErrorReasons.detail(ErrorReason.NOT_ALLOWED, message), null);
        }

        /** An error as the server described it: its reason and message. */
        public NotAllowedException(ErrorDetail detail, Throwable cause) {
            super(detail, cause);
        }
    }

    /** The message was acknowledged before: an individual acknowledgement of it has nothing left to do. */
    public static class AlreadyAcknowledgedException extends TributaryClientException {
        private static final long serialVersionUID = 1L;

        /** An error with this message and no server reason. */
        public AlreadyAcknowledgedException(String message) {
            this(ErrorReasons.detail(ErrorReason.MESSAGE_ALREADY_ACKNOWLEDGED, message), null);
        }

        /** An error as the server described it: its reason and message. */
        public AlreadyAcknowledgedException(ErrorDetail detail, Throwable cause) {
            super(detail, cause);
        }
    }

    /** A seek or a start position lies past the end of the topic. */
    public static class PositionOutOfRangeException extends TributaryClientException {
        private static final long serialVersionUID = 1L;

        /** An error with this message and no server reason. */
        public PositionOutOfRangeException(String message) {
            this(ErrorReasons.detail(ErrorReason.POSITION_OUT_OF_RANGE, message), null);
        }

        /** An error as the server described it: its reason and message. */
        public PositionOutOfRangeException(ErrorDetail detail, Throwable cause) {
            super(detail, cause);
        }
    }

    /** The message id is malformed or names no message of the topic. */
    public static class InvalidMessageIdException extends TributaryClientException {
        private static final long serialVersionUID = 1L;

        /** An error with this message and no server reason. */
        public InvalidMessageIdException(String message) {
            this(ErrorReasons.detail(ErrorReason.INVALID_MESSAGE_ID, message), null);
        }

        /** An error as the server described it: its reason and message. */
        public InvalidMessageIdException(ErrorDetail detail, Throwable cause) {
            super(detail, cause);
        }
    }
}
