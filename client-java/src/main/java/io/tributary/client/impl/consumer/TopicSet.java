package io.tributary.client.impl.consumer;

import io.tributary.api.v1.ErrorReason;
import io.tributary.api.v1.InitialPosition;
import io.tributary.client.Message;
import io.tributary.client.MessageId;
import io.tributary.client.SubscriptionInitialPosition;
import io.tributary.client.TributaryClientException;
import io.tributary.client.impl.stream.Completions;
import io.tributary.client.impl.TributaryClientImpl;
import io.tributary.protocol.ErrorReasons;
import io.tributary.protocol.TopicName;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The topics a consumer reads, each with its {@link TopicSubscription}: the topics given (or
 * matching a pattern, which come and go), then the retry topic's. They share the receiver
 * queue's permits, and acknowledgements by id are routed to the right one here.
 *
 * <p>Guarded by the consumer's lock ({@link ConsumerImpl#lock}); {@link #update} takes it.
 */
final class TopicSet<T> {
    private static final Logger LOG = LoggerFactory.getLogger(TopicSet.class);
    /** How many ledger-to-topic entries a consumer remembers to place acks by id. */
    private static final int MAX_LEDGERS_REMEMBERED = 10_000;

    private final ConsumerImpl<T> consumer;
    private final TributaryClientImpl client;
    private final int receiverQueueSize;
    /** Whether topics come and go later (a pattern subscription): one that fails then is dropped, not the consumer. */
    private final boolean dynamic;
    /** The subscriptions of the topics read, then the retry topic's. */
    private final List<TopicSubscription<T>> all = new ArrayList<>(2);
    private final Map<String, TopicSubscription<T>> byTopic = new HashMap<>();
    private TopicSubscription<T> retry;
    /** Which subscription a ledger's messages came from (ledger ids are unique in a cluster), to route acks by id. */
    private final Map<Long, TopicSubscription<T>> ledgers = new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, TopicSubscription<T>> eldest) {
            return size() > MAX_LEDGERS_REMEMBERED;
        }
    };

    TopicSet(ConsumerImpl<T> consumer, TributaryClientImpl client, boolean dynamic) {
        this.consumer = consumer;
        this.client = client;
        this.receiverQueueSize = consumer.conf().receiverQueueSize();
        this.dynamic = dynamic;
    }

    /** A subscription to a topic read (not the retry topic), not connected yet. */
    TopicSubscription<T> newSubscription(String topic, ReaderPosition position) {
        return new TopicSubscription<>(consumer, client, topic, TopicName.of(topic).partitionIndex(),
                consumer.conf().initialPosition() == SubscriptionInitialPosition.Earliest ? InitialPosition.EARLIEST
                        : InitialPosition.LATEST, position);
    }

    /**
     * A pattern consumer's topics from now on (the retry topic aside): streams open for the new
     * ones and close for those gone. The new ones start at the subscription's initial position
     * when their subscription is new.
     */
    void update(Collection<String> topicNames) {
        String subscription = consumer.conf().subscription();
        Completions.underLock(consumer.lock, done -> {
            if (!consumer.openLocked()) {
                return;
            }
            Set<String> wanted = new LinkedHashSet<>(topicNames);
            for (TopicSubscription<T> s : List.copyOf(mains())) {
                if (!wanted.contains(s.topic())) {
                    LOG.info("[{}/{}] {} no longer matches the pattern; unsubscribing it", s.topic(), subscription,
                            s.topic());
                    removeLocked(s, done);
                }
            }
            for (String topic : wanted) {
                if (!contains(topic)) {
                    LOG.info("[{}/{}] Subscribing to a new topic matching {}", topic, subscription,
                            consumer.conf().topic());
                    TopicSubscription<T> s = newSubscription(topic, null);
                    add(s);
                    s.start();
                }
            }
        });
    }

    /**
     * The stream of {@code s} failed for good: not retriable, or no first subscription within the
     * operation timeout. A pattern consumer goes on without the topic (it is tried again at the
     * next discovery), unless the consumer's own subscription is what failed; any other consumer
     * fails.
     */
    void failedLocked(TopicSubscription<T> s, TributaryClientException e, Completions done) {
        if (dynamic && (s.subscribed() || consumer.subscribedLocked())) {
            LOG.warn("[{}/{}] Consumer {} stops reading the topic: {}", s.topic(), consumer.conf().subscription(),
                    consumer.nameForLogs(), e.getMessage());
            removeLocked(s, done);
        } else {
            LOG.warn("[{}/{}] Consumer {} failed: {}", s.topic(), consumer.conf().subscription(),
                    consumer.nameForLogs(), e.getMessage());
            consumer.failLocked(e, done);
        }
    }

    /** Stops reading a topic: its prefetched messages go, and acknowledgements on it fail from now on. */
    void removeLocked(TopicSubscription<T> s, Completions done) {
        remove(s);
        s.cancel("the consumer stopped reading " + s.topic(), true);
        consumer.streamLostLocked(s, ErrorReasons.detail(ErrorReason.NOT_ALLOWED,
                "the consumer stopped reading " + s.topic()), done);
        consumer.acks().removedLocked(s, done);
    }

    /** Adds a topic read, before the retry topic. */
    void add(TopicSubscription<T> s) {
        all.add(retry == null ? all.size() : all.size() - 1, s);
        byTopic.put(s.topic(), s);
    }

    /** Adds the retry topic, last. */
    void addRetry(TopicSubscription<T> s) {
        retry = s;
        all.add(s);
        byTopic.put(s.topic(), s);
    }

    private void remove(TopicSubscription<T> s) {
        all.remove(s);
        byTopic.remove(s.topic());
    }

    boolean contains(String topic) {
        return byTopic.containsKey(topic);
    }

    /** Every subscription, the retry topic's last. */
    List<TopicSubscription<T>> all() {
        return all;
    }

    /** The subscriptions of the topics read: all but the retry topic's. */
    List<TopicSubscription<T>> mains() {
        return retry == null ? all : all.subList(0, all.size() - 1);
    }

    TopicSubscription<T> retry() {
        return retry;
    }

    /** The first topic read, which names the consumer; null if none. */
    TopicSubscription<T> first() {
        return all.isEmpty() || all.get(0) == retry ? null : all.get(0);
    }

    /** The subscription of a consumer or reader of one topic (or partition); null for one of several or a pattern. */
    TopicSubscription<T> single() {
        return dynamic || mains().size() != 1 ? null : all.get(0);
    }

    /** The topics of a consumer share its receiver queue; a retry topic has a queue's worth of its own. */
    int permitsFor(TopicSubscription<T> s) {
        int topics = mains().size();
        return s == retry || topics <= 1 ? receiverQueueSize : Math.max(1, receiverQueueSize / topics);
    }

    boolean allSubscribed() {
        return all.stream().allMatch(TopicSubscription::subscribed);
    }

    boolean allEnded() {
        return all.stream().allMatch(TopicSubscription::ended);
    }

    boolean allReady() {
        return all.stream().allMatch(TopicSubscription::ready);
    }

    /** Remembers that a ledger's messages come from {@code s}. */
    void delivered(long ledgerId, TopicSubscription<T> s) {
        ledgers.put(ledgerId, s);
    }

    /**
     * The subscription a message or an id belongs to: the message's topic; else the one that
     * handed the id out ({@code handedOutBy}), or delivered the id's ledger (ledger ids are unique
     * in a cluster), or the only one whose partition index is the id's; failing those, the one
     * topic of a consumer of one topic (retry topic aside). Null if none of these tells.
     */
    TopicSubscription<T> locate(Message<?> message, MessageId id, TopicSubscription<T> handedOutBy) {
        if (message != null) {
            TopicSubscription<T> s = byTopic.get(message.getTopicName());
            if (s != null) {
                return s;
            }
        }
        if (handedOutBy != null) {
            return handedOutBy;
        }
        TopicSubscription<T> s = ledgers.get(id.getLedgerId());
        if (s != null) {
            return s;
        }
        TopicSubscription<T> samePartition = null;
        int matches = 0;
        for (TopicSubscription<T> x : all) {
            if (x.partition() == id.getPartition()) {
                samePartition = x;
                matches++;
            }
        }
        if (matches == 1) {
            return samePartition;
        }
        List<TopicSubscription<T>> mains = mains();
        return mains.size() == 1 ? mains.get(0) : null;
    }
}
