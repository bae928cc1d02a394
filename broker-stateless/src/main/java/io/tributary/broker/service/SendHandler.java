package io.tributary.broker.service;

import io.grpc.Context;
import io.tributary.api.v1.ErrorDetail;
import io.tributary.api.v1.ErrorReason;
import io.tributary.api.v1.MessageId;
import io.tributary.api.v1.PlainMessage;
import io.tributary.api.v1.SendRequest;
import io.tributary.api.v1.SendResponse;
import io.tributary.api.v1.SendResult;
import io.tributary.api.v1.SingleMessage;
import io.tributary.broker.metrics.BrokerMetrics;
import io.tributary.broker.topic.PlainPublish;
import io.tributary.broker.topic.Topic;
import io.tributary.broker.topic.TopicService;
import io.tributary.protocol.ErrorReasons;
import io.tributary.protocol.TopicName;
import io.tributary.protocol.TributaryException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Unary {@code Send}: plain messages stored by the topic's owner as one entry it encodes itself
 * ({@link PlainMessages}), through the same topic pipeline as a Publish stream's batch (ownership,
 * backlog quota, deduplication, the log) and the same broker-wide {@link PublishBuffer}.
 *
 * <p>Without a producer name the messages are stored under this broker's own name for Send
 * ({@code <broker id>-send}), numbered after what it stored, so they are unique and never taken for
 * duplicates. With one, sequence ids (given by the client, or numbered after the highest the name
 * stored) are de-duplicated under it: messages whose ids the name stored already are answered
 * {@code duplicate} and not stored again, so a Send retried after a lost response stores nothing twice.
 *
 * <p>A message too large to be stored even alone gets its own MESSAGE_TOO_LARGE and the others are
 * stored. The messages stored form one entry, except where such a refused message splits a run of
 * client sequence ids: an entry numbers its messages consecutively, so each side goes into an entry
 * of its own.
 */
public final class SendHandler {
    private final TopicService topics;
    private final String brokerName;
    private final int maxMessageSize;
    private final int maxSendMessages;
    private final BrokerMetrics metrics;
    private final PublishBuffer buffer;

    SendHandler(TopicService topics, String brokerId, int maxMessageSize, int maxSendMessages, BrokerMetrics metrics,
                PublishBuffer buffer) {
        this.topics = topics;
        this.brokerName = brokerId + "-send";
        this.maxMessageSize = maxMessageSize;
        this.maxSendMessages = maxSendMessages;
        this.metrics = metrics;
        this.buffer = buffer;
    }

    /** A run of messages (indexes into the request) stored as one entry, with consecutive sequence ids. */
    private record Run(List<Integer> indexes, long firstSequenceId) {}

    CompletableFuture<SendResponse> send(SendRequest req) {
        TopicName name = TopicName.of(req.getTopic());
        int n = req.getMessagesCount();
        PlainMessages.checkCount(n, maxSendMessages, "a Send");
        String producer = req.getProducerName();
        boolean named = !producer.isEmpty();
        long firstSequenceId = checkSequenceIds(req, named);
        String storedAs = named ? producer : brokerName;
        Context call = Context.current();

        long now = System.currentTimeMillis();
        List<SingleMessage> singles = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            singles.add(PlainMessages.toSingle(req.getMessages(i), i, now));
        }
        // a message that cannot be stored even alone gets its own error; the others are stored
        ErrorDetail[] refused = new ErrorDetail[n];
        List<Run> runs = new ArrayList<>();
        List<Integer> run = null;
        for (int i = 0; i < n; i++) {
            SingleMessage m = singles.get(i);
            long alone = PlainMessages.entrySizeBound(storedAs, List.of(m));
            if (alone > maxMessageSize) {
                refused[i] = ErrorReasons.detail(ErrorReason.MESSAGE_TOO_LARGE, "message " + i + " takes " + alone
                        + " bytes as an entry, over the maximum message size of " + maxMessageSize + " bytes; not stored");
                if (firstSequenceId >= 0) {
                    run = null; // the next accepted message starts an entry of its own
                }
                continue;
            }
            if (run == null) {
                run = new ArrayList<>();
                runs.add(new Run(run, firstSequenceId < 0 ? -1 : firstSequenceId + i));
            }
            run.add(i);
        }
        for (Run r : runs) {
            long size = PlainMessages.entrySizeBound(storedAs, r.indexes().stream().map(singles::get).toList());
            if (size > maxMessageSize) {
                throw new TributaryException(ErrorReason.MESSAGE_TOO_LARGE, "messages " + r.indexes().get(0) + " to "
                        + r.indexes().get(r.indexes().size() - 1) + " of this Send (those not too large alone) take up to "
                        + size + " bytes together as one entry, over the maximum message size of " + maxMessageSize
                        + " bytes; nothing was stored: send fewer messages per call");
            }
        }
        if (runs.isEmpty()) {
            return topics.topic(name, true).thenApply(t -> answer(refused, List.of(), List.of(), t));
        }
        int bytes = req.getSerializedSize();
        CompletableFuture<Void> room = new CompletableFuture<>();
        if (buffer.roomOrWait(() -> room.complete(null))) {
            room.complete(null);
        }
        return room.thenCompose(v -> {
            buffer.add(bytes);
            long arrived = System.nanoTime();
            CompletableFuture<SendResponse> done = topics.topic(name, true).thenCompose(t -> {
                if (named && t.hasProducer(producer)) {
                    throw new TributaryException(ErrorReason.PRODUCER_BUSY, "producer " + producer
                            + " is connected to topic " + name + " by a Publish stream; a Send cannot use its name");
                }
                for (Run r : runs) {
                    // the namespace's max_message_size_bytes, when it is below the broker's checked above
                    long size = PlainMessages.entrySizeBound(storedAs, r.indexes().stream().map(singles::get).toList());
                    String tooLarge = t.limits().messageTooLarge(size);
                    if (tooLarge != null) {
                        throw new TributaryException(ErrorReason.MESSAGE_TOO_LARGE, "messages " + r.indexes().get(0) + " to "
                                + r.indexes().get(r.indexes().size() - 1) + " of this Send take up to " + size
                                + " bytes as one entry: " + tooLarge + "; nothing was stored");
                    }
                }
                // over the publish rate limit: the storing waits for tokens, within the call's deadline
                return t.limits().rates().publishAllowed(storedAs, t.scheduler(), call::isCancelled)
                        .thenCompose(allowed -> storeRuns(t, storedAs, runs, singles, 0, new ArrayList<>(), now))
                        .thenApply(results -> {
                            if (results.stream().anyMatch(x -> x instanceof PlainPublish.Result p && p.position() != null)) {
                                metrics.publishLatency.observe((System.nanoTime() - arrived) / 1e9);
                            }
                            return answer(refused, runs, results, t);
                        });
            });
            done.whenComplete((r, e) -> buffer.release(bytes));
            return done;
        });
    }

    /**
     * The first sequence id the client gave (every message has one, each one more than the one
     * before), or -1 when none has one; refuses any other mix with INVALID_REQUEST naming the rule.
     */
    public static long checkSequenceIds(SendRequest req, boolean named) {
        int n = req.getMessagesCount();
        int with = 0;
        for (PlainMessage m : req.getMessagesList()) {
            if (m.hasSequenceId()) {
                with++;
            }
        }
        if (with == 0) {
            return -1;
        }
        if (!named) {
            throw new TributaryException(ErrorReason.INVALID_REQUEST,
                    "sequence ids need a producer_name: they are de-duplicated under it");
        }
        if (with != n) {
            throw new TributaryException(ErrorReason.INVALID_REQUEST, "either every message of a Send has a sequence_id"
                    + " or none has; " + with + " of " + n + " have one");
        }
        long first = req.getMessages(0).getSequenceId();
        if (first < 0 || first > Long.MAX_VALUE - n) {
            throw new TributaryException(ErrorReason.INVALID_REQUEST, "sequence_id " + first
                    + " is out of range: sequence ids are at least 0 and must not overflow");
        }
        for (int i = 1; i < n; i++) {
            long seq = req.getMessages(i).getSequenceId();
            if (seq != first + i) {
                throw new TributaryException(ErrorReason.INVALID_REQUEST, "sequence ids must increase by one from message"
                        + " to message: message " + i + " has " + seq + ", expected " + (first + i));
            }
        }
        return first;
    }

    /**
     * Stores the runs one after the other (each one entry). The first run's failure fails the call
     * (nothing was stored: the client may retry it as a whole); a later run's failure is answered on
     * its messages and those after it, as the earlier ones are stored.
     */
    private CompletableFuture<List<Object>> storeRuns(Topic t, String storedAs, List<Run> runs, List<SingleMessage> singles,
                                                     int from, List<Object> results, long now) {
        if (from == runs.size()) {
            return CompletableFuture.completedFuture(results);
        }
        Run r = runs.get(from);
        List<SingleMessage> messages = r.indexes().stream().map(singles::get).toList();
        AtomicInteger entryBytes = new AtomicInteger();
        return t.publishPlain(storedAs, r.firstSequenceId(), messages.size(), (first, skip) -> {
            byte[] entry = PlainMessages.encode(storedAs, first, messages.subList(skip, messages.size()), now);
            entryBytes.set(entry.length);
            return entry;
        }).handle((p, e) -> {
            if (e != null) {
                if (from == 0) {
                    throw e instanceof CompletionException ce ? ce : new CompletionException(e);
                }
                for (int i = from; i < runs.size(); i++) {
                    results.add(Errors.detailOf(e));
                }
                return CompletableFuture.completedFuture(results);
            }
            if (p.position() != null) {
                t.limits().rates().chargePublish(messages.size() - p.skipped(), entryBytes.get());
                metrics.messagesIn.inc(messages.size() - p.skipped());
                metrics.bytesIn.inc(entryBytes.get());
            }
            results.add(p);
            return storeRuns(t, storedAs, runs, singles, from + 1, results, now);
        }).thenCompose(f -> f);
    }

    /** One result per message of the request, in order. */
    private static SendResponse answer(ErrorDetail[] refused, List<Run> runs, List<Object> results, Topic t) {
        SendResult[] out = new SendResult[refused.length];
        for (int i = 0; i < refused.length; i++) {
            if (refused[i] != null) {
                out[i] = SendResult.newBuilder().setError(refused[i]).build();
            }
        }
        for (int k = 0; k < runs.size(); k++) {
            List<Integer> indexes = runs.get(k).indexes();
            Object result = results.get(k);
            if (result instanceof ErrorDetail error) {
                for (int i : indexes) {
                    out[i] = SendResult.newBuilder().setError(error).build();
                }
                continue;
            }
            PlainPublish.Result p = (PlainPublish.Result) result;
            int stored = indexes.size() - p.skipped();
            for (int j = 0; j < indexes.size(); j++) {
                SendResult.Builder b = SendResult.newBuilder().setSequenceId(p.firstSequenceId() + j);
                if (j < p.skipped()) {
                    b.setDuplicate(true);
                } else {
                    b.setMessageId(MessageId.newBuilder().setLedgerId(p.position().ledgerId())
                            .setEntryId(p.position().entryId()).setBatchIndex(j - p.skipped()).setBatchSize(stored)
                            .setPartition(t.name().partitionIndex()));
                }
                out[indexes.get(j)] = b.build();
            }
        }
        return SendResponse.newBuilder().addAllResults(List.of(out)).build();
    }
}
