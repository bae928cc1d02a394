package io.tributary.broker.transaction;

import io.tributary.api.v1.BeginTransactionRequest;
import io.tributary.api.v1.BeginTransactionResponse;
import io.tributary.api.v1.EndTransactionResponse;
import io.tributary.api.v1.ErrorReason;
import io.tributary.api.v1.ListTransactionsResponse;
import io.tributary.api.v1.PlainMessage;
import io.tributary.api.v1.SendRequest;
import io.tributary.api.v1.SendResponse;
import io.tributary.api.v1.SendResult;
import io.tributary.api.v1.TransactionInfo;
import io.tributary.api.v1.TransactionResolution;
import io.tributary.api.v1.TransactionState;
import io.tributary.broker.TransactionSettings;
import io.tributary.broker.metrics.BrokerMetrics;
import io.tributary.broker.service.PlainMessages;
import io.tributary.broker.service.SendHandler;
import io.tributary.broker.topic.Topic;
import io.tributary.internal.v1.TransactionBegin;
import io.tributary.internal.v1.TransactionDecision;
import io.tributary.internal.v1.TransactionFinished;
import io.tributary.internal.v1.TransactionMessages;
import io.tributary.internal.v1.TransactionRecord;
import io.tributary.protocol.ErrorReasons;
import io.tributary.protocol.TopicName;
import io.tributary.protocol.TributaryException;
import io.tributary.storage.cursor.ManagedCursor;
import io.tributary.storage.log.LogEntry;
import io.tributary.storage.log.Position;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The transaction coordinator: the state of every transaction of one transaction log, kept by the broker that
 * owns the log (a topic of the system namespace, so it moves and fails over with its bundle like any topic).
 *
 * <p>Every change is a record appended to the log before it is acted on: begin, each Send's messages (the half
 * messages themselves: they live in the log, where no subscription of the target topics can see them), the
 * decision, and finished. A commit's messages are then stored on each of its topics as one entry through the
 * topic's owner under the coordinator's producer name, with sequence ids numbered from the decision's
 * {@code first_apply_sequence}: a coordinator that takes the log over replays the records, applies each decided
 * transaction again, and the topics' de-duplication stores nothing twice. Applies to one topic go in commit order.
 * Once every topic has a commit (or at once for a rollback) the transaction is finished and its records are
 * acknowledged on the coordinator's cursor, so retention reclaims them; the decision of the latest commit stays
 * unacknowledged until the next commit's is stored, so its apply sequence is never lost to a trim.
 *
 * <p>All state lives on the log's thread ({@link Topic#executor()}).
 */
final class TransactionCoordinator {
    private static final Logger LOG = LoggerFactory.getLogger(TransactionCoordinator.class);
    /** Outcomes remembered after a transaction finished, to answer a repeated end the same. */
    static final int REMEMBERED_ENDS = 10_000;
    static final int MAX_PROPERTIES = 32;
    static final int MAX_PROPERTY_BYTES = 4096;
    private static final int REPLAY_BATCH = 200;

    /** How a finished transaction ended. */
    record Ended(TransactionResolution decision, String decidedBy, int messages) {}

    private final Topic log;
    private final ManagedCursor cursor;
    private final TransactionSettings settings;
    private final BrokerMetrics metrics;
    private final CommitApplication applies;
    private final CheckStreams checks;
    private final ExecutorService executor;
    private final Map<String, Txn> txns = new LinkedHashMap<>();
    private final LinkedHashMap<String, Ended> ended = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Ended> eldest) {
            return size() > REMEMBERED_ENDS;
        }
    };
    private long nextApplySequence;
    /** Bytes of messages of the transactions not finished, all held here until applied. */
    private long heldBytes;
    /** The latest commit's decision record: kept unacknowledged (it carries the apply sequence). */
    private Position latestCommitDecision;
    private ScheduledFuture<?> ticker;
    private volatile boolean closed;

    TransactionCoordinator(Topic log, ManagedCursor cursor, TransactionSettings settings, BrokerMetrics metrics,
                           CommitApplier applier, CheckStreams checks) {
        this.log = log;
        this.cursor = cursor;
        this.settings = settings;
        this.metrics = metrics;
        this.applies = new CommitApplication(applier, log.executor(), this::isClosed);
        this.checks = checks;
        this.executor = log.executor();
    }

    boolean isClosed() {
        return closed || log.isClosing();
    }

    // ---------------------------------------------------------------- start and stop

    /** Replays the log from the cursor, resumes the decided transactions and starts the check-back timer. */
    CompletableFuture<TransactionCoordinator> start() {
        return on(() -> replay(cursor.firstUnacknowledged())).thenCompose(f -> f).thenApplyAsync(v -> {
            LOG.info("transaction coordinator on {}: {} transactions not finished, next apply sequence {}", log.name(),
                    txns.size(), nextApplySequence);
            // in decision order: a topic must take commits in the order of their apply sequences
            List<Txn> decided = txns.values().stream().filter(t -> !t.isOpen())
                    .sorted(java.util.Comparator.comparing((Txn t) -> t.decisionRecord)).toList();
            for (Txn t : decided) {
                t.decided = CompletableFuture.completedFuture(null);
                act(t);
            }
            updateOpenGauge();
            ticker = log.scheduler().scheduleWithFixedDelay(() -> executor.execute(this::tick), 200, 200,
                    TimeUnit.MILLISECONDS);
            return this;
        }, executor);
    }

    void close() {
        closed = true;
        if (ticker != null) {
            ticker.cancel(false);
        }
        metrics.transactionsOpen.set(0);
    }

    private CompletableFuture<Void> replay(Position from) {
        return log.log().readAsync(from, REPLAY_BATCH).thenComposeAsync(entries -> {
            if (entries.isEmpty()) {
                return CompletableFuture.completedFuture(null);
            }
            for (LogEntry e : entries) {
                if (!cursor.isAcknowledged(e.position())) {
                    replayOne(e);
                }
            }
            return replay(log.log().nextPosition(entries.get(entries.size() - 1).position()));
        }, executor);
    }

    private void replayOne(LogEntry e) {
        TransactionRecord r;
        try {
            r = TransactionRecords.decode(e.data());
        } catch (com.google.protobuf.InvalidProtocolBufferException ex) {
            LOG.error("transaction log {}: entry {} is not a transaction record; skipped ({})", log.name(), e.position(),
                    ex.getMessage());
            return;
        }
        switch (r.getRecordCase()) {
            case BEGIN -> {
                TransactionBegin b = r.getBegin();
                Txn t = new Txn(TransactionRecords.id(e.position()), b.getBegunMs(), b.getTimeoutMs(), b.getPropertiesMap(),
                        b.getProducerGroup(), b.getRole());
                t.records.add(e.position());
                txns.put(t.id, t);
            }
            case MESSAGES -> {
                TransactionMessages m = r.getMessages();
                Txn t = txns.get(m.getTransactionId());
                if (t != null) {
                    t.records.add(e.position());
                    add(t, m);
                }
            }
            case DECISION -> {
                TransactionDecision d = r.getDecision();
                Txn t = txns.get(d.getTransactionId());
                if (d.getResolution() == TransactionResolution.TRANSACTION_RESOLUTION_COMMIT) {
                    nextApplySequence = Math.max(nextApplySequence, d.getFirstApplySequence() + d.getMessageCount());
                    if (t == null) {
                        // a finished commit whose decision was kept for its apply sequence
                        cursor.acknowledge(e.position());
                    } else {
                        latestCommitDecision = e.position();
                    }
                }
                if (t != null) {
                    t.records.add(e.position());
                    t.decision = d.getResolution();
                    t.decidedBy = d.getDecidedBy();
                    t.firstApplySequence = d.getFirstApplySequence();
                    t.decisionRecord = e.position();
                }
            }
            case FINISHED -> {
                Txn t = txns.remove(r.getFinished().getTransactionId());
                if (t != null) {
                    t.records.add(e.position());
                    finished(t);
                } else {
                    cursor.acknowledge(e.position());
                }
            }
            default -> LOG.warn("transaction log {}: entry {} holds an unknown record; skipped", log.name(), e.position());
        }
    }

    // ---------------------------------------------------------------- begin, send, end

    CompletableFuture<BeginTransactionResponse> begin(BeginTransactionRequest req, String role) {
        long timeout = req.getTimeoutMs() == 0 ? settings.defaultTimeout().toMillis() : req.getTimeoutMs();
        if (timeout < 1000 || timeout > settings.maxTimeout().toMillis()) {
            throw new TributaryException(ErrorReason.INVALID_REQUEST, "timeout_ms must be between 1000 and "
                    + settings.maxTimeout().toMillis() + " (broker.transactionMaxTimeout), or 0 for the default; was "
                    + req.getTimeoutMs());
        }
        checkProperties(req.getPropertiesMap());
        return onCompose(() -> {
            if (txns.size() >= settings.maxOpen()) {
                throw new TributaryException(ErrorReason.TRANSACTION_LIMIT_EXCEEDED, "the coordinator holds "
                        + txns.size() + " transactions not finished, its most (broker.maxOpenTransactions): end some first");
            }
            long now = System.currentTimeMillis();
            TransactionBegin b = TransactionBegin.newBuilder().setBegunMs(now).setTimeoutMs(timeout)
                    .setProducerGroup(req.getProducerGroup()).putAllProperties(req.getPropertiesMap())
                    .setRole(role == null ? "" : role).build();
            return append(TransactionRecord.newBuilder().setBegin(b).build()).thenApplyAsync(p -> {
                Txn t = new Txn(TransactionRecords.id(p), now, timeout, b.getPropertiesMap(), b.getProducerGroup(), b.getRole());
                t.records.add(p);
                txns.put(t.id, t);
                updateOpenGauge();
                return BeginTransactionResponse.newBuilder().setTransactionId(t.id).setTimeoutMs(timeout).build();
            }, executor);
        });
    }

    private static void checkProperties(Map<String, String> properties) {
        if (properties.size() > MAX_PROPERTIES) {
            throw new TributaryException(ErrorReason.INVALID_REQUEST, "a transaction takes at most " + MAX_PROPERTIES
                    + " properties, not " + properties.size());
        }
        long bytes = properties.entrySet().stream().mapToLong(e -> e.getKey().length() + e.getValue().length()).sum();
        if (bytes > MAX_PROPERTY_BYTES) {
            throw new TributaryException(ErrorReason.INVALID_REQUEST, "a transaction's properties take at most "
                    + MAX_PROPERTY_BYTES + " characters in all, not " + bytes);
        }
    }

    /**
     * Stores a Send's messages in the transaction (durably, invisible): answers each message's sequence id, or
     * duplicate for ids its producer name stored in this transaction already.
     */
    CompletableFuture<SendResponse> send(SendRequest req, String role, int maxEntrySize, int maxMessages) {
        String id = TransactionRecords.checkId(req.getTransactionId());
        TopicName topic = TopicName.of(req.getTopic());
        if (TransactionCoordinators.isReservedProducer(req.getProducerName())) {
            throw new TributaryException(ErrorReason.INVALID_REQUEST, "producer names starting with "
                    + TransactionCoordinators.RESERVED_PRODUCER_PREFIX + " are the brokers' own");
        }
        long now = System.currentTimeMillis();
        for (int i = 0; i < req.getMessagesCount(); i++) {
            PlainMessages.toSingle(req.getMessages(i), i, now); // refuses a negative delivery time
        }
        // all or none numbered, by one from message to message, under a producer name: as any Send
        long first = SendHandler.checkSequenceIds(req, !req.getProducerName().isEmpty());
        return onCompose(() -> {
            Txn t = open(id, role);
            String producer = req.getProducerName();
            int skip = 0;
            if (first >= 0 && !producer.isEmpty()) {
                Long stored = t.sequences.get(Txn.sequenceKey(topic.toString(), producer));
                if (stored != null && first <= stored) {
                    skip = (int) Math.min(req.getMessagesCount(), stored - first + 1);
                }
            }
            List<PlainMessage> fresh = req.getMessagesList().subList(skip, req.getMessagesCount());
            int skipped = skip;
            if (fresh.isEmpty()) {
                return CompletableFuture.completedFuture(answer(req, first, skipped));
            }
            long bytes = fresh.stream().mapToLong(PlainMessage::getSerializedSize).sum();
            if (heldBytes + bytes > settings.maxHeldBytes()) {
                throw new TributaryException(ErrorReason.TRANSACTION_LIMIT_EXCEEDED, "the coordinator holds " + heldBytes
                        + " bytes of messages of unfinished transactions; " + bytes + " more would pass its limit of "
                        + settings.maxHeldBytes() + " (broker.transactionBufferBytes): end transactions first");
            }
            if (t.bytes + bytes > settings.maxBytes()) {
                throw new TributaryException(ErrorReason.TRANSACTION_LIMIT_EXCEEDED, "transaction " + id + " would hold "
                        + (t.bytes + bytes) + " bytes of messages, over its limit of " + settings.maxBytes()
                        + " (broker.transactionMaxBytes)");
            }
            List<PlainMessage> already = t.byTopic.getOrDefault(topic.toString(), List.of());
            if (already.size() + fresh.size() > maxMessages) {
                throw new TributaryException(ErrorReason.TRANSACTION_LIMIT_EXCEEDED, "transaction " + id + " would hold "
                        + (already.size() + fresh.size()) + " messages for topic " + topic + ", over the " + maxMessages
                        + " one commit stores on a topic as one entry (broker.maxSendMessages)");
            }
            List<PlainMessage> all = new ArrayList<>(already);
            all.addAll(fresh);
            long entry = PlainMessages.entrySizeBound(TransactionRecords.APPLY_PRODUCER,
                    all.stream().map(m -> PlainMessages.toSingle(m, 0, now)).toList());
            if (entry > maxEntrySize) {
                throw new TributaryException(ErrorReason.TRANSACTION_LIMIT_EXCEEDED, "transaction " + id + "'s messages for"
                        + " topic " + topic + " would take " + entry + " bytes as the one entry its commit stores there, over"
                        + " the maximum message size of " + maxEntrySize + " bytes");
            }
            TransactionMessages.Builder m = TransactionMessages.newBuilder().setTransactionId(id).setTopic(topic.toString())
                    .setProducerName(producer).setFirstSequenceId(first < 0 ? -1 : first + skipped)
                    .setProducerGroup(req.getProducerGroup());
            fresh.forEach(pm -> m.addMessages(pm.toBuilder().clearSequenceId()));
            TransactionMessages record = m.build();
            // counted at once: an end after this Send waits for its append, which the log stores first
            add(t, record);
            CompletableFuture<Position> stored = append(TransactionRecord.newBuilder().setMessages(record).build());
            return stored.thenApplyAsync(p -> {
                t.records.add(p);
                return answer(req, first, skipped);
            }, executor);
        });
    }

    private void add(Txn t, TransactionMessages m) {
        heldBytes += t.add(m);
    }

    private static SendResponse answer(SendRequest req, long first, int skipped) {
        SendResponse.Builder out = SendResponse.newBuilder();
        for (int i = 0; i < req.getMessagesCount(); i++) {
            SendResult.Builder r = SendResult.newBuilder();
            if (first >= 0) {
                r.setSequenceId(first + i);
            }
            out.addResults(r.setDuplicate(i < skipped));
        }
        return out.build();
    }

    /** The open transaction; TRANSACTION_ENDED, TRANSACTION_NOT_FOUND or NOT_AUTHORIZED if it cannot take more. */
    private Txn open(String id, String role) {
        Txn t = txns.get(id);
        if (t == null) {
            Ended e = ended.get(id);
            if (e != null) {
                throw ended(id, e.decision(), e.decidedBy());
            }
            throw notFound(id);
        }
        checkRole(t, role);
        if (!t.isOpen()) {
            throw ended(id, t.decision, t.decidedBy);
        }
        return t;
    }

    private static void checkRole(Txn t, String role) {
        if (role != null && !t.role.isEmpty() && !t.role.equals(role)) {
            throw new TributaryException(ErrorReason.NOT_AUTHORIZED, "transaction " + t.id + " was begun by another role");
        }
    }

    private static TributaryException notFound(String id) {
        return new TributaryException(ErrorReason.TRANSACTION_NOT_FOUND, "transaction " + id
                + " is not known: it never began, or it ended long ago");
    }

    private static TributaryException ended(String id, TransactionResolution decision, String by) {
        return new TributaryException(ErrorReason.TRANSACTION_ENDED, "transaction " + id + " was "
                + (decision == TransactionResolution.TRANSACTION_RESOLUTION_COMMIT ? "committed" : "rolled back")
                + " by " + by);
    }

    /**
     * Commits or rolls back: answered once the decision is durable and applied on every topic (a commit's
     * messages are then visible everywhere). The same end again answers the same; the other end of a decided
     * transaction is refused.
     */
    CompletableFuture<EndTransactionResponse> end(String id, TransactionResolution resolution, String decidedBy,
                                                  String role) {
        TransactionRecords.checkId(id);
        if (resolution != TransactionResolution.TRANSACTION_RESOLUTION_COMMIT
                && resolution != TransactionResolution.TRANSACTION_RESOLUTION_ROLLBACK) {
            throw new TributaryException(ErrorReason.INVALID_REQUEST, "resolution must be TRANSACTION_RESOLUTION_COMMIT or"
                    + " TRANSACTION_RESOLUTION_ROLLBACK");
        }
        return onCompose(() -> {
            Txn t = txns.get(id);
            if (t == null) {
                Ended e = ended.get(id);
                if (e == null) {
                    throw notFound(id);
                }
                if (e.decision() != resolution) {
                    throw ended(id, e.decision(), e.decidedBy());
                }
                return CompletableFuture.completedFuture(response(e.decision(), e.messages()));
            }
            checkRole(t, role);
            if (!t.isOpen()) {
                if (t.decision != resolution) {
                    throw ended(id, t.decision, t.decidedBy);
                }
                return t.applied.thenApply(v -> response(t.decision, t.messages));
            }
            return decide(t, resolution, decidedBy).thenCompose(v -> t.applied).thenApply(v -> response(t.decision, t.messages));
        });
    }

    private static EndTransactionResponse response(TransactionResolution decision, int messages) {
        return EndTransactionResponse.newBuilder().setState(decision == TransactionResolution.TRANSACTION_RESOLUTION_COMMIT
                ? TransactionState.TRANSACTION_STATE_COMMITTED : TransactionState.TRANSACTION_STATE_ROLLED_BACK)
                .setMessageCount(messages).build();
    }

    /** Records the decision (on the log's thread), then applies it. */
    private CompletableFuture<Void> decide(Txn t, TransactionResolution resolution, String decidedBy) {
        t.decision = resolution;
        t.decidedBy = decidedBy;
        boolean commit = resolution == TransactionResolution.TRANSACTION_RESOLUTION_COMMIT;
        if (commit) {
            t.firstApplySequence = nextApplySequence;
            nextApplySequence += t.messages;
        }
        TransactionDecision d = TransactionDecision.newBuilder().setTransactionId(t.id).setResolution(resolution)
                .setDecidedBy(decidedBy).setFirstApplySequence(t.firstApplySequence).setMessageCount(t.messages)
                .setDecidedMs(System.currentTimeMillis()).build();
        LOG.info("transaction {}: {} by {} ({} messages on {} topics)", t.id, commit ? "committing" : "rolling back",
                decidedBy, t.messages, t.byTopic.size());
        t.decided = append(TransactionRecord.newBuilder().setDecision(d).build()).thenAcceptAsync(p -> {
            t.records.add(p);
            t.decisionRecord = p;
            if (commit) {
                metrics.transactionsCommitted.inc();
                Position previous = latestCommitDecision;
                latestCommitDecision = p;
                if (previous != null && !decisionOfUnfinished(previous)) {
                    cursor.acknowledge(previous);
                }
            } else {
                metrics.transactionsRolledBack.inc();
            }
            updateOpenGauge();
            act(t);
        }, executor);
        return t.decided;
    }

    private boolean decisionOfUnfinished(Position p) {
        return txns.values().stream().anyMatch(t -> p.equals(t.decisionRecord));
    }

    /** A decided transaction: a commit is applied to each of its topics, then it is finished; a rollback is finished. */
    private void act(Txn t) {
        if (t.decision == TransactionResolution.TRANSACTION_RESOLUTION_ROLLBACK || t.byTopic.isEmpty()) {
            t.applied.complete(null);
            finish(t);
            return;
        }
        applies.apply(t).whenCompleteAsync((v, err) -> {
            if (err == null) {
                t.applied.complete(null);
                finish(t);
            } else {
                // the coordinator stopped (moved): its next owner applies it; a waiting end is asked again
                t.applied.completeExceptionally(err);
            }
        }, executor);
    }

    /** Appends the finished record, then acknowledges all the transaction's records. */
    private void finish(Txn t) {
        if (isClosed()) {
            return;
        }
        append(TransactionRecord.newBuilder().setFinished(TransactionFinished.newBuilder().setTransactionId(t.id)).build())
                .thenAcceptAsync(p -> {
                    t.records.add(p);
                    txns.remove(t.id);
                    finished(t);
                    updateOpenGauge();
                }, executor);
    }

    private void finished(Txn t) {
        heldBytes -= t.bytes;
        ended.put(t.id, new Ended(t.decision, t.decidedBy, t.messages));
        for (Position p : t.records) {
            if (!p.equals(latestCommitDecision)) {
                cursor.acknowledge(p);
            }
        }
    }

    // ---------------------------------------------------------------- check-back

    /** Every 200 ms: each open transaction past its timeout is checked back, then ended with the default outcome. */
    private void tick() {
        if (isClosed()) {
            close();
            checks.closeAll(ErrorReason.BUNDLE_MOVING, "the transaction coordinator moved; open the stream again");
            return;
        }
        long now = System.currentTimeMillis();
        for (Txn t : List.copyOf(txns.values())) {
            if (!t.isOpen() || now < t.nextCheckMs) {
                continue;
            }
            if (t.checks >= settings.maxChecks()) {
                TransactionResolution outcome = settings.commitByDefault()
                        ? TransactionResolution.TRANSACTION_RESOLUTION_COMMIT : TransactionResolution.TRANSACTION_RESOLUTION_ROLLBACK;
                LOG.warn("transaction {}: no commit or rollback after {} check-backs; {} (broker.transactionDefaultOutcome)",
                        t.id, t.checks, settings.commitByDefault() ? "committing" : "rolling back");
                metrics.transactionsTimedOut.inc();
                decide(t, outcome, "timeout after " + t.checks + " check-backs");
                continue;
            }
            t.checks++;
            long wait = settings.checkInterval().toMillis() * Math.min(8, 1L << Math.min(3, t.checks - 1));
            t.nextCheckMs = now + wait;
            metrics.transactionChecks.inc();
            if (!checks.ask(t.group, t.role, t.check())) {
                LOG.info("transaction {}: check-back {} due, but no producer of group '{}' is connected", t.id, t.checks,
                        t.group);
            }
        }
    }

    /** A producer's answer to a check: commit or roll back now; unknown waits for the next check. */
    void answered(String id, TransactionResolution resolution, String role) {
        if (resolution == TransactionResolution.TRANSACTION_RESOLUTION_UNSPECIFIED) {
            return;
        }
        executor.execute(() -> {
            Txn t = txns.get(id);
            if (t == null || !t.isOpen() || (role != null && !t.role.isEmpty() && !t.role.equals(role))) {
                return;
            }
            decide(t, resolution, "check-back");
        });
    }

    // ---------------------------------------------------------------- admin

    /** The first {@code limit} transactions not finished, oldest first, and how many there are. */
    CompletableFuture<ListTransactionsResponse> list(int limit) {
        return on(() -> {
            long now = System.currentTimeMillis();
            ListTransactionsResponse.Builder r = ListTransactionsResponse.newBuilder().setTotal(txns.size());
            txns.values().stream().limit(limit).forEach(t -> r.addTransactions(TransactionInfo.newBuilder()
                    .setTransactionId(t.id).setState(t.state()).setBegunMs(t.begunMs).setAgeMs(now - t.begunMs)
                    .setTimeoutMs(t.timeoutMs).setProducerGroup(t.group).addAllTopics(t.byTopic.keySet())
                    .setMessageCount(t.messages).setBytes(t.bytes).setChecks(t.checks)
                    .setDecidedBy(t.decidedBy == null ? "" : t.decidedBy).putAllProperties(t.properties)));
            return r.build();
        });
    }

    // ---------------------------------------------------------------- helpers

    private CompletableFuture<Position> append(TransactionRecord record) {
        long now = System.currentTimeMillis();
        return log.publishPlain(TransactionRecords.PRODUCER, -1, 1, (first, skip) -> TransactionRecords.encode(record, first, now))
                .thenApply(r -> r.position())
                .whenComplete((p, e) -> {
                    if (e != null) {
                        // what the log holds is no longer what this coordinator knows: give it up, the next owner replays
                        LOG.error("transaction log {}: a record could not be stored ({}); the coordinator stops",
                                log.name(), ErrorReasons.unwrap(e).toString());
                        closed = true;
                    }
                });
    }

    private void updateOpenGauge() {
        metrics.transactionsOpen.set(txns.values().stream().filter(Txn::isOpen).count());
    }

    private <T> CompletableFuture<T> on(java.util.function.Supplier<T> task) {
        return CompletableFuture.supplyAsync(task, executor);
    }

    private <T> CompletableFuture<T> onCompose(java.util.function.Supplier<CompletableFuture<T>> task) {
        return CompletableFuture.supplyAsync(() -> {
            if (isClosed()) {
                throw new TributaryException(ErrorReason.BUNDLE_MOVING, "the transaction coordinator is moving; retry");
            }
            return task.get();
        }, executor).thenCompose(f -> f);
    }
}
