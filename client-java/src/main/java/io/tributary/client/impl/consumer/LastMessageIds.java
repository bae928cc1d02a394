package io.tributary.client.impl.consumer;

import io.tributary.api.v1.ErrorDetail;
import io.tributary.api.v1.ErrorReason;
import io.tributary.api.v1.GetLastMessageIdRequest;
import io.tributary.api.v1.GetLastMessageIdResponse;
import io.tributary.client.MessageId;
import io.tributary.client.TributaryClientException;
import io.tributary.client.TributaryClientException.AlreadyClosedException;
import io.tributary.client.TributaryClientException.TimeoutException;
import io.tributary.client.impl.stream.Backoff;
import io.tributary.client.impl.BatchCodec;
import io.tributary.client.impl.Futures;
import io.tributary.client.impl.TributaryClientImpl;
import io.tributary.client.impl.UnaryCalls;
import io.tributary.protocol.ErrorReasons;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Questions about the end of a consumer's one topic, asked of its owner broker: the last
 * message id ({@code getLastMessageId}), and for a reader whether a message after its
 * {@link ReaderPosition} is stored ({@code hasMessageAvailable}).
 */
final class LastMessageIds<T> {
    private final ConsumerImpl<T> consumer;
    private final TributaryClientImpl client;

    LastMessageIds(ConsumerImpl<T> consumer, TributaryClientImpl client) {
        this.consumer = consumer;
        this.client = client;
    }

    /** The last message id of a consumer of one topic or partition. */
    CompletableFuture<MessageId> lastMessageId() {
        TopicSubscription<T> main = consumer.single();
        if (main == null) {
            return Futures.failed(new TributaryClientException.NotAllowedException(
                    "getLastMessageId needs a consumer of one topic or partition; this one reads " + consumer.getTopic()));
        }
        GetLastMessageIdRequest request = GetLastMessageIdRequest.newBuilder().setTopic(main.topic())
                .setSubscription("").build();
        return UnaryCalls.withRetries("asking for the last message id of " + main.topic(), left -> {
            CompletableFuture<GetLastMessageIdResponse> f = new CompletableFuture<>();
            client.stub().withDeadlineAfter(left, TimeUnit.NANOSECONDS).getLastMessageId(request, UnaryCalls.into(f));
            return f;
        }, UnaryCalls::retriable, client.operationTimeout(), client.scheduler())
                .thenApply(r -> r.hasLastMessageId() ? fromProto(main, r.getLastMessageId()) : MessageId.earliest);
    }

    private static MessageId fromProto(TopicSubscription<?> s, io.tributary.api.v1.MessageId id) {
        return new MessageId(id.getLedgerId(), id.getEntryId(), id.getBatchIndex(),
                BatchCodec.partitionOf(id.getPartition(), s.partition()), id.getBatchSize());
    }

    /**
     * Whether a message after the reader's position is stored: true at once when one is
     * prefetched; otherwise the topic's last message id is compared with the last message handed
     * out (or the start id), or, for a reader that has handed out nothing since it started at
     * earliest, latest or a time (or sought there), with the position of its cursor on the broker.
     * While the reader reconnects or a seek is under way the question waits, up to the operation
     * timeout.
     */
    CompletableFuture<Boolean> hasMessageAvailable() {
        CompletableFuture<Boolean> result = new CompletableFuture<>();
        availabilityAttempt(result, System.nanoTime() + client.operationTimeout().toNanos(), new Backoff());
        return result;
    }

    private void availabilityAttempt(CompletableFuture<Boolean> result, long deadline, Backoff backoff) {
        MessageId position;
        boolean inclusive;
        String cursorName;
        TopicSubscription<T> main;
        consumer.lock.lock();
        try {
            if (!consumer.openLocked()) {
                result.completeExceptionally(consumer.closedErrorLocked());
                return;
            }
            // readers have exactly one stream
            main = consumer.topics().all().get(0);
            if (consumer.receiverQueue().holdsLocked(main)) {
                result.complete(true);
                return;
            }
            // after a hand-out, the position is the last message handed out (exclusive)
            ReaderPosition reader = main.position();
            position = reader.position();
            inclusive = reader.positionInclusive();
            cursorName = main.ready() && !consumer.seeks().seekingLocked(main) ? reader.cursorName() : null;
        } finally {
            consumer.lock.unlock();
        }
        if (cursorName == null) {
            retryAvailability(main, result, deadline, backoff, ErrorReasons.detail(ErrorReason.BROKER_UNAVAILABLE,
                    "the reader is reconnecting or seeking"));
            return;
        }
        long left = deadline - System.nanoTime();
        GetLastMessageIdRequest request = GetLastMessageIdRequest.newBuilder().setTopic(main.topic())
                .setSubscription(position == null ? cursorName : "").build();
        CompletableFuture<GetLastMessageIdResponse> call = new CompletableFuture<>();
        try {
            client.stub().withDeadlineAfter(Math.max(1, left), TimeUnit.NANOSECONDS)
                    .getLastMessageId(request, UnaryCalls.into(call));
        } catch (RuntimeException e) {
            call.completeExceptionally(e);
        }
        call.whenComplete((r, t) -> {
            if (t != null) {
                ErrorDetail d = ErrorReasons.detailOf(t);
                // the reader's cursor is gone when its stream was replaced meanwhile: ask again
                if ((ErrorReasons.isRetriable(d.getReason()) && d.getReason() != ErrorReason.TIMEOUT)
                        || (position == null && d.getReason() == ErrorReason.SUBSCRIPTION_NOT_FOUND)) {
                    retryAvailability(main, result, deadline, backoff, d);
                } else {
                    result.completeExceptionally(TributaryClientException.from(t));
                }
                return;
            }
            if (!r.hasLastMessageId()) {
                result.complete(false);
                return;
            }
            io.tributary.api.v1.MessageId last = r.getLastMessageId();
            if (position != null) {
                int c = ReaderPosition.compareInTopic(fromProto(main, last), position);
                result.complete(c > 0 || (c == 0 && inclusive));
                return;
            }
            // nothing handed out since the start or a seek: the cursor sits just before the next entry to deliver
            io.tributary.api.v1.MessageId md = r.getMarkDeletePosition();
            int c = Long.compare(last.getLedgerId(), md.getLedgerId());
            result.complete(c > 0 || (c == 0 && last.getEntryId() > md.getEntryId()));
        });
    }

    private void retryAvailability(TopicSubscription<T> main, CompletableFuture<Boolean> result, long deadline,
                                   Backoff backoff, ErrorDetail cause) {
        long delayMs = backoff.nextDelayMs(cause);
        if (System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(delayMs) >= deadline) {
            result.completeExceptionally(new TimeoutException(ErrorReasons.detail(ErrorReason.TIMEOUT,
                    "could not tell whether " + main.topic() + " has more messages within " + client.operationTimeout()
                            + "; last error " + cause.getReason() + ": " + cause.getMessage()), null));
            return;
        }
        if (client.schedule(() -> availabilityAttempt(result, deadline, backoff), delayMs, TimeUnit.MILLISECONDS) == null) {
            result.completeExceptionally(new AlreadyClosedException("the client is closed"));
        }
    }
}
