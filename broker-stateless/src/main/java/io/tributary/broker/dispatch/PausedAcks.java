package io.tributary.broker.dispatch;

import io.tributary.api.v1.ErrorDetail;
import io.tributary.api.v1.ErrorReason;
import io.tributary.api.v1.MessageId;
import io.tributary.protocol.ErrorReasons;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;

/**
 * A subscription's acknowledgements while the broker's ZooKeeper session is suspended (it may own the topic no
 * longer): each request is held, unanswered, and answered only once it is applied on resume, or with the close
 * reason if the topic is lost; never answered as applied before it is. Runs on the topic's executor.
 */
final class PausedAcks {
    /** Requests held at most; beyond, they are refused (SERVICE_NOT_READY: send again). */
    static final int MAX_HELD = 100_000;

    /** What applies a held request once the subscription resumes. */
    @FunctionalInterface
    interface Apply {
        CompletableFuture<ErrorDetail> acknowledge(Consumer c, List<MessageId> ids, boolean cumulative);
    }

    private record Held(Consumer consumer, List<MessageId> ids, boolean cumulative, CompletableFuture<ErrorDetail> answer) {}

    private final String subscription;
    private final List<Held> held = new ArrayList<>();
    private boolean paused;

    PausedAcks(String subscription) {
        this.subscription = subscription;
    }

    boolean paused() {
        return paused;
    }

    void pause() {
        paused = true;
    }

    /** Holds one request; its answer comes on resume or close. */
    CompletableFuture<ErrorDetail> hold(Consumer c, List<MessageId> ids, boolean cumulative) {
        if (held.size() >= MAX_HELD) {
            return CompletableFuture.completedFuture(ErrorReasons.detail(ErrorReason.SERVICE_NOT_READY, "subscription "
                    + subscription + " holds " + MAX_HELD + " acknowledgements while this broker's metadata session is"
                    + " suspended; acknowledge again shortly"));
        }
        Held h = new Held(c, List.copyOf(ids), cumulative, new CompletableFuture<>());
        held.add(h);
        return h.answer();
    }

    int size() {
        return held.size();
    }

    /**
     * Not paused any more: applies what was held, in order, for the consumers still attached, and answers each;
     * false if it was not paused.
     */
    boolean resume(Predicate<Consumer> attached, Apply apply) {
        if (!paused) {
            return false;
        }
        paused = false;
        List<Held> acks = List.copyOf(held);
        held.clear();
        for (Held a : acks) {
            if (a.consumer() == null || attached.test(a.consumer())) {
                apply.acknowledge(a.consumer(), a.ids(), a.cumulative()).whenComplete((err, e) -> a.answer().complete(
                        e != null ? ErrorReasons.detail(ErrorReason.INTERNAL_ERROR, String.valueOf(e)) : err));
            } else {
                a.answer().complete(ErrorReasons.detail(ErrorReason.SERVICE_NOT_READY, "the consumer left subscription "
                        + subscription + " while its acknowledgement was held; it is delivered again"));
            }
        }
        return true;
    }

    /** The subscription closed: every held request is answered with {@code why}, none applied. */
    void close(ErrorDetail why) {
        for (Held a : held) {
            a.answer().complete(why);
        }
        held.clear();
    }
}
