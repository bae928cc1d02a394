package io.tributary.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.tributary.api.v1.Ack;
import io.tributary.api.v1.AckResponse;
import io.tributary.api.v1.ErrorReason;
import io.tributary.api.v1.Flow;
import io.tributary.api.v1.MessageBatch;
import io.tributary.api.v1.MessageId;
import io.tributary.api.v1.NegativeAck;
import io.tributary.api.v1.PlainMessage;
import io.tributary.api.v1.ProducerOpen;
import io.tributary.api.v1.ProducerOpened;
import io.tributary.api.v1.PublishAck;
import io.tributary.api.v1.PublishBatch;
import io.tributary.api.v1.PublishMessages;
import io.tributary.api.v1.PublishRequest;
import io.tributary.api.v1.PublishResponse;
import io.tributary.api.v1.ReceivedMessage;
import io.tributary.api.v1.ReceivedMessages;
import io.tributary.api.v1.Seek;
import io.tributary.api.v1.SeekResponse;
import io.tributary.api.v1.SubscribeOpen;
import io.tributary.api.v1.SubscribeRequest;
import io.tributary.api.v1.SubscribeResponse;
import io.tributary.api.v1.Subscribed;
import io.tributary.protocol.ErrorReasons;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What Publish and Subscribe streams remember and send again on a new owner. */
class StreamResumptionTest {

    private static PublishRequest batch(long seq) {
        return PublishRequest.newBuilder().setBatch(PublishBatch.newBuilder().setSequenceId(seq).setMessageCount(1)
                .setEntry(ByteString.copyFromUtf8("e" + seq))).build();
    }

    private static PublishResponse ack(long seq) {
        return PublishResponse.newBuilder().setAck(PublishAck.newBuilder().setSequenceId(seq)).build();
    }

    private static PublishResponse opened(String name, long last) {
        return PublishResponse.newBuilder().setOpened(ProducerOpened.newBuilder().setProducerName(name)
                .setLastSequenceId(last)).build();
    }

    @Test
    void publishReopensUnderTheGivenNameAndResendsWhatWasNotAnswered() {
        PublishResumption p = new PublishResumption();
        PublishRequest open = PublishRequest.newBuilder().setOpen(ProducerOpen.newBuilder().setTopic("t/n/x")).build();
        p.opened(open);
        assertThat(p.received(opened("broker-7", -1))).isNotNull(); // the client's first one
        p.sent(batch(0));
        p.sent(batch(1));
        PublishRequest plain = PublishRequest.newBuilder().setMessages(PublishMessages.newBuilder().setSequenceId(2)
                .addMessages(PlainMessage.newBuilder().setValue(ByteString.copyFromUtf8("v")))).build();
        p.sent(plain);
        assertThat(p.received(ack(0))).isEqualTo(ack(0));
        p.queued(batch(3)); // arrived between owners

        List<PublishRequest> replay = p.replay();
        assertThat(replay.get(0).getOpen().getProducerName()).isEqualTo("broker-7");
        assertThat(replay.get(0).getOpen().getTopic()).isEqualTo("t/n/x");
        assertThat(replay.subList(1, replay.size())).containsExactly(batch(1), plain, batch(3));
        assertThat(p.repliesOwedAfterReplay()).isEqualTo(4);

        // the new owner's ProducerOpened is swallowed; its answers (duplicates for what was stored) go on in order
        assertThat(p.received(opened("broker-7", 1))).isNull();
        assertThat(p.received(ack(1))).isEqualTo(ack(1));
        assertThat(p.unansweredCount()).isEqualTo(2);
    }

    @Test
    void publishMovedBeforeItsFirstOpenedPassesTheNextOneOn() {
        PublishResumption p = new PublishResumption();
        PublishRequest open = PublishRequest.newBuilder().setOpen(ProducerOpen.newBuilder().setTopic("t/n/x")
                .setProducerName("mine")).build();
        p.opened(open);
        assertThat(p.replay()).containsExactly(open);
        assertThat(p.received(opened("mine", -1))).isNotNull();
    }

    private static SubscribeRequest subscribeOpen(boolean reader, int permits) {
        return SubscribeRequest.newBuilder().setOpen(SubscribeOpen.newBuilder().setTopic("t/n/x").setSubscription("s")
                .setNonDurable(reader).setInitialPermits(permits)).build();
    }

    private static SubscribeResponse entry(long entryId, int messages) {
        return SubscribeResponse.newBuilder().setMessages(MessageBatch.newBuilder().setMessageId(MessageId.newBuilder()
                .setLedgerId(3).setEntryId(entryId).setBatchSize(messages))).build();
    }

    private static SubscribeRequest ack(long entryId, long requestId) {
        return SubscribeRequest.newBuilder().setAck(Ack.newBuilder().addMessageIds(MessageId.newBuilder().setLedgerId(3)
                .setEntryId(entryId)).setRequestId(requestId)).build();
    }

    private static SubscribeRequest flow(int permits) {
        return SubscribeRequest.newBuilder().setFlow(Flow.newBuilder().setPermits(permits)).build();
    }

    @Test
    void subscribeReopensWithTheOutstandingPermitsAfterTheUnansweredAcks() {
        SubscribeResumption s = new SubscribeResumption();
        s.opened(subscribeOpen(false, 10));
        SubscribeResponse subscribed = SubscribeResponse.newBuilder().setSubscribed(Subscribed.newBuilder()).build();
        assertThat(s.received(subscribed)).isEqualTo(subscribed);
        s.received(entry(0, 4)); // 4 messages: 6 permits left
        s.received(entry(1, 1)); // 5 left
        s.sent(flow(3)); // 8
        s.sent(ack(0, 11));
        s.sent(ack(1, 12));
        s.sent(ack(1, 0)); // not answered by the broker: not kept
        assertThat(s.received(SubscribeResponse.newBuilder().setAckResponse(AckResponse.newBuilder().setRequestId(11))
                .build())).isNotNull();
        SubscribeRequest nack = SubscribeRequest.newBuilder().setNegativeAck(NegativeAck.newBuilder()
                .addMessageIds(MessageId.newBuilder().setLedgerId(3).setEntryId(0))).build();
        s.queued(nack);
        s.queued(flow(2)); // 10

        List<SubscribeRequest> replay = s.replay();
        assertThat(replay.get(0).getOpen().getInitialPermits()).isZero();
        assertThat(replay.get(0).getOpen().getSubscription()).isEqualTo("s");
        assertThat(replay.subList(1, replay.size())).containsExactly(ack(1, 12), nack, flow(10));

        // the second Subscribed is swallowed; the resent ack the first owner had applied reaches the client as applied
        assertThat(s.received(subscribed)).isNull();
        AckResponse already = AckResponse.newBuilder().setRequestId(12).setError(ErrorReasons.detail(
                ErrorReason.MESSAGE_ALREADY_ACKNOWLEDGED, "already")).build();
        assertThat(s.received(SubscribeResponse.newBuilder().setAckResponse(already).build()).getAckResponse())
                .isEqualTo(AckResponse.newBuilder().setRequestId(12).build());
        // an ack the client sends twice itself still gets the broker's answer
        s.sent(ack(1, 13));
        assertThat(s.received(SubscribeResponse.newBuilder().setAckResponse(already.toBuilder().setRequestId(13))
                .build()).getAckResponse().getError().getReason()).isEqualTo(ErrorReason.MESSAGE_ALREADY_ACKNOWLEDGED);
    }

    @Test
    void redeliveriesOfWhatTheClientHoldsAreNotPassedOnAndTheirPermitsGoBack() {
        SubscribeResumption s = new SubscribeResumption();
        s.opened(subscribeOpen(false, 10));
        s.received(entry(0, 2));
        s.received(entry(1, 1));
        s.received(entry(2, 1));
        s.sent(ack(2, 0)); // acknowledged before the move: the new owner does not deliver it again
        List<SubscribeRequest> replay = s.replay();
        assertThat(replay.get(replay.size() - 1)).isEqualTo(flow(6));
        s.sent(ack(1, 0)); // acknowledged after the move, while the new owner may deliver it again

        assertThat(s.received(entry(0, 2))).isNull(); // the client holds it
        assertThat(s.received(entry(1, 1))).isNull(); // the client acknowledged it after the move
        assertThat(s.toBroker()).containsExactly(flow(3));
        assertThat(s.toBroker()).isEmpty();
        // delivered again after that (a negative ack, a timeout on the broker): passed on
        assertThat(s.received(entry(0, 2))).isNotNull();
        SubscribeResponse fresh = entry(3, 1);
        assertThat(s.received(fresh)).isEqualTo(fresh);
        assertThat(s.replay().get(1)).isEqualTo(flow(3));
    }

    @Test
    void aMessageGivenBackIsPassedOnWhenDeliveredAgain() {
        SubscribeResumption s = new SubscribeResumption();
        s.opened(subscribeOpen(false, 10));
        s.received(entry(0, 1));
        s.replay();
        s.sent(SubscribeRequest.newBuilder().setNegativeAck(NegativeAck.newBuilder()
                .addMessageIds(MessageId.newBuilder().setLedgerId(3).setEntryId(0))).build());
        assertThat(s.received(entry(0, 1))).isNotNull();
    }

    @Test
    void permitsNeverGoBelowZeroOrAboveTheBrokersMaximum() {
        SubscribeResumption s = new SubscribeResumption();
        s.opened(subscribeOpen(false, 1));
        s.received(entry(0, 100)); // a batch larger than the permits left
        assertThat(s.replay()).hasSize(1);
        s.sent(flow(Integer.MAX_VALUE));
        s.sent(flow(Integer.MAX_VALUE));
        assertThat(s.replay().get(1).getFlow().getPermits()).isEqualTo(SubscribeResumption.MAX_PERMITS);
    }

    @Test
    void decodedDeliveriesCountMessages() {
        SubscribeResumption s = new SubscribeResumption();
        s.opened(subscribeOpen(false, 5));
        s.received(SubscribeResponse.newBuilder().setReceived(ReceivedMessages.newBuilder()
                .addMessages(ReceivedMessage.newBuilder()).addMessages(ReceivedMessage.newBuilder())).build());
        assertThat(s.replay().get(1).getFlow().getPermits()).isEqualTo(3);
    }

    private static ReceivedMessage decoded(long entryId, int index, int size) {
        return ReceivedMessage.newBuilder().setMessageId(MessageId.newBuilder().setLedgerId(3).setEntryId(entryId)
                .setBatchIndex(index).setBatchSize(size)).setValue(ByteString.copyFromUtf8(entryId + "/" + index)).build();
    }

    private static SubscribeResponse received(ReceivedMessage... messages) {
        return SubscribeResponse.newBuilder().setReceived(ReceivedMessages.newBuilder().addAllMessages(List.of(messages)))
                .build();
    }

    private static SubscribeRequest ack(long requestId, ReceivedMessage... messages) {
        Ack.Builder ack = Ack.newBuilder().setRequestId(requestId);
        for (ReceivedMessage m : messages) {
            ack.addMessageIds(m.getMessageId());
        }
        return SubscribeRequest.newBuilder().setAck(ack).build();
    }

    private static SubscribeResponse ackAnswer(long requestId) {
        return SubscribeResponse.newBuilder().setAckResponse(AckResponse.newBuilder().setRequestId(requestId)).build();
    }

    /**
     * A new owner applies an ack of a batch index only once it has read the entry (to check the index), and may
     * deliver the entry meanwhile: the messages an ack sent again acknowledges are not passed on (found with
     * clients/node/moves.js through NodeStreamResumeTest: duplicates after a move).
     */
    @Test
    void decodedMessagesAcknowledgedByAnAckSentAgainAreNotPassedOnWhenTheNewOwnerDeliversThemFirst() {
        SubscribeResumption s = new SubscribeResumption();
        s.opened(subscribeOpen(false, 10));
        ReceivedMessage a = decoded(5, 0, 3);
        ReceivedMessage b = decoded(5, 1, 3);
        ReceivedMessage c = decoded(5, 2, 3);
        ReceivedMessage d = decoded(6, 0, 2);
        ReceivedMessage e = decoded(6, 1, 2);
        s.received(received(a, b, c, d, e));
        s.sent(ack(21, a, b)); // not answered when the stream moves: sent again
        s.sent(ack(22, d, e));
        s.received(ackAnswer(22)); // applied by the first owner
        s.sent(SubscribeRequest.newBuilder().setAck(Ack.newBuilder().addMessageIds(c.getMessageId())).build()); // no answer
        List<SubscribeRequest> replay = s.replay();
        assertThat(replay).contains(ack(21, a, b));

        // the new owner delivers entry 5 before it applied ack 21: a and b are not passed on, their permits go back;
        // c (its ack, without request_id, may have been lost) and d, e (applied, answered) pass: at-least-once
        assertThat(s.received(received(a, b, c))).isEqualTo(received(c));
        assertThat(s.toBroker()).containsExactly(flow(2));
        assertThat(s.received(received(d, e))).isEqualTo(received(d, e));
        assertThat(s.received(ackAnswer(21))).isEqualTo(ackAnswer(21));
        // after the answer, and after the one delivery expected, a delivery passes
        assertThat(s.received(received(a))).isEqualTo(received(a));
    }

    @Test
    void anEntryAcknowledgedByAnAckSentAgainIsNotPassedOnWhenTheNewOwnerDeliversItFirst() {
        SubscribeResumption s = new SubscribeResumption();
        s.opened(subscribeOpen(false, 10));
        s.received(entry(4, 1));
        s.sent(ack(4, 9));
        assertThat(s.replay()).contains(ack(4, 9));
        assertThat(s.received(entry(4, 1))).isNull();
        assertThat(s.toBroker()).containsExactly(flow(1));

        // answered, then moved again: the new owner's cursor has the ack; a delivery of the entry is passed on
        s.received(ackAnswer(9));
        s.replay();
        assertThat(s.received(entry(4, 1))).isNotNull();
    }

    @Test
    void aReaderResumesAfterItsLastDeliveredEntry() {
        SubscribeResumption s = new SubscribeResumption();
        s.opened(subscribeOpen(true, 5));
        assertThat(s.replay().get(0).getOpen().hasStartMessageId()).isFalse(); // nothing delivered: as opened
        s.received(entry(7, 2));
        SubscribeOpen reopen = s.replay().get(0).getOpen();
        assertThat(reopen.getStartMessageId().getEntryId()).isEqualTo(7);
        assertThat(reopen.getStartInclusive()).isFalse();

        // decoded: the last message delivered was not the entry's last, so the entry comes again
        MessageId middle = MessageId.newBuilder().setLedgerId(3).setEntryId(8).setBatchIndex(1).setBatchSize(3).build();
        s.received(SubscribeResponse.newBuilder().setReceived(ReceivedMessages.newBuilder()
                .addMessages(ReceivedMessage.newBuilder().setMessageId(middle))).build());
        reopen = s.replay().get(0).getOpen();
        assertThat(reopen.getStartMessageId().getEntryId()).isEqualTo(8);
        assertThat(reopen.getStartMessageId().getBatchIndex()).isZero();
        assertThat(reopen.getStartInclusive()).isTrue();
    }

    @Test
    void aReaderThatSoughtAndGotNothingSinceCannotResume() {
        SubscribeResumption s = new SubscribeResumption();
        s.opened(subscribeOpen(true, 5));
        s.received(entry(7, 1));
        SubscribeRequest seek = SubscribeRequest.newBuilder().setSeek(Seek.newBuilder().setRequestId(4)
                .setPublishTimeMs(1)).build();
        s.sent(seek);
        assertThat(s.resumable()).isTrue(); // the seek is unanswered: it is sent again after the re-open
        assertThat(s.replay()).contains(seek);
        s.received(SubscribeResponse.newBuilder().setSeekResponse(SeekResponse.newBuilder().setRequestId(4)).build());
        assertThat(s.resumable()).isFalse();
        s.received(entry(2, 1));
        assertThat(s.resumable()).isTrue();
    }
}
