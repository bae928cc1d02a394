package io.tributary.chaos.load;

import io.tributary.client.BatchingType;
import io.tributary.client.MessageId;
import io.tributary.client.Producer;
import io.tributary.client.ProducerBuilder;
import io.tributary.client.Schema;
import io.tributary.client.TributaryClient;
import io.tributary.client.TributaryClientException;
import io.tributary.client.TypedMessageBuilder;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends for one named producer at its planned rate, on a thread of its own. Each message is sent
 * once by the application: resends are the SDK's business, under the producer's name and sequence
 * ids, so that the broker can deduplicate them. The record is made before the send, so a delivery
 * can never overtake it.
 */
final class ProducerDriver implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(ProducerDriver.class);

    private final LoadPlan.ProducerPlan plan;
    private final TributaryClient client;
    private final History history;
    private final SplittableRandom random;
    private final AtomicLong failures;
    private volatile boolean stopping;
    /** The producer failed for good (fenced, closed under it, its name taken): make a new one. */
    private volatile boolean broken;
    private volatile Producer<String> producer;
    private final AtomicLong replacements = new AtomicLong();
    private final Thread thread;

    ProducerDriver(LoadPlan.ProducerPlan plan, TributaryClient client, History history, long seed, AtomicLong failures) {
        this.plan = plan;
        this.client = client;
        this.history = history;
        this.random = new SplittableRandom(seed ^ plan.id().hashCode());
        this.failures = failures;
        this.thread = new Thread(this, "chaos-producer-" + plan.id());
        thread.setDaemon(true);
    }

    /** Creates the producer (so a failure to connect fails the start) and starts sending. */
    void start() throws Exception {
        producer = create();
        thread.start();
    }

    private Producer<String> create() throws Exception {
        ProducerBuilder<String> b = client.newProducer(Schema.STRING).topic(plan.topic()).producerName(plan.id())
                .sendTimeout(Duration.ofSeconds(60)).maxPendingMessages(2_000);
        switch (plan.mode()) {
            case BATCHED -> b.enableBatching(true).batchingMaxPublishDelay(Duration.ofMillis(5));
            case UNBATCHED -> b.enableBatching(false);
            case KEY_BASED -> b.enableBatching(true).batchingType(BatchingType.KEY_BASED)
                    .batchingMaxPublishDelay(Duration.ofMillis(5));
            // a long delay so that batches fill to their two messages at the planned rate
            case PAIRED -> b.enableBatching(true).batchingMaxMessages(2).batchingMaxPublishDelay(Duration.ofMillis(100));
        }
        return b.create();
    }

    /**
     * After a failure no retry cures, a new producer under the same name: it continues from the
     * sequence the broker has stored for the name, so deduplication and order carry over.
     */
    private void replace() throws InterruptedException {
        Producer<String> old = producer;
        old.closeAsync();
        while (!stopping) {
            try {
                producer = create();
                broken = false;
                replacements.incrementAndGet();
                LOG.info("producer {} replaced after a failure", plan.id());
                return;
            } catch (Exception e) {
                LOG.info("producer {} cannot be created yet: {}", plan.id(), e.toString());
                Thread.sleep(1_000); // a fault is under way: try again
            }
        }
    }

    /** How many times the producer had to be created again. */
    long replacements() {
        return replacements.get();
    }

    @Override
    public void run() {
        long started = System.nanoTime();
        long sent = 0;
        try {
            while (!stopping && sent < plan.maxMessages()) {
                if (broken) {
                    replace();
                    continue;
                }
                long due = Math.min(plan.maxMessages(),
                        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started) * plan.messagesPerSecond() / 1000);
                while (sent < due && !stopping && !broken) {
                    send(sent++);
                }
                // pacing a load generator, not waiting for a condition
                Thread.sleep(10);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.warn("producer {} stopped sending: {}", plan.id(), e.toString());
        }
    }

    private void send(long sequence) {
        String key = plan.keys() > 0 ? "k" + random.nextInt(plan.keys()) : null;
        MessageRecord r = history.newMessage(plan.id(), sequence, plan.topic(), key);
        send(producer, r, failures, e -> {
            Throwable cause = e instanceof CompletionException && e.getCause() != null
                    ? e.getCause() : e;
            if (cause instanceof TributaryClientException.ProducerFencedException
                    || cause instanceof TributaryClientException.AlreadyClosedException
                    || cause instanceof TributaryClientException.ProducerBusyException) {
                broken = true;
            }
        });
    }

    /** Sends the message of record {@code r} and records how the send ends. */
    static void send(Producer<String> producer, MessageRecord r, AtomicLong failures,
            Consumer<Throwable> onFailure) {
        long now = System.currentTimeMillis();
        r.attempted(now);
        TypedMessageBuilder<String> m = producer.newMessage().value(r.producer() + "#" + r.sequence())
                .properties(MessageRecord.identityProperties(r.producer(), r.sequence(), now));
        if (r.key() != null) {
            m.key(r.key());
        }
        try {
            m.sendAsync().whenComplete((id, e) -> {
                if (e == null) {
                    r.acked(System.currentTimeMillis(), idString(id), id.getPartition());
                } else {
                    failures.incrementAndGet();
                    r.failed(System.currentTimeMillis(), e.toString());
                    onFailure.accept(e);
                }
            });
        } catch (RuntimeException e) {
            failures.incrementAndGet();
            r.failed(System.currentTimeMillis(), e.toString());
            onFailure.accept(e);
        }
    }

    static String idString(MessageId id) {
        return id.getLedgerId() + ":" + id.getEntryId() + ":" + id.getBatchIndex();
    }

    /** Stops sending, waits until every send is answered (or timed out), closes the producer. */
    void stop() throws InterruptedException {
        stopping = true;
        thread.join();
        try {
            producer.close();
        } catch (Exception e) {
            LOG.warn("closing producer {}: {}", plan.id(), e.toString());
        }
    }
}
