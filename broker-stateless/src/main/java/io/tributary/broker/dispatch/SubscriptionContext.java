package io.tributary.broker.dispatch;

import io.tributary.api.v1.ErrorDetail;
import io.tributary.broker.ratelimit.DispatchThrottle;
import io.tributary.storage.log.LogReader;
import io.tributary.storage.log.Position;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Supplier;

/**
 * What a subscription needs from its topic, handed over when the topic creates it, so that the
 * subscription does not know the topic class (and the topic's package does not form a circle with
 * this one).
 *
 * @param topic             the topic's name, for error messages and logs
 * @param log               the topic's log, which the subscription only reads
 * @param backlogSize       the bytes of the topic's log from a position on (the log's upkeep side,
 *                          which the subscription needs for its backlog figure only)
 * @param executor          the topic's executor: every call into the subscription runs on it, and so
 *                          does every callback the subscription schedules
 * @param scheduler         for timers (delayed deliveries); their work hops onto {@code executor}
 * @param dispatchBatchSize the most entries one read of the log asks for
 * @param messageIds        tells whether a position can be a message of the topic
 * @param deliveries        told of every entry handed to a consumer (the topic's rates)
 * @param onEmpty           called when a subscription that is not stored (a reader's) lost its last
 *                          consumer and closed itself: the topic forgets it
 * @param dispatchThrottle  makes the subscription's dispatch rate limiter (sharing the topic's bucket)
 */
public record SubscriptionContext(String topic, LogReader log, BacklogSize backlogSize, Executor executor,
                                  ScheduledExecutorService scheduler, int dispatchBatchSize, MessageIdCheck messageIds, DeliveryListener deliveries,
                                  EmptyListener onEmpty, Supplier<DispatchThrottle> dispatchThrottle) {

    /** A context whose subscriptions' dispatch is not rate limited. */
    public SubscriptionContext(String topic, LogReader log, BacklogSize backlogSize, Executor executor,
                               ScheduledExecutorService scheduler, int dispatchBatchSize, MessageIdCheck messageIds,
                               DeliveryListener deliveries, EmptyListener onEmpty) {
        this(topic, log, backlogSize, executor, scheduler, dispatchBatchSize, messageIds, deliveries, onEmpty,
                DispatchThrottle::unlimited);
    }

    /** Sizes a backlog. */
    @FunctionalInterface
    public interface BacklogSize {
        /** Bytes of the log from {@code from} (inclusive) to its end, as the log estimates them. */
        long bytesFrom(Position from);
    }

    /** Checks a message id that a client names. */
    @FunctionalInterface
    public interface MessageIdCheck {
        /** Null if {@code p} can be the position of a message of the topic, else why not. */
        ErrorDetail check(Position p);
    }

    /** Counts what the subscription hands out. */
    @FunctionalInterface
    public interface DeliveryListener {
        void delivered(int messages, int bytes);
    }

    /** Hears that a subscription closed itself because it is no longer needed. */
    @FunctionalInterface
    public interface EmptyListener {
        void closed(Subscription subscription);
    }
}
