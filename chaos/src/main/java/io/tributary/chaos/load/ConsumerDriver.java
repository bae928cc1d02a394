package io.tributary.chaos.load;

import io.tributary.client.Consumer;
import io.tributary.client.Message;
import io.tributary.client.MessageId;
import io.tributary.client.Reader;
import io.tributary.client.Schema;
import io.tributary.client.SubscriptionInitialPosition;
import io.tributary.client.SubscriptionType;
import io.tributary.client.TributaryClient;
import io.tributary.client.TributaryClientException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One consumer (or the reader) of a subscription: receives on a thread of its own, records every
 * delivery, and acknowledges in the subscription's style. Failed acknowledgements are only counted:
 * the message comes back, which the history shows as a redelivery.
 */
final class ConsumerDriver implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(ConsumerDriver.class);
    private static final int CUMULATIVE_EVERY = 10;

    private final LoadPlan.SubscriptionPlan plan;
    private final String name;
    private final History history;
    private final AtomicLong ackFailures;
    private final Thread thread;
    private volatile Consumer<String> consumer;
    private volatile Reader<String> reader;
    private TributaryClient client;
    private final AtomicLong resubscriptions = new AtomicLong();
    private volatile boolean closing;

    ConsumerDriver(LoadPlan.SubscriptionPlan plan, int index, History history, AtomicLong ackFailures) {
        this.plan = plan;
        this.name = plan.name() + "-" + index;
        this.history = history;
        this.ackFailures = ackFailures;
        this.thread = new Thread(this, "chaos-consumer-" + name);
        thread.setDaemon(true);
    }

    /** Subscribes (so the subscription exists before anything is sent) and starts receiving. */
    void start(TributaryClient client) throws TributaryClientException {
        this.client = client;
        open();
        thread.start();
    }

    private void open() throws TributaryClientException {
        if (plan.kind() == LoadPlan.SubscriptionKind.READER) {
            reader = client.newReader(Schema.STRING).topic(plan.topic()).readerName(name)
                    .startMessageId(MessageId.earliest).receiverQueueSize(200).create();
        } else {
            consumer = client.newConsumer(Schema.STRING).topic(plan.topic()).subscriptionName(plan.name())
                    .subscriptionType(type(plan.kind())).consumerName(name)
                    .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest)
                    .receiverQueueSize(200).negativeAckRedeliveryDelay(500, TimeUnit.MILLISECONDS).subscribe();
        }
    }

    /**
     * The consumer failed for good (the SDK gave up on it): subscribe again, as an application
     * would. A reader starts again from the earliest message, which the history shows as
     * redeliveries.
     */
    private void reopen() {
        try {
            open();
            resubscriptions.incrementAndGet();
            LOG.info("{} subscribed again after a failure", name);
        } catch (TributaryClientException e) {
            LOG.info("{} cannot subscribe yet: {}", name, e.toString());
        }
    }

    static SubscriptionType type(LoadPlan.SubscriptionKind kind) {
        return switch (kind) {
            case EXCLUSIVE -> SubscriptionType.Exclusive;
            case FAILOVER -> SubscriptionType.Failover;
            case SHARED -> SubscriptionType.Shared;
            case KEY_SHARED -> SubscriptionType.Key_Shared;
            case READER -> throw new IllegalArgumentException("a reader has no subscription type");
        };
    }

    @Override
    public void run() {
        long firstDeliveries = 0;
        int sinceCumulative = 0;
        MessageId lastForCumulative = null;
        while (!closing) {
            Message<String> m;
            try {
                m = reader != null ? reader.readNext(200, TimeUnit.MILLISECONDS)
                        : consumer.receive(200, TimeUnit.MILLISECONDS);
            } catch (TributaryClientException e) {
                if (closing) {
                    return;
                }
                // a fault: the SDK reconnects by itself; keep asking, without spinning on an error
                LOG.debug("{} receive: {}", name, e.toString());
                if (!pause()) {
                    return;
                }
                if (e instanceof TributaryClientException.AlreadyClosedException && !closing) {
                    reopen();
                }
                continue;
            }
            if (m == null) {
                if (lastForCumulative != null) {
                    consumer.acknowledgeCumulativeAsync(lastForCumulative).whenComplete(this::countFailure);
                    lastForCumulative = null;
                    sinceCumulative = 0;
                }
                continue;
            }
            history.delivered(m.getProperties(), plan.name(), name, m.getTopicName(),
                    ProducerDriver.idString(m.getMessageId()), m.getRedeliveryCount());
            switch (plan.ackStyle()) {
                case NONE -> { }
                case INDIVIDUAL -> consumer.acknowledgeAsync(m).whenComplete(this::countFailure);
                case CUMULATIVE -> {
                    lastForCumulative = m.getMessageId();
                    if (++sinceCumulative >= CUMULATIVE_EVERY) {
                        consumer.acknowledgeCumulativeAsync(lastForCumulative).whenComplete(this::countFailure);
                        lastForCumulative = null;
                        sinceCumulative = 0;
                    }
                }
                case NEGATIVE_THEN_INDIVIDUAL -> {
                    if (m.getRedeliveryCount() == 0 && firstDeliveries++ % plan.nackEvery() == 0) {
                        consumer.negativeAcknowledge(m);
                    } else {
                        consumer.acknowledgeAsync(m).whenComplete(this::countFailure);
                    }
                }
                case EVEN_ONLY -> {
                    String seq = m.getProperty(MessageRecord.SEQUENCE);
                    if (seq != null && Long.parseLong(seq) % 2 == 0) {
                        consumer.acknowledgeAsync(m).whenComplete(this::countFailure);
                    }
                }
            }
        }
    }

    /** How many times it had to subscribe again. */
    long resubscriptions() {
        return resubscriptions.get();
    }

    private static boolean pause() {
        try {
            Thread.sleep(100);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private void countFailure(Void ignored, Throwable e) {
        if (e != null && !closing) {
            ackFailures.incrementAndGet();
        }
    }

    void close() throws InterruptedException {
        closing = true;
        thread.join();
        try {
            if (consumer != null) {
                consumer.close();
            }
            if (reader != null) {
                reader.close();
            }
        } catch (Exception e) {
            LOG.info("closing {}: {}", name, e.toString());
        }
    }
}
