package io.tributary.client.impl;

import io.grpc.stub.StreamObserver;
import io.tributary.api.v1.ErrorDetail;
import io.tributary.api.v1.ErrorReason;
import io.tributary.client.TributaryClientException;
import io.tributary.client.impl.stream.Backoff;
import io.tributary.protocol.ErrorReasons;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongFunction;
import java.util.function.Predicate;

/**
 * Unary gRPC calls as futures, retried while they fail for a retriable reason (a topic moving, a
 * broker restarting) until the operation's timeout, with the same backoff as reconnects. Used by
 * the consumer's last-message-id calls and by the admin client.
 */
public final class UnaryCalls {
    private UnaryCalls() {}

    /** What an attempt gets: the time left until the operation's deadline, in nanoseconds. */
    public interface Attempt<R> extends LongFunction<CompletableFuture<R>> {}

    /** An observer that completes a future with a unary call's single response or its error. */
    public static <R> StreamObserver<R> into(CompletableFuture<R> future) {
        return new StreamObserver<>() {
            private R value;

            @Override
            public void onNext(R v) {
                value = v;
            }

            @Override
            public void onError(Throwable t) {
                future.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {
                future.complete(value);
            }
        };
    }

    /** The default rule: retry reasons the system calls retriable ({@link ErrorReasons#isRetriable}). */
    public static boolean retriable(ErrorDetail detail) {
        return ErrorReasons.isRetriable(detail.getReason());
    }

    /**
     * Runs {@code attempt} until it succeeds, fails for a reason {@code retry} refuses, or
     * {@code timeout} has passed; the future then fails with the {@link TributaryClientException}
     * of the last error (a {@link TributaryClientException.TimeoutException} naming it when time
     * ran out while retrying).
     *
     * @param what a description of the operation for the timeout's message
     */
    public static <R> CompletableFuture<R> withRetries(String what, Attempt<R> attempt, Predicate<ErrorDetail> retry,
                                                       Duration timeout, ScheduledExecutorService scheduler) {
        CompletableFuture<R> result = new CompletableFuture<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        run(what, attempt, retry, timeout, deadline, new Backoff(), scheduler, result);
        return result;
    }

    private static <R> void run(String what, Attempt<R> attempt, Predicate<ErrorDetail> retry, Duration timeout,
                                long deadline, Backoff backoff, ScheduledExecutorService scheduler,
                                CompletableFuture<R> result) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            result.completeExceptionally(new TributaryClientException.TimeoutException(what + " did not complete within "
                    + timeout));
            return;
        }
        CompletableFuture<R> call;
        try {
            call = attempt.apply(left);
        } catch (RuntimeException e) {
            call = CompletableFuture.failedFuture(e);
        }
        call.whenComplete((r, t) -> {
            if (t == null) {
                result.complete(r);
                return;
            }
            TributaryClientException e = TributaryClientException.from(t);
            ErrorDetail d = e.detail();
            // a TIMEOUT is the attempt's deadline, which is the operation's: no time is left
            if (!retry.test(d) || d.getReason() == ErrorReason.TIMEOUT) {
                result.completeExceptionally(e);
                return;
            }
            long delayMs = backoff.nextDelayMs(d);
            if (System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(delayMs) >= deadline) {
                result.completeExceptionally(new TributaryClientException.TimeoutException(ErrorReasons.detail(
                        ErrorReason.TIMEOUT, what + " did not complete within " + timeout + "; last error "
                                + d.getReason() + ": " + d.getMessage()), e));
                return;
            }
            try {
                scheduler.schedule(() -> run(what, attempt, retry, timeout, deadline, backoff, scheduler, result),
                        delayMs, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException closed) {
                result.completeExceptionally(new TributaryClientException.AlreadyClosedException("the client is closed"));
            }
        });
    }
}
