package io.tributary.client.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.tributary.api.v1.BatchHeader;
import io.tributary.api.v1.CompressionType;
import io.tributary.api.v1.EntryBatch;
import io.tributary.api.v1.MessageBatch;
import io.tributary.api.v1.MessageList;
import io.tributary.api.v1.SingleMessage;
import io.tributary.client.Message;
import io.tributary.client.MessageId;
import io.tributary.client.Schema;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BatchCodecTest {

    private static SingleMessage msg(String value, String key, long seq, Map<String, String> props, long eventTime) {
        SingleMessage.Builder b = SingleMessage.newBuilder()
                .setValue(ByteString.copyFromUtf8(value))
                .setSequenceId(seq)
                .putAllProperties(props)
                .setEventTimeMs(eventTime);
        if (key != null) {
            b.setKey(key).setHasKey(true);
        }
        return b.build();
    }

    private static List<SingleMessage> threeMessages() {
        return List.of(
                msg("a", "k1", 10, Map.of("p", "1"), 1111),
                msg("b", null, 11, Map.of(), 0),
                msg("", "", 12, Map.of("x", "y", "z", "w"), 3333));
    }

    @Test
    void encodeWritesTheHeaderAndAMessageList() throws Exception {
        List<SingleMessage> msgs = threeMessages();
        ByteString entry = BatchCodec.encode("prod-1", "string", 10, msgs, 123456789L);

        EntryBatch batch = EntryBatch.parseFrom(entry);
        BatchHeader h = batch.getHeader();
        assertThat(h.getProducerName()).isEqualTo("prod-1");
        assertThat(h.getFirstSequenceId()).isEqualTo(10);
        assertThat(h.getMessageCount()).isEqualTo(3);
        assertThat(h.getCompression()).isEqualTo(CompressionType.COMPRESSION_NONE);
        assertThat(h.getUncompressedSize()).isEqualTo(batch.getPayload().size());
        assertThat(h.getPublishTimeMs()).isEqualTo(123456789L);
        assertThat(h.getSchema()).isEqualTo("string");
        assertThat(MessageList.parseFrom(batch.getPayload()).getMessagesList()).containsExactlyElementsOf(msgs);
    }

    @Test
    void theHeaderCarriesTheCommonKeyAndTheLatestDeliveryTime() throws Exception {
        SingleMessage a = msg("a", "k", 1, Map.of(), 0);
        SingleMessage b = msg("b", "k", 2, Map.of(), 0).toBuilder().setDeliverAtMs(500).build();
        BatchHeader same = EntryBatch.parseFrom(BatchCodec.encode("p", "s", 1, List.of(a, b), 9, true)).getHeader();
        assertThat(same.getHasKey()).isTrue();
        assertThat(same.getKey()).isEqualTo("k");
        assertThat(same.getDeliverAtMs()).isEqualTo(500);
        BatchHeader mixed = EntryBatch.parseFrom(BatchCodec.encode("p", "s", 1,
                List.of(a, msg("c", null, 2, Map.of(), 0)), 9, true)).getHeader();
        assertThat(mixed.getHasKey()).isFalse();
        assertThat(mixed.getKey()).isEmpty();
        assertThat(mixed.getDeliverAtMs()).isZero();
        // the bound of the header with a key: overhead plus the key field
        int bound = BatchCodec.overhead("p", "s") + BatchCodec.keyFieldSize("k") + BatchCodec.sizeInList(a)
                + BatchCodec.sizeInList(b);
        assertThat(BatchCodec.encode("p", "s", 1, List.of(a, b), 9, true).size()).isLessThanOrEqualTo(bound);
    }

    @Test
    void decodeReversesEncode() throws Exception {
        List<SingleMessage> msgs = threeMessages();
        io.tributary.protocol.EntryCodec.Decoded d = BatchCodec.decode(BatchCodec.encode("p", "bytes", 10, msgs, 5));
        assertThat(d.messages()).containsExactlyElementsOf(msgs);
        assertThat(d.header().getFirstSequenceId()).isEqualTo(10);
    }

    @Test
    void sizesBoundTheEncodedEntry() {
        List<SingleMessage> msgs = new ArrayList<>(threeMessages());
        StringBuilder big = new StringBuilder();
        for (int i = 0; i < 300; i++) {
            big.append("0123456789");
        }
        msgs.add(msg(big.toString(), "key", 13, Map.of("a", "b"), 99));
        int messageBytes = msgs.stream().mapToInt(BatchCodec::sizeInList).sum();
        ByteString entry = BatchCodec.encode("producer-name", "string", 10, msgs, System.currentTimeMillis());
        int payload = MessageList.newBuilder().addAllMessages(msgs).build().getSerializedSize();

        assertThat(payload).isEqualTo(messageBytes);
        assertThat(entry.size()).isLessThanOrEqualTo(BatchCodec.overhead("producer-name", "string") + messageBytes);
        // the bound is close: it only assumes the widest varints
        assertThat(BatchCodec.overhead("producer-name", "string") + messageBytes - entry.size()).isLessThan(64);
    }

    @Test
    void sequenceIdAllowanceCoversAnySequenceId() {
        SingleMessage without = msg("v", "k", 0, Map.of(), 0);
        for (long seq : new long[] {1, 127, 128, Long.MAX_VALUE, -1}) {
            SingleMessage with = without.toBuilder().setSequenceId(seq).build();
            assertThat(BatchCodec.sizeInList(with))
                    .isLessThanOrEqualTo(BatchCodec.sizeInList(without) + BatchCodec.maxSequenceIdSize());
        }
    }

    @Test
    void unpackMakesOneMessagePerBatchIndex() throws Exception {
        List<SingleMessage> msgs = threeMessages();
        MessageBatch delivered = MessageBatch.newBuilder()
                .setMessageId(io.tributary.api.v1.MessageId.newBuilder().setLedgerId(5).setEntryId(9)
                        .setPartition(-1).setBatchSize(3))
                .setEntry(BatchCodec.encode("prod", "string", 10, msgs, 777))
                .setRedeliveryCount(2)
                .build();

        BatchCodec.Unpacked<String> u = BatchCodec.unpack("t/ns/topic", -1, delivered, Schema.STRING);
        assertThat(u.skipped()).isZero();
        assertThat(u.batchSize()).isEqualTo(3);
        List<MessageImpl<String>> out = u.messages();
        assertThat(out).hasSize(3);

        Message<String> first = out.get(0);
        assertThat(first.getValue()).isEqualTo("a");
        assertThat(first.getData()).isEqualTo("a".getBytes(StandardCharsets.UTF_8));
        assertThat(first.hasKey()).isTrue();
        assertThat(first.getKey()).isEqualTo("k1");
        assertThat(first.getProperties()).containsExactly(Map.entry("p", "1"));
        assertThat(first.getProperty("p")).isEqualTo("1");
        assertThat(first.getProperty("missing")).isNull();
        assertThat(first.getEventTime()).isEqualTo(1111);
        assertThat(first.getPublishTime()).isEqualTo(777);
        assertThat(first.getProducerName()).isEqualTo("prod");
        assertThat(first.getSequenceId()).isEqualTo(10);
        assertThat(first.getRedeliveryCount()).isEqualTo(2);
        assertThat(first.getTopicName()).isEqualTo("t/ns/topic");
        assertThat(first.getMessageId()).isEqualTo(new MessageId(5, 9, 0, -1, 3));
        assertThat(first.getMessageId().getBatchSize()).isEqualTo(3);

        Message<String> second = out.get(1);
        assertThat(second.hasKey()).isFalse();
        assertThat(second.getKey()).isNull();
        assertThat(second.getProperties()).isEmpty();
        assertThat(second.getEventTime()).isZero();
        assertThat(second.getMessageId()).isEqualTo(new MessageId(5, 9, 1, -1, 3));

        Message<String> third = out.get(2);
        // an empty key is still a key
        assertThat(third.hasKey()).isTrue();
        assertThat(third.getKey()).isEmpty();
        assertThat(third.getValue()).isEmpty();
        assertThat(third.getSequenceId()).isEqualTo(12);
        assertThat(third.getMessageId().getBatchIndex()).isEqualTo(2);
    }

    @Test
    void unpackSkipsAcknowledgedIndexes() throws Exception {
        MessageBatch delivered = MessageBatch.newBuilder()
                .setMessageId(io.tributary.api.v1.MessageId.newBuilder().setLedgerId(1).setEntryId(2).setBatchSize(3)
                        .setPartition(-1))
                .setEntry(BatchCodec.encode("prod", "string", 10, threeMessages(), 1))
                .addAckedIndexes(0)
                .addAckedIndexes(2)
                .build();
        BatchCodec.Unpacked<String> u = BatchCodec.unpack("t/ns/topic", -1, delivered, Schema.STRING);
        assertThat(u.messages()).extracting(m -> m.getMessageId().getBatchIndex()).containsExactly(1);
        assertThat(u.messages().get(0).getValue()).isEqualTo("b");
        assertThat(u.skipped()).isEqualTo(2);
    }

    @Test
    void unpackTakesThePartitionFromTheBrokerOrTheTopic() throws Exception {
        ByteString entry = BatchCodec.encode("prod", "bytes", 0, List.of(msg("v", null, 0, Map.of(), 0)), 1);
        MessageBatch unset = MessageBatch.newBuilder()
                .setMessageId(io.tributary.api.v1.MessageId.newBuilder().setLedgerId(1).setEntryId(2))
                .setEntry(entry).build();
        assertThat(BatchCodec.unpack("t/n/x", -1, unset, Schema.BYTES).messages().get(0).getMessageId().getPartition())
                .isEqualTo(-1);
        assertThat(BatchCodec.unpack("t/n/x-partition-4", 4, unset, Schema.BYTES).messages().get(0)
                .getMessageId().getPartition()).isEqualTo(4);
        MessageBatch set = unset.toBuilder()
                .setMessageId(unset.getMessageId().toBuilder().setPartition(7)).build();
        assertThat(BatchCodec.unpack("t/n/x", -1, set, Schema.BYTES).messages().get(0).getMessageId().getPartition())
                .isEqualTo(7);
        // batch size unknown: taken from the entry
        assertThat(BatchCodec.unpack("t/n/x", -1, unset, Schema.BYTES).messages().get(0).getMessageId().getBatchSize())
                .isEqualTo(1);
    }

    @Test
    void decodeRefusesGarbageAndUnknownCompression() {
        assertThatThrownBy(() -> BatchCodec.decode(ByteString.copyFrom(new byte[] {(byte) 0xff, 1, 2})))
                .isInstanceOf(InvalidProtocolBufferException.class);
        ByteString unknown = EntryBatch.newBuilder()
                .setHeader(BatchHeader.newBuilder().setCompressionValue(42).setUncompressedSize(3))
                .setPayload(ByteString.copyFromUtf8("zzz"))
                .build().toByteString();
        assertThatThrownBy(() -> BatchCodec.decode(unknown))
                .isInstanceOf(InvalidProtocolBufferException.class)
                .hasMessageContaining("unknown codec (number 42)");
        ByteString corrupt = EntryBatch.newBuilder()
                .setHeader(BatchHeader.newBuilder().setCompression(CompressionType.COMPRESSION_LZ4).setUncompressedSize(100))
                .setPayload(ByteString.copyFromUtf8("zzz"))
                .build().toByteString();
        assertThatThrownBy(() -> BatchCodec.decode(corrupt))
                .isInstanceOf(InvalidProtocolBufferException.class)
                .hasMessageContaining("corrupt LZ4 payload");
    }

    @Test
    void idsConvertToTheProtocolForAcks() {
        io.tributary.api.v1.MessageId p = BatchCodec.toProto(new MessageId(1, 2, 3, -1, 4));
        assertThat(p.getLedgerId()).isEqualTo(1);
        assertThat(p.getEntryId()).isEqualTo(2);
        assertThat(p.getBatchIndex()).isEqualTo(3);
        assertThat(p.getPartition()).isEqualTo(-1);
        assertThat(p.getBatchSize()).isEqualTo(4);
    }

    @Test
    void serialisedMessagesEncodeToTheEntryOfTheNumberedMessages() throws Exception {
        for (boolean sameKey : new boolean[] {true, false}) {
            for (long first : new long[] {0, 10, Long.MAX_VALUE - 5}) {
                for (CompressionType compression : new CompressionType[] {CompressionType.COMPRESSION_NONE,
                        CompressionType.COMPRESSION_LZ4}) {
                    List<SingleMessage> numbered = new ArrayList<>();
                    List<BatchCodec.Serialized> serialised = new ArrayList<>();
                    for (int i = 0; i < 4; i++) {
                        SingleMessage unnumbered = msg("value value value " + i, sameKey ? "k" : (i % 2 == 0 ? "k" : null),
                                0, Map.of("p", "" + i), 1000 + i).toBuilder().setDeliverAtMs(i == 2 ? 5000 : 0).build();
                        serialised.add(BatchCodec.Serialized.of(unnumbered));
                        SingleMessage withSeq = unnumbered.toBuilder().setSequenceId(first + i).build();
                        numbered.add(withSeq);
                        assertThat(BatchCodec.sizeInList(serialised.get(i), first + i))
                                .isEqualTo(BatchCodec.sizeInList(withSeq));
                    }
                    ByteString expected = BatchCodec.encode("p", "string", first, numbered, 42, true, compression);
                    ByteString actual = BatchCodec.encodeSerialized("p", "string", first, serialised, 42, compression);
                    io.tributary.protocol.EntryCodec.Decoded e = BatchCodec.decode(expected);
                    io.tributary.protocol.EntryCodec.Decoded a = BatchCodec.decode(actual);
                    assertThat(a.header()).isEqualTo(e.header());
                    assertThat(a.messages()).containsExactlyElementsOf(numbered);
                    if (compression == CompressionType.COMPRESSION_NONE) {
                        assertThat(actual.size()).as("the same bytes, in another field order").isEqualTo(expected.size());
                    }
                }
            }
        }
    }
}
