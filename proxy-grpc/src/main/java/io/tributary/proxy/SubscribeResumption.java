package io.tributary.proxy;

import io.tributary.api.v1.Ack;
import io.tributary.api.v1.AckResponse;
import io.tributary.api.v1.ErrorReason;
import io.tributary.api.v1.Flow;
import io.tributary.api.v1.MessageBatch;
import io.tributary.api.v1.MessageId;
import io.tributary.api.v1.NegativeAck;
import io.tributary.api.v1.ReceivedMessage;
import io.tributary.api.v1.ReceivedMessages;
import io.tributary.api.v1.SubscribeOpen;
import io.tributary.api.v1.SubscribeRequest;
import io.tributary.api.v1.SubscribeResponse;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * A Subscribe stream's memory for resumption: the open request, the client's outstanding permits (granted
 * by the open and by {@code Flow}s, minus the messages delivered: every message of a {@code MessageBatch}
 * entry, every {@code ReceivedMessage}), the acks with a {@code request_id} and the seeks not yet answered,
 * and, for a reader, the last message delivered.
 *
 * <p>On a new owner the open goes again (without permits), the unanswered acks and seeks follow, then what
 * the client sent while the stream was between owners, and last a {@code Flow} of the outstanding permits:
 * so the acks reach the new owner before it dispatches anything, and what the client acknowledged is not
 * delivered again. The
 * new owner's {@code Subscribed} is swallowed once the client has had one. A resent ack that the first
 * owner had applied is answered {@code MESSAGE_ALREADY_ACKNOWLEDGED} by the new one: the client asked for
 * an ack and it is applied, so it receives the {@code AckResponse} without an error.
 *
 * <p>The new owner delivers again everything unacknowledged on its cursor, including what the client
 * still holds from before the move (delivered, not yet acknowledged or given back), what it
 * acknowledged only after, and what the acks sent again acknowledge if the owner delivers it before it
 * has applied them (it may, when it must read an entry to check an ack's batch index): those deliveries
 * are not passed on ({@link HeldMessages}), and the permits the broker spent on them are given back to
 * it, so the client sees no duplicate because of the move.
 *
 * <p>A reader (a non-durable subscription: its cursor died with the old owner) re-opens after the last
 * message delivered: {@code start_message_id} is that message's entry, exclusive if the entry was
 * delivered whole (or its last message was), else inclusive (the entry's earlier messages come again).
 * A seek not yet answered is sent again after the re-open; a reader whose seek was answered and that has
 * had nothing delivered since cannot say where it stands: its stream ends with the owner's error, as
 * before.
 *
 * <p>Memory: a handful of counters, the open request, the last id, the acks and seeks in flight, which
 * the client sends only while the proxy reads from it, that is while the broker reads (flow control end to
 * end; the broker answers acks as it applies them), and one small record per entry the client holds
 * unacknowledged, which the broker keeps for the consumer too.
 */
final class SubscribeResumption implements StreamResumption<SubscribeRequest, SubscribeResponse> {
    /** The most permits a consumer holds on a broker ({@code Consumer.MAX_PERMITS}). */
    static final long MAX_PERMITS = 1 << 20;

    private SubscribeRequest open;
    private boolean subscribedSeen;
    /** permits granted minus messages delivered since the last (re-)open; negative: the broker owes none */
    private long outstanding;
    /** acks with a request_id and seeks sent to an owner and not yet answered, in the order sent */
    private final List<SubscribeRequest> unanswered = new ArrayList<>();
    /** requests that arrived while between owners (not Flow: that adds to the permits) */
    private final List<SubscribeRequest> queued = new ArrayList<>();
    /** request ids of acks sent again on a new owner and not yet answered */
    private final List<Long> resentAcks = new ArrayList<>();
    /** reader only: the last message delivered, and whether the rest of its entry was delivered too */
    private MessageId lastDelivered;
    private boolean lastEntryComplete;
    /** what the client holds: the new owner's deliveries of it are not passed on */
    private final HeldMessages held = new HeldMessages();
    /** permits the broker spent on deliveries not passed on, to give back */
    private long permitsToReturn;
    /** reader only: a seek moved it and nothing was delivered since */
    private boolean positionUnknown;

    @Override
    public String kind() {
        return ProxyMetrics.SUBSCRIBE;
    }

    @Override
    public void opened(SubscribeRequest request) {
        open = request;
        outstanding = Math.max(0, request.getOpen().getInitialPermits());
    }

    @Override
    public void sent(SubscribeRequest request) {
        switch (request.getRequestCase()) {
            case FLOW -> grant(request.getFlow().getPermits());
            case ACK -> {
                if (request.getAck().getRequestId() != 0) {
                    unanswered.add(request);
                }
                acked(request.getAck());
            }
            case NEGATIVE_ACK -> givenBack(request.getNegativeAck());
            case SEEK -> unanswered.add(request);
            default -> { }
        }
    }

    private void acked(Ack ack) {
        for (MessageId id : ack.getMessageIdsList()) {
            held.acked(id, ack.getCumulative(), ack.getRequestId() != 0);
        }
    }

    private void givenBack(NegativeAck nack) {
        for (MessageId id : nack.getMessageIdsList()) {
            held.givenBack(id);
        }
    }

    private void grant(int permits) {
        if (permits > 0) {
            outstanding += permits;
        }
    }

    @Override
    public void queued(SubscribeRequest request) {
        if (request.hasFlow()) {
            grant(request.getFlow().getPermits());
            return;
        }
        // what the client holds changes now; the request goes to the broker with the replay
        if (request.hasAck()) {
            acked(request.getAck());
        } else if (request.hasNegativeAck()) {
            givenBack(request.getNegativeAck());
        }
        queued.add(request);
    }

    @Override
    public SubscribeResponse received(SubscribeResponse response) {
        switch (response.getResponseCase()) {
            case SUBSCRIBED -> {
                if (subscribedSeen) {
                    return null;
                }
                subscribedSeen = true;
            }
            case MESSAGES -> {
                MessageBatch batch = response.getMessages();
                MessageId id = batch.getMessageId();
                int count = Math.max(1, id.getBatchSize());
                if (held.takeIfExpected(HeldMessages.Pos.entryOf(id))) {
                    // the client holds it from before the move: the broker's permits go back to it
                    permitsToReturn += count;
                    return null;
                }
                outstanding -= count;
                held.deliveredEntry(id, batch.getAckedIndexesList());
                delivered(id, true);
            }
            case RECEIVED -> {
                List<ReceivedMessage> messages = new ArrayList<>(response.getReceived().getMessagesList());
                int before = messages.size();
                messages.removeIf(m -> held.takeIfExpected(HeldMessages.Pos.messageOf(m.getMessageId())));
                permitsToReturn += before - messages.size();
                if (messages.isEmpty()) {
                    return null;
                }
                outstanding -= messages.size();
                for (ReceivedMessage m : messages) {
                    held.deliveredMessage(m.getMessageId());
                }
                MessageId id = messages.get(messages.size() - 1).getMessageId();
                delivered(id, id.getBatchSize() <= 1 || id.getBatchIndex() >= id.getBatchSize() - 1);
                if (messages.size() < before) {
                    return SubscribeResponse.newBuilder().setReceived(ReceivedMessages.newBuilder()
                            .addAllMessages(messages)).build();
                }
            }
            case ACK_RESPONSE -> {
                AckResponse ack = response.getAckResponse();
                removeAnswered(true, ack.getRequestId());
                if (resentAcks.remove(Long.valueOf(ack.getRequestId())) && ack.hasError()
                        && ack.getError().getReason() == ErrorReason.MESSAGE_ALREADY_ACKNOWLEDGED) {
                    // the first owner applied it and its answer was lost in the move: the ack is applied
                    return response.toBuilder().setAckResponse(ack.toBuilder().clearError()).build();
                }
            }
            case SEEK_RESPONSE -> {
                removeAnswered(false, response.getSeekResponse().getRequestId());
                if (!response.getSeekResponse().hasError()) {
                    held.clear(); // from here on the subscription delivers from the new position
                    if (open.getOpen().getNonDurable()) {
                        positionUnknown = true; // known again with the next delivery
                    }
                }
            }
            default -> { }
        }
        return response;
    }

    private void delivered(MessageId id, boolean entryComplete) {
        lastDelivered = id;
        lastEntryComplete = entryComplete;
        positionUnknown = false;
    }

    private void removeAnswered(boolean ack, long requestId) {
        for (Iterator<SubscribeRequest> it = unanswered.iterator(); it.hasNext(); ) {
            SubscribeRequest r = it.next();
            if (ack ? r.hasAck() && r.getAck().getRequestId() == requestId
                    : r.hasSeek() && r.getSeek().getRequestId() == requestId) {
                it.remove();
                if (ack) {
                    r.getAck().getMessageIdsList().forEach(held::ackAnswered);
                }
                return;
            }
        }
    }

    @Override
    public List<SubscribeRequest> toBroker() {
        if (permitsToReturn <= 0) {
            return List.of();
        }
        int n = (int) Math.min(Integer.MAX_VALUE, permitsToReturn);
        permitsToReturn = 0;
        return List.of(SubscribeRequest.newBuilder().setFlow(Flow.newBuilder().setPermits(n)).build());
    }

    @Override
    public boolean resumable() {
        return open != null && !positionUnknown;
    }

    @Override
    public List<SubscribeRequest> replay() {
        long permits = Math.min(MAX_PERMITS, Math.max(0, outstanding));
        outstanding = permits;
        permitsToReturn = 0;
        held.expectAgain();
        // no permits with the open: the acks go first, so that what the client acknowledged meanwhile is
        // not delivered again (the broker handles a stream's requests in order, after the open)
        SubscribeOpen.Builder reopen = open.getOpen().toBuilder().setInitialPermits(0);
        if (reopen.getNonDurable() && lastDelivered != null) {
            reopen.setStartMessageId(lastDelivered.toBuilder().setBatchIndex(0)).setStartInclusive(!lastEntryComplete);
        }
        List<SubscribeRequest> out = new ArrayList<>(2 + unanswered.size() + queued.size());
        out.add(SubscribeRequest.newBuilder().setOpen(reopen).build());
        resentAcks.clear();
        for (SubscribeRequest r : unanswered) {
            if (r.hasAck()) {
                resentAcks.add(r.getAck().getRequestId());
            }
        }
        out.addAll(unanswered);
        for (SubscribeRequest r : queued) {
            out.add(r);
            sent(r); // from now on like any request sent to this owner
        }
        queued.clear();
        if (permits > 0) {
            out.add(SubscribeRequest.newBuilder().setFlow(Flow.newBuilder().setPermits((int) permits)).build());
        }
        return out;
    }

    @Override
    public int repliesOwedAfterReplay() {
        return 1; // the Subscribed; acks and seeks are answered as the broker gets to them
    }
}
