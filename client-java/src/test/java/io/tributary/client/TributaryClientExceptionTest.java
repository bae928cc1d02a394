package io.tributary.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import io.tributary.api.v1.ErrorDetail;
import io.tributary.api.v1.ErrorReason;
import io.tributary.client.TributaryClientException.AlreadyClosedException;
import io.tributary.client.TributaryClientException.ConsumerBusyException;
import io.tributary.client.TributaryClientException.InvalidTopicNameException;
import io.tributary.client.TributaryClientException.MessageTooLargeException;
import io.tributary.client.TributaryClientException.NotAllowedException;
import io.tributary.client.TributaryClientException.NotAuthorizedException;
import io.tributary.client.TributaryClientException.ProducerBusyException;
import io.tributary.client.TributaryClientException.ProducerFencedException;
import io.tributary.client.TributaryClientException.ProducerQueueIsFullException;
import io.tributary.client.TributaryClientException.TimeoutException;
import io.tributary.client.TributaryClientException.TopicNotFoundException;
import io.tributary.protocol.ErrorReasons;
import io.tributary.protocol.TributaryException;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

class TributaryClientExceptionTest {

    private static final Map<ErrorReason, Class<? extends TributaryClientException>> EXPECTED = Map.ofEntries(
            Map.entry(ErrorReason.INVALID_TOPIC_NAME, InvalidTopicNameException.class),
            Map.entry(ErrorReason.TOPIC_NOT_FOUND, TopicNotFoundException.class),
            Map.entry(ErrorReason.MESSAGE_TOO_LARGE, MessageTooLargeException.class),
            Map.entry(ErrorReason.CONSUMER_BUSY, ConsumerBusyException.class),
            Map.entry(ErrorReason.PRODUCER_BUSY, ProducerBusyException.class),
            Map.entry(ErrorReason.NOT_AUTHORIZED, NotAuthorizedException.class),
            Map.entry(ErrorReason.NOT_AUTHENTICATED, TributaryClientException.NotAuthenticatedException.class),
            Map.entry(ErrorReason.TIMEOUT, TimeoutException.class),
            Map.entry(ErrorReason.PRODUCER_FENCED, ProducerFencedException.class),
            Map.entry(ErrorReason.PRODUCER_QUEUE_FULL, ProducerQueueIsFullException.class),
            Map.entry(ErrorReason.NOT_ALLOWED, NotAllowedException.class),
            Map.entry(ErrorReason.MESSAGE_ALREADY_ACKNOWLEDGED, TributaryClientException.AlreadyAcknowledgedException.class),
            Map.entry(ErrorReason.POSITION_OUT_OF_RANGE, TributaryClientException.PositionOutOfRangeException.class),
            Map.entry(ErrorReason.INVALID_MESSAGE_ID, TributaryClientException.InvalidMessageIdException.class),
            Map.entry(ErrorReason.TENANT_NOT_FOUND, TributaryClientException.TenantNotFoundException.class),
            Map.entry(ErrorReason.NAMESPACE_NOT_FOUND, TributaryClientException.NamespaceNotFoundException.class),
            Map.entry(ErrorReason.SUBSCRIPTION_NOT_FOUND, TributaryClientException.SubscriptionNotFoundException.class),
            Map.entry(ErrorReason.TRANSACTION_NOT_FOUND, TributaryClientException.TransactionNotFoundException.class),
            Map.entry(ErrorReason.TRANSACTION_ENDED, TributaryClientException.TransactionEndedException.class),
            Map.entry(ErrorReason.TRANSACTION_LIMIT_EXCEEDED,
                    TributaryClientException.TransactionLimitExceededException.class),
            Map.entry(ErrorReason.TENANT_ALREADY_EXISTS, TributaryClientException.AlreadyExistsException.class),
            Map.entry(ErrorReason.NAMESPACE_ALREADY_EXISTS, TributaryClientException.AlreadyExistsException.class),
            Map.entry(ErrorReason.TOPIC_ALREADY_EXISTS, TributaryClientException.AlreadyExistsException.class),
            Map.entry(ErrorReason.TENANT_NOT_EMPTY, TributaryClientException.NotEmptyException.class),
            Map.entry(ErrorReason.NAMESPACE_NOT_EMPTY, TributaryClientException.NotEmptyException.class));

    @Test
    void everyReasonMapsToItsSubclassAndKeepsTheDetail() {
        for (ErrorReason reason : ErrorReason.values()) {
            if (reason == ErrorReason.UNRECOGNIZED) {
                continue;
            }
            ErrorDetail detail = ErrorDetail.newBuilder().setReason(reason).setMessage("m-" + reason)
                    .setOwnerAddress("broker-2:6651").build();
            TributaryClientException e = TributaryClientException.of(detail);
            Class<?> expected = EXPECTED.getOrDefault(reason, TributaryClientException.class);
            assertThat(e).as(reason.name()).isExactlyInstanceOf(expected);
            assertThat(e.reason()).isEqualTo(reason);
            assertThat(e.detail()).isEqualTo(detail);
            assertThat(e.isRetriable()).isEqualTo(ErrorReasons.isRetriable(reason));
            if (reason != ErrorReason.ERROR_REASON_UNSPECIFIED) {
                assertThat(e.getMessage()).isEqualTo(reason.name() + ": m-" + reason);
            }
        }
    }

    @Test
    void fromStatusWithTrailerUsesTheDetail() {
        ErrorDetail detail = ErrorReasons.detail(ErrorReason.CONSUMER_BUSY, "exclusive subscription has a consumer");
        TributaryClientException e = TributaryClientException.from(ErrorReasons.toStatus(detail));
        assertThat(e).isInstanceOf(ConsumerBusyException.class);
        assertThat(e.detail()).isEqualTo(detail);
        assertThat(e.getCause()).isInstanceOf(io.grpc.StatusRuntimeException.class);
    }

    @Test
    void fromPlainStatusMapsTheCode() {
        TributaryClientException e = TributaryClientException.from(Status.UNAVAILABLE.withDescription("down").asRuntimeException());
        assertThat(e.reason()).isEqualTo(ErrorReason.BROKER_UNAVAILABLE);
        assertThat(e.isRetriable()).isTrue();
        assertThat(TributaryClientException.from(Status.DEADLINE_EXCEEDED.asException()))
                .isInstanceOf(TimeoutException.class);
        assertThat(TributaryClientException.from(Status.PERMISSION_DENIED.asRuntimeException()))
                .isInstanceOf(NotAuthorizedException.class);
    }

    @Test
    void fromServerExceptionAndWrappers() {
        TributaryException server = new TributaryException(ErrorReason.TOPIC_NOT_FOUND, "no such topic");
        assertThat(TributaryClientException.from(new CompletionException(server)))
                .isInstanceOf(TopicNotFoundException.class);
        TributaryClientException own = new ProducerFencedException("fenced");
        assertThat(TributaryClientException.from(new ExecutionException(own))).isSameAs(own);
        assertThat(TributaryClientException.from(new CompletionException(new ExecutionException(own)))).isSameAs(own);
        assertThat(TributaryClientException.from(new java.util.concurrent.TimeoutException("slow")))
                .isInstanceOf(TimeoutException.class);
        assertThat(TributaryClientException.from(new IllegalStateException("bug")).reason())
                .isEqualTo(ErrorReason.INTERNAL_ERROR);
    }

    @Test
    void clientSideExceptions() {
        assertThat(new AlreadyClosedException("closed").reason()).isEqualTo(ErrorReason.ERROR_REASON_UNSPECIFIED);
        assertThat(new AlreadyClosedException("closed").isRetriable()).isFalse();
        assertThat(new AlreadyClosedException("closed").getMessage()).isEqualTo("closed");
        assertThat(new ProducerQueueIsFullException("full").reason()).isEqualTo(ErrorReason.PRODUCER_QUEUE_FULL);
        assertThat(new TimeoutException("late").reason()).isEqualTo(ErrorReason.TIMEOUT);
        assertThat(new TimeoutException("late").isRetriable()).isTrue();
        assertThat(new MessageTooLargeException("big")).isInstanceOf(java.io.IOException.class);
    }
}
