package io.tributary.client.impl.consumer;

import io.tributary.api.v1.Ack;
import io.tributary.api.v1.AckResponse;
import io.tributary.api.v1.ErrorReason;
import io.tributary.api.v1.SubscribeRequest;
import io.tributary.client.Message;
import io.tributary.client.MessageId;
import io.tributary.client.Messages;
import io.tributary.client.TributaryClientException;
import io.tributary.client.TributaryClientException.AlreadyClosedException;
import io.tributary.client.TributaryClientException.TimeoutException;
import io.tributary.client.impl.stream.Completions;
import io.tributary.client.impl.BatchCodec;
import io.tributary.client.impl.Futures;
import io.tributary.client.impl.TributaryClientImpl;
import io.tributary.protocol.ErrorReasons;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Acknowledgements on their way to the broker: each Ack request has a request id and waits for
 * its AckResponse (up to the operation timeout), and is resent when its stream reconnects.
 * Individual asynchronous acknowledgements of one topic are grouped (up to {@link #MAX_ACK_GROUP}
 * or the acknowledgment group time) and go out as one request.
 *
 * <p>Guarded by the consumer's lock ({@link ConsumerImpl#lock}); futures are completed after
 * it is released.
 */
final class AckGrouper<T> {
    /** At most this many acknowledgements go in one grouped Ack request. */
    static final int MAX_ACK_GROUP = 1000;

    /** An acknowledgement waiting for the broker's AckResponse; resent on a new stream. */
    private final class PendingAck {
        final Ack ack;
        final TopicSubscription<T> stream;
        final CompletableFuture<Void> future = new CompletableFuture<>();
        ScheduledFuture<?> timer;
        /** Sent again after a reconnect: "already acknowledged" then means the first one arrived. */
        boolean resent;

        PendingAck(Ack ack, TopicSubscription<T> stream) {
            this.ack = ack;
            this.stream = stream;
        }
    }

    /** Individual acknowledgements of one stream waiting to go out together, and their futures. */
    private static final class Group {
        final List<MessageId> ids = new ArrayList<>();
        final List<CompletableFuture<Void>> futures = new ArrayList<>();
        ScheduledFuture<?> timer;
    }

    private final ConsumerImpl<T> consumer;
    private final TributaryClientImpl client;
    private final UnackedTracker<T> unacked;
    private final long groupTimeMs;
    // guarded by the consumer's lock
    private final Map<Long, PendingAck> pendingAcks = new LinkedHashMap<>();
    private final Map<TopicSubscription<T>, Group> groups = new HashMap<>();
    /** Request ids of acks and seeks, unique on a consumer's streams. */
    private long lastRequestId;

    AckGrouper(ConsumerImpl<T> consumer, TributaryClientImpl client, UnackedTracker<T> unacked, long groupTimeMs) {
        this.consumer = consumer;
        this.client = client;
        this.unacked = unacked;
        this.groupTimeMs = groupTimeMs;
    }

    /** A new request id, for an Ack or a Seek. */
    long nextRequestId() {
        return ++lastRequestId;
    }

    /**
     * Acknowledges on the stream of the message or id: at once, or ({@code grouped}, for an
     * individual acknowledgement with a group time set) in the stream's next group.
     */
    CompletableFuture<Void> acknowledge(Message<?> message, MessageId id, boolean cumulative, boolean grouped) {
        Objects.requireNonNull(id, "messageId");
        consumer.lock.lock();
        try {
            if (!consumer.openLocked()) {
                return Futures.failed(consumer.closedErrorLocked());
            }
            TopicSubscription<T> s = consumer.locateLocked(message, id);
            if (s == null) {
                return Futures.failed(consumer.unknownId(id));
            }
            if (cumulative || !grouped || groupTimeMs == 0) {
                return sendLocked(s, List.of(id), cumulative, false);
            }
            return groupLocked(s, id);
        } finally {
            consumer.lock.unlock();
        }
    }

    /** One Ack request per topic, each with the ids of that topic's messages. */
    CompletableFuture<Void> acknowledge(Messages<?> messages) {
        Objects.requireNonNull(messages, "messages");
        List<Message<?>> list = new ArrayList<>(messages.size());
        List<MessageId> ids = new ArrayList<>(messages.size());
        for (Message<?> m : messages) {
            list.add(m);
            ids.add(m.getMessageId());
        }
        return acknowledgeAll(list, ids);
    }

    /** One Ack request per topic, each with the ids of that topic; each id placed as {@link TopicSet#locate} says. */
    CompletableFuture<Void> acknowledge(List<MessageId> ids) {
        Objects.requireNonNull(ids, "messageIds");
        ids.forEach(id -> Objects.requireNonNull(id, "messageIds must not hold null"));
        return acknowledgeAll(null, ids);
    }

    /** {@code messages}, if given, name the topics of {@code ids}, one for one. */
    private CompletableFuture<Void> acknowledgeAll(List<Message<?>> messages, List<MessageId> ids) {
        List<CompletableFuture<Void>> sent = new ArrayList<>();
        consumer.lock.lock();
        try {
            if (!consumer.openLocked()) {
                return Futures.failed(consumer.closedErrorLocked());
            }
            Map<TopicSubscription<T>, List<MessageId>> byStream = new LinkedHashMap<>();
            for (int i = 0; i < ids.size(); i++) {
                MessageId id = ids.get(i);
                TopicSubscription<T> s = consumer.locateLocked(messages == null ? null : messages.get(i), id);
                if (s == null) {
                    return Futures.failed(consumer.unknownId(id));
                }
                byStream.computeIfAbsent(s, k -> new ArrayList<>()).add(id);
            }
            byStream.forEach((s, list) -> sent.add(sendLocked(s, list, false, false)));
        } finally {
            consumer.lock.unlock();
        }
        return CompletableFuture.allOf(sent.toArray(CompletableFuture<?>[]::new));
    }

    /**
     * Acknowledges {@code id} on {@code s} at once, after a dead-letter or retry copy was published;
     * {@code deadLettered}: the copy went to the dead-letter topic, which the broker counts.
     */
    CompletableFuture<Void> ackNow(TopicSubscription<T> s, MessageId id, boolean deadLettered) {
        consumer.lock.lock();
        try {
            if (!consumer.openLocked()) {
                return Futures.failed(consumer.closedErrorLocked());
            }
            return sendLocked(s, List.of(id), false, false, deadLettered);
        } finally {
            consumer.lock.unlock();
        }
    }

    /**
     * Whether the application acknowledged {@code id} and the acknowledgement is on its way (in its
     * stream's group, or sent and not answered yet): a redelivery of its entry that still carries it
     * is not the application's to see again, nor to dead-letter.
     */
    boolean acknowledgingLocked(TopicSubscription<T> s, MessageId id) {
        Group g = groups.get(s);
        if (g != null && g.ids.contains(id)) {
            return true;
        }
        for (PendingAck p : pendingAcks.values()) {
            if (p.stream == s && !p.ack.getCumulative()) {
                for (io.tributary.api.v1.MessageId sent : p.ack.getMessageIdsList()) {
                    if (sent.getLedgerId() == id.getLedgerId() && sent.getEntryId() == id.getEntryId()
                            && sent.getBatchIndex() == id.getBatchIndex()) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    /** Adds an individual acknowledgement to its stream's group; sends the group once full. */
    private CompletableFuture<Void> groupLocked(TopicSubscription<T> s, MessageId id) {
        if (s.removed()) {
            return Futures.failed(s.noLongerRead());
        }
        // no ack timeout for it while it waits in the group
        unacked.remove(id);
        CompletableFuture<Void> f = new CompletableFuture<>();
        Group g = groups.computeIfAbsent(s, k -> new Group());
        g.ids.add(id);
        g.futures.add(f);
        if (g.ids.size() >= MAX_ACK_GROUP) {
            sendGroupLocked(s);
        } else if (g.timer == null) {
            g.timer = client.schedule(() -> groupTimeUp(s), groupTimeMs, TimeUnit.MILLISECONDS);
            if (g.timer == null) {
                // the timers are gone with the client
                sendGroupLocked(s);
            }
        }
        return f;
    }

    private void groupTimeUp(TopicSubscription<T> s) {
        consumer.lock.lock();
        try {
            Group g = groups.get(s);
            if (g != null) {
                g.timer = null;
            }
            if (consumer.openLocked() || consumer.closingLocked()) {
                sendGroupLocked(s);
            }
        } finally {
            consumer.lock.unlock();
        }
    }

    /**
     * Sends a stream's group as one Ack request. The broker applies every id it can and answers
     * with the first refusal only, so after a refusal each id is sent again alone, to tell each
     * future its own answer. "Already acknowledged" then cannot be told from "acknowledged by the
     * group", so a grouped acknowledgement never reports it: acknowledging twice just succeeds.
     */
    void sendGroupLocked(TopicSubscription<T> s) {
        Group g = groups.remove(s);
        if (g == null) {
            return;
        }
        if (g.timer != null) {
            g.timer.cancel(false);
        }
        if (g.ids.isEmpty()) {
            return;
        }
        List<MessageId> ids = List.copyOf(g.ids);
        List<CompletableFuture<Void>> futures = List.copyOf(g.futures);
        sendLocked(s, ids, false, false).whenComplete((v, t) -> {
            if (t == null) {
                futures.forEach(f -> f.complete(null));
                return;
            }
            Throwable cause = ErrorReasons.unwrap(t);
            if (ids.size() == 1 && cause instanceof TributaryClientException.AlreadyAcknowledgedException) {
                futures.get(0).complete(null);
                return;
            }
            if (ids.size() == 1 || cause instanceof TimeoutException || cause instanceof AlreadyClosedException) {
                futures.forEach(f -> f.completeExceptionally(cause));
                return;
            }
            for (int i = 0; i < ids.size(); i++) {
                CompletableFuture<Void> f = futures.get(i);
                MessageId id = ids.get(i);
                CompletableFuture<Void> alone;
                consumer.lock.lock();
                try {
                    alone = consumer.openLocked() || consumer.closingLocked() ? sendLocked(s, List.of(id), false, true)
                            : Futures.failed(consumer.closedErrorLocked());
                } finally {
                    consumer.lock.unlock();
                }
                alone.whenComplete((x, e) -> {
                    if (e == null) {
                        f.complete(null);
                    } else {
                        f.completeExceptionally(ErrorReasons.unwrap(e));
                    }
                });
            }
        });
    }

    /** Sends every group now (closing: grouped acknowledgements go out before the streams half-close). */
    void sendAllGroupsLocked() {
        for (TopicSubscription<T> s : List.copyOf(groups.keySet())) {
            sendGroupLocked(s);
        }
    }

    /** Fails what waits in a stream's group. */
    private void failGroupLocked(TopicSubscription<T> s, TributaryClientException e, Completions done) {
        Group g = groups.remove(s);
        if (g == null) {
            return;
        }
        if (g.timer != null) {
            g.timer.cancel(false);
        }
        List<CompletableFuture<Void>> futures = List.copyOf(g.futures);
        done.add(() -> futures.forEach(f -> f.completeExceptionally(e)));
    }

    /**
     * One Ack request with {@code ids}, all of stream {@code s}; it waits for a stream if there is
     * none. {@code recheck}: the ids were in an acknowledgement already sent, so "already
     * acknowledged" counts as done.
     */
    CompletableFuture<Void> sendLocked(TopicSubscription<T> s, List<MessageId> ids, boolean cumulative, boolean recheck) {
        return sendLocked(s, ids, cumulative, recheck, false);
    }

    private CompletableFuture<Void> sendLocked(TopicSubscription<T> s, List<MessageId> ids, boolean cumulative, boolean recheck,
                                               boolean deadLettered) {
        if (s.removed()) {
            return Futures.failed(s.noLongerRead());
        }
        Ack.Builder ack = Ack.newBuilder().setCumulative(cumulative).setDeadLettered(deadLettered);
        for (MessageId id : ids) {
            if (cumulative) {
                unacked.removeThrough(s, id);
            } else {
                unacked.remove(id);
            }
            ack.addMessageIds(BatchCodec.toProto(id));
        }
        long requestId = nextRequestId();
        PendingAck pa = new PendingAck(ack.setRequestId(requestId).build(), s);
        pa.resent = recheck;
        pendingAcks.put(requestId, pa);
        pa.timer = client.schedule(() -> ackTimedOut(requestId), client.operationTimeout().toNanos(),
                TimeUnit.NANOSECONDS);
        // without a stream the ack waits in pendingAcks and goes out after the next Subscribed
        s.send(SubscribeRequest.newBuilder().setAck(pa.ack).build());
        return pa.future.thenApply(v -> null);
    }

    private void ackTimedOut(long requestId) {
        PendingAck pa;
        consumer.lock.lock();
        try {
            pa = pendingAcks.remove(requestId);
        } finally {
            consumer.lock.unlock();
        }
        if (pa != null) {
            pa.future.completeExceptionally(new TimeoutException(
                    "the broker did not confirm the acknowledgement within " + client.operationTimeout()));
        }
    }

    void onAckResponse(AckResponse response, Completions done) {
        PendingAck pa = pendingAcks.remove(response.getRequestId());
        if (pa == null) {
            // timed out already, or the answer to a resend of an ack answered on the old stream
            return;
        }
        if (pa.timer != null) {
            pa.timer.cancel(false);
        }
        if (response.hasError()
                && !(pa.resent && response.getError().getReason() == ErrorReason.MESSAGE_ALREADY_ACKNOWLEDGED)) {
            TributaryClientException e = TributaryClientException.of(response.getError());
            done.add(() -> pa.future.completeExceptionally(e));
        } else {
            done.add(() -> pa.future.complete(null));
        }
    }

    /**
     * {@code s} subscribed again: its acks waiting for an answer go out on the new stream (acks
     * are idempotent, and the answers to those sent on the lost stream will never come).
     * Returns how many.
     */
    int resendLocked(TopicSubscription<T> s) {
        int resent = 0;
        for (PendingAck pa : pendingAcks.values()) {
            if (pa.stream == s) {
                pa.resent = true;
                s.send(SubscribeRequest.newBuilder().setAck(pa.ack).build());
                resent++;
            }
        }
        return resent;
    }

    /** The consumer no longer reads {@code s}: what waits for it fails. */
    void removedLocked(TopicSubscription<T> s, Completions done) {
        List<PendingAck> acks = new ArrayList<>();
        pendingAcks.values().removeIf(pa -> pa.stream == s && acks.add(pa));
        AlreadyClosedException e = s.noLongerRead();
        failGroupLocked(s, e, done);
        for (PendingAck pa : acks) {
            if (pa.timer != null) {
                pa.timer.cancel(false);
            }
            done.add(() -> pa.future.completeExceptionally(e));
        }
    }

    /** Closed or failed: every acknowledgement waiting (in a group or for an answer) fails. */
    void failAllLocked(TributaryClientException e, Completions done) {
        for (TopicSubscription<T> s : List.copyOf(groups.keySet())) {
            failGroupLocked(s, e, done);
        }
        List<PendingAck> acks = List.copyOf(pendingAcks.values());
        pendingAcks.clear();
        for (PendingAck pa : acks) {
            if (pa.timer != null) {
                pa.timer.cancel(false);
            }
        }
        done.add(() -> acks.forEach(pa -> pa.future.completeExceptionally(e)));
    }
}
