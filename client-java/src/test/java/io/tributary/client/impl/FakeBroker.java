package io.tributary.client.impl;

import com.google.protobuf.ByteString;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.tributary.api.v1.Ack;
import io.tributary.api.v1.AckResponse;
import io.tributary.api.v1.ErrorDetail;
import io.tributary.api.v1.ErrorReason;
import io.tributary.api.v1.InitialPosition;
import io.tributary.api.v1.MessageBatch;
import io.tributary.api.v1.MessageId;
import io.tributary.api.v1.MessagingServiceGrpc;
import io.tributary.api.v1.ProducerOpened;
import io.tributary.api.v1.PublishAck;
import io.tributary.api.v1.PublishBatch;
import io.tributary.api.v1.PublishError;
import io.tributary.api.v1.PublishRequest;
import io.tributary.api.v1.PublishResponse;
import io.tributary.api.v1.NegativeAck;
import io.tributary.api.v1.ConsumerNotice;
import io.tributary.api.v1.Seek;
import io.tributary.api.v1.SeekResponse;
import io.tributary.api.v1.SubscribeOpen;
import io.tributary.api.v1.SubscribeRequest;
import io.tributary.api.v1.SubscribeResponse;
import io.tributary.api.v1.Subscribed;
import io.tributary.api.v1.SubscriptionType;
import io.tributary.protocol.ErrorReasons;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A single-node, in-memory stand-in for the MessagingService, just faithful enough to exercise
 * the client: it stores entries, deduplicates by producer name and sequence id, honours
 * permits, tracks acknowledgements per batch index and redelivers on resubscription. Tests
 * script failures through its public fields. Every method runs under the broker's monitor.
 */
final class FakeBroker extends MessagingServiceGrpc.MessagingServiceImplBase implements AutoCloseable {
    static final long LEDGER = 7;

    final Server server;
    final Set<String> topics = new HashSet<>();
    final Map<String, List<ByteString>> entries = new HashMap<>();
    final Map<String, Long> lastSequenceIds = new HashMap<>();
    final Map<String, Subscription> subscriptions = new HashMap<>();
    final List<PublishBatch> receivedBatches = new ArrayList<>();
    final List<Integer> flows = new ArrayList<>();
    final List<Ack> acks = new ArrayList<>();
    final List<MessageId> nacks = new ArrayList<>();
    final List<NegativeAck> negativeAcks = new ArrayList<>();
    final List<Seek> seeks = new ArrayList<>();
    final List<SubscribeOpen> opens = new ArrayList<>();
    /** What happened, in order: "publish <topic> <entry>", "ack <topic> <entry>:<index>". */
    final List<String> events = new ArrayList<>();
    final Map<String, Long> ledgers = new HashMap<>();
    long maxMessageSize = 5 * 1024 * 1024;
    int publishOpens;
    int subscribeOpens;
    int publishHalfCloses;
    int subscribeHalfCloses;

    // scripted behaviour
    /** When set, the next batch is refused with this reason (once). */
    ErrorReason refuseNextBatch;
    /** When set, a stream that receives a batch is failed with this reason (once), the batch stored but not answered. */
    ErrorReason failStreamAfterStoring;
    /** While true, batches are stored but not answered. */
    boolean holdAcks;
    /** The next this many Publish opens fail with {@link #refusePublishOpensWith}. */
    int refusePublishOpens;
    ErrorReason refusePublishOpensWith;
    /** The owner's address those refusals name, if set. */
    String refusePublishOpensOwner;
    /** When set, Subscribe opens fail with this reason. */
    ErrorReason refuseSubscribe;
    /** When set, the next seek is refused with this reason (once). */
    ErrorReason refuseNextSeek;
    /** While true, seeks are recorded but neither applied nor answered until {@link #answerHeldSeeks()}. */
    boolean holdSeeks;
    /** While true, acks are applied but not answered. */
    boolean dropAckResponses;
    /** Added to every redelivery count the broker reports. */
    int extraRedeliveries;

    private final AtomicInteger names = new AtomicInteger();
    private final List<ProducerStream> producerStreams = new ArrayList<>();

    final class Subscription {
        final String topic;
        final SubscriptionType type;
        int cursor;
        final Map<Integer, Set<Integer>> ackedIndexes = new HashMap<>();
        final Map<Integer, Integer> deliveries = new HashMap<>();
        /** Negatively acknowledged entries, delivered again before new ones. */
        final List<Integer> redeliver = new ArrayList<>();
        boolean nonDurable;
        final List<ConsumerStream> consumers = new ArrayList<>();

        Subscription(String topic, SubscriptionType type, int cursor) {
            this.topic = topic;
            this.type = type;
            this.cursor = cursor;
        }
    }

    final class ConsumerStream {
        final Subscription sub;
        final ServerCallStreamObserver<SubscribeResponse> out;
        long permits;
        int next;
        boolean closed;

        ConsumerStream(Subscription sub, ServerCallStreamObserver<SubscribeResponse> out, long permits) {
            this.sub = sub;
            this.out = out;
            this.permits = permits;
            this.next = sub.cursor;
        }
    }

    final class ProducerStream {
        final ServerCallStreamObserver<PublishResponse> out;
        String topic;
        String name;
        boolean closed;

        ProducerStream(ServerCallStreamObserver<PublishResponse> out) {
            this.out = out;
        }
    }

    FakeBroker(String... topicNames) throws IOException {
        this(b -> b, topicNames);
    }

    /** A broker whose server {@code setup} adds to (interceptors, TLS). */
    FakeBroker(java.util.function.UnaryOperator<NettyServerBuilder> setup, String... topicNames) throws IOException {
        topics.addAll(List.of(topicNames));
        for (String t : topicNames) {
            entries.put(t, new ArrayList<>());
            ledgers.put(t, LEDGER + ledgers.size());
        }
        server = setup.apply(NettyServerBuilder.forPort(0).addService(this)).build().start();
    }

    String url() {
        return "localhost:" + server.getPort();
    }

    synchronized int entryCount(String topic) {
        return entries.get(topic).size();
    }

    synchronized void addTopic(String topic) {
        topics.add(topic);
        entries.put(topic, new ArrayList<>());
        ledgers.put(topic, LEDGER + ledgers.size());
    }

    /** The stored entries of a topic, decoded. */
    synchronized List<io.tributary.protocol.EntryCodec.Decoded> decoded(String topic) {
        List<io.tributary.protocol.EntryCodec.Decoded> out = new ArrayList<>();
        for (ByteString e : entries.get(topic)) {
            out.add(io.tributary.protocol.EntryCodec.decode(e));
        }
        return out;
    }

    synchronized Subscription subscription(String topic, String name) {
        return subscriptions.get(topic + "|" + name);
    }

    /** Tells every consumer of a subscription whether it is the active one. */
    synchronized void notifyActive(String topic, String subscription, boolean active) {
        for (ConsumerStream c : subscriptions.get(topic + "|" + subscription).consumers) {
            c.out.onNext(SubscribeResponse.newBuilder().setNotice(ConsumerNotice.newBuilder().setActive(active)).build());
        }
    }

    private final List<Runnable> heldSeeks = new ArrayList<>();

    /** Applies and answers the seeks held by {@link #holdSeeks}. */
    synchronized void answerHeldSeeks() {
        holdSeeks = false;
        heldSeeks.forEach(Runnable::run);
        heldSeeks.clear();
    }

    /** Fails every open Publish stream as a lost connection would. */
    synchronized void killProducerStreams() {
        endProducerStreams(ErrorReasons.toStatus(ErrorReasons.detail(ErrorReason.BROKER_UNAVAILABLE, "killed")));
    }

    /** Ends every open Publish stream with {@code status} (say UNAUTHENTICATED, as for an expired token). */
    synchronized void endProducerStreams(io.grpc.StatusRuntimeException status) {
        for (ProducerStream p : producerStreams) {
            if (!p.closed) {
                p.closed = true;
                p.out.onError(status);
            }
        }
        producerStreams.clear();
    }

    /** Fails every open Subscribe stream; the subscriptions redeliver what was not acked. */
    synchronized void killConsumerStreams(ErrorReason reason) {
        for (Subscription s : subscriptions.values()) {
            for (ConsumerStream c : s.consumers) {
                c.closed = true;
                c.out.onError(ErrorReasons.toStatus(ErrorReasons.detail(reason, "killed")));
            }
            s.consumers.clear();
        }
        subscriptions.values().removeIf(s -> s.nonDurable);
    }

    /** Answers every stored-but-unanswered batch now, on the stream that sent it. */
    synchronized void releaseHeldAcks() {
        holdAcks = false;
        for (Map.Entry<ProducerStream, PublishBatch> h : held) {
            if (!h.getKey().closed) {
                ack(h.getKey(), h.getValue(), false);
            }
        }
        held.clear();
    }

    private final List<Map.Entry<ProducerStream, PublishBatch>> held = new ArrayList<>();
    private final Map<String, Integer> entryOfSequence = new HashMap<>();

    // ---------------------------------------------------------------- Publish

    @Override
    public StreamObserver<PublishRequest> publish(StreamObserver<PublishResponse> responses) {
        ProducerStream p = new ProducerStream((ServerCallStreamObserver<PublishResponse>) responses);
        return new StreamObserver<>() {
            @Override
            public void onNext(PublishRequest r) {
                synchronized (FakeBroker.this) {
                    if (p.closed) {
                        return;
                    }
                    if (r.hasOpen()) {
                        openProducer(p, r);
                    } else {
                        onBatch(p, r.getBatch());
                    }
                }
            }

            @Override
            public void onError(Throwable t) {
                synchronized (FakeBroker.this) {
                    p.closed = true;
                }
            }

            @Override
            public void onCompleted() {
                synchronized (FakeBroker.this) {
                    publishHalfCloses++;
                    if (!p.closed) {
                        p.closed = true;
                        p.out.onCompleted();
                    }
                }
            }
        };
    }

    private void openProducer(ProducerStream p, PublishRequest r) {
        publishOpens++;
        String topic = r.getOpen().getTopic();
        if (!topics.contains(topic)) {
            p.closed = true;
            p.out.onError(ErrorReasons.toStatus(ErrorReasons.detail(ErrorReason.TOPIC_NOT_FOUND, topic)));
            return;
        }
        if (refusePublishOpens > 0) {
            refusePublishOpens--;
            p.closed = true;
            ErrorDetail refusal = ErrorReasons.detail(refusePublishOpensWith, "refused open");
            if (refusePublishOpensOwner != null) {
                refusal = refusal.toBuilder().setOwnerAddress(refusePublishOpensOwner).build();
            }
            p.out.onError(ErrorReasons.toStatus(refusal));
            return;
        }
        p.topic = topic;
        p.name = r.getOpen().getProducerName().isEmpty() ? "fake-" + names.incrementAndGet() : r.getOpen().getProducerName();
        producerStreams.add(p);
        p.out.onNext(PublishResponse.newBuilder().setOpened(ProducerOpened.newBuilder()
                .setProducerName(p.name)
                .setLastSequenceId(lastSequenceIds.getOrDefault(p.name, -1L))
                .setMaxMessageSize(maxMessageSize)).build());
    }

    private void onBatch(ProducerStream p, PublishBatch b) {
        receivedBatches.add(b);
        if (refuseNextBatch != null) {
            ErrorReason reason = refuseNextBatch;
            refuseNextBatch = null;
            p.out.onNext(PublishResponse.newBuilder().setError(PublishError.newBuilder()
                    .setSequenceId(b.getSequenceId())
                    .setError(ErrorDetail.newBuilder().setReason(reason).setMessage("refused"))).build());
            return;
        }
        long last = lastSequenceIds.getOrDefault(p.name, -1L);
        long batchLast = b.getSequenceId() + b.getMessageCount() - 1;
        if (batchLast <= last) {
            ack(p, b, true);
            return;
        }
        List<ByteString> stored = entries.get(p.topic);
        stored.add(b.getEntry());
        events.add("publish " + p.topic + " " + (stored.size() - 1));
        entryOfSequence.put(p.topic + "|" + b.getSequenceId(), stored.size() - 1);
        lastSequenceIds.put(p.name, batchLast);
        if (failStreamAfterStoring != null) {
            ErrorReason reason = failStreamAfterStoring;
            failStreamAfterStoring = null;
            p.closed = true;
            producerStreams.remove(p);
            p.out.onError(ErrorReasons.toStatus(ErrorReasons.detail(reason, "stream failed")));
            dispatch(p.topic);
            return;
        }
        if (holdAcks) {
            held.add(Map.entry(p, b));
        } else {
            ack(p, b, false);
        }
        dispatch(p.topic);
    }

    private void ack(ProducerStream p, PublishBatch b, boolean duplicate) {
        Integer entry = entryOfSequence.get(p.topic + "|" + b.getSequenceId());
        PublishAck.Builder a = PublishAck.newBuilder().setSequenceId(b.getSequenceId()).setDuplicate(duplicate);
        if (entry != null) {
            a.setMessageId(MessageId.newBuilder().setLedgerId(ledgers.get(p.topic)).setEntryId(entry).setPartition(-1));
        }
        p.out.onNext(PublishResponse.newBuilder().setAck(a).build());
    }

    // ---------------------------------------------------------------- Subscribe

    @Override
    public StreamObserver<SubscribeRequest> subscribe(StreamObserver<SubscribeResponse> responses) {
        ServerCallStreamObserver<SubscribeResponse> out = (ServerCallStreamObserver<SubscribeResponse>) responses;
        ConsumerStream[] self = new ConsumerStream[1];
        return new StreamObserver<>() {
            @Override
            public void onNext(SubscribeRequest r) {
                synchronized (FakeBroker.this) {
                    ConsumerStream c = self[0];
                    switch (r.getRequestCase()) {
                        case OPEN:
                            self[0] = openConsumer(out, r.getOpen());
                            break;
                        case FLOW:
                            flows.add(r.getFlow().getPermits());
                            if (c != null && !c.closed) {
                                c.permits += r.getFlow().getPermits();
                                dispatch(c.sub.topic);
                            }
                            break;
                        case ACK:
                            acks.add(r.getAck());
                            if (c != null && !c.closed) {
                                onAck(c, r.getAck());
                            }
                            break;
                        case NEGATIVE_ACK:
                            nacks.addAll(r.getNegativeAck().getMessageIdsList());
                            negativeAcks.add(r.getNegativeAck());
                            if (c != null && !c.closed && r.getNegativeAck().getDelayMs() == 0) {
                                // delayed ones are only recorded
                                for (MessageId id : r.getNegativeAck().getMessageIdsList()) {
                                    if (!c.sub.redeliver.contains((int) id.getEntryId())) {
                                        c.sub.redeliver.add((int) id.getEntryId());
                                    }
                                }
                                dispatch(c.sub.topic);
                            }
                            break;
                        case SEEK:
                            seeks.add(r.getSeek());
                            if (c != null && !c.closed) {
                                if (holdSeeks) {
                                    heldSeeks.add(() -> onSeek(c, r.getSeek()));
                                } else {
                                    onSeek(c, r.getSeek());
                                }
                            }
                            break;
                        default:
                            break;
                    }
                }
            }

            @Override
            public void onError(Throwable t) {
                synchronized (FakeBroker.this) {
                    detach(self[0]);
                }
            }

            @Override
            public void onCompleted() {
                synchronized (FakeBroker.this) {
                    subscribeHalfCloses++;
                    ConsumerStream c = self[0];
                    detach(c);
                    if (c == null || !c.closed) {
                        out.onCompleted();
                    }
                    if (c != null) {
                        c.closed = true;
                    }
                }
            }
        };
    }

    private void detach(ConsumerStream c) {
        if (c != null) {
            c.sub.consumers.remove(c);
            if (c.sub.nonDurable) {
                subscriptions.values().remove(c.sub);
            }
        }
    }

    private void onSeek(ConsumerStream c, Seek seek) {
        if (c.closed) {
            return;
        }
        SeekResponse.Builder r = SeekResponse.newBuilder().setRequestId(seek.getRequestId());
        if (refuseNextSeek != null) {
            r.setError(ErrorReasons.detail(refuseNextSeek, "refused seek"));
            refuseNextSeek = null;
            c.out.onNext(SubscribeResponse.newBuilder().setSeekResponse(r).build());
            return;
        }
        List<ByteString> stored = entries.get(c.sub.topic);
        int to;
        switch (seek.getTargetCase()) {
            case MESSAGE_ID:
                to = (int) seek.getMessageId().getEntryId();
                break;
            case PUBLISH_TIME_MS:
                to = stored.size();
                for (int i = 0; i < stored.size(); i++) {
                    if (io.tributary.protocol.EntryCodec.decode(stored.get(i)).header().getPublishTimeMs() >= seek.getPublishTimeMs()) {
                        to = i;
                        break;
                    }
                }
                break;
            default:
                to = seek.getPosition() == InitialPosition.EARLIEST ? 0 : stored.size();
        }
        c.sub.cursor = to;
        c.sub.ackedIndexes.clear();
        c.sub.redeliver.clear();
        for (ConsumerStream other : c.sub.consumers) {
            other.next = to;
        }
        c.out.onNext(SubscribeResponse.newBuilder().setSeekResponse(r).build());
        dispatch(c.sub.topic);
    }

    private ConsumerStream openConsumer(ServerCallStreamObserver<SubscribeResponse> out, SubscribeOpen open) {
        subscribeOpens++;
        opens.add(open);
        if (refuseSubscribe != null) {
            out.onError(ErrorReasons.toStatus(ErrorReasons.detail(refuseSubscribe, "refused")));
            return null;
        }
        if (!topics.contains(open.getTopic())) {
            out.onError(ErrorReasons.toStatus(ErrorReasons.detail(ErrorReason.TOPIC_NOT_FOUND, open.getTopic())));
            return null;
        }
        String key = open.getTopic() + "|" + open.getSubscription();
        int start = open.getInitialPosition() == InitialPosition.EARLIEST ? 0 : entries.get(open.getTopic()).size();
        if (open.hasStartMessageId()) {
            // the whole entry: the client drops what comes before its start inside it
            start = (int) open.getStartMessageId().getEntryId();
        }
        int first = start;
        Subscription sub = subscriptions.computeIfAbsent(key, k -> new Subscription(open.getTopic(), open.getType(), first));
        sub.nonDurable = open.getNonDurable();
        boolean exclusive = sub.type == SubscriptionType.EXCLUSIVE || sub.type == SubscriptionType.SUBSCRIPTION_TYPE_UNSPECIFIED;
        if (exclusive && !sub.consumers.isEmpty()) {
            out.onError(ErrorReasons.toStatus(ErrorReasons.detail(ErrorReason.CONSUMER_BUSY, key)));
            return null;
        }
        ConsumerStream c = new ConsumerStream(sub, out, open.getInitialPermits());
        sub.consumers.add(c);
        String name = open.getConsumerName().isEmpty() ? "consumer-" + names.incrementAndGet() : open.getConsumerName();
        out.onNext(SubscribeResponse.newBuilder().setSubscribed(Subscribed.newBuilder().setConsumerName(name)).build());
        dispatch(sub.topic);
        return c;
    }

    private void dispatch(String topic) {
        List<ByteString> stored = entries.get(topic);
        for (Subscription s : subscriptions.values()) {
            if (!s.topic.equals(topic)) {
                continue;
            }
            for (ConsumerStream c : s.consumers) {
                while (!c.closed && c.permits > 0 && (!s.redeliver.isEmpty() || c.next < stored.size())) {
                    int e = !s.redeliver.isEmpty() ? s.redeliver.remove(0) : c.next++;
                    Set<Integer> acked = s.ackedIndexes.getOrDefault(e, Set.of());
                    int size = EntryCodecAccess.count(stored.get(e));
                    if (acked.size() == size) {
                        continue;
                    }
                    c.permits -= size;
                    int count = s.deliveries.merge(e, 1, Integer::sum) - 1;
                    MessageBatch.Builder mb = MessageBatch.newBuilder()
                            .setMessageId(MessageId.newBuilder().setLedgerId(ledgers.get(topic)).setEntryId(e)
                                    .setPartition(-1).setBatchSize(size))
                            .setEntry(stored.get(e))
                            .setRedeliveryCount(count + extraRedeliveries)
                            .addAllAckedIndexes(new TreeSet<>(acked));
                    c.out.onNext(SubscribeResponse.newBuilder().setMessages(mb).build());
                }
            }
        }
    }

    private void onAck(ConsumerStream c, Ack ack) {
        Subscription s = c.sub;
        AckResponse.Builder r = AckResponse.newBuilder().setRequestId(ack.getRequestId());
        if (ack.getCumulative() && (s.type == SubscriptionType.SHARED || s.type == SubscriptionType.KEY_SHARED)) {
            r.setError(ErrorReasons.detail(ErrorReason.NOT_ALLOWED, "cumulative ack on a shared subscription"));
        } else if (ack.getCumulative()) {
            MessageId upTo = ack.getMessageIds(0);
            for (int e = 0; e <= upTo.getEntryId(); e++) {
                int size = EntryCodecAccess.count(entries.get(s.topic).get(e));
                Set<Integer> acked = s.ackedIndexes.computeIfAbsent(e, k -> new HashSet<>());
                for (int i = 0; i < size && (e < upTo.getEntryId() || i <= upTo.getBatchIndex()); i++) {
                    acked.add(i);
                }
            }
            events.add("ack " + s.topic + " <=" + upTo.getEntryId() + ":" + upTo.getBatchIndex());
        } else {
            for (MessageId id : ack.getMessageIdsList()) {
                if (!s.ackedIndexes.computeIfAbsent((int) id.getEntryId(), k -> new HashSet<>()).add(id.getBatchIndex())) {
                    r.setError(ErrorReasons.detail(ErrorReason.MESSAGE_ALREADY_ACKNOWLEDGED,
                            "message " + id.getEntryId() + ":" + id.getBatchIndex() + " was acknowledged before"));
                }
                events.add("ack " + s.topic + " " + id.getEntryId() + ":" + id.getBatchIndex());
            }
        }
        if (ack.getRequestId() != 0 && !dropAckResponses) {
            c.out.onNext(SubscribeResponse.newBuilder().setAckResponse(r).build());
        }
    }

    @Override
    public void close() throws InterruptedException {
        server.shutdownNow();
        server.awaitTermination();
    }

    /** Reads the message count of a stored entry. */
    static final class EntryCodecAccess {
        static int count(ByteString entry) {
            try {
                return BatchCodec.decode(entry).messages().size();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
