package io.tributary.chaos.load;

import io.tributary.client.Producer;
import io.tributary.client.Transaction;
import io.tributary.client.TributaryClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a {@link LoadPlan.TransactionPlan} on a thread of its own: transaction after transaction, one message on
 * each of its topics (the transaction's name as value and as the {@link MessageRecord#PRODUCER} property, so the
 * audit read finds it), then a commit, or a rollback every {@code abortEvery}-th. Each outcome goes into the
 * {@link TransactionHistory}.
 */
final class TransactionDriver implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(TransactionDriver.class);
    /** Long enough to outlast a fault's ownership move; an undecided one is then checked back and rolled back. */
    static final Duration TIMEOUT = Duration.ofSeconds(20);

    private final LoadPlan.TransactionPlan plan;
    private final TributaryClient client;
    private final TransactionHistory history;
    private final List<Producer<byte[]>> producers = new ArrayList<>();
    private final Thread thread;
    private volatile boolean stopping;

    TransactionDriver(LoadPlan.TransactionPlan plan, TributaryClient client, TransactionHistory history) {
        this.plan = plan;
        this.client = client;
        this.history = history;
        this.thread = new Thread(this, "chaos-transactions-" + plan.id());
        thread.setDaemon(true);
    }

    void start() throws Exception {
        for (String topic : plan.topics()) {
            producers.add(client.newProducer().topic(topic).create());
        }
        thread.start();
    }

    @Override
    public void run() {
        long started = System.nanoTime();
        long n = 0;
        try {
            while (!stopping) {
                long due = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started) * plan.perSecond() / 1000;
                while (n < due && !stopping) {
                    runOne(plan.id() + "-" + n, n % plan.abortEvery() == plan.abortEvery() - 1);
                    n++;
                }
                // pacing a load generator, not waiting for a condition
                Thread.sleep(10);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void runOne(String name, boolean abort) {
        history.begun(name, plan.topics());
        try {
            Transaction txn = client.newTransaction().timeout(TIMEOUT).build();
            byte[] value = name.getBytes(StandardCharsets.UTF_8);
            for (Producer<byte[]> p : producers) {
                p.newMessage(txn).property(MessageRecord.PRODUCER, name).property(MessageRecord.SEQUENCE, "0")
                        .value(value).send();
            }
            if (abort) {
                txn.abort();
                history.ended(name, TransactionHistory.Outcome.ABORTED);
            } else {
                txn.commit();
                history.ended(name, TransactionHistory.Outcome.COMMITTED);
            }
        } catch (Exception e) {
            LOG.info("transaction {}: {}", name, e.toString());
            history.ended(name, TransactionHistory.Outcome.UNKNOWN);
        }
    }

    /** Stops after the transaction under way (each call has its timeout), then closes the producers. */
    void stop() throws InterruptedException {
        stopping = true;
        thread.join(TimeUnit.MINUTES.toMillis(3));
        for (Producer<byte[]> p : producers) {
            p.closeAsync();
        }
    }
}
