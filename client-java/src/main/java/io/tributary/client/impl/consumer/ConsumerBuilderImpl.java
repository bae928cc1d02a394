package io.tributary.client.impl.consumer;

import io.tributary.api.v1.ErrorReason;
import io.tributary.client.BatchReceivePolicy;
import io.tributary.client.Consumer;
import io.tributary.client.ConsumerBuilder;
import io.tributary.client.ConsumerEventListener;
import io.tributary.client.DeadLetterPolicy;
import io.tributary.client.MessageId;
import io.tributary.client.MessageListener;
import io.tributary.client.Schema;
import io.tributary.client.SubscriptionInitialPosition;
import io.tributary.client.SubscriptionType;
import io.tributary.client.TributaryClientException;
import io.tributary.client.impl.Futures;
import io.tributary.client.impl.TributaryClientImpl;
import io.tributary.protocol.TopicName;
import io.tributary.protocol.TributaryException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import java.util.stream.Collectors;

/** Collects a consumer's settings. */
public final class ConsumerBuilderImpl<T> implements ConsumerBuilder<T> {

    /** The maxRedeliverCount applied when retry is enabled without a dead-letter policy. */
    static final int DEFAULT_RETRY_MAX_REDELIVER_COUNT = 16;
    static final long DEFAULT_NACK_DELAY_MS = TimeUnit.MINUTES.toMillis(1);
    static final long DEFAULT_PATTERN_DISCOVERY_MS = TimeUnit.MINUTES.toMillis(1);
    static final long DEFAULT_ACK_GROUP_TIME_MS = 100;

    /**
     * A consumer's settings, fixed at subscription.
     *
     * @param deadLetter the policy with both topic names resolved, or null
     * @param retryTopic the canonical retry topic when retry is enabled, else null
     * @param reader where a reader starts; null for a consumer
     */
    record Config(String topic, String subscription, SubscriptionType type, String consumerName,
                  int receiverQueueSize, SubscriptionInitialPosition initialPosition, int priority,
                  long nackDelayMs, long ackTimeoutMs, DeadLetterPolicy deadLetter, String retryTopic,
                  ConsumerEventListener listener, ReaderStart reader, MessageListener<?> messageListener,
                  BatchReceivePolicy batchReceivePolicy, long ackGroupTimeMs) {

        /** Settings without a message listener or acknowledgement groups, with the default batch receive policy (readers). */
        Config(String topic, String subscription, SubscriptionType type, String consumerName,
               int receiverQueueSize, SubscriptionInitialPosition initialPosition, int priority,
               long nackDelayMs, long ackTimeoutMs, DeadLetterPolicy deadLetter, String retryTopic,
               ConsumerEventListener listener, ReaderStart reader) {
            this(topic, subscription, type, consumerName, receiverQueueSize, initialPosition, priority, nackDelayMs,
                    ackTimeoutMs, deadLetter, retryTopic, listener, reader, null, BatchReceivePolicy.DEFAULT, 0);
        }
    }

    /** A reader's start: an id, or {@link MessageId#earliest} / {@link MessageId#latest}. */
    record ReaderStart(MessageId startId, boolean inclusive) {}

    private final TributaryClientImpl client;
    private final Schema<T> schema;
    /** The topics as given: one for {@link #topic(String)}, any number for {@link #topics(List)}. */
    private List<String> topics = new ArrayList<>();
    private Pattern topicsPattern;
    private long patternDiscoveryMs = DEFAULT_PATTERN_DISCOVERY_MS;
    private MessageListener<T> messageListener;
    private BatchReceivePolicy batchReceivePolicy = BatchReceivePolicy.DEFAULT;
    private long ackGroupTimeMs = DEFAULT_ACK_GROUP_TIME_MS;
    private String subscription;
    private SubscriptionType type = SubscriptionType.Exclusive;
    private String consumerName;
    private int receiverQueueSize = 1000;
    private SubscriptionInitialPosition initialPosition = SubscriptionInitialPosition.Latest;
    private int priority;
    private long nackDelayMs = DEFAULT_NACK_DELAY_MS;
    private long ackTimeoutMs;
    private DeadLetterPolicy deadLetterPolicy;
    private boolean retryEnabled;
    private ConsumerEventListener listener;

    public ConsumerBuilderImpl(TributaryClientImpl client, Schema<T> schema) {
        this.client = client;
        this.schema = schema;
    }

    @Override
    public ConsumerBuilder<T> topic(String topic) {
        // checked when subscribing, where a bad name fails like any refused topic
        this.topics = new ArrayList<>();
        this.topics.add(topic);
        return this;
    }

    @Override
    public ConsumerBuilder<T> topics(List<String> topics) {
        Objects.requireNonNull(topics, "topics");
        if (topics.isEmpty()) {
            throw new IllegalArgumentException("topics must name at least one topic");
        }
        for (String t : topics) {
            if (t == null || t.isEmpty()) {
                throw new IllegalArgumentException("topics must not hold a null or empty name: " + topics);
            }
        }
        this.topics = new ArrayList<>(topics);
        return this;
    }

    @Override
    public ConsumerBuilder<T> topicsPattern(Pattern pattern) {
        Objects.requireNonNull(pattern, "pattern");
        Pattern p = pattern;
        if (p.pattern().startsWith(TopicName.PERSISTENT_PREFIX)) {
            // names are matched without it
            p = Pattern.compile(p.pattern().substring(TopicName.PERSISTENT_PREFIX.length()), p.flags());
        }
        PatternDiscovery.namespaceOf(p);
        this.topicsPattern = p;
        return this;
    }

    @Override
    public ConsumerBuilder<T> topicsPattern(String regex) {
        Objects.requireNonNull(regex, "regex");
        Pattern p;
        try {
            p = Pattern.compile(regex);
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException("topicsPattern is not a valid regular expression: " + e.getMessage(), e);
        }
        return topicsPattern(p);
    }

    @Override
    public ConsumerBuilder<T> patternAutoDiscoveryPeriod(long period, TimeUnit unit) {
        Objects.requireNonNull(unit, "unit");
        long ms = unit.toMillis(period);
        if (period <= 0 || ms == 0) {
            throw new IllegalArgumentException("patternAutoDiscoveryPeriod must be at least 1 ms, was " + period + " " + unit);
        }
        this.patternDiscoveryMs = ms;
        return this;
    }

    @Override
    public ConsumerBuilder<T> messageListener(MessageListener<T> listener) {
        this.messageListener = Objects.requireNonNull(listener, "listener");
        return this;
    }

    @Override
    public ConsumerBuilder<T> acknowledgmentGroupTime(long delay, TimeUnit unit) {
        Objects.requireNonNull(unit, "unit");
        if (delay < 0) {
            throw new IllegalArgumentException("acknowledgmentGroupTime must not be negative, was " + delay + " " + unit);
        }
        long ms = unit.toMillis(delay);
        if (delay > 0 && ms == 0) {
            throw new IllegalArgumentException("acknowledgmentGroupTime must be 0 (off) or at least 1 ms, was "
                    + delay + " " + unit);
        }
        this.ackGroupTimeMs = ms;
        return this;
    }

    @Override
    public ConsumerBuilder<T> batchReceivePolicy(BatchReceivePolicy policy) {
        this.batchReceivePolicy = Objects.requireNonNull(policy, "policy");
        return this;
    }

    @Override
    public ConsumerBuilder<T> subscriptionName(String subscription) {
        this.subscription = subscription;
        return this;
    }

    @Override
    public ConsumerBuilder<T> subscriptionType(SubscriptionType type) {
        this.type = Objects.requireNonNull(type, "type");
        return this;
    }

    @Override
    public ConsumerBuilder<T> consumerName(String consumerName) {
        this.consumerName = consumerName;
        return this;
    }

    @Override
    public ConsumerBuilder<T> receiverQueueSize(int size) {
        if (size < 1) {
            throw new IllegalArgumentException("receiverQueueSize must be at least 1");
        }
        this.receiverQueueSize = size;
        return this;
    }

    @Override
    public ConsumerBuilder<T> subscriptionInitialPosition(SubscriptionInitialPosition position) {
        this.initialPosition = Objects.requireNonNull(position, "position");
        return this;
    }

    @Override
    public ConsumerBuilder<T> priorityLevel(int priority) {
        if (priority < 0) {
            throw new IllegalArgumentException("the priority level must not be negative");
        }
        this.priority = priority;
        return this;
    }

    @Override
    public ConsumerBuilder<T> negativeAckRedeliveryDelay(long delay, TimeUnit unit) {
        Objects.requireNonNull(unit, "unit");
        if (delay < 0) {
            throw new IllegalArgumentException("the negative-ack redelivery delay must not be negative");
        }
        this.nackDelayMs = unit.toMillis(delay);
        return this;
    }

    @Override
    public ConsumerBuilder<T> ackTimeout(long timeout, TimeUnit unit) {
        Objects.requireNonNull(unit, "unit");
        if (timeout < 0) {
            throw new IllegalArgumentException("the ack timeout must not be negative");
        }
        long ms = unit.toMillis(timeout);
        if (timeout > 0 && ms == 0) {
            throw new IllegalArgumentException("the ack timeout must be 0 (off) or at least 1 ms");
        }
        this.ackTimeoutMs = ms;
        return this;
    }

    @Override
    public ConsumerBuilder<T> deadLetterPolicy(DeadLetterPolicy policy) {
        this.deadLetterPolicy = policy;
        return this;
    }

    @Override
    public ConsumerBuilder<T> enableRetry(boolean enable) {
        this.retryEnabled = enable;
        return this;
    }

    @Override
    public ConsumerBuilder<T> consumerEventListener(ConsumerEventListener listener) {
        this.listener = listener;
        return this;
    }

    @Override
    public Consumer<T> subscribe() throws TributaryClientException {
        return Futures.await(subscribeAsync());
    }

    @Override
    public CompletableFuture<Consumer<T>> subscribeAsync() {
        if (topicsPattern != null && !topics.isEmpty()) {
            return Futures.failed(new TributaryClientException(ErrorReason.INVALID_REQUEST,
                    "set either topic/topics or topicsPattern, not both", null));
        }
        List<TopicName> names = new ArrayList<>();
        if (topicsPattern == null) {
            try {
                for (String t : topics.isEmpty() ? Collections.<String>singletonList(null) : topics) {
                    TopicName n = TopicName.of(t);
                    if (!names.contains(n)) {
                        names.add(n);
                    }
                }
            } catch (TributaryException e) {
                return Futures.failed(TributaryClientException.of(e.detail(), e));
            }
        }
        if (subscription == null || subscription.isEmpty()) {
            return Futures.failed(new TributaryClientException(ErrorReason.INVALID_REQUEST,
                    "a subscription name is required", null));
        }
        if (client.isClosed()) {
            return Futures.failed(new TributaryClientException.AlreadyClosedException("the client is closed"));
        }
        if (retryEnabled && (type == SubscriptionType.Exclusive || type == SubscriptionType.Failover)) {
            return Futures.failed(new TributaryClientException(ErrorReason.INVALID_REQUEST,
                    "enableRetry needs a Shared or Key_Shared subscription: retried messages are delayed, and the "
                            + "broker delays delivery on those types only (this one is " + type + ")", null));
        }
        DeadLetterPolicy policy = deadLetterPolicy;
        if (policy == null && retryEnabled) {
            policy = DeadLetterPolicy.builder().maxRedeliverCount(DEFAULT_RETRY_MAX_REDELIVER_COUNT).build();
        }
        DeadLetterPolicy resolved = null;
        String retryTopic = null;
        if (policy != null) {
            try {
                // the default names derive from one topic: the first of a list; a pattern has none
                TopicName base = names.isEmpty() ? null : names.get(0);
                String dlq = letterTopic(policy.getDeadLetterTopic(), base, "-DLQ", "dead-letter");
                // the retry topic only matters (and is only checked) with retry enabled
                String rlq = retryEnabled ? letterTopic(policy.getRetryLetterTopic(), base, "-RETRY", "retry")
                        : policy.getRetryLetterTopic();
                resolved = DeadLetterPolicy.builder().maxRedeliverCount(policy.getMaxRedeliverCount())
                        .deadLetterTopic(dlq).retryLetterTopic(rlq)
                        .initialSubscriptionName(policy.getInitialSubscriptionName()).build();
                retryTopic = retryEnabled ? rlq : null;
            } catch (TributaryClientException e) {
                return Futures.failed(e);
            }
        }
        String n = consumerName == null || consumerName.isEmpty() ? null : consumerName;
        String shown = topicsPattern != null ? topicsPattern.pattern()
                : names.stream().map(TopicName::toString).collect(Collectors.joining(","));
        Config config = new Config(shown, subscription, type, n, receiverQueueSize, initialPosition, priority,
                nackDelayMs, ackTimeoutMs, resolved, retryTopic, listener, null, messageListener, batchReceivePolicy,
                ackGroupTimeMs);
        if (topicsPattern != null) {
            Set<String> excluded = new HashSet<>();
            if (resolved != null) {
                // never read what this consumer writes itself
                excluded.add(resolved.getDeadLetterTopic());
                if (resolved.getRetryLetterTopic() != null) {
                    excluded.add(resolved.getRetryLetterTopic());
                }
            }
            PatternDiscovery discovery = new PatternDiscovery(client.topicLookup(), topicsPattern, excluded);
            return discovery.discover().thenCompose(found -> {
                ConsumerImpl<T> consumer = new ConsumerImpl<>(client, config, schema, found, true);
                return consumer.start().thenApply(c -> {
                    discovery.watch(client, consumer, patternDiscoveryMs);
                    return c;
                });
            });
        }
        return expand(names).thenCompose(found -> new ConsumerImpl<>(client, config, schema, found, false).start());
    }

    /** The topics to open streams on: the partitions of partitioned topics, the others as they are. */
    private CompletableFuture<List<String>> expand(List<TopicName> names) {
        List<CompletableFuture<List<String>>> parts = new ArrayList<>(names.size());
        for (TopicName name : names) {
            if (name.partitionIndex() >= 0) {
                // a partition is a plain topic of its own
                parts.add(CompletableFuture.completedFuture(List.of(name.toString())));
            } else {
                parts.add(client.topicLookup().partitions(name.toString())
                        .thenApply(count -> PatternDiscovery.streamsOf(name, count)));
            }
        }
        return CompletableFuture.allOf(parts.toArray(CompletableFuture<?>[]::new)).thenApply(v -> {
            Set<String> all = new LinkedHashSet<>();
            parts.forEach(p -> all.addAll(p.join()));
            return List.copyOf(all);
        });
    }

    /** The canonical name of a dead-letter or retry topic: as given, or the topic and subscription with a suffix. */
    private String letterTopic(String given, TopicName topic, String suffix, String what) throws TributaryClientException {
        if (given == null && topic == null) {
            throw new TributaryClientException(ErrorReason.INVALID_REQUEST, "a pattern consumer has no topic to name its "
                    + what + " topic after: set DeadLetterPolicy." + (suffix.equals("-DLQ") ? "deadLetterTopic"
                    : "retryLetterTopic"), null);
        }
        String candidate = given != null ? given : topic + "-" + subscription + suffix;
        try {
            return TopicName.of(candidate).toString();
        } catch (TributaryException e) {
            String hint = given != null ? "" : "; the default name is made of the topic and the subscription "
                    + "name, so set DeadLetterPolicy." + (suffix.equals("-DLQ") ? "deadLetterTopic" : "retryLetterTopic")
                    + " when the subscription name holds other characters than letters, digits and - _ . = :";
            throw new TributaryClientException.InvalidTopicNameException(
                    "the " + what + " topic '" + candidate + "' is not valid: " + e.getMessage() + hint);
        }
    }
}
