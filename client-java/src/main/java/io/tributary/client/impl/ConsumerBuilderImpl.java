package io.tributary.client.impl;

import io.tributary.api.v1.ErrorReason;
import io.tributary.client.Consumer;
import io.tributary.client.ConsumerBuilder;
import io.tributary.client.ConsumerEventListener;
import io.tributary.client.DeadLetterPolicy;
import io.tributary.client.MessageId;
import io.tributary.client.Schema;
import io.tributary.client.SubscriptionInitialPosition;
import io.tributary.client.SubscriptionType;
import io.tributary.client.TributaryClientException;
import io.tributary.protocol.TopicName;
import io.tributary.protocol.TributaryException;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Collects a consumer's settings. */
final class ConsumerBuilderImpl<T> implements ConsumerBuilder<T> {

    /** The maxRedeliverCount applied when retry is enabled without a dead-letter policy. */
    static final int DEFAULT_RETRY_MAX_REDELIVER_COUNT = 16;
    static final long DEFAULT_NACK_DELAY_MS = TimeUnit.MINUTES.toMillis(1);

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
                  ConsumerEventListener listener, ReaderStart reader) {}

    /** A reader's start: an id, or {@link MessageId#earliest} / {@link MessageId#latest}. */
    record ReaderStart(MessageId startId, boolean inclusive) {}

    private final TributaryClientImpl client;
    private final Schema<T> schema;
    private String topic;
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

    ConsumerBuilderImpl(TributaryClientImpl client, Schema<T> schema) {
        this.client = client;
        this.schema = schema;
    }

    @Override
    public ConsumerBuilder<T> topic(String topic) {
        this.topic = topic;
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
        TopicName name;
        try {
            name = TopicName.of(topic);
        } catch (TributaryException e) {
            return Futures.failed(TributaryClientException.of(e.detail(), e));
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
                String dlq = letterTopic(policy.getDeadLetterTopic(), name, "-DLQ", "dead-letter");
                // the retry topic only matters (and is only checked) with retry enabled
                String rlq = retryEnabled ? letterTopic(policy.getRetryLetterTopic(), name, "-RETRY", "retry")
                        : policy.getRetryLetterTopic();
                resolved = DeadLetterPolicy.builder().maxRedeliverCount(policy.getMaxRedeliverCount())
                        .deadLetterTopic(dlq).retryLetterTopic(rlq).build();
                retryTopic = retryEnabled ? rlq : null;
            } catch (TributaryClientException e) {
                return Futures.failed(e);
            }
        }
        String n = consumerName == null || consumerName.isEmpty() ? null : consumerName;
        Config config = new Config(name.toString(), subscription, type, n, receiverQueueSize, initialPosition, priority,
                nackDelayMs, ackTimeoutMs, resolved, retryTopic, listener, null);
        return new ConsumerImpl<>(client, config, schema, name.partitionIndex()).start();
    }

    /** The canonical name of a dead-letter or retry topic: as given, or the topic and subscription with a suffix. */
    private String letterTopic(String given, TopicName topic, String suffix, String what) throws TributaryClientException {
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
