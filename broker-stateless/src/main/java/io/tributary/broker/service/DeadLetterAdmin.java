package io.tributary.broker.service;

import io.tributary.api.v1.DeadLetter;
import io.tributary.api.v1.DeadLetterTopic;
import io.tributary.api.v1.ErrorDetail;
import io.tributary.api.v1.ErrorReason;
import io.tributary.api.v1.InitialPosition;
import io.tributary.api.v1.ListDeadLettersRequest;
import io.tributary.api.v1.ListDeadLettersResponse;
import io.tributary.api.v1.MessageId;
import io.tributary.api.v1.PeekDeadLettersRequest;
import io.tributary.api.v1.PeekDeadLettersResponse;
import io.tributary.api.v1.PlainMessage;
import io.tributary.api.v1.PurgeDeadLettersRequest;
import io.tributary.api.v1.PurgeDeadLettersResponse;
import io.tributary.api.v1.RedriveDeadLettersRequest;
import io.tributary.api.v1.RedriveDeadLettersResponse;
import io.tributary.api.v1.SendRequest;
import io.tributary.api.v1.SubscriptionStats;
import io.tributary.broker.cluster.BrokerClients;
import io.tributary.broker.dispatch.Subscription;
import io.tributary.broker.namespace.NamespaceService;
import io.tributary.broker.ownership.OwnershipService;
import io.tributary.broker.topic.Topic;
import io.tributary.broker.topic.TopicService;
import io.tributary.internal.v1.DescribeDeadLettersRequest;
import io.tributary.protocol.DeadLetters;
import io.tributary.protocol.ErrorReasons;
import io.tributary.protocol.SubscriptionName;
import io.tributary.protocol.TopicName;
import io.tributary.protocol.TributaryException;
import io.tributary.storage.cursor.ManagedCursor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The dead-letter admin calls (docs/administration.md, "Dead letters"): a dead-letter topic keeps
 * what consumers gave up on under its dead-letter subscription ({@link DeadLetters#SUBSCRIPTION});
 * list, peek, redrive and purge work on what that subscription still holds. Peek, redrive and purge
 * run on the dead-letter topic's owner (one redrive or purge at a time per topic); listing runs on
 * any broker, which asks each dead-letter topic's owner.
 */
public final class DeadLetterAdmin {
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(30);
    private static final int MAX_PEEK = 1000;
    private static final int MAX_REDRIVE = 10_000;
    private static final int MAX_RATE = 10_000;

    private final TopicService topics;
    private final NamespaceService namespaces;
    private final OwnershipService ownership;
    private final BrokerClients brokers;
    private final OwnerSend owners;
    private final int maxEntrySize;
    /** The last redrive or purge of each dead-letter topic: the next waits for it. */
    private final Map<String, CompletableFuture<?>> running = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> redriven = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> purged = new ConcurrentHashMap<>();

    public DeadLetterAdmin(TopicService topics, NamespaceService namespaces, OwnershipService ownership,
                           BrokerClients brokers, MessagingServiceImpl messaging, int maxEntrySize) {
        this.topics = topics;
        this.namespaces = namespaces;
        this.ownership = ownership;
        this.brokers = brokers;
        this.owners = new OwnerSend(namespaces, ownership, brokers, messaging);
        this.maxEntrySize = maxEntrySize;
    }

    // ---------------------------------------------------------------- list

    CompletableFuture<ListDeadLettersResponse> list(ListDeadLettersRequest req) {
        String namespace;
        String prefix;
        if (req.getScopeCase() == ListDeadLettersRequest.ScopeCase.NAMESPACE) {
            namespace = TopicName.namespaceOf(req.getNamespace());
            if (!req.getSubscription().isEmpty()) {
                throw new TributaryException(ErrorReason.INVALID_REQUEST, "subscription goes with topic, not namespace");
            }
            prefix = namespace + "/";
        } else if (req.getScopeCase() == ListDeadLettersRequest.ScopeCase.TOPIC) {
            TopicName t = TopicName.of(req.getTopic());
            namespace = t.namespace();
            prefix = t + "-" + (req.getSubscription().isEmpty() ? "" : SubscriptionName.check(req.getSubscription())
                    + DeadLetters.TOPIC_SUFFIX);
        } else {
            throw new TributaryException(ErrorReason.INVALID_REQUEST, "namespace or topic is required");
        }
        return topics.listTopics(namespace).thenCompose(names -> {
            List<CompletableFuture<DeadLetterTopic>> each = names.stream()
                    .filter(n -> n.startsWith(prefix) && n.endsWith(DeadLetters.TOPIC_SUFFIX))
                    .map(n -> describeAnywhere(TopicName.of(n))).toList();
            return CompletableFuture.allOf(each.toArray(CompletableFuture[]::new)).handle((v, e) -> {
                ListDeadLettersResponse.Builder out = ListDeadLettersResponse.newBuilder();
                for (CompletableFuture<DeadLetterTopic> f : each) {
                    if (!f.isCompletedExceptionally()) {
                        out.addTopics(f.join());
                        continue;
                    }
                    ErrorDetail why = ErrorReasons.detailOf(f.handle((x, err) -> err).join());
                    // a -DLQ topic without the dead-letter subscription is not one; anything else is the caller's to know
                    if (why.getReason() != ErrorReason.SUBSCRIPTION_NOT_FOUND && why.getReason() != ErrorReason.TOPIC_NOT_FOUND) {
                        throw new TributaryException(why, null);
                    }
                }
                return out.build();
            });
        });
    }

    /** The counts of a dead-letter topic, from its owner (this broker or another). */
    private CompletableFuture<DeadLetterTopic> describeAnywhere(TopicName dlq) {
        return namespaces.bundleOf(dlq).thenCompose(ownership::lookup).thenCompose(owner -> owner.brokerId()
                .equals(ownership.brokerId()) ? describe(dlq.toString())
                : brokers.control(owner.brokerId(), CALL_TIMEOUT, stub -> stub.describeDeadLetters(
                        DescribeDeadLettersRequest.newBuilder().setTopic(dlq.toString()).build())));
    }

    /** The counts of a dead-letter topic this broker owns. */
    CompletableFuture<DeadLetterTopic> describe(String topic) {
        TopicName name = TopicName.of(topic);
        return held(name).thenCompose(h -> CompletableFuture.supplyAsync(() -> h.subscription().stats(), h.topic().executor())
                .thenCompose(stats -> new DeadLetterScan(h.topic(), h.subscription(), maxEntrySize).page(null, 1)
                        .thenCompose(first -> newestPublishTime(h.topic(), stats).thenApply(newest -> {
                            DeadLetterTopic.Builder d = DeadLetterTopic.newBuilder().setTopic(name.toString())
                                    .setMessages(stats.getMsgBacklog()).setBytes(stats.getBacklogBytes())
                                    .setOldestPublishTimeMs(stats.getOldestBacklogPublishTimeMs())
                                    .setNewestPublishTimeMs(newest)
                                    .setRedrivenTotal(counter(redriven, topic).get())
                                    .setPurgedTotal(counter(purged, topic).get());
                            if (!first.messages().isEmpty()) {
                                DeadLetter m = first.messages().get(0);
                                d.setOriginalTopic(m.getOriginalTopic()).setOriginalSubscription(m.getOriginalSubscription());
                                if (d.getOldestPublishTimeMs() == 0) {
                                    d.setOldestPublishTimeMs(m.getPublishTimeMs());
                                }
                            }
                            return d.build();
                        }))));
    }

    /** The publish time of the topic's last entry when the subscription holds anything, else 0. */
    private static CompletableFuture<Long> newestPublishTime(Topic t, SubscriptionStats stats) {
        if (stats.getMsgBacklog() == 0) {
            return CompletableFuture.completedFuture(0L);
        }
        return t.log().readAsync(t.log().lastConfirmed(), 1).thenApply(entries -> entries.isEmpty() ? 0L
                : io.tributary.protocol.EntryCodec.header(entries.get(0).data()).getPublishTimeMs());
    }

    // ---------------------------------------------------------------- peek

    CompletableFuture<PeekDeadLettersResponse> peek(PeekDeadLettersRequest req) {
        int max = bounded("max_messages", req.getMaxMessages(), 10, MAX_PEEK);
        TopicName name = TopicName.of(req.getTopic());
        return held(name).thenCompose(h -> {
            MessageId after = req.hasAfter() ? checked(h.subscription(), req.getAfter()) : null;
            return new DeadLetterScan(h.topic(), h.subscription(), maxEntrySize).page(after, max);
        }).thenApply(page -> PeekDeadLettersResponse.newBuilder().addAllMessages(page.messages()).setMore(page.more()).build());
    }

    // ---------------------------------------------------------------- redrive

    CompletableFuture<RedriveDeadLettersResponse> redrive(RedriveDeadLettersRequest req) {
        int max = bounded("max_messages", req.getMaxMessages(), 1000, MAX_REDRIVE);
        int rate = bounded("rate_per_second", req.getRatePerSecond(), 100, MAX_RATE);
        if (req.getMessageIdsCount() > max) {
            throw new TributaryException(ErrorReason.INVALID_REQUEST, "at most max_messages (" + max + ") message ids, was "
                    + req.getMessageIdsCount());
        }
        TopicName name = TopicName.of(req.getTopic());
        TopicName target = req.getTargetTopic().isEmpty() ? null : TopicName.of(req.getTargetTopic());
        return serialized(name.toString(), () -> held(name).thenCompose(h -> selected(h, req.getMessageIdsList(), max)
                .thenCompose(sel -> {
                    Redrive r = new Redrive(h, name, target, rate, sel.done());
                    return r.next(sel.messages(), 0).thenCompose(v -> remaining(h)).thenApply(left ->
                            RedriveDeadLettersResponse.newBuilder().setRedriven(r.count).setAlreadyDone(sel.done())
                                    .setRemaining(left).build());
                })));
    }

    /** The dead letters a call names (those held; the others counted as done), or the oldest held up to max. */
    private CompletableFuture<Selection> selected(Held h, List<MessageId> ids, int max) {
        if (ids.isEmpty()) {
            return new DeadLetterScan(h.topic(), h.subscription(), maxEntrySize).page(null, max)
                    .thenApply(p -> new Selection(p.messages(), 0));
        }
        for (MessageId id : ids) {
            checked(h.subscription(), id);
        }
        // each named message is found by a page starting right before it: one entry read per id
        List<DeadLetter> found = new ArrayList<>();
        CompletableFuture<Integer> done = CompletableFuture.completedFuture(0);
        for (MessageId id : ids) {
            MessageId before = id.toBuilder().setBatchIndex(id.getBatchIndex() - 1).build();
            done = done.thenCompose(n -> new DeadLetterScan(h.topic(), h.subscription(), maxEntrySize).page(before, 1)
                    .thenApply(p -> {
                        if (!p.messages().isEmpty() && sameMessage(p.messages().get(0).getMessageId(), id)) {
                            found.add(p.messages().get(0));
                            return n;
                        }
                        return n + 1;
                    }));
        }
        return done.thenApply(n -> new Selection(found, n));
    }

    private static boolean sameMessage(MessageId a, MessageId b) {
        return a.getLedgerId() == b.getLedgerId() && a.getEntryId() == b.getEntryId() && a.getBatchIndex() == b.getBatchIndex();
    }

    private record Selection(List<DeadLetter> messages, int done) {}

    /** One redrive call: publishes the selected dead letters one by one at the rate, each then acknowledged. */
    private final class Redrive {
        private final Held h;
        private final TopicName dlq;
        private final TopicName target;
        private final long intervalNanos;
        private final String producer = "redrive-" + UUID.randomUUID();
        private final long start = System.nanoTime();
        private int count;

        Redrive(Held h, TopicName dlq, TopicName target, int rate, int done) {
            this.h = h;
            this.dlq = dlq;
            this.target = target;
            this.intervalNanos = TimeUnit.SECONDS.toNanos(1) / rate;
        }

        CompletableFuture<Void> next(List<DeadLetter> messages, int i) {
            if (i == messages.size()) {
                return CompletableFuture.completedFuture(null);
            }
            DeadLetter m = messages.get(i);
            long wait = start + i * intervalNanos - System.nanoTime();
            CompletableFuture<Void> due = wait <= 0 ? CompletableFuture.completedFuture(null)
                    : CompletableFuture.runAsync(() -> { }, CompletableFuture.delayedExecutor(wait, TimeUnit.NANOSECONDS));
            return due.thenCompose(v -> publish(m, i)).thenCompose(v -> h.subscription().acknowledge(null,
                    List.of(m.getMessageId()), false)).thenCompose(refused -> {
                        // acknowledged meanwhile (a purge): it was published all the same
                        count++;
                        counter(redriven, dlq.toString()).incrementAndGet();
                        return next(messages, i + 1);
                    });
        }

        private CompletableFuture<Void> publish(DeadLetter m, int sequence) {
            TopicName to = target != null ? target : originalTopic(m);
            PlainMessage.Builder p = PlainMessage.newBuilder().setValue(m.getValue()).putAllProperties(m.getPropertiesMap())
                    .putProperties(DeadLetters.REDRIVEN_FROM, idText(m.getMessageId()))
                    .setEventTimeMs(m.getEventTimeMs()).setSequenceId(sequence);
            if (!m.getKey().isEmpty()) {
                p.setKey(m.getKey());
            }
            SendRequest send = SendRequest.newBuilder().setTopic(to.toString()).setProducerName(producer).addMessages(p).build();
            return owners.send(to, send, 5).thenAccept(r -> {
                if (r.getResults(0).hasError()) {
                    throw new TributaryException(r.getResults(0).getError(), null);
                }
            });
        }

        private TopicName originalTopic(DeadLetter m) {
            if (m.getOriginalTopic().isEmpty()) {
                throw new TributaryException(ErrorReason.INVALID_REQUEST, "dead letter " + idText(m.getMessageId())
                        + " names no original topic (no " + DeadLetters.REAL_TOPIC + " property): give target_topic");
            }
            TopicName t = TopicName.of(m.getOriginalTopic());
            if (!t.namespace().equals(dlq.namespace())) {
                throw new TributaryException(ErrorReason.NOT_ALLOWED, "dead letter " + idText(m.getMessageId())
                        + " came from " + t + ", outside namespace " + dlq.namespace()
                        + ": name it as target_topic (which needs produce permission there)");
            }
            return t;
        }
    }

    // ---------------------------------------------------------------- purge

    CompletableFuture<PurgeDeadLettersResponse> purge(PurgeDeadLettersRequest req) {
        TopicName name = TopicName.of(req.getTopic());
        return serialized(name.toString(), () -> held(name).thenCompose(h -> {
            if (req.getMessageIdsCount() == 0) {
                return CompletableFuture.supplyAsync(() -> h.subscription().stats().getMsgBacklog(), h.topic().executor())
                        .thenCompose(before -> h.topic().resetSubscription(DeadLetters.SUBSCRIPTION, null, null,
                                InitialPosition.LATEST).thenApply(v -> before));
            }
            if (req.getMessageIdsCount() > MAX_REDRIVE) {
                throw new TributaryException(ErrorReason.INVALID_REQUEST, "at most " + MAX_REDRIVE + " message ids, was "
                        + req.getMessageIdsCount());
            }
            return selected(h, req.getMessageIdsList(), MAX_REDRIVE).thenCompose(sel -> h.subscription()
                    .acknowledge(null, sel.messages().stream().map(DeadLetter::getMessageId).toList(), false)
                    .thenApply(refused -> (long) sel.messages().size()));
        }).thenCompose(n -> {
            counter(purged, name.toString()).addAndGet(n);
            return held(name).thenCompose(this::remaining)
                    .thenApply(left -> PurgeDeadLettersResponse.newBuilder().setPurged(n).setRemaining(left).build());
        }));
    }

    // ---------------------------------------------------------------- shared

    /** A dead-letter topic this broker owns with its dead-letter subscription. */
    private record Held(Topic topic, Subscription subscription) {}

    private CompletableFuture<Held> held(TopicName name) {
        return topics.topic(name, false).thenCompose(t -> t.subscription(DeadLetters.SUBSCRIPTION,
                ManagedCursor.Start.LATEST, false).thenApply(s -> new Held(t, s))).exceptionallyCompose(e -> {
                    if (ErrorReasons.detailOf(e).getReason() == ErrorReason.SUBSCRIPTION_NOT_FOUND) {
                        return CompletableFuture.failedFuture(new TributaryException(ErrorReason.SUBSCRIPTION_NOT_FOUND,
                                "topic " + name + " is not a dead-letter topic: it has no subscription '"
                                        + DeadLetters.SUBSCRIPTION + "'"));
                    }
                    return CompletableFuture.failedFuture(e);
                });
    }

    private CompletableFuture<Long> remaining(Held h) {
        return CompletableFuture.supplyAsync(() -> h.subscription().stats().getMsgBacklog(), h.topic().executor());
    }

    /** An id that names a message of the dead-letter topic, else INVALID_MESSAGE_ID. */
    private static MessageId checked(Subscription s, MessageId id) {
        ErrorDetail bad = s.checkMessageId(id);
        if (bad != null) {
            throw new TributaryException(bad, null);
        }
        return id;
    }

    /** 0 means the default; otherwise within [1, max], else INVALID_REQUEST naming the field. */
    private static int bounded(String field, int value, int dflt, int max) {
        if (value == 0) {
            return dflt;
        }
        if (value < 1 || value > max) {
            throw new TributaryException(ErrorReason.INVALID_REQUEST, field + " must be in [1, " + max + "] (0: "
                    + dflt + "), was " + value);
        }
        return value;
    }

    /** Runs {@code call} after the previous redrive or purge of the same topic ended. */
    private <T> CompletableFuture<T> serialized(String topic, java.util.function.Supplier<CompletableFuture<T>> call) {
        CompletableFuture<T> result = new CompletableFuture<>();
        running.compute(topic, (k, previous) -> {
            CompletableFuture<?> before = previous == null ? CompletableFuture.completedFuture(null) : previous;
            before.handle((v, e) -> null).thenCompose(v -> call.get()).whenComplete((v, e) -> {
                if (e != null) {
                    result.completeExceptionally(e);
                } else {
                    result.complete(v);
                }
            });
            return result;
        });
        result.whenComplete((v, e) -> running.remove(topic, result));
        return result;
    }

    private static AtomicLong counter(Map<String, AtomicLong> counters, String topic) {
        return counters.computeIfAbsent(topic, k -> new AtomicLong());
    }

    private static String idText(MessageId id) {
        return id.getLedgerId() + ":" + id.getEntryId() + ":" + id.getBatchIndex();
    }
}
