package io.tributary.it.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.tributary.api.v1.AcknowledgeRequest;
import io.tributary.api.v1.Ack;
import io.tributary.api.v1.BacklogQuota;
import io.tributary.api.v1.BatchHeader;
import io.tributary.api.v1.ChangeInvisibleDurationRequest;
import io.tributary.api.v1.CompressionType;
import io.tributary.api.v1.CreateNamespaceRequest;
import io.tributary.api.v1.CreateTopicRequest;
import io.tributary.api.v1.DeleteNamespaceRequest;
import io.tributary.api.v1.DeleteSubscriptionRequest;
import io.tributary.api.v1.DeleteTopicRequest;
import io.tributary.api.v1.EntryBatch;
import io.tributary.api.v1.Flow;
import io.tributary.api.v1.GetLastMessageIdRequest;
import io.tributary.api.v1.GetNamespacePoliciesRequest;
import io.tributary.api.v1.GetPartitionsRequest;
import io.tributary.api.v1.GetTopicRequest;
import io.tributary.api.v1.GetTopicStatsRequest;
import io.tributary.api.v1.InitialPosition;
import io.tributary.api.v1.ListBundlesRequest;
import io.tributary.api.v1.ListNamespacesRequest;
import io.tributary.api.v1.ListTopicsRequest;
import io.tributary.api.v1.LookupRequest;
import io.tributary.api.v1.MessageId;
import io.tributary.api.v1.NamespacePolicies;
import io.tributary.api.v1.NegativeAck;
import io.tributary.api.v1.NegativeAcknowledgeRequest;
import io.tributary.api.v1.PlainMessage;
import io.tributary.api.v1.ProducerOpen;
import io.tributary.api.v1.PublishBatch;
import io.tributary.api.v1.PublishMessages;
import io.tributary.api.v1.PublishRequest;
import io.tributary.api.v1.ReceiveRequest;
import io.tributary.api.v1.ResetSubscriptionRequest;
import io.tributary.api.v1.Seek;
import io.tributary.api.v1.SendRequest;
import io.tributary.api.v1.SetNamespacePoliciesRequest;
import io.tributary.api.v1.SingleMessage;
import io.tributary.api.v1.SkipMessagesRequest;
import io.tributary.api.v1.SubscribeOpen;
import io.tributary.api.v1.SubscribeRequest;
import io.tributary.api.v1.SubscriptionType;
import io.tributary.protocol.EntryCodec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

/**
 * Turns one fuzz input into a few calls of the public API (messaging, lookup, admin): streams of
 * mutated Publish and Subscribe frames, and unary requests. Fields are filled from the input:
 * mostly names and positions near the real ones (so that requests get past the first checks) and
 * sometimes anything at all; raw input bytes are also parsed as requests where they parse.
 * Hostile values come often: unknown enum numbers, negative, huge and extreme durations, delays
 * and sequence ids, message counts at the Send limit and over it, empty and oversize values,
 * garbage receipts and real ones paired with ids of other messages (or topics).
 *
 * <p>Destructive admin calls only ever name the {@code fuzz} tenant, and no call names the
 * {@code probe} tenant, so the probe's topic and the public namespace stay usable. Draining,
 * unloading and splitting bundles are left out: they are tested where ownership is.
 */
final class RequestPlan {
    private static final List<String> SUBSCRIPTIONS = List.of("s0", "s1", "s2", "reader");
    private static final int MAX_CALLS = 4;
    private static final int MAX_FRAMES = 6;

    /** One call of the API. */
    sealed interface Call permits PublishStream, SubscribeStream, Unary {}

    /** A Publish stream: these frames, then the client half-closes. */
    record PublishStream(List<PublishRequest> frames) implements Call {}

    /** A Subscribe stream: these frames, then the client half-closes. */
    record SubscribeStream(List<SubscribeRequest> frames) implements Call {}

    /** A unary call of {@code method} (a name in {@link CallRunner}). */
    record Unary(String method, Message request) implements Call {}

    final List<Call> calls = new ArrayList<>();

    private final FuzzedDataProvider d;
    private final List<MessageId> stored;

    private RequestPlan(FuzzedDataProvider d, List<MessageId> stored) {
        this.d = d;
        this.stored = stored;
    }

    static RequestPlan from(FuzzedDataProvider d, List<MessageId> stored) {
        RequestPlan plan = new RequestPlan(d, stored);
        int n = d.consumeInt(1, MAX_CALLS);
        for (int i = 0; i < n && d.remainingBytes() > 0; i++) {
            plan.calls.add(plan.call());
        }
        return plan;
    }

    private Call call() {
        return switch (d.consumeInt(0, 15)) {
            case 0, 1 -> publishStream();
            case 2, 3 -> subscribeStream();
            case 4 -> new Unary("receive", ReceiveRequest.newBuilder().setTopic(topic()).setSubscription(subscription())
                    .setTypeValue(enumValue(4)).setMaxMessages(d.consumeInt(-2, 2000))
                    // a Receive may wait this long; kept well inside the call's deadline
                    .setMaxWaitMs(d.consumeLong(-2, 500)).setInitialPositionValue(enumValue(1))
                    .setInvisibleDurationMs(d.consumeBoolean() ? 0 : hostileMillis()).build());
            case 5 -> new Unary("acknowledge", AcknowledgeRequest.newBuilder().setTopic(topic()).setSubscription(subscription())
                    .addAllMessageIds(messageIds()).setCumulative(d.consumeBoolean()).build());
            case 6 -> new Unary("getLastMessageId", GetLastMessageIdRequest.newBuilder().setTopic(topic())
                    .setSubscription(d.consumeBoolean() ? subscription() : "").build());
            case 7 -> d.consumeBoolean()
                    ? new Unary("lookup", LookupRequest.newBuilder().setTopic(topic()).build())
                    : new Unary("getPartitions", GetPartitionsRequest.newBuilder().setTopic(topic()).build());
            case 8 -> adminRead();
            case 9 -> adminSubscription();
            case 10 -> adminWrite();
            case 11 -> rawPublishStream();
            case 12 -> rawSubscribeStream();
            case 13 -> send();
            case 14 -> changeInvisibleDuration();
            default -> new Unary("negativeAcknowledge", NegativeAcknowledgeRequest.newBuilder().setTopic(topic())
                    .setSubscription(subscription()).addAllMessageIds(messageIds()).setDelayMs(hostileMillis()).build());
        };
    }

    // ---- hostile numbers ----

    /** An enum number: mostly one of the known ones (0 to {@code knownMax}), else an unknown or any number. */
    private int enumValue(int knownMax) {
        return switch (d.consumeInt(0, 9)) {
            case 8 -> d.consumeInt(knownMax + 1, knownMax + 8);
            case 9 -> d.consumeInt();
            default -> d.consumeInt(0, knownMax);
        };
    }

    /** A duration, delay or time in ms: zero, small, negative, an epoch time, the extremes, or any. */
    private long hostileMillis() {
        return switch (d.consumeInt(0, 6)) {
            case 0 -> 0;
            case 1 -> d.consumeLong(1, 10_000);
            case 2 -> d.consumeLong(-10_000, -1);
            case 3 -> Long.MAX_VALUE;
            case 4 -> Long.MIN_VALUE;
            case 5 -> d.consumeLong(1_700_000_000_000L, 4_102_444_800_000L);
            default -> d.consumeLong();
        };
    }

    /** A sequence id: small, near or at Long.MAX_VALUE, negative, or any. */
    private long hostileSequence(int count) {
        return switch (d.consumeInt(0, 5)) {
            case 0, 1 -> d.consumeLong(0, 16);
            case 2 -> Long.MAX_VALUE - Math.max(0, count - 1);
            case 3 -> Long.MAX_VALUE;
            case 4 -> d.consumeLong(Long.MIN_VALUE, -1);
            default -> d.consumeLong();
        };
    }

    // ---- plain messages (Send, PublishMessages) ----

    private Call send() {
        SendRequest.Builder r = SendRequest.newBuilder().setTopic(topic());
        switch (d.consumeInt(0, 3)) {
            case 0 -> { } // no producer name: the broker's own
            case 1, 2 -> r.setProducerName("fuzz-send-" + d.consumeInt(0, 2));
            default -> r.setProducerName(d.consumeString(16));
        }
        List<PlainMessage> messages = plainMessages();
        switch (d.consumeInt(0, 5)) {
            case 0, 1 -> { } // no sequence ids
            case 2, 3 -> {
                // every message one more than the one before, from a hostile start
                long first = hostileSequence(messages.size());
                for (int i = 0; i < messages.size(); i++) {
                    messages.set(i, messages.get(i).toBuilder().setSequenceId(first + i).build());
                }
            }
            default -> {
                // some messages have one, of any value
                for (int i = 0; i < messages.size(); i++) {
                    if (d.consumeBoolean()) {
                        messages.set(i, messages.get(i).toBuilder().setSequenceId(hostileSequence(1)).build());
                    }
                }
            }
        }
        return new Unary("send", r.addAllMessages(messages).build());
    }

    /**
     * Plain messages: none, a few, exactly the Send limit, one over it, or far over it (up to
     * 100,000). A long list repeats a few small messages, so that building it costs little.
     */
    private List<PlainMessage> plainMessages() {
        int count = switch (d.consumeInt(0, 9)) {
            case 0 -> 0;
            case 7 -> FuzzCluster.MAX_SEND_MESSAGES;
            case 8 -> FuzzCluster.MAX_SEND_MESSAGES + 1;
            case 9 -> d.consumeInt(FuzzCluster.MAX_SEND_MESSAGES + 2, 100_000);
            default -> d.consumeInt(1, 4);
        };
        int distinct = Math.min(count, 4);
        PlainMessage[] some = new PlainMessage[distinct];
        for (int i = 0; i < distinct; i++) {
            some[i] = plainMessage(count <= 4);
        }
        List<PlainMessage> messages = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            messages.add(some[i % distinct]);
        }
        return messages;
    }

    /** A plain message; with {@code mayBeLarge} its value may be around the maximum message size. */
    private PlainMessage plainMessage(boolean mayBeLarge) {
        PlainMessage.Builder m = PlainMessage.newBuilder();
        int kind = d.consumeInt(0, 5);
        if (kind == 5 && mayBeLarge) {
            byte[] value = new byte[FuzzCluster.MAX_MESSAGE_SIZE + d.consumeInt(-256, 256)];
            Arrays.fill(value, (byte) 'v');
            m.setValue(ByteString.copyFrom(value));
        } else if (kind > 0) {
            m.setValue(ByteString.copyFrom(d.consumeBytes(64)));
        }
        if (d.consumeBoolean()) {
            m.setKey(d.consumeString(8));
        }
        if (d.consumeBoolean()) {
            m.putProperties(d.consumeString(8), d.consumeString(8));
        }
        if (d.consumeBoolean()) {
            m.setEventTimeMs(d.consumeLong());
        }
        switch (d.consumeInt(0, 2)) {
            case 0 -> { } // at once
            case 1 -> m.setDeliverAtMs(hostileMillis());
            default -> m.setDeliverAfterMs(hostileMillis());
        }
        return m.build();
    }

    // ---- visibility (unary Receive) ----

    private Call changeInvisibleDuration() {
        ChangeInvisibleDurationRequest.Builder r = ChangeInvisibleDurationRequest.newBuilder().setTopic(topic())
                .setSubscription(subscription());
        boolean lastReceived = false;
        switch (d.consumeInt(0, 5)) {
            case 0 -> r.setReceipt("");
            case 1, 2 -> lastReceived = true;
            case 3 -> r.setReceipt(d.consumeString(48));
            case 4 -> {
                // shaped like a real receipt, forged
                MessageId id = stored.get(d.consumeInt(0, stored.size() - 1));
                r.setReceipt(Long.toHexString(d.consumeLong()) + "." + id.getLedgerId() + "." + id.getEntryId() + "."
                        + d.consumeInt(0, 3));
            }
            default -> r.setReceipt("r".repeat(d.consumeInt(1_000, 100_000)));
        }
        // with the last received receipt, an id of another message (or topic) instead of its own
        if (d.consumeInt(0, 7) > (lastReceived ? 4 : 0)) {
            r.setMessageId(messageId());
        }
        r.setInvisibleDurationMs(hostileMillis());
        return new Unary(lastReceived ? CallRunner.WITH_LAST_RECEIPT + "changeInvisibleDuration"
                : "changeInvisibleDuration", r.build());
    }

    // ---- names and ids ----

    private String topic() {
        int pick = d.consumeInt(0, 15);
        if (pick < FuzzCluster.TOPICS.size() * 2) {
            return FuzzCluster.TOPICS.get(pick % FuzzCluster.TOPICS.size());
        }
        if (pick < 14) {
            return "public/default/" + notProbe(d.consumeString(24));
        }
        return notProbe(d.consumeString(48));
    }

    private static String notProbe(String s) {
        return s.contains("probe") ? s.replace("probe", "pr0be") : s;
    }

    private String subscription() {
        return d.consumeInt(0, 7) < 6 ? SUBSCRIPTIONS.get(d.consumeInt(0, SUBSCRIPTIONS.size() - 1)) : d.consumeString(24);
    }

    private List<MessageId> messageIds() {
        int n = d.consumeInt(0, 3);
        List<MessageId> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ids.add(messageId());
        }
        return ids;
    }

    private MessageId messageId() {
        MessageId.Builder id;
        switch (d.consumeInt(0, 3)) {
            case 0, 1 -> {
                // a stored entry, the message in it chosen (or forged) by the input
                id = stored.get(d.consumeInt(0, stored.size() - 1)).toBuilder();
                if (d.consumeBoolean()) {
                    id.setBatchIndex(d.consumeInt(-2, 4)).setBatchSize(d.consumeInt(-1, 4));
                }
            }
            case 2 -> id = stored.get(d.consumeInt(0, stored.size() - 1)).toBuilder()
                    .setEntryId(d.consumeLong(-2, 8)).setBatchIndex(d.consumeInt()).setBatchSize(d.consumeInt());
            default -> id = MessageId.newBuilder().setLedgerId(d.consumeLong()).setEntryId(d.consumeLong())
                    .setBatchIndex(d.consumeInt()).setBatchSize(d.consumeInt()).setPartition(d.consumeInt(-2, 3));
        }
        return id.build();
    }

    // ---- Publish ----

    private Call publishStream() {
        List<PublishRequest> frames = new ArrayList<>();
        if (d.consumeInt(0, 7) > 0) {
            frames.add(PublishRequest.newBuilder().setOpen(ProducerOpen.newBuilder().setTopic(topic())
                    .setProducerName(d.consumeBoolean() ? "" : d.consumeString(16))).build());
        }
        int n = d.consumeInt(0, MAX_FRAMES);
        for (int i = 0; i < n; i++) {
            frames.add(switch (d.consumeInt(0, 9)) {
                case 0 -> PublishRequest.getDefaultInstance();
                case 1 -> PublishRequest.newBuilder().setOpen(ProducerOpen.newBuilder().setTopic(topic())).build();
                case 2, 3 -> PublishRequest.newBuilder().setMessages(messagesFrame(i)).build();
                default -> PublishRequest.newBuilder().setBatch(PublishBatch.newBuilder()
                        .setSequenceId(d.consumeBoolean() ? i : d.consumeLong())
                        .setMessageCount(d.consumeBoolean() ? d.consumeInt(0, 4) : d.consumeInt())
                        .setEntry(entry())).build();
            });
        }
        return new PublishStream(frames);
    }

    /** Plain messages on the stream, numbered from the i-th frame's or a hostile sequence id. */
    private PublishMessages messagesFrame(int i) {
        List<PlainMessage> messages = plainMessages();
        if (d.consumeInt(0, 3) == 0) {
            // their own sequence ids are ignored on the stream
            for (int k = 0; k < messages.size(); k++) {
                messages.set(k, messages.get(k).toBuilder().setSequenceId(hostileSequence(1)).build());
            }
        }
        return PublishMessages.newBuilder().setSequenceId(d.consumeBoolean() ? i : hostileSequence(messages.size()))
                .addAllMessages(messages).build();
    }

    /** An entry: well formed, with a mutated header, or raw bytes. */
    private ByteString entry() {
        ByteString entry = switch (d.consumeInt(0, 3)) {
            case 0, 1 -> {
                int count = d.consumeInt(1, 4);
                List<SingleMessage> messages = new ArrayList<>();
                for (int i = 0; i < count; i++) {
                    SingleMessage.Builder m = SingleMessage.newBuilder().setValue(ByteString.copyFrom(d.consumeBytes(64)));
                    if (d.consumeBoolean()) {
                        m.setKey(d.consumeString(8)).setHasKey(true);
                    }
                    if (d.consumeBoolean()) {
                        m.putProperties(d.consumeString(8), d.consumeString(8));
                    }
                    m.setDeliverAtMs(d.consumeBoolean() ? 0 : d.consumeLong());
                    messages.add(m.build());
                }
                CompressionType compression = CompressionType.forNumber(d.consumeInt(0, 3));
                yield EntryCodec.encode(d.consumeString(8), d.consumeString(8), d.consumeLong(), messages,
                        d.consumeLong(), compression == null ? CompressionType.COMPRESSION_NONE : compression);
            }
            case 2 -> EntryBatch.newBuilder().setHeader(BatchHeader.newBuilder()
                            .setProducerName(d.consumeString(8)).setFirstSequenceId(d.consumeLong())
                            .setMessageCount(d.consumeInt()).setCompressionValue(d.consumeInt(-1, 5))
                            .setUncompressedSize(d.consumeInt()).setPublishTimeMs(d.consumeLong())
                            .setKey(d.consumeString(8)).setHasKey(d.consumeBoolean()).setDeliverAtMs(d.consumeLong()))
                    .setPayload(ByteString.copyFrom(d.consumeBytes(256))).build().toByteString();
            default -> ByteString.copyFrom(d.consumeBytes(512));
        };
        return entry;
    }

    private Call rawPublishStream() {
        return new PublishStream(rawFrames(PublishRequest::parseFrom));
    }

    // ---- Subscribe ----

    private Call subscribeStream() {
        List<SubscribeRequest> frames = new ArrayList<>();
        if (d.consumeInt(0, 7) > 0) {
            SubscribeOpen.Builder open = SubscribeOpen.newBuilder().setTopic(topic()).setSubscription(subscription())
                    .setTypeValue(enumValue(4)).setConsumerName(d.consumeBoolean() ? "" : d.consumeString(12))
                    .setInitialPositionValue(enumValue(1)).setDecoded(d.consumeBoolean())
                    .setInitialPermits(d.consumeBoolean() ? d.consumeInt(0, 10) : d.consumeInt())
                    .setPriority(d.consumeInt()).setNonDurable(d.consumeBoolean());
            if (d.consumeBoolean()) {
                open.setStartMessageId(messageId()).setStartInclusive(d.consumeBoolean());
            }
            frames.add(SubscribeRequest.newBuilder().setOpen(open).build());
        }
        int n = d.consumeInt(0, MAX_FRAMES);
        for (int i = 0; i < n; i++) {
            frames.add(switch (d.consumeInt(0, 6)) {
                case 0 -> SubscribeRequest.newBuilder().setFlow(Flow.newBuilder()
                        .setPermits(d.consumeBoolean() ? d.consumeInt(-1, 10) : d.consumeInt())).build();
                case 1, 2 -> SubscribeRequest.newBuilder().setAck(Ack.newBuilder().addAllMessageIds(messageIds())
                        .setCumulative(d.consumeBoolean()).setRequestId(d.consumeLong())).build();
                case 3 -> SubscribeRequest.newBuilder().setNegativeAck(NegativeAck.newBuilder()
                        .addAllMessageIds(messageIds()).setDelayMs(d.consumeLong())).build();
                case 4 -> SubscribeRequest.newBuilder().setSeek(seek()).build();
                case 5 -> SubscribeRequest.newBuilder().setOpen(SubscribeOpen.newBuilder().setTopic(topic())
                        .setSubscription(subscription())).build();
                default -> SubscribeRequest.getDefaultInstance();
            });
        }
        return new SubscribeStream(frames);
    }

    private Seek seek() {
        Seek.Builder s = Seek.newBuilder().setRequestId(d.consumeLong());
        switch (d.consumeInt(0, 3)) {
            case 0 -> s.setMessageId(messageId());
            case 1 -> s.setPublishTimeMs(d.consumeLong());
            case 2 -> s.setPositionValue(d.consumeInt(-1, 2));
            default -> { } // no target
        }
        return s.build();
    }

    private Call rawSubscribeStream() {
        return new SubscribeStream(rawFrames(SubscribeRequest::parseFrom));
    }

    // ---- raw bytes ----

    private interface Parser<T> {
        T parse(byte[] bytes) throws InvalidProtocolBufferException;
    }

    /** Frames parsed from raw input bytes; a chunk that does not parse is left out. */
    private <T extends Message> List<T> rawFrames(Parser<T> parser) {
        List<T> frames = new ArrayList<>();
        int n = d.consumeInt(1, MAX_FRAMES);
        for (int i = 0; i < n; i++) {
            try {
                T frame = parser.parse(d.consumeBytes(d.consumeInt(0, 300)));
                if (!mentionsProbe(frame)) {
                    frames.add(frame);
                }
            } catch (InvalidProtocolBufferException e) {
                // not a request: the fuzzer learns from the coverage of the parser
            }
        }
        return frames;
    }

    private static boolean mentionsProbe(Message m) {
        return m.toString().contains("probe");
    }

    // ---- admin ----

    private Call adminRead() {
        return switch (d.consumeInt(0, 6)) {
            case 0 -> new Unary("getTopic", GetTopicRequest.newBuilder().setTopic(topic()).build());
            case 1, 2 -> new Unary("getTopicStats", GetTopicStatsRequest.newBuilder().setTopic(topic()).build());
            case 3 -> new Unary("listTopics", ListTopicsRequest.newBuilder().setNamespace(namespace(false)).build());
            case 4 -> new Unary("listNamespaces", ListNamespacesRequest.newBuilder().setTenant(d.consumeString(12)).build());
            case 5 -> new Unary("getNamespacePolicies", GetNamespacePoliciesRequest.newBuilder().setNamespace(namespace(false)).build());
            default -> new Unary("listBundles", ListBundlesRequest.newBuilder().setNamespace(namespace(false)).build());
        };
    }

    private Call adminSubscription() {
        String topic = topic();
        String sub = subscription();
        return switch (d.consumeInt(0, 2)) {
            case 0 -> new Unary("deleteSubscription", DeleteSubscriptionRequest.newBuilder().setTopic(topic)
                    .setSubscription(sub).setForce(d.consumeBoolean()).build());
            case 1 -> {
                ResetSubscriptionRequest.Builder r = ResetSubscriptionRequest.newBuilder().setTopic(topic).setSubscription(sub);
                switch (d.consumeInt(0, 3)) {
                    case 0 -> r.setMessageId(messageId());
                    case 1 -> r.setPublishTimeMs(d.consumeLong());
                    case 2 -> r.setPositionValue(d.consumeInt(-1, 2));
                    default -> { } // no target
                }
                yield new Unary("resetSubscription", r.build());
            }
            default -> new Unary("skipMessages", SkipMessagesRequest.newBuilder().setTopic(topic).setSubscription(sub)
                    .setMessages(d.consumeBoolean() ? d.consumeLong(-2, 10) : d.consumeLong()).build());
        };
    }

    /** Writes, confined to the {@code fuzz} tenant. */
    private Call adminWrite() {
        return switch (d.consumeInt(0, 4)) {
            case 0 -> new Unary("createNamespace", CreateNamespaceRequest.newBuilder().setNamespace(namespace(true))
                    .setBundles(d.consumeBoolean() ? d.consumeInt(-1, 8) : d.consumeInt()).build());
            case 1 -> new Unary("deleteNamespace", DeleteNamespaceRequest.newBuilder().setNamespace(namespace(true)).build());
            case 2 -> new Unary("createTopic", CreateTopicRequest.newBuilder().setTopic(fuzzTopic())
                    .setPartitions(d.consumeBoolean() ? d.consumeInt(-1, 4) : d.consumeInt()).build());
            case 3 -> new Unary("deleteTopic", DeleteTopicRequest.newBuilder().setTopic(fuzzTopic()).build());
            default -> {
                NamespacePolicies.Builder p = NamespacePolicies.newBuilder();
                if (d.consumeBoolean()) {
                    p.setRetentionTimeSeconds(d.consumeLong());
                }
                if (d.consumeBoolean()) {
                    p.setRetentionSizeBytes(d.consumeLong());
                }
                if (d.consumeBoolean()) {
                    p.setMessageTtlSeconds(d.consumeLong());
                }
                if (d.consumeBoolean()) {
                    p.setBacklogQuota(BacklogQuota.newBuilder().setLimitBytes(d.consumeLong()).setPolicyValue(d.consumeInt(-1, 4)));
                }
                limits(p);
                SetNamespacePoliciesRequest.Builder r = SetNamespacePoliciesRequest.newBuilder().setNamespace(namespace(true));
                if (d.consumeBoolean()) {
                    // a policy name, one that does not exist, or junk
                    r.addClear(switch (d.consumeInt(0, 2)) {
                        case 0 -> "max_producers_per_topic";
                        case 1 -> "no_such_policy";
                        default -> d.consumeString(64);
                    });
                }
                yield new Unary("setNamespacePolicies", r.setPolicies(p).build());
            }
        };
    }

    /**
     * The limit policies (fields 9-17), each maybe set: small counts, negative and huge ones, message
     * sizes around the broker's maximum, unknown creation types, partitions out of range, quorums out of order.
     */
    private void limits(NamespacePolicies.Builder p) {
        if (d.consumeBoolean()) {
            p.setMaxProducersPerTopic(hostileCount());
        }
        if (d.consumeBoolean()) {
            p.setMaxConsumersPerTopic(hostileCount());
        }
        if (d.consumeBoolean()) {
            p.setMaxSubscriptionsPerTopic(hostileCount());
        }
        if (d.consumeBoolean()) {
            p.setMaxTopicsPerNamespace(hostileCount());
        }
        if (d.consumeBoolean()) {
            p.setMaxMessageSizeBytes(d.consumeBoolean() ? d.consumeInt(-1, 2 * FuzzCluster.MAX_MESSAGE_SIZE) : d.consumeInt());
        }
        if (d.consumeBoolean()) {
            p.setAutoTopicCreation(io.tributary.api.v1.AutoTopicCreation.newBuilder()
                    .setTypeValue(d.consumeBoolean() ? d.consumeInt(-1, 4) : d.consumeInt())
                    .setPartitions(d.consumeBoolean() ? d.consumeInt(-1, 4) : d.consumeInt()));
        }
        if (d.consumeBoolean()) {
            p.setDeduplicationEnabled(d.consumeBoolean());
        }
        if (d.consumeBoolean()) {
            p.setSubscriptionExpirationSeconds(d.consumeBoolean() ? d.consumeLong(-1, 5) : d.consumeLong());
        }
        if (d.consumeBoolean()) {
            p.setPersistence(io.tributary.api.v1.Persistence.newBuilder().setEnsembleSize(hostileCount())
                    .setWriteQuorum(hostileCount()).setAckQuorum(hostileCount()));
        }
    }

    /** A count: mostly small (-1..3), else any int. */
    private int hostileCount() {
        return d.consumeBoolean() ? d.consumeInt(-1, 3) : d.consumeInt();
    }

    /** A namespace; with {@code fuzzTenant} always under the {@code fuzz} tenant. */
    private String namespace(boolean fuzzTenant) {
        if (fuzzTenant) {
            return d.consumeBoolean() ? "fuzz/ns2" : "fuzz/" + notProbe(d.consumeString(16));
        }
        return d.consumeBoolean() ? (d.consumeBoolean() ? "public/default" : "fuzz/ns") : notProbe(d.consumeString(24));
    }

    /** A topic of the {@code fuzz} tenant that none of {@link FuzzCluster#TOPICS} is. */
    private String fuzzTopic() {
        String t = d.consumeBoolean() ? "fuzz/ns/created" : "fuzz/" + notProbe(d.consumeString(24));
        return FuzzCluster.TOPICS.contains(t) ? t + "-x" : t;
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder();
        for (Call c : calls) {
            s.append(describe(c)).append('\n');
        }
        return s.toString();
    }

    /**
     * Whether the call's Receive, or its stream's first open, has a subscription type or initial
     * position this API does not define: the server must refuse it (INVALID_REQUEST naming the field).
     */
    static boolean hasUnknownEnum(Call c) {
        if (c instanceof Unary u && u.request() instanceof ReceiveRequest r) {
            return r.getType() == SubscriptionType.UNRECOGNIZED || r.getInitialPosition() == InitialPosition.UNRECOGNIZED;
        }
        if (c instanceof SubscribeStream s && !s.frames().isEmpty() && s.frames().get(0).hasOpen()) {
            SubscribeOpen open = s.frames().get(0).getOpen();
            return open.getType() == SubscriptionType.UNRECOGNIZED || open.getInitialPosition() == InitialPosition.UNRECOGNIZED;
        }
        return false;
    }

    static String describe(Call c) {
        Function<Message, String> text = m -> m.getClass().getSimpleName() + " {" + m.toString().replace('\n', ' ') + "}";
        if (c instanceof PublishStream p) {
            return "Publish stream: " + p.frames().stream().map(text).toList();
        }
        if (c instanceof SubscribeStream s) {
            return "Subscribe stream: " + s.frames().stream().map(text).toList();
        }
        Unary u = (Unary) c;
        return u.method() + ": " + text.apply(u.request());
    }
}
